//! H3: the whole page pipeline (Markdown → events → HTML with resolved links and citations)
//! never panics and its output passes the inertness checker (no script, no on* attributes, no
//! disallowed URL schemes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use refwiki::testing::{check_inert, AnyResolver};

fuzz_target!(|s: &str| {
    let (html, headings) = refwiki::markdown::render(s, &AnyResolver);
    if let Err(e) = check_inert(&html) {
        panic!("{e}\ninput: {s:?}\nhtml: {html}");
    }
    for (id, _) in headings {
        assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    }
    let _ = refwiki::markdown::scan(s);
});
