//! H1/H2: the front-matter splitter and both parsers never panic, offsets stay in range, and a
//! BOM/CRLF twin splits like its plain form.
#![no_main]
use libfuzzer_sys::fuzz_target;
use refwiki::load::front_matter::{parse, split, FmFormat};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(s) = split(text) {
        assert!(s.fm_offset <= text.len() && s.body_offset <= text.len());
        if let Some(format) = s.format {
            if let Err(e) = parse(format, s.fm) {
                assert!(e.offset <= s.fm.len(), "error offset {} past {}", e.offset, s.fm.len());
            }
        }
    }
    let _ = parse(FmFormat::Toml, text);
    let _ = parse(FmFormat::Yaml, text);
    // The loader normalises BOM and CRLF; the twin must decode to the same text.
    let twin = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    if let Ok(f) = refwiki::load::decode("x.md".into(), twin.into_bytes()) {
        if !text.contains('\r') && !text.starts_with('\u{feff}') {
            assert_eq!(&*f.text, text);
        }
    }
});
