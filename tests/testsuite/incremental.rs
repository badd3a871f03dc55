//! `serve`'s re-resolution with a warm cache (`resolve_with` and
//! `ResolveCache::keeping_folded_texts`) must give exactly what a fresh resolution gives, for
//! the changes it patches instead of recomputing: retitles, new and removed aliases (mentions
//! re-matched only in the passages and bodies that contain a changed name), and back again.

use std::sync::Arc;

use refwiki::resolve::{resolve, resolve_with, ResolveCache, Wiki};

use crate::harness::Site;

/// Everything name changes can reach, as text: mentions, mention lists, links, relations,
/// redirects, tags and the sorted diagnostics.
fn summary(wiki: &Wiki, diags: &[refwiki::diag::Diagnostic]) -> String {
    let mut out = String::new();
    for s in &wiki.sources {
        out += &format!("{} {:?} {:?}\n", s.source.id, s.mentions, s.cited_by);
    }
    for e in &wiki.entities {
        out += &format!(
            "{} {:?} {:?} {:?} {:?} {:?}\n",
            e.path, e.mentioned_in, e.mentioned_not_cited, e.backlinks, e.links_to, e.relations
        );
    }
    out += &format!("{:?}\n{:?}\n", wiki.redirects, wiki.tags);
    let mut d: Vec<String> = diags.iter().map(|d| format!("{d:?}")).collect();
    d.sort();
    out + &d.join("\n")
}

#[test]
fn cached_re_resolution_after_name_changes_equals_a_fresh_one() {
    let site = Site::shipped("incremental");
    let (jnim, mali) = ("content/groups/jnim.md", "content/places/mali.md");
    let (jnim_text, mali_text) = (site.read(jnim), site.read(mali));
    let with = |text: &str, from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1)
    };
    let retitled = with(
        &jnim_text,
        "title = \"JNIM\"",
        "title = \"Support Group for Islam\"",
    );
    let mali_line = "title = \"Mali\"\n";
    // An alias that occurs in many passages and bodies, then one that another entity
    // has already (a duplicate-name error), then none at all.
    let steps: Vec<(&str, &str, String)> = vec![
        ("retitle", jnim, retitled),
        (
            "new alias",
            mali,
            with(
                &mali_text,
                mali_line,
                &format!("{mali_line}aliases = [\"Sahel\"]\n"),
            ),
        ),
        (
            "clashing alias",
            mali,
            with(
                &mali_text,
                mali_line,
                &format!(
                    "{mali_line}aliases = [\"Sahel\", \"Jamaat Nusratul Islam wal-Muslimin\"]\n"
                ),
            ),
        ),
        ("title back", jnim, jnim_text.clone()),
        ("alias back", mali, mali_text.clone()),
        (
            "aliases removed",
            jnim,
            with(&jnim_text, "aliases = [", "old_aliases = ["),
        ),
        ("back again", jnim, jnim_text.clone()),
    ];
    let load = || refwiki::load::load(&site.dir, None).expect("loads").0;

    let mut cache = ResolveCache::keeping_folded_texts();
    resolve_with(load(), &mut cache);
    let mut patched_some = false;
    for (what, file, text) in steps {
        site.write(file, text);
        let corpus = load();
        let (cached, cd) = resolve_with(corpus.clone(), &mut cache);
        let (fresh, fd) = resolve(corpus);
        let (a, b) = (summary(&cached, &cd), summary(&fresh, &fd));
        for (x, y) in a.lines().zip(b.lines()) {
            assert_eq!(x, y, "after: {what}");
        }
        assert_eq!(a.lines().count(), b.lines().count(), "after: {what}");
        // The cache really was used: some source kept its mentions or was patched.
        patched_some |= cached
            .sources
            .iter()
            .zip(&fresh.sources)
            .any(|(a, b)| !Arc::ptr_eq(&a.mentions, &b.mentions));
    }
    assert!(patched_some);
}
