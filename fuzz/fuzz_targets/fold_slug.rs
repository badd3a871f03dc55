//! H5: slugs are idempotent, never empty and only `[a-z0-9-]`; folding is idempotent; the
//! case-keeping fold maps back onto character boundaries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use refwiki::text::{fold, fold_keep_case_mapped, slugify};

fuzz_target!(|s: &str| {
    let slug = slugify(s);
    assert!(!slug.is_empty());
    assert!(slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    assert_eq!(slugify(&slug), slug);
    assert_eq!(fold(&fold(s)), fold(s));
    let (f, map) = fold_keep_case_mapped(s);
    assert_eq!(map.len(), f.len() + 1);
    assert!(map.iter().all(|&i| s.is_char_boundary(i)));
});
