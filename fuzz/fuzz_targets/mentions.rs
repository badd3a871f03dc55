//! H4: mentions are in range, in order, non-overlapping, on word boundaries and deterministic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use refwiki::resolve::mentions::Matcher;

fuzz_target!(|s: &str| {
    let names = [("JNIM", 0), ("Iyad ag Ghaly", 1), ("Ghaly", 1), ("Keïta", 2), ("IS", 3), ("New York", 4), ("New York City", 5), ("Jama'at Nusrat", 0)];
    let m = Matcher::from_names(names.iter().copied());
    let found = m.find_in(s);
    let mut last = 0;
    for x in &found {
        assert!(x.start() >= last && x.start() < x.end() && x.end() <= s.len());
        assert!(s.is_char_boundary(x.start()) && s.is_char_boundary(x.end()));
        last = x.end();
    }
    assert_eq!(found, m.find_in(s));
});
