//! Source documents: archived texts under `content/sources/`, split into numbered passages.
//!
//! A passage is one top-level Markdown block of the body: a paragraph, a heading, a list item
//! or a block quote (as a whole), numbered from 1 in document order. Splitting goes through
//! pulldown-cmark's event stream, so what counts as a block is exactly what CommonMark says.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::entity::front_matter;
use super::front_matter::locate;
use super::TextFile;
use crate::date::PartialDate;
use crate::diag::Diagnostic;
use crate::text::{did_you_mean, slugify};

/// What kind of block a passage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// A paragraph.
    Paragraph,
    /// A heading of the given level (1–6).
    Heading(u8),
    /// A list item.
    Item,
    /// A block quote.
    Quote,
    /// A code block or anything else.
    Other,
}

/// One numbered passage.
#[derive(Debug, Clone)]
pub struct Passage {
    /// Number, from 1.
    pub n: u32,
    /// Block kind.
    pub block: Block,
    /// Plain text (inline markup dropped, line breaks as spaces).
    pub text: String,
    /// Byte offset of the block in the file.
    pub offset: usize,
}

/// A source document.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file.
    pub file: TextFile,
    /// Id (file stem), used in citations and URLs.
    pub id: String,
    /// Title.
    pub title: String,
    /// Author, if known.
    pub author: Option<String>,
    /// Publisher, if known.
    pub publisher: Option<String>,
    /// Publication date, if known.
    pub date: Option<PartialDate>,
    /// Original URL, if any (http or https only).
    pub url: Option<String>,
    /// Archivist's note (what is known about the document).
    pub note: Option<String>,
    /// The passages, in order.
    pub passages: Vec<Passage>,
}

const SOURCE_KEYS: &[&str] = &["title", "author", "publisher", "date", "url", "note"];

/// Parses a source document.
pub fn parse_source(file: TextFile, diags: &mut Vec<Diagnostic>) -> Option<Source> {
    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let id = slugify(&stem);
    if id != stem {
        diags.push(
            file.error(
                "invalid-slug",
                0,
                format!("source file name `{stem}` is not a valid source id"),
            )
            .hint(format!("rename the file to `{id}.md`")),
        );
    }
    let (table, _, fm_offset, fm, body_offset) = front_matter(&file, true, diags)?;
    let at = |k: &str| fm_offset + locate(&fm, &[k]);
    let mut s = Source {
        id,
        title: String::new(),
        author: None,
        publisher: None,
        date: None,
        url: None,
        note: None,
        passages: Vec::new(),
        file: file.clone(),
    };
    for (k, v) in &table {
        let text = v.as_text().map(str::to_string);
        match (k.as_str(), text) {
            ("title", Some(t)) => s.title = t,
            ("author", Some(t)) => s.author = Some(t),
            ("publisher", Some(t)) => s.publisher = Some(t),
            ("note", Some(t)) => s.note = Some(t),
            ("date", Some(t)) => match PartialDate::parse(&t) {
                Some(d) => s.date = Some(d),
                None => diags.push(
                    file.error(
                        "invalid-date",
                        at("date"),
                        format!("`date` is not a date: `{t}`"),
                    )
                    .hint("write YYYY, YYYY-MM or YYYY-MM-DD; leave it out when unknown"),
                ),
            },
            ("url", Some(t)) => match safe_url(&t) {
                true => s.url = Some(t),
                false => diags.push(
                    file.error(
                        "unsafe-url",
                        at("url"),
                        format!("`url` must be an http or https URL, found `{t}`"),
                    )
                    .hint("archive the original address, e.g. `https://…`"),
                ),
            },
            (k, None) if SOURCE_KEYS.contains(&k) => diags.push(file.error(
                "invalid-value",
                at(k),
                format!("`{k}` must be a string, found {}", v.type_name()),
            )),
            (k, _) => {
                let hint = did_you_mean(k, SOURCE_KEYS.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("allowed keys: {}", SOURCE_KEYS.join(", ")));
                diags.push(
                    file.error(
                        "unknown-key",
                        at(k),
                        format!("unknown key `{k}` in a source"),
                    )
                    .hint(hint),
                );
            }
        }
    }
    if s.title.trim().is_empty() {
        diags.push(
            file.error("missing-key", fm_offset, "source has no `title`")
                .hint("add `title = \"…\"`"),
        );
    }
    s.passages = split_passages(&file.text[body_offset..], body_offset);
    s.file = file.first_line_only();
    Some(s)
}

/// Is `url` an absolute http(s) URL? Used for front-matter URL fields, which templates put in
/// `href`s (a template cannot tell a `javascript:` URL from a good one).
pub fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '<' || c == '>')
}

/// Splits a Markdown body into passages; `base` is the body's offset in the file.
pub fn split_passages(body: &str, base: usize) -> Vec<Passage> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut list_depth = 0usize;
    let mut current: Option<Passage> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match &event {
            Event::Start(tag) => {
                let top = depth == 0 || (list_depth == 1 && depth == 1 && matches!(tag, Tag::Item));
                if top && current.is_none() {
                    let block = match tag {
                        Tag::Paragraph => Some(Block::Paragraph),
                        Tag::Heading { level, .. } => Some(Block::Heading(*level as u8)),
                        Tag::Item => Some(Block::Item),
                        Tag::BlockQuote(_) => Some(Block::Quote),
                        Tag::List(_) => None,
                        _ => Some(Block::Other),
                    };
                    if let Some(block) = block {
                        current = Some(Passage {
                            n: 0,
                            block,
                            text: String::new(),
                            offset: base + range.start,
                        });
                    }
                }
                if matches!(tag, Tag::List(_)) {
                    list_depth += 1;
                }
                let block_tag = matches!(
                    tag,
                    Tag::Paragraph
                        | Tag::Item
                        | Tag::List(_)
                        | Tag::BlockQuote(_)
                        | Tag::CodeBlock(_)
                        | Tag::Heading { .. }
                );
                if let (Some(p), true) = (current.as_mut(), block_tag) {
                    if !p.text.is_empty() && !p.text.ends_with(' ') {
                        p.text.push(' ');
                    }
                }
                depth += 1;
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                if matches!(tag, TagEnd::List(_)) {
                    list_depth = list_depth.saturating_sub(1);
                }
                let closes =
                    depth == 0 || (list_depth == 1 && depth == 1 && matches!(tag, TagEnd::Item));
                if closes {
                    if let Some(mut p) = current.take() {
                        p.text = p.text.trim().to_string();
                        if !p.text.is_empty() {
                            p.n = out.len() as u32 + 1;
                            out.push(p);
                        }
                    }
                }
            }
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                if let Some(p) = current.as_mut() {
                    p.text.push_str(t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = current.as_mut() {
                    p.text.push(' ');
                }
            }
            _ => {}
        }
    }
    out.shrink_to_fit();
    out
}

/// A helper for tests and the fuzz targets: passages of a body alone.
pub fn passages_of(body: &str) -> Vec<Passage> {
    split_passages(body, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_numbered_passages() {
        let p = passages_of("# Title\n\nFirst *para*\nline two.\n\n- item one\n- item two\n  - nested\n\n> quoted\n> more\n\n---\n\nLast.");
        let t: Vec<_> = p.iter().map(|p| (p.n, p.text.as_str())).collect();
        assert_eq!(
            t,
            [
                (1, "Title"),
                (2, "First para line two."),
                (3, "item one"),
                (4, "item two nested"),
                (5, "quoted more"),
                (6, "Last.")
            ]
        );
        assert_eq!(p[0].block, Block::Heading(1));
        assert_eq!(p[4].block, Block::Quote);
    }

    #[test]
    fn urls_must_be_http() {
        assert!(safe_url("https://example.org/x"));
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:x",
            " data:text/html,x",
            "vbscript:x",
            "https://x\"onmouseover",
        ] {
            assert!(!safe_url(bad), "{bad}");
        }
    }
}
