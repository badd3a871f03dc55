//! `serve`'s preview of a body edit (`Session::preview`), in process: the page it renders ahead
//! of the full rebuild must be byte-identical to the page the full rebuild then renders, for
//! edits that renumber citations, add links and headings; edits it does not cover must not be
//! previewed; and a failed rebuild must take the preview back.

use std::collections::BTreeSet;
use std::path::PathBuf;

use refwiki::session::{Changes, Session};

use crate::harness::Site;

fn changes(rel: &str) -> Changes {
    Changes {
        content: BTreeSet::from([PathBuf::from(rel)]),
        ..Changes::default()
    }
}

#[test]
fn a_previewed_page_equals_the_page_of_the_full_rebuild() {
    let site = Site::shipped("preview");
    let rel = "content/groups/jnim.md";
    let original = site.read(rel);
    let mut s = Session::new(&site.dir, Some("/".into()));
    assert!(s.rebuild(&Changes::everything()).unwrap().site.is_some());
    s.finish_data().expect("data files");

    let (head, body) = original.split_at(original.rfind("\n+++\n").unwrap() + 5);
    let edits: Vec<(&str, String)> = vec![
        // A new first paragraph citing a late key renumbers every reference and the
        // infobox marks.
        (
            "renumbered",
            format!("{head}\nThe coalition's headquarters.[^hq] [[Mali]] again.\n\n{body}"),
        ),
        // A new link, a new heading and a link to that heading on the same page.
        (
            "heading",
            format!(
                "{head}{body}\n## Preview section\n\nSee [[JNIM#Preview section]] and [[Niger]].\n"
            ),
        ),
        // Text only.
        ("text", format!("{head}{body}\nOne more sentence.\n")),
    ];
    let mut previewed = 0;
    for (what, text) in edits {
        site.write(rel, &text);
        let c = changes(rel);
        let path = s
            .preview(&c)
            .unwrap_or_else(|| panic!("{what}: a body edit is previewed"));
        assert_eq!(path, "groups/jnim/index.html");
        let preview = s.site()[&path].clone();
        let outcome = s.rebuild(&c).unwrap();
        assert!(outcome.site.is_some(), "{what}: {:?}", outcome.diagnostics);
        assert!(
            !outcome.changed.contains(&path),
            "{what}: the full rebuild changed the previewed page"
        );
        assert_eq!(
            String::from_utf8_lossy(&s.site()[&path]),
            String::from_utf8_lossy(&preview),
            "{what}"
        );
        s.finish_data().expect("data files");
        previewed += 1;
    }
    assert_eq!(previewed, 3);

    // Front-matter edits are not previewed (other pages and mentions depend on them).
    let text = site
        .read(rel)
        .replacen("title = \"JNIM\"", "title = \"JNIM (coalition)\"", 1);
    assert_ne!(text, site.read(rel));
    site.write(rel, &text);
    assert_eq!(s.preview(&changes(rel)), None);
    assert!(s.rebuild(&changes(rel)).unwrap().site.is_some());
    s.finish_data().expect("data files");

    // A body edit with a broken link is not previewed; the rebuild reports it.
    let before = s.site()["groups/jnim/index.html"].clone();
    let text = format!("{}\nSee [[No Such Page]].\n", site.read(rel));
    site.write(rel, &text);
    assert_eq!(s.preview(&changes(rel)), None);
    let outcome = s.rebuild(&changes(rel)).unwrap();
    assert!(outcome.site.is_none());
    assert_eq!(s.site()["groups/jnim/index.html"], before);
}

#[test]
fn a_failed_rebuild_takes_the_preview_back() {
    let site = Site::shipped("preview-revert");
    let mut s = Session::new(&site.dir, Some("/".into()));
    assert!(s.rebuild(&Changes::everything()).unwrap().site.is_some());
    s.finish_data().expect("data files");
    // Another page links to a section of this one; the preview cannot see that removing the
    // heading breaks it, the full rebuild can.
    let target = "content/people/amadou-koufa.md";
    let linker = "content/topics/preview-linker.md";
    let t = site.read(target);
    let heading = t
        .lines()
        .find(|l| l.starts_with("## "))
        .expect("a heading")
        .to_string();
    site.write(
        linker,
        format!(
            "+++\ntitle = \"Preview linker\"\nkind = \"topic\"\nsummary = \"x\"\n[cites.a]\nsource = \"jnim-merger-profile-2020\"\nquote = \"the head of the umbrella organisation\"\n+++\nSee [[Amadou Koufa#{}]].[^a]\n",
            &heading[3..]
        ),
    );
    let mut both = Changes::everything();
    both.config = false;
    let first = s.rebuild(&both).unwrap();
    assert!(first.site.is_some(), "setup: {:?}", first.diagnostics);
    s.finish_data().expect("data files");
    let before = s.site()["people/amadou-koufa/index.html"].clone();
    site.write(target, t.replace(&heading, &heading.replace("## ", "")));
    let c = changes(target);
    assert!(s.preview(&c).is_some());
    assert_ne!(s.site()["people/amadou-koufa/index.html"], before);
    let outcome = s.rebuild(&c).unwrap();
    assert!(outcome.site.is_none(), "the broken anchor fails the build");
    assert_eq!(s.site()["people/amadou-koufa/index.html"], before);
}

#[test]
fn a_retitled_page_is_ready_before_the_rest_of_the_rebuild_and_equals_it() {
    let site = Site::shipped("early");
    let rel = "content/groups/jnim.md";
    let mut s = Session::new(&site.dir, Some("/".into()));
    assert!(s.rebuild(&Changes::everything()).unwrap().site.is_some());
    s.finish_data().expect("data files");
    let text = site
        .read(rel)
        .replacen("title = \"JNIM\"", "title = \"JNIM (coalition)\"", 1);
    site.write(rel, &text);
    let mut early: Vec<(String, Vec<u8>)> = Vec::new();
    let outcome = s
        .rebuild_early(&changes(rel), &mut |paths, site| {
            for p in paths {
                early.push((p.clone(), site[p].to_vec()));
            }
        })
        .unwrap();
    assert!(outcome.site.is_some(), "{:?}", outcome.diagnostics);
    assert_eq!(early.len(), 1, "only the edited page comes early");
    let (path, bytes) = &early[0];
    assert_eq!(path, "groups/jnim/index.html");
    assert!(String::from_utf8_lossy(bytes).contains("JNIM (coalition)"));
    assert_eq!(
        &s.site()[path].to_vec(),
        bytes,
        "the rebuild keeps the early page"
    );
    assert!(
        !outcome.changed.contains(path),
        "and does not announce it twice"
    );
    assert!(
        outcome.changed.iter().any(|p| p != path),
        "other pages show the new title too"
    );

    // A rebuild with errors calls nothing early and keeps the last good site.
    let before = s.site()["groups/jnim/index.html"].clone();
    site.write(rel, format!("{text}\nSee [[No Such Page]].\n"));
    let mut called = false;
    let outcome = s
        .rebuild_early(&changes(rel), &mut |_, _| called = true)
        .unwrap();
    assert!(outcome.site.is_none());
    assert!(!called);
    assert_eq!(s.site()["groups/jnim/index.html"], before);
}
