//! One fixture per diagnostic code under `tests/diagnostics/<case>/`, each overlaid on
//! `tests/diagnostics/_base/` (a clean two-entity wiki). The plain-text `check` output of every
//! case is a reviewed snapshot: the wording of messages and hints is part of the product.

use crate::harness::{tests_dir, Site};

/// Every diagnostic code refwiki emits, and the case that demonstrates it. Codes produced
/// from bytes a fixture file cannot hold (invalid UTF-8, oversize files, symlinks) are covered
/// in `bad_inputs.rs`; `unreadable-file` needs a permission the test user (often root) lacks,
/// so it is covered by a unit-level path only and documented in tests/README.md.
const CASES: &[(&str, &str)] = &[
    ("unterminated-front-matter", "unterminated-front-matter"),
    ("missing-front-matter", "missing-front-matter"),
    ("front-matter-syntax", "front-matter-syntax"),
    ("front-matter-syntax-yaml", "front-matter-syntax"),
    ("unknown-key", "unknown-key"),
    ("invalid-value", "invalid-value"),
    ("missing-key", "missing-key"),
    ("unknown-kind", "unknown-kind"),
    ("unknown-relation-type", "unknown-relation-type"),
    ("invalid-date", "invalid-date"),
    ("invalid-slug", "invalid-slug"),
    ("unsafe-url", "unsafe-url"),
    ("unsafe-url-body", "unsafe-url"),
    ("duplicate-key", "duplicate-key"),
    ("duplicate-key-yaml", "duplicate-key"),
    ("nesting-too-deep", "nesting-too-deep"),
    ("yaml-budget", "yaml-budget"),
    ("duplicate-slug", "duplicate-slug"),
    ("duplicate-name", "duplicate-name"),
    ("ambiguous-link", "ambiguous-link"),
    ("broken-link", "broken-link"),
    ("broken-anchor", "broken-anchor"),
    ("broken-relation", "broken-relation"),
    ("self-relation", "self-relation"),
    ("unknown-source", "unknown-source"),
    ("passage-out-of-range", "passage-out-of-range"),
    ("quote-in-other-passage", "quote-in-other-passage"),
    ("ambiguous-quote", "ambiguous-quote"),
    ("quote-not-found", "quote-not-found"),
    ("dangling-citation", "dangling-citation"),
    ("footnote-definition", "footnote-definition"),
    ("raw-html", "raw-html"),
    ("no-citation", "no-citation"),
    ("unused-citation", "unused-citation"),
    ("orphan-entity", "orphan-entity"),
    ("uncited-source", "uncited-source"),
    ("unlinked-mention", "unlinked-mention"),
    ("config", "unknown-key"),
    ("config-syntax", "config"),
];

const WARNINGS: &[&str] = &[
    "no-citation",
    "unused-citation",
    "orphan-entity",
    "uncited-source",
    "unlinked-mention",
];

#[test]
fn base_fixture_is_clean() {
    let site = Site::fixture("diagnostics/_base");
    let run = site.run(&["check", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn every_case_reports_its_code_and_matches_its_snapshot() {
    let mut on_disk: Vec<String> = std::fs::read_dir(tests_dir("diagnostics"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n != "_base")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.0.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every fixture folder is listed in CASES and vice versa"
    );

    for (case, code) in CASES {
        let site = Site::overlay("diagnostics/_base", &format!("diagnostics/{case}"));
        let run = site.run(&["check"]);
        assert!(
            run.stdout.contains(&format!("[{code}]")),
            "{case}: expected [{code}] in:\n{}",
            run.stdout
        );
        let warning_only = WARNINGS.contains(code);
        assert_eq!(
            run.code,
            if warning_only { 0 } else { 1 },
            "{case}:\n{}",
            run.stdout
        );
        if warning_only {
            assert_eq!(
                site.run(&["check", "--strict"]).code,
                1,
                "{case} fails under --strict"
            );
        }
        insta::assert_snapshot!(format!("diag_{case}"), run.stdout);
    }
}

/// `check` skips what only the pages show (mentions in sources and the lists made from them):
/// it must find exactly what a build finds, on every case, the clean base and the shipped wiki.
#[test]
fn check_finds_what_build_finds() {
    let mut sites: Vec<(String, Site)> = CASES
        .iter()
        .map(|(case, _)| {
            let site = Site::overlay("diagnostics/_base", &format!("diagnostics/{case}"));
            (case.to_string(), site)
        })
        .collect();
    sites.push(("_base".into(), Site::fixture("diagnostics/_base")));
    sites.push(("shipped".into(), Site::shipped("check-vs-build")));
    for (case, site) in &sites {
        let check = refwiki::build(&site.dir, &refwiki::BuildOptions::default());
        let build = refwiki::build(
            &site.dir,
            &refwiki::BuildOptions {
                write: true,
                ..Default::default()
            },
        );
        match (check, build) {
            (Ok(check), Ok(build)) => {
                assert_eq!(check.diagnostics.all(), build.diagnostics.all(), "{case}");
                assert_eq!(
                    (check.entities, check.sources, check.citations),
                    (build.entities, build.sources, build.citations),
                    "{case}"
                );
            }
            (check, build) => assert_eq!(
                check.map(|_| ()).map_err(|e| e.to_string()),
                build.map(|_| ()).map_err(|e| e.to_string()),
                "{case}: an operational error in one and not the other"
            ),
        }
    }
}

#[test]
fn json_and_github_formats() {
    let site = Site::overlay("diagnostics/_base", "diagnostics/broken-link");
    let json = site.run(&["check", "--format", "json"]);
    assert_eq!(json.code, 1);
    for line in json.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["file"].is_string()
                && v["line"].is_u64()
                && v["column"].is_u64()
                && v["code"].is_string()
        );
    }
    let gh = site.run(&["check", "--format", "github"]);
    insta::assert_snapshot!("github_format", gh.stdout);
    assert_eq!(
        gh.stdout.lines().count(),
        json.stdout.lines().count(),
        "one annotation per problem"
    );
}

#[test]
fn toml_error_reports_the_file_line_not_the_block_line() {
    let site = Site::overlay("diagnostics/_base", "diagnostics/front-matter-syntax");
    let run = site.run(&["check"]);
    assert!(
        run.stdout.starts_with("content/people/x.md:5:"),
        "{}",
        run.stdout
    );
}

/// A source keeps only its first line once split into passages; the one diagnostic about a
/// source made after that, a duplicate id, still shows that line.
#[test]
fn duplicate_source_ids_point_at_the_first_line_of_one_file() {
    let site = Site::overlay("diagnostics/_base", "diagnostics/_base");
    let text = site.read("content/sources/src.md");
    site.write("content/sources/more/src.md", &text);
    let run = site.run(&["check"]);
    assert!(
        run.stdout
            .contains("content/sources/src.md:1:1: error[duplicate-slug]: source id `src` is also used by `content/sources/more/src.md`"),
        "{}",
        run.stdout
    );
    let first_line = text.lines().next().unwrap();
    assert!(
        run.stdout.contains(&format!("1 | {first_line}")),
        "{}",
        run.stdout
    );
}
