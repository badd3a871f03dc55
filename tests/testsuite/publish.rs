//! Publishing and the contributor workflow: sitemap, robots, feed, JSON-LD, `init`, `new`,
//! and `check --changed` / `--since` on a git repository.

use std::process::Command;

use crate::harness::{broken_links, Site};

#[test]
fn sitemap_robots_feed_and_json_ld_under_a_sub_path() {
    let site = Site::fixture("fixtures/basic");
    site.write("content/people/zed.md", "+++\ntitle = \"Zed </script><script>alert(1)</script>\"\nkind = \"person\"\nupdated = 2026-01-05\nsummary = \"s\"\n\n[cites.c]\nsource = \"src\"\nquote = \"The Beta meeting\"\n+++\n\nZed knew [[Jane Roe]].[^c]\n");
    let jane = site.read("content/people/jane-roe.md").replace(
        "kind = \"person\"",
        "kind = \"person\"\nupdated = 2025-03-01",
    );
    site.write("content/people/jane-roe.md", jane);
    let run = site.run(&["build", "--base-url", "https://example.org/wiki/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        broken_links(&site, "public", "/wiki/"),
        Vec::<String>::new()
    );

    // The sitemap lists every HTML page except redirects and the 404 page, as absolute URLs.
    let sitemap = site.read("public/sitemap.xml");
    let locs: Vec<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    let mut pages: Vec<String> = site
        .tree("public")
        .keys()
        .filter(|p| p.ends_with(".html") && *p != "404.html")
        .filter(|p| {
            !String::from_utf8_lossy(&site.tree("public")[*p]).contains("http-equiv=\"refresh\"")
        })
        .map(|p| {
            format!(
                "https://example.org/wiki/{}",
                p.strip_suffix("index.html").unwrap()
            )
        })
        .collect();
    pages.sort();
    let mut locs_sorted: Vec<String> = locs.iter().map(|s| s.to_string()).collect();
    locs_sorted.sort();
    assert_eq!(locs_sorted, pages);
    assert!(
        sitemap.contains(
            "<loc>https://example.org/wiki/people/zed/</loc><lastmod>2026-01-05</lastmod>"
        ),
        "{sitemap}"
    );
    assert!(
        !sitemap.contains("reunion-beta"),
        "redirects are not in the sitemap"
    );
    assert_eq!(
        site.read("public/robots.txt"),
        "User-agent: *\nAllow: /\nSitemap: https://example.org/wiki/sitemap.xml\n"
    );

    // The feed: entities with `updated`, newest first, dated from content only.
    let feed = site.read("public/feed.xml");
    let zed = feed.find("people/zed/").unwrap();
    let jane = feed.find("people/jane-roe/").unwrap();
    assert!(zed < jane, "{feed}");
    assert!(feed.contains("<updated>2026-01-05T00:00:00Z</updated>"));
    assert!(!feed.contains("<script>"));

    // JSON-LD per entity, inline, with `<` escaped so no title can close the script element.
    let page = site.read("public/people/zed/index.html");
    let ld = page
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    assert!(!ld.contains('<'), "{ld}");
    let v: serde_json::Value = serde_json::from_str(ld).unwrap();
    assert_eq!(v["@type"], "Person");
    assert_eq!(v["name"], "Zed </script><script>alert(1)</script>");
    assert_eq!(v["url"], "https://example.org/wiki/people/zed/");
    let group = site.read("public/groups/alpha-group/index.html");
    assert!(
        group.contains("\"@type\":\"Organization\"") && group.contains("\"foundingDate\":\"2001\"")
    );
    assert!(page.contains("<link rel=\"canonical\" href=\"https://example.org/wiki/people/zed/\">"));
    assert!(page.contains("<meta property=\"og:description\" content=\"s\">"));
}

#[test]
fn init_then_build_and_new_then_check() {
    let site = Site::empty("init");
    let wiki = site.dir.join("w");
    let run = site.run(&["init", wiki.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let w = Site { dir: wiki.clone() };
    assert_eq!(w.run(&["check", "--strict"]).code, 0);
    assert_eq!(w.run(&["build"]).code, 0);
    assert!(wiki.join("public/people/ada-marlow/index.html").exists());
    assert_eq!(broken_links(&w, "public", "/"), Vec::<String>::new());
    // init refuses a folder that has files.
    assert_eq!(site.run(&["init", wiki.to_str().unwrap()]).code, 2);

    let run = w.run(&["new", "person", "Bob O'Neil"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("content/people/bob-oneil.md"));
    let check = w.run(&["check"]);
    assert_eq!(
        check.code, 0,
        "a new page has warnings, not errors: {}",
        check.stdout
    );
    assert!(check.stdout.contains("warning[no-citation]"));
    assert_eq!(w.run(&["check", "--strict"]).code, 1);
    let again = w.run(&["new", "person", "Bob O'Neil"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("never overwrites"),
        "{}",
        again.stderr
    );
    let bad = w.run(&["new", "persn", "X"]);
    assert!(
        bad.code == 2 && bad.stderr.contains("did you mean `person`"),
        "{}",
        bad.stderr
    );
    assert_eq!(w.run(&["build"]).code, 0);
}

fn git(site: &Site, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(&site.dir)
        .args(["-c", "user.email=t@example.org", "-c", "user.name=t"])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn changed_files_mode_reports_the_change_and_what_it_breaks_elsewhere() {
    let site = Site::fixture("fixtures/basic");
    // A problem that predates the change: not the pull request's fault, not reported.
    site.write("content/places/old.md", "+++\ntitle = \"Old\"\nkind = \"place\"\nsummary = \"s\"\n+++\n\n[[Nowhere]] near [[Jane Roe]].\n");
    git(&site, &["init", "-q"]);
    git(&site, &["add", "-A"]);
    git(&site, &["commit", "-qm", "base"]);
    let full = site.run(&["check"]);
    assert!(full.stdout.contains("content/places/old.md"));

    // Rename a title and drop the alias another page links with.
    let jane = site
        .read("content/people/jane-roe.md")
        .replace("title = \"Jane Roe\"", "title = \"Jane Q. Roe\"")
        .replace("aliases = [\"J. Roe\"]", "aliases = []");
    site.write("content/people/jane-roe.md", jane);
    let run = site.run(&["check", "--changed", "content/people/jane-roe.md"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("content/index.md:5:40: error[broken-link]: `J. Roe` resolves to no entity"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("content/places/old.md"),
        "{}",
        run.stdout
    );

    git(&site, &["add", "-A"]);
    git(&site, &["commit", "-qm", "rename"]);
    let since = site.run(&["check", "--since", "HEAD~1", "--format", "github"]);
    assert_eq!(since.code, 1);
    assert_eq!(since.stdout.lines().count(), 1, "{}", since.stdout);
    assert!(
        since
            .stdout
            .starts_with("::error file=content/index.md,line=5,col=40,"),
        "{}",
        since.stdout
    );
    // Nothing changed since HEAD: nothing to report.
    assert_eq!(site.run(&["check", "--since", "HEAD"]).code, 0);
}
