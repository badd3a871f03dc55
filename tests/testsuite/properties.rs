//! Property tests (proptest): name folding and slugs, quote normalisation, passage splitting,
//! the Markdown pipeline's inertness and its one-parse scan, and the request-path sanitiser.

use proptest::prelude::*;
use refwiki::markdown;
use refwiki::testing::{check_inert, AnyResolver};
use refwiki::text::{fold, quote_norm, slugify};

/// Fragments that stress the renderer: Markdown, wikilinks, citations, HTML and XSS payloads.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<script>alert(1)</script>".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("<svg><a><set attributeName=\"href\" to=\"javascript:alert(1)\">".to_string()),
        Just("<math><annotation-xml encoding=\"text/html\"><style>".to_string()),
        Just("[x](javascript:alert(1))".to_string()),
        Just("[x](JaVaScRiPt:alert(1))".to_string()),
        Just("[x](java\tscript:alert(1))".to_string()),
        Just("[x](javascript&#58;alert(1))".to_string()),
        Just("![i](data:text/html;base64,PHNjcmlwdD4=)".to_string()),
        Just("<javascript:alert(1)>".to_string()),
        Just("[x](vbscript:msgbox)".to_string()),
        Just("[[\"><script>x</script>]]".to_string()),
        Just("[[a|b\" onmouseover=\"x]]".to_string()),
        Just("[^k]".to_string()),
        Just("[^\"><b>]".to_string()),
        Just("\n\n## \"><img src=x onerror=alert(1)>\n\n".to_string()),
        Just("`<code>`".to_string()),
        Just("**".to_string()),
        Just("\n> ".to_string()),
        Just("\n- ".to_string()),
        Just("\n\n".to_string()),
        Just("&#x3C;script&#x3E;".to_string()),
        Just("</title><script>".to_string()),
        Just("![a [b](c.md) [^k]](d.png)".to_string()),
        Just("[[x|![i](j.png)]]".to_string()),
        // Wikilinks written as slugs (their text is filled with a title).
        Just("[[dialogue-with-jihadists]]".to_string()),
        Just("[[a-b]][[c-d]]".to_string()),
        Just("\n\n## [[x-y]] *[[p-q]]*\n\n".to_string()),
        Just("\"quoted\" it's -- &amp; &eacute; \\*".to_string()),
        Just("  \nhard".to_string()),
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn folding_is_idempotent(s in "\\PC{0,40}") {
        prop_assert_eq!(fold(&fold(&s)), fold(&s));
    }

    #[test]
    fn slugs_are_idempotent_nonempty_and_url_safe(s in "\\PC{0,40}") {
        let slug = slugify(&s);
        prop_assert!(!slug.is_empty());
        prop_assert!(slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        prop_assert!(!slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--"));
        prop_assert_eq!(slugify(&slug), slug.clone());
    }

    #[test]
    fn quote_normalisation_is_idempotent(s in "\\PC{0,60}") {
        prop_assert_eq!(quote_norm(&quote_norm(&s)), quote_norm(&s));
    }

    #[test]
    fn every_passage_is_found_by_its_own_text(paras in prop::collection::vec("[A-Za-z ,.’“”-]{1,40}", 1..8)) {
        let body = paras.join("\n\n");
        let passages = refwiki::load::source::passages_of(&body);
        for p in &passages {
            prop_assert!(!p.text.is_empty());
            prop_assert!(quote_norm(&body).contains(&quote_norm(&p.text)) || p.text.contains('’') || p.text.contains('“'));
        }
    }

    #[test]
    fn rendered_bodies_are_inert(parts in prop::collection::vec(fragment(), 0..24)) {
        let body = parts.concat();
        let (html, _) = markdown::render(&body, &AnyResolver);
        if let Err(e) = check_inert(&html) {
            return Err(TestCaseError::fail(format!("{e}\nbody: {body:?}\nhtml: {html}")));
        }
    }

    /// One parse (`scan_body` with `render`) gives what the separate passes give: the same
    /// scan, and the plain text `plain_text` makes on its own from its kept pieces (with and
    /// without titles for the wikilinks written as slugs).
    #[test]
    fn one_parse_gives_the_scan_and_the_plain_text(parts in prop::collection::vec(fragment(), 0..24)) {
        let body = parts.concat();
        let scan = markdown::scan_body(&body, true);
        prop_assert_eq!(&scan.items, &markdown::scan(&body));
        prop_assert_eq!(&scan.prose, &markdown::prose(&body));
        let (compiled, plain) = scan.rendered.expect("asked for");
        prop_assert_eq!(plain.text(&body), markdown::plain_text(&body));
        // Wikilinks written as slugs read alike both ways when titles are given for them.
        let title = |t: &str| Some(if t.len().is_multiple_of(2) { "Even <title>" } else { "Odd" });
        prop_assert_eq!(
            plain.text_with(&body, &title),
            markdown::plain_text_with(&body, &title)
        );
        prop_assert!(!compiled.fill(&AnyResolver).contains('\0'));
    }

    #[test]
    fn request_paths_never_escape_the_site(raw in "/[a-z0-9%./\\\\]{0,30}") {
        if let Ok(p) = refwiki::serve::http::site_path(&raw) {
            prop_assert!(!p.split('/').any(|s| s == ".." || s == "." || s.starts_with('.')), "{p}");
            prop_assert!(!p.contains('\\') && !p.starts_with('/'));
        }
    }
}
