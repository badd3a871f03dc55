//! Citation proofs: every `[cites.<key>]` quote must occur in its passage.
//!
//! Comparison is on [`quote_norm`](crate::text::quote_norm)ed text: whitespace, quote style and
//! dash variants are forgiven, nothing else. The match is mapped back to the passage's original
//! text so the source page can highlight the exact words.

use crate::diag::Diagnostic;
use crate::load::{CiteDecl, EntityPage, Source};
use crate::text::{did_you_mean, find_once, quote_norm, quote_norm_mapped};

/// A source's passages for quote search. Normalisation is lazy: the common case, a quote in
/// the passage it names, normalises that one passage (or nothing, when the passage is already
/// in normal form); the whole source is normalised, once, only when a citation has no passage
/// number or its quote is not where it says. (Normalising every passage up front, with a byte
/// map of 8 bytes per byte of text, was a third of `check`'s peak memory at 10,000 entities.)
#[derive(Debug, Default)]
pub struct NormSource {
    all: std::sync::OnceLock<Vec<String>>,
}

impl NormSource {
    /// An empty cache for one source.
    pub fn new() -> NormSource {
        NormSource::default()
    }

    /// Every passage of `s`, normalised (computed on first use).
    fn all(&self, s: &Source) -> &[String] {
        self.all
            .get_or_init(|| s.passages.iter().map(|p| quote_norm(&p.text)).collect())
    }
}

/// Whether `text` is its own [`quote_norm`]: ASCII (nothing to replace), single spaces only,
/// nothing to trim.
fn is_normal(text: &str) -> bool {
    // Vectorised passes (std's word-at-a-time ASCII test, memchr's SIMD searches) instead of
    // one byte loop: this runs over the cited passage of every citation.
    let b = text.as_bytes();
    b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && b.is_ascii()
        && memchr::memchr3(b'\t', b'\n', b'\r', b).is_none()
        && memchr::memchr3(0x0b, 0x0c, b'`', b).is_none()
        && memchr::memmem::find(b, b"  ").is_none()
}

/// Byte range in `text` (original) where `q` (normalised) occurs in `text`'s normal form.
fn find_in(text: &str, q: &str) -> Option<(usize, usize)> {
    if is_normal(text) {
        let at = find_once(text, q)?;
        return Some((at, at + q.len()));
    }
    let (norm, map) = quote_norm_mapped(text);
    let at = find_once(&norm, q)?;
    Some((map[at], map[at + q.len()]))
}

/// A verified citation.
#[derive(Debug, Clone)]
pub struct Citation {
    /// Key on the citing page.
    pub key: String,
    /// Index of the source.
    pub source: usize,
    /// Passage number.
    pub passage: u32,
    /// The quote as the editor wrote it (the declaration's, shared).
    pub quote: std::sync::Arc<str>,
    /// Byte range of the quoted words in the passage's text.
    pub range: (usize, usize),
    /// The same range in UTF-16 code units, as the source page's highlighter counts them
    /// (`?hl=` in a citation's URL): counted here, where the passage text is at hand, once.
    pub hl: (usize, usize),
    /// Editor's note (the declaration's, shared).
    pub note: Option<std::sync::Arc<str>>,
}

/// Byte range `range` of `text` in UTF-16 code units.
fn utf16_range(text: &str, range: (usize, usize)) -> (usize, usize) {
    let start = crate::text::utf16_len(&text[..range.0]);
    (
        start,
        start + crate::text::utf16_len(&text[range.0..range.1]),
    )
}

/// Verifies one citation, returning it or a diagnostic.
pub fn verify(
    e: &EntityPage,
    c: &CiteDecl,
    sources: &[std::sync::Arc<Source>],
    norm: &[&NormSource],
) -> Result<Citation, Diagnostic> {
    // Sources are sorted by id (load::assemble): binary search, not a scan per citation.
    let Ok(si) = sources.binary_search_by(|s| s.id.as_str().cmp(c.source.as_str())) else {
        let hint = did_you_mean(&c.source, sources.iter().map(|s| s.id.as_str()))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                "sources are the files under content/sources/, named by their file stem".into()
            });
        return Err(e
            .file
            .error(
                "unknown-source",
                e.locate(&["cites", &c.key, "source"]),
                format!("citation `{}` names unknown source `{}`", c.key, c.source),
            )
            .hint(hint));
    };
    let src = &sources[si];
    let ns = &norm[si];
    // Most quotes are already in normal form: no per-character pass for them.
    let q = if is_normal(&c.quote) {
        c.quote.to_string()
    } else {
        quote_norm(&c.quote)
    };
    // The common case, a quote in the passage it names, looks at that passage only; the whole
    // source is searched only to find the passage or to explain an error.
    if let Some(n) = c.passage {
        let i = n as usize - 1;
        if let Some(range) = src
            .passages
            .get(i)
            .filter(|_| n >= 1)
            .and_then(|p| find_in(&p.text, &q))
        {
            return Ok(Citation {
                key: c.key.clone(),
                source: si,
                passage: n,
                quote: c.quote.clone(),
                range,
                hl: utf16_range(&src.passages[i].text, range),
                note: c.note.clone(),
            });
        }
    }
    let all = ns.all(src);
    let hits: Vec<usize> = (0..all.len()).filter(|&i| all[i].contains(&q)).collect();
    let ok = |i: usize| {
        let range = find_in(&src.passages[i].text, &q).expect("a hit of the normal form");
        Citation {
            key: c.key.clone(),
            source: si,
            passage: src.passages[i].n,
            quote: c.quote.clone(),
            range,
            hl: utf16_range(&src.passages[i].text, range),
            note: c.note.clone(),
        }
    };
    let list = |v: &[usize]| {
        v.iter()
            .map(|i| (i + 1).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match c.passage {
        Some(n) if n as usize > src.passages.len() || n == 0 => Err(e
            .file
            .error(
                "passage-out-of-range",
                e.locate(&["cites", &c.key, "passage"]),
                format!(
                    "source `{}` has {} passages; there is no passage {n}",
                    src.id,
                    src.passages.len()
                ),
            )
            .hint(if hits.len() == 1 {
                format!("the quote is in passage {}", hits[0] + 1)
            } else {
                "check the passage number on the source page".into()
            })),
        Some(n) if hits.contains(&(n as usize - 1)) => Ok(ok(n as usize - 1)),
        Some(n) if !hits.is_empty() => Err(e
            .file
            .error(
                "quote-in-other-passage",
                e.locate(&["cites", &c.key, "quote"]),
                format!(
                    "quote of citation `{}` is not in passage {n} of `{}`; it occurs in passage {}",
                    c.key,
                    src.id,
                    list(&hits)
                ),
            )
            .hint(format!(
                "set `passage = {}` (or remove `passage` to let refwiki find it)",
                hits[0] + 1
            ))),
        None if hits.len() == 1 => Ok(ok(hits[0])),
        None if hits.len() > 1 => Err(e
            .file
            .error(
                "ambiguous-quote",
                e.locate(&["cites", &c.key, "quote"]),
                format!(
                    "quote of citation `{}` occurs in passages {} of `{}`",
                    c.key,
                    list(&hits),
                    src.id
                ),
            )
            .hint("add `passage = N` to say which one, or quote more words")),
        _ => Err(e
            .file
            .error(
                "quote-not-found",
                e.locate(&["cites", &c.key, "quote"]),
                format!(
                    "quote of citation `{}` does not occur in `{}`",
                    c.key, src.id
                ),
            )
            .hint(near_miss(&q, all))),
    }
}

/// A hint for a quote not found: the passage holding the longest run of its opening words.
fn near_miss(q: &str, all: &[String]) -> String {
    let words: Vec<&str> = q.split(' ').collect();
    for n in (3..=words.len().min(8)).rev() {
        let head = words[..n].join(" ");
        if let Some(i) = all.iter().position(|t| t.contains(&head)) {
            return format!("its first {n} words occur in passage {}; compare the rest letter by letter (only whitespace, quote style and dashes are forgiven)", i + 1);
        }
    }
    "copy the words exactly from the source page; only whitespace, quote style and dashes are forgiven".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form_fast_path_agrees_with_quote_norm() {
        for s in [
            "plain words",
            " leading",
            "trailing ",
            "two  spaces",
            "tab\there",
            "back`tick",
            "it's",
            "curly ’ quote",
            "dash – here",
            "",
            "a\nb",
            "vertical\x0btab",
            "form\x0cfeed",
            "carriage\rreturn",
            "no-break\u{a0}space",
        ] {
            if is_normal(s) {
                assert_eq!(quote_norm(s), s, "{s:?}");
            }
            let q = quote_norm(s);
            if !q.is_empty() {
                let (a, b) = find_in(s, &q).expect("a text contains its own normal form");
                assert_eq!(quote_norm(&s[a..b]), q, "{s:?}");
            }
        }
        assert!(is_normal("plain words"));
        assert!(!is_normal("two  spaces"));
        assert!(!is_normal("back`tick"));
    }
}
