//! Passage splitting and quote matching: every passage's own normalised text is found in it, and
//! the byte map from normalised to original text stays on character boundaries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use refwiki::text::quote_norm_mapped;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for p in refwiki::load::source::passages_of(text) {
        assert!(p.offset <= text.len());
        let (norm, map) = quote_norm_mapped(&p.text);
        assert_eq!(map.len(), norm.len() + 1);
        assert!(map.iter().all(|&i| p.text.is_char_boundary(i)));
        let (again, _) = quote_norm_mapped(&norm);
        assert_eq!(again, norm);
    }
});
