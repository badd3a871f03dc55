//! Whole builds of fixture wikis: rendered HTML snapshots, the export, link integrity,
//! determinism, and all-or-nothing writes.

use crate::harness::{broken_links, Site};

#[test]
fn basic_fixture_builds_and_renders() {
    let site = Site::fixture("fixtures/basic");
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(
        "basic_entity_main",
        site.main_of("public/people/jane-roe/index.html")
    );
    insta::assert_snapshot!(
        "basic_event_main",
        site.main_of("public/events/beta-meeting/index.html")
    );
    insta::assert_snapshot!(
        "basic_source_main",
        site.main_of("public/sources/src/index.html")
    );
    insta::assert_snapshot!("basic_home_main", site.main_of("public/index.html"));
    insta::assert_snapshot!("basic_wiki_json", site.read("public/wiki.json"));
    // Alias redirects: one per alias, pointing at the entity.
    let r = crate::harness::unescape(&site.read("public/events/reunion-beta/index.html"));
    assert!(r.contains("url=/events/beta-meeting/"), "{r}");
    assert!(site.dir.join("public/groups/alpha/index.html").exists());
    assert!(site.dir.join("public/people/j-roe/index.html").exists());
    // Kind indexes, tags, 404.
    for p in [
        "people/index.html",
        "groups/index.html",
        "events/index.html",
        "places/index.html",
        "topics/index.html",
        "tags/meetings/index.html",
        "tags/index.html",
        "sources/index.html",
        "404.html",
        "style.css",
    ] {
        assert!(site.dir.join("public").join(p).exists(), "{p}");
    }
    assert_eq!(broken_links(&site, "public", "/"), Vec::<String>::new());
}

#[test]
fn inverse_relations_appear_on_both_pages() {
    let site = Site::fixture("fixtures/basic");
    assert_eq!(site.run(&["build"]).code, 0);
    let jane = site.read("public/people/jane-roe/index.html");
    assert!(
        jane.contains(
            "participant in</dt><dd><a href=\"/events/beta-meeting/\">Beta Meeting</a> (chair)"
        ),
        "{jane}"
    );
    let alpha = site.read("public/groups/alpha-group/index.html");
    assert!(alpha.contains("led by</dt>"), "{alpha}");
}

/// Past `OVERVIEW_MAX_NODES` (400) related entities, `/graph/` draws the most related ones,
/// not the first in path order, and says how many it left out.
#[test]
fn relations_overview_draws_the_400_most_related_entities() {
    let site = Site::empty("overview-cap");
    for g in 0..41 {
        site.write(
            &format!("content/groups/g-{g:02}.md"),
            format!("+++\ntitle = \"Group {g:02}\"\nkind = \"group\"\n+++\n\nA group.\n"),
        );
    }
    // 420 people, members of one group each, except the last, a member of three: in path
    // order it comes last, by relations it is among the first.
    for p in 0..420 {
        let groups: Vec<String> = match p {
            419 => (0..3).map(|g| format!("{{ to = \"g-{g:02}\" }}")).collect(),
            _ => vec![format!("{{ to = \"g-{:02}\" }}", p % 41)],
        };
        site.write(
            &format!("content/people/p-{p:03}.md"),
            format!(
                "+++\ntitle = \"Person {p:03}\"\nkind = \"person\"\n\n[relations]\nmember_of = [{}]\n+++\n\nA person.\n",
                groups.join(", ")
            ),
        );
    }
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = site.main_of("public/graph/index.html");
    assert!(
        page.contains("The 400 entities with the most relations (of 461 with at least one)"),
        "{page}"
    );
    let drawn: Vec<String> = crate::harness::urls(&page)
        .into_iter()
        .filter(|u| u.starts_with("/groups/g-") || u.starts_with("/people/p-"))
        .collect();
    assert_eq!(drawn.len(), 400, "{drawn:?}");
    for g in 0..41 {
        assert!(
            drawn.contains(&format!("/groups/g-{g:02}/")),
            "group {g} drawn"
        );
    }
    // The 41 groups, the member of three, then the first 358 members of one in path order.
    assert!(drawn.contains(&"/people/p-419/".to_string()));
    assert!(drawn.contains(&"/people/p-357/".to_string()));
    assert!(!drawn.contains(&"/people/p-358/".to_string()));
    // Only relations between drawn entities: 361 of the 422 declared.
    assert!(
        page.contains("the 361 typed relations between them"),
        "{page}"
    );
}

#[test]
fn shipped_wiki_checks_clean_and_every_link_resolves() {
    let site = Site::shipped("shipped");
    let check = site.run(&["check", "--strict"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(broken_links(&site, "public", "/"), Vec::<String>::new());
    let json: serde_json::Value = serde_json::from_str(&site.read("public/wiki.json")).unwrap();
    let entities = json["entities"].as_array().unwrap();
    assert!(entities.len() >= 100, "{} entities", entities.len());
    assert!(entities
        .iter()
        .all(|e| !e["citations"].as_array().unwrap().is_empty()));
    let cites: Vec<&serde_json::Value> = entities
        .iter()
        .flat_map(|e| e["citations"].as_array().unwrap())
        .collect();
    assert!(cites.len() >= 600, "{} citations", cites.len());
    let passages: std::collections::BTreeSet<(String, u64)> = cites
        .iter()
        .map(|c| {
            (
                c["source"].as_str().unwrap().to_string(),
                c["passage"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(passages.len() >= 200, "{} passages", passages.len());
    assert_eq!(json["sources"].as_array().unwrap().len(), 5);
}

#[test]
fn build_twice_is_byte_identical_across_thread_counts() {
    let site = Site::fixture("fixtures/basic");
    assert_eq!(site.run(&["build"]).code, 0);
    let first = site.tree("public");
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let second_run = std::process::Command::new(env!("CARGO_BIN_EXE_refwiki"))
        .args([
            "--root",
            site.dir.to_str().unwrap(),
            "build",
            "--out",
            "public2",
        ])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert!(second_run.status.success());
    assert_eq!(first, site.tree("public2"));
    assert!(!first.is_empty());
}

#[test]
fn failed_build_keeps_previous_output() {
    let site = Site::fixture("fixtures/basic");
    assert_eq!(site.run(&["build"]).code, 0);
    let before = site.tree("public");
    site.write(
        "content/people/broken.md",
        "+++\ntitle = \"Broken\"\nkind = \"person\"\n+++\n\n[[Nobody]]\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[broken-link]"), "{}", run.stderr);
    assert_eq!(before, site.tree("public"));
    assert!(!site.dir.join(".public.refwiki-staging").exists());
}

#[test]
fn deleted_pages_disappear_from_the_next_build() {
    let site = Site::fixture("fixtures/basic");
    assert_eq!(site.run(&["build"]).code, 0);
    assert!(site
        .dir
        .join("public/events/beta-meeting/index.html")
        .exists());
    std::fs::remove_file(site.dir.join("content/events/beta-meeting.md")).unwrap();
    std::fs::write(site.dir.join("content/index.md"), "Home.\n").unwrap();
    assert_eq!(site.run(&["build"]).code, 0);
    assert!(!site
        .dir
        .join("public/events/beta-meeting/index.html")
        .exists());
}

/// From the second build on, the staging folder holds the previous site and is rewritten in
/// place: the result must be exactly what a build into a fresh folder makes, with the files
/// of deleted pages and their folders gone.
#[test]
fn rebuilds_over_the_previous_site_equal_a_fresh_build() {
    let site = Site::fixture("fixtures/basic");
    for _ in 0..3 {
        assert_eq!(site.run(&["build"]).code, 0);
    }
    assert!(site.dir.join(".public.refwiki-staging").is_dir());
    // The previous site, now in the staging folder, has pages this build will not write,
    // and a file where this build needs a folder.
    std::fs::remove_file(site.dir.join("content/events/beta-meeting.md")).unwrap();
    std::fs::write(site.dir.join("content/index.md"), "Home.\n").unwrap();
    let staging = site.dir.join(".public.refwiki-staging");
    std::fs::remove_dir_all(staging.join("people/jane-roe")).unwrap();
    std::fs::write(staging.join("people/jane-roe"), "a file in the way").unwrap();
    assert_eq!(site.run(&["build"]).code, 0);
    assert_eq!(site.run(&["build"]).code, 0);
    let recycled = site.tree("public");
    assert!(!site.dir.join("public/events/beta-meeting").exists());
    assert_eq!(site.run(&["build", "--out", "fresh"]).code, 0);
    assert_eq!(recycled, site.tree("fresh"));
    assert!(recycled.contains_key("people/jane-roe/index.html"));
}

/// `--discard-previous` leaves no copy of the previous site (a recycled one included).
#[test]
fn discard_previous_leaves_no_staging_folder() {
    let site = Site::fixture("fixtures/basic");
    assert_eq!(site.run(&["build"]).code, 0);
    assert_eq!(site.run(&["build"]).code, 0);
    assert!(site.dir.join(".public.refwiki-staging").is_dir());
    let before = site.tree("public");
    assert_eq!(site.run(&["build", "--discard-previous"]).code, 0);
    assert!(!site.dir.join(".public.refwiki-staging").exists());
    assert_eq!(site.run(&["build", "--discard-previous"]).code, 0);
    assert!(!site.dir.join(".public.refwiki-staging").exists());
    assert_eq!(before, site.tree("public"));
}

/// The recycled staging folder is ours, but what is in it is not trusted: a symbolic link
/// (to a folder or to a file) must not lead a write out of it, a file hard-linked elsewhere
/// must not be rewritten, a FIFO must not hang the build, and a file rewritten in place must
/// lose what its previous version had beyond the new length.
#[cfg(unix)]
#[test]
fn rebuilds_never_write_through_links_left_in_the_staging_folder() {
    let site = Site::fixture("fixtures/basic");
    assert_eq!(site.run(&["build"]).code, 0);
    assert_eq!(site.run(&["build"]).code, 0);
    let staging = site.dir.join(".public.refwiki-staging");
    assert!(staging.is_dir());
    let outside = site.dir.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("index.html"), "precious").unwrap();
    std::fs::remove_dir_all(staging.join("groups/alpha-group")).unwrap();
    std::os::unix::fs::symlink(&outside, staging.join("groups/alpha-group")).unwrap();
    std::fs::hard_link(
        staging.join("people/jane-roe/index.html"),
        site.dir.join("copy-of-jane.html"),
    )
    .unwrap();
    let copy_before = std::fs::read(site.dir.join("copy-of-jane.html")).unwrap();
    // A file that is a symbolic link to a file outside, a FIFO where a page goes (opening
    // it for writing would wait for a reader), and a page longer than its next version.
    std::fs::write(outside.join("theme.js"), "precious too").unwrap();
    std::fs::remove_file(staging.join("theme.js")).unwrap();
    std::os::unix::fs::symlink(outside.join("theme.js"), staging.join("theme.js")).unwrap();
    let fifo = staging.join("events/beta-meeting/index.html");
    std::fs::remove_file(&fifo).unwrap();
    let c_fifo = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_fifo.as_ptr(), 0o644) }, 0);
    std::fs::write(staging.join("people/index.html"), "x".repeat(1 << 20)).unwrap();
    std::fs::write(site.dir.join("content/index.md"), "Home, edited.\n").unwrap();
    assert_eq!(site.run(&["build"]).code, 0);
    assert_eq!(site.read("outside/index.html"), "precious");
    assert_eq!(site.read("outside/theme.js"), "precious too");
    assert_eq!(
        std::fs::read(site.dir.join("copy-of-jane.html")).unwrap(),
        copy_before
    );
    assert_eq!(site.run(&["build", "--out", "fresh"]).code, 0);
    assert_eq!(site.tree("public"), site.tree("fresh"));
}

#[test]
fn refuses_output_folders_that_are_or_contain_the_wiki_or_are_foreign() {
    let site = Site::fixture("fixtures/basic");
    for out in [".", ".."] {
        let run = site.run(&["build", "--out", out]);
        assert_eq!(run.code, 2, "{out}: {}", run.stderr);
        assert!(
            run.stderr.contains("refusing") || run.stderr.contains("must name a folder"),
            "{}",
            run.stderr
        );
    }
    site.write("mine/keep.txt", "precious");
    let run = site.run(&["build", "--out", "mine"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not created by refwiki"),
        "{}",
        run.stderr
    );
    assert_eq!(site.read("mine/keep.txt"), "precious");
}

#[test]
fn base_url_sub_path_prefixes_every_link() {
    let site = Site::fixture("fixtures/basic");
    let run = site.run(&["build", "--base-url", "https://example.org/wiki/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        broken_links(&site, "public", "/wiki/"),
        Vec::<String>::new()
    );
    let page = site.read("public/people/jane-roe/index.html");
    assert!(
        page.contains(
            "<link rel=\"canonical\" href=\"https://example.org/wiki/people/jane-roe/\">"
        ),
        "{page}"
    );
}

/// Custom templates: the HTML refwiki builds (bodies, fragments, JSON-LD, graphs) is written as
/// it is with or without `| safe` (templates written for earlier versions keep working), and
/// editor text stays escaped.
#[test]
fn custom_templates_write_built_html_as_it_is_with_or_without_safe() {
    let site = Site::fixture("fixtures/basic");
    site.write(
        "content/people/jane-roe.md",
        site.read("content/people/jane-roe.md")
            .replace("title = \"Jane Roe\"", "title = \"Jane <b>Roe</b>\""),
    );
    for filter in ["", " | safe"] {
        site.write(
            "templates/entity.html",
            format!(
                "<h1>{{{{ entity.title }}}}</h1>\n<div>{{{{ entity.body_html{filter} }}}}</div>\n\
                 <ol>{{{{ entity.references.html{filter} }}}}</ol>\n\
                 <script>{{{{ entity.json_ld{filter} }}}}</script>\n"
            ),
        );
        let run = site.run(&["build"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let page = site.read("public/people/jane-roe/index.html");
        assert!(
            page.contains("<h1>Jane &lt;b&gt;Roe&lt;"),
            "{filter:?}: {page}"
        );
        assert!(page.contains("<div><p>"), "{filter:?}: {page}");
        assert!(page.contains("<li id=\"cite-1\">"), "{filter:?}: {page}");
        assert!(
            page.contains("<script>{\"@context\":"),
            "{filter:?}: {page}"
        );
        assert!(!page.contains("&lt;p&gt;"), "{filter:?}: {page}");
    }
}

/// A large wiki's bodies are let go after resolution and read again, then compiled, when their
/// pages are rendered (`resolve::COMPILE_AHEAD_MAX_BYTES`): the site must be the same as when
/// they are compiled ahead, search index included, and every body must have been let go.
#[test]
fn bodies_read_again_render_the_same_site() {
    use refwiki::resolve::Bodies;
    for site in [
        Site::shipped("late-shipped"),
        Site::fixture("fixtures/basic"),
    ] {
        let render = |bodies: Bodies| {
            let (corpus, _) = refwiki::load::load(&site.dir, None).expect("loads");
            let (wiki, diags) = refwiki::resolve::resolve_to_render_with(corpus, bodies);
            assert!(
                diags
                    .iter()
                    .all(|d| d.severity != refwiki::diag::Severity::Error),
                "{diags:?}"
            );
            let held = wiki.entities.iter().filter(|e| e.page.body_held()).count();
            let tera = refwiki::render::templates::load(&site.dir).expect("templates");
            let mut files = refwiki::render::render(&wiki, &tera).expect("renders");
            files.sort_by(|a, b| a.path.cmp(&b.path));
            (files, held, wiki.entities.len())
        };
        let (ahead, held, n) = render(Bodies::CompiledAhead);
        assert_eq!(held, n, "compiled ahead, every body is held");
        let (again, held, n) = render(Bodies::Reread(&site.dir));
        assert_eq!(held, 0, "read again: all {n} bodies let go");
        // Let go as they are loaded, and read again to be scanned, then for their pages.
        let (corpus, _) = refwiki::load::load_releasing(&site.dir, None, 0).expect("loads");
        assert!(corpus.entities.iter().all(|e| !e.body_held()));
        let (wiki, _) = refwiki::resolve::resolve_to_render(corpus, &site.dir);
        assert!(wiki.entities.iter().all(|e| !e.page.body_held()));
        let tera = refwiki::render::templates::load(&site.dir).expect("templates");
        let mut streamed = refwiki::render::render(&wiki, &tera).expect("renders");
        streamed.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(ahead.len(), streamed.len());
        for (a, s) in ahead.iter().zip(&streamed) {
            assert_eq!(a.path, s.path);
            assert!(a.bytes == s.bytes, "streamed: {} differs", a.path);
        }
        assert!(ahead.len() > 20, "{} files", ahead.len());
        assert!(
            ahead.iter().any(|f| f.path == "search/text-0.json"),
            "a search chunk"
        );
        assert_eq!(ahead.len(), again.len());
        for (a, l) in ahead.iter().zip(&again) {
            assert_eq!(a.path, l.path);
            assert!(a.bytes == l.bytes, "{} differs", a.path);
        }
    }
}

/// A body read again at render time must be the text resolution checked: a file edited
/// between the two makes the build fail, naming the file, instead of publishing a page that
/// does not match its diagnostics.
#[test]
fn a_body_changed_before_it_is_read_again_fails_the_render() {
    use refwiki::resolve::Bodies;
    let site = Site::fixture("fixtures/basic");
    let (corpus, _) = refwiki::load::load(&site.dir, None).expect("loads");
    let (wiki, _) = refwiki::resolve::resolve_to_render_with(corpus, Bodies::Reread(&site.dir));
    let e = &wiki.entities[0];
    let path = site.dir.join(&e.page.file.path);
    let text = std::fs::read_to_string(&path).expect("reads");
    std::fs::write(
        &path,
        format!("{text}\nA sentence added after the check.\n"),
    )
    .expect("writes");
    let tera = refwiki::render::templates::load(&site.dir).expect("templates");
    let err = refwiki::render::render(&wiki, &tera).expect_err("a changed file");
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&e.page.file.path.display().to_string()) && msg.contains("changed"),
        "{msg}"
    );
    // Deleted: the same, with the reason the read failed.
    std::fs::remove_file(&path).expect("removes");
    let err = refwiki::render::render(&wiki, &tera).expect_err("a deleted file");
    assert!(
        format!("{err:#}").contains(&e.page.file.path.display().to_string()),
        "{err:#}"
    );
}

/// A large wiki lets its bodies go as they are loaded and reads each again to scan it
/// (`load::load_releasing`); a diagnostic in a body then reads the file once more to show
/// where it is. Every diagnostic case, the clean base and the shipped wiki must report exactly
/// what they report with their bodies held: same codes, lines, columns, line texts and hints.
#[test]
fn bodies_let_go_at_load_give_the_same_diagnostics() {
    let mut sites: Vec<Site> = std::fs::read_dir(crate::harness::tests_dir("diagnostics"))
        .expect("lists the cases")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n != "_base")
        .map(|case| Site::overlay("diagnostics/_base", &format!("diagnostics/{case}")))
        .collect();
    sites.push(Site::fixture("diagnostics/_base"));
    sites.push(Site::shipped("streamed-diagnostics"));
    let mut in_bodies = 0;
    for site in &sites {
        let diagnose = |corpus: refwiki::load::Corpus,
                        mut diags: Vec<refwiki::diag::Diagnostic>| {
            let released = corpus.entities.iter().filter(|e| !e.body_held()).count();
            let (checked, d) = refwiki::resolve::check(corpus);
            diags.extend(d);
            (refwiki::diag::Diagnostics::finish(diags), checked, released)
        };
        let Ok((corpus, diags)) = refwiki::load::load(&site.dir, None) else {
            continue;
        };
        let (held, held_counts, none) = diagnose(corpus, diags);
        assert_eq!(none, 0);
        let (corpus, diags) = refwiki::load::load_releasing(&site.dir, None, 0).expect("loads");
        let n = corpus.entities.len();
        let (streamed, streamed_counts, released) = diagnose(corpus, diags);
        assert_eq!(released, n, "{}: every body let go", site.dir.display());
        assert_eq!(held.all(), streamed.all(), "{}", site.dir.display());
        assert_eq!(held_counts, streamed_counts);
        // Diagnostics below the front matter, located by reading the file again.
        in_bodies += streamed
            .all()
            .iter()
            .filter(|d| {
                d.line_text.as_deref().is_some_and(|t| !t.is_empty())
                    && [
                        "broken-link",
                        "unlinked-mention",
                        "raw-html",
                        "broken-anchor",
                    ]
                    .contains(&d.code)
            })
            .count();
    }
    assert!(in_bodies >= 4, "{in_bodies} diagnostics in bodies");
}

/// A body let go at load and read again to be scanned must be the text that was loaded: a
/// file changed in between is reported (`unreadable-file`, naming it), not scanned silently.
#[test]
fn a_body_changed_after_load_is_reported_when_read_again() {
    let site = Site::fixture("fixtures/basic");
    let (corpus, _) = refwiki::load::load_releasing(&site.dir, None, 0).expect("loads");
    let path = corpus.entities[0].file.path.clone();
    let text = site.read(&path.display().to_string());
    site.write(
        &path.display().to_string(),
        format!("{text}\nAdded later.\n"),
    );
    let (_, diags) = refwiki::resolve::check(corpus);
    let d = diags
        .iter()
        .find(|d| d.code == "unreadable-file")
        .expect("the changed file is reported");
    assert_eq!(d.file, path);
    assert!(d.message.contains("changed"), "{}", d.message);
}

/// A build writes `wiki.json` into its file as it is serialised; it must be the bytes the
/// in-memory export (what `serve` serves) makes, also when it overwrites a longer one.
#[test]
fn wiki_json_written_as_it_is_serialised_equals_the_export() {
    let site = Site::fixture("fixtures/basic");
    let export = || {
        let (corpus, _) = refwiki::load::load(&site.dir, None).expect("loads");
        refwiki::render::json::export(&refwiki::resolve::resolve_to_render(corpus, &site.dir).0)
    };
    assert_eq!(site.run(&["build"]).code, 0);
    let first = site.read("public/wiki.json");
    assert!(first.contains("beta-meeting"));
    assert!(first.as_bytes() == export().as_slice());
    // Two more builds after a page is removed: the second overwrites, in the staging
    // folder, the longer `wiki.json` of the site before last.
    let page = site.dir.join("content/events/beta-meeting.md");
    assert!(page.is_file());
    std::fs::remove_file(page).unwrap();
    for _ in 0..2 {
        assert_eq!(site.run(&["build"]).code, 0);
    }
    let json = site.read("public/wiki.json");
    assert!(!json.contains("beta-meeting"));
    assert!(json.as_bytes() == export().as_slice());
}
