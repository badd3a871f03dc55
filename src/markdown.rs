//! Markdown bodies through pulldown-cmark: one place that knows the parser options, scans a body
//! for what `resolve` must check (wikilinks, `.md` links, `[^key]` citation references, headings,
//! raw HTML, unsafe URLs), and renders a body to HTML through an event adapter that resolves
//! links and citations.
//!
//! Citation references are ordinary footnote references. Because GFM-style footnotes without a
//! definition parse as plain text, [`prepare`] appends a synthetic definition for every
//! `[^key]` in the body; the adapter drops those definitions again, so byte offsets of the
//! editor's text are unchanged. Raw HTML is never passed through: it is rendered as text.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::text::{escape_html, slugify};

/// The parser options used for every entity and home-page body.
pub fn options() -> Options {
    Options::ENABLE_WIKILINKS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Marker that starts the synthetic footnote definitions appended by [`prepare`].
const SYNTH: &str = "\n\n<!--refwiki-footnotes-->\n";

/// The body plus a synthetic definition for each `[^key]` it uses. Returns the text and the
/// offset where the appended part starts.
pub fn prepare(body: &str) -> (String, usize) {
    let keys = footnote_keys(body);
    let mut s = String::with_capacity(body.len() + keys.len() * 16 + SYNTH.len());
    s.push_str(body);
    let end = s.len();
    if !keys.is_empty() {
        s.push_str(SYNTH);
        for k in keys {
            let _ = writeln!(s, "\n[^{k}]: .");
        }
    }
    (s, end)
}

/// Every `[^key]` key in `text`, sorted and unique.
fn footnote_keys(text: &str) -> BTreeSet<&str> {
    let mut keys = BTreeSet::new();
    // A SIMD substring search (memchr's memmem): std's `find("[^")` set up a two-way searcher
    // and was 3% of a build's instructions (every body is prepared three times).
    for i in memchr::memmem::find_iter(text.as_bytes(), b"[^") {
        let rest = &text[i + 2..];
        if let Some(end) = rest.find(']') {
            let key = &rest[..end];
            if !key.is_empty()
                && key.len() <= 100
                && !key.contains(|c: char| c.is_whitespace() || c == '[' || c == '^')
            {
                keys.insert(key);
            }
        }
    }
    keys
}

/// Something in a body that `resolve` must check. Ranges are byte ranges of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // Variant fields are named for what they hold; `start` is a body byte offset.
pub enum Item {
    /// `[[Target]]`, `[[Target|text]]`, `[[Target#Section]]`.
    WikiLink {
        target: String,
        section: Option<String>,
        start: usize,
    },
    /// `[text](page.md)` or `[text](../people/page.md#x)`.
    MdLink {
        stem: String,
        section: Option<String>,
        start: usize,
    },
    /// `[^key]`.
    Cite { key: String, start: usize },
    /// A footnote definition written by the editor (not allowed).
    FootnoteDef { start: usize },
    /// A heading with its generated id.
    Heading { id: String, text: String },
    /// Raw HTML in the body.
    RawHtml { start: usize },
    /// A link or image URL with a scheme outside the allow-list.
    UnsafeUrl { url: String, start: usize },
}

/// Scans a body for the items `resolve` checks.
pub fn scan(body: &str) -> Vec<Item> {
    scan_all(body).0
}

/// [`scan`] and [`prose`] in one pass of the parser (bodies are the bulk of a wiki's text).
pub fn scan_all(body: &str) -> (Vec<Item>, Prose) {
    let (text, end) = prepare(body);
    let mut items = Vec::new();
    let mut ids = Ids::default();
    let mut heading: Option<String> = None;
    let mut prose = Prose::default();
    let mut depth_skip = 0usize;
    for (ev, range) in Parser::new_ext(&text, options()).into_offset_iter() {
        let start = range.start;
        if start < end {
            prose_event(&ev, &range, &text, end, &mut depth_skip, &mut prose);
        }
        match ev {
            Event::Start(Tag::Link {
                link_type: LinkType::WikiLink { .. },
                dest_url,
                ..
            }) => {
                let (t, s) = split_section(&dest_url);
                items.push(Item::WikiLink {
                    target: t,
                    section: s,
                    start,
                });
            }
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                if !url_is_safe(&dest_url) {
                    items.push(Item::UnsafeUrl {
                        url: dest_url.to_string(),
                        start,
                    });
                } else if let Some((stem, section)) = md_link(&dest_url) {
                    items.push(Item::MdLink {
                        stem,
                        section,
                        start,
                    });
                }
            }
            Event::FootnoteReference(key) if start < end => items.push(Item::Cite {
                key: key.to_string(),
                start,
            }),
            Event::Start(Tag::FootnoteDefinition(_)) if start < end => {
                items.push(Item::FootnoteDef { start })
            }
            Event::Html(_) | Event::InlineHtml(_) if start < end => {
                items.push(Item::RawHtml { start })
            }
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = heading.take() {
                    items.push(Item::Heading {
                        id: ids.make(&h),
                        text: h,
                    });
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            _ => {}
        }
    }
    (items, prose)
}

fn split_section(dest: &str) -> (String, Option<String>) {
    match dest.split_once('#') {
        Some((t, s)) => (
            t.trim().to_string(),
            Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        ),
        None => (dest.trim().to_string(), None),
    }
}

/// If `dest` is a relative link to a Markdown file, its file stem and section.
fn md_link(dest: &str) -> Option<(String, Option<String>)> {
    // `contains("://")` set up a two-way searcher for every link (2% of a build's
    // instructions with the checks in `url_is_safe`); a `:` is rare, so look at each one.
    let has_scheme_slashes = dest
        .match_indices(':')
        .any(|(i, _)| dest[i + 1..].starts_with("//"));
    if has_scheme_slashes || dest.starts_with("//") {
        return None;
    }
    let (path, section) = split_section(dest);
    let path = path.split('?').next().unwrap_or("");
    let file = path.rsplit('/').next()?;
    let stem = file.strip_suffix(".md")?;
    Some((stem.to_string(), section))
}

/// Allows relative URLs, fragments and the schemes http, https and mailto; refuses everything
/// else (`javascript:`, `vbscript:`, `data:` in any case, with any control characters or
/// whitespace inside the scheme).
pub fn url_is_safe(url: &str) -> bool {
    // Most URLs have nothing to remove: no copy for them, and case is ignored where it matters
    // instead of lowercasing a copy (this runs for every link of every body).
    let cleaned: std::borrow::Cow<str> = if url.bytes().all(|b| b.is_ascii_graphic()) {
        url.into()
    } else {
        url.chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect::<String>()
            .into()
    };
    let scheme_end = cleaned.find(':');
    let path_start = cleaned.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (Some(c), Some(p)) if p < c => true,
        (Some(c), _) => {
            let scheme = &cleaned[..c];
            ["http", "https", "mailto"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s))
        }
        (None, _) => {
            !cleaned.contains('&')
                || !cleaned.contains("&#") && !cleaned.to_ascii_lowercase().contains("&colon")
        }
    }
}

/// The readable text of a body (for search): text and code, links by their text, no markup,
/// no citation references; blocks separated by newlines.
pub fn plain_text(body: &str) -> String {
    let (text, end) = prepare(body);
    let mut out = String::with_capacity(body.len());
    for (ev, range) in Parser::new_ext(&text, options()).into_offset_iter() {
        if range.start >= end {
            break;
        }
        plain_event(&ev, &mut out);
    }
    out
}

/// What one event adds to a [`plain_text`].
fn plain_event(ev: &Event<'_>, out: &mut String) {
    match ev {
        Event::Text(t) | Event::Code(t) => out.push_str(t),
        Event::SoftBreak | Event::HardBreak => out.push(' '),
        Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push('\n'),
        _ => {}
    }
}

/// Plain body text outside links, code, headings and raw HTML, for unlinked-mention checks:
/// the byte ranges of `body` whose text is the body's own bytes, and the other runs (text
/// with entities or escapes decoded) with the offset where they start. A range runs on over
/// soft line breaks (a paragraph's wrapped lines read as one line), so a name wrapped onto
/// the next line is still a mention; anything else ends it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Prose {
    /// Ranges of `body`, in order.
    pub exact: Vec<std::ops::Range<usize>>,
    /// Decoded runs: (offset of the run in `body`, text).
    pub decoded: Vec<(usize, String)>,
    /// The last event was a soft break right after the last exact range.
    after_soft_break: bool,
}

/// The [`Prose`] of a body.
pub fn prose(body: &str) -> Prose {
    scan_all(body).1
}

/// Feeds one event (starting before `end`) to a [`Prose`] being built.
fn prose_event(
    ev: &Event<'_>,
    range: &std::ops::Range<usize>,
    text: &str,
    end: usize,
    depth_skip: &mut usize,
    out: &mut Prose,
) {
    match ev {
        Event::Start(
            Tag::Link { .. } | Tag::Image { .. } | Tag::Heading { .. } | Tag::CodeBlock(_),
        ) => *depth_skip += 1,
        Event::End(TagEnd::Link | TagEnd::Image | TagEnd::Heading(_) | TagEnd::CodeBlock) => {
            *depth_skip = depth_skip.saturating_sub(1)
        }
        Event::Text(t) if *depth_skip == 0 => {
            if range.end <= end && text.get(range.clone()) == Some(&**t) {
                match out.exact.last_mut() {
                    Some(last) if last.end == range.start => last.end = range.end,
                    // Only the line break and the next line's indentation lie between.
                    Some(last)
                        if out.after_soft_break
                            && text[last.end..range.start]
                                .bytes()
                                .all(|b| b.is_ascii_whitespace()) =>
                    {
                        last.end = range.end
                    }
                    _ => out.exact.push(range.clone()),
                }
            } else {
                out.decoded.push((range.start.min(end), t.to_string()));
            }
        }
        _ => {}
    }
    out.after_soft_break = matches!(ev, Event::SoftBreak)
        && *depth_skip == 0
        && out.exact.last().is_some_and(|last| last.end == range.start);
}

/// Heading ids unique within one page: `[a-z0-9-]` only.
#[derive(Default)]
pub struct Ids(BTreeSet<String>);

impl Ids {
    /// A fresh id for heading text `text`.
    pub fn make(&mut self, text: &str) -> String {
        let base = slugify(text);
        let mut id = base.clone();
        let mut n = 1;
        while !self.0.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// Where a resolved link points, with what a hover preview shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// URL (already base-prefixed).
    pub url: Arc<str>,
    /// Title of the target.
    pub title: Arc<str>,
    /// Kind label of the target.
    pub kind: Arc<str>,
    /// One-sentence summary of the target.
    pub summary: Arc<str>,
}

/// How the renderer resolves what the body refers to.
pub trait Resolver {
    /// The entity named `target`, or `None` if broken.
    fn entity(&self, target: &str) -> Option<LinkInfo>;
    /// The entity a `.md` link's file stem names.
    fn md_file(&self, stem: &str) -> Option<LinkInfo>;
    /// The HTML for a citation reference `[^key]`.
    fn cite(&self, key: &str) -> String;
}

/// pulldown-cmark aligns table cells with `style="text-align: …"`, which the page's
/// Content-Security-Policy (`style-src 'self'`) blocks; use classes instead. Content cannot
/// produce these exact attribute strings (raw HTML is escaped), so the rewrite only touches
/// pulldown-cmark's own output. (Found by the `page` fuzz target.)
fn table_alignment_as_classes(html: String) -> String {
    if !html.contains(" style=\"text-align: ") {
        return html;
    }
    html.replace(" style=\"text-align: left\"", " class=\"align-left\"")
        .replace(" style=\"text-align: center\"", " class=\"align-center\"")
        .replace(" style=\"text-align: right\"", " class=\"align-right\"")
}

/// How a link opened by the renderer must be closed.
enum LinkEnd {
    /// A Markdown link event.
    Normal,
    /// A raw `<a …>` carrying preview attributes.
    Html,
    /// A broken-link `<span>`.
    Broken,
}

/// Renders a body to HTML, resolving wikilinks, `.md` links and citation references, and giving
/// headings ids. Returns the HTML and the headings (id, text).
pub fn render(body: &str, r: &dyn Resolver) -> (String, Vec<(String, String)>) {
    render_with_plain(body, r, None)
}

/// [`render`], also writing the body's [`plain_text`] into `plain` when given: the same parse
/// serves both (a build needs the plain text of every body for its search index).
pub fn render_with_plain(
    body: &str,
    r: &dyn Resolver,
    mut plain: Option<&mut String>,
) -> (String, Vec<(String, String)>) {
    let (text, end) = prepare(body);
    let mut ids = Ids::default();
    let mut headings = Vec::new();
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut in_heading: Option<(usize, String)> = None;
    let mut skip_depth = 0usize;
    let mut link_stack: Vec<LinkEnd> = Vec::new();
    for (ev, range) in Parser::new_ext(&text, options()).into_offset_iter() {
        if let Some(p) = plain.as_deref_mut() {
            if range.start >= end {
                plain = None; // `plain_text` stops at the first synthetic event
            } else {
                plain_event(&ev, p);
            }
        }
        if skip_depth > 0 {
            match ev {
                Event::Start(Tag::FootnoteDefinition(_)) => skip_depth += 1,
                Event::End(TagEnd::FootnoteDefinition) => skip_depth -= 1,
                _ => {}
            }
            continue;
        }
        if range.start >= end && !matches!(ev, Event::Start(Tag::FootnoteDefinition(_))) {
            continue;
        }
        let ev = match ev {
            Event::Start(Tag::FootnoteDefinition(_)) => {
                skip_depth = 1;
                continue;
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let entity = match link_type {
                    LinkType::WikiLink { .. } => {
                        let (t, s) = split_section(&dest_url);
                        Some(r.entity(&t).map(|l| (l, s)))
                    }
                    _ if !url_is_safe(&dest_url) => None,
                    _ => md_link(&dest_url).map(|(stem, s)| r.md_file(&stem).map(|l| (l, s))),
                };
                match entity {
                    Some(Some((l, section))) => {
                        link_stack.push(LinkEnd::Html);
                        Event::InlineHtml(CowStr::from(format!(
                            "<a class=\"wikilink\" href=\"{}\" title=\"{}\" data-kind=\"{}\" data-summary=\"{}\">",
                            escape_html(&with_section(&l.url, section.as_deref())),
                            escape_html(&l.title),
                            escape_html(&l.kind),
                            escape_html(&l.summary)
                        )))
                    }
                    Some(None) => {
                        link_stack.push(LinkEnd::Broken);
                        Event::InlineHtml(CowStr::from(format!(
                            "<span class=\"broken-link\" title=\"{}\">",
                            escape_html(&format!("No page: {dest_url}"))
                        )))
                    }
                    None => {
                        link_stack.push(LinkEnd::Normal);
                        let url = if url_is_safe(&dest_url) {
                            dest_url
                        } else {
                            "#".into()
                        };
                        Event::Start(Tag::Link {
                            link_type: LinkType::Inline,
                            dest_url: url,
                            title,
                            id,
                        })
                    }
                }
            }
            Event::End(TagEnd::Link) => match link_stack.pop() {
                Some(LinkEnd::Html) => Event::InlineHtml("</a>".into()),
                Some(LinkEnd::Broken) => Event::InlineHtml("</span>".into()),
                _ => Event::End(TagEnd::Link),
            },
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let url = if url_is_safe(&dest_url) {
                    dest_url
                } else {
                    "#".into()
                };
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: url,
                    title,
                    id,
                })
            }
            Event::FootnoteReference(key) => Event::InlineHtml(r.cite(&key).into()),
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            Event::Start(Tag::Heading { level, .. }) => {
                in_heading = Some((events.len(), String::new()));
                Event::Start(Tag::Heading {
                    level,
                    id: None,
                    classes: vec![],
                    attrs: vec![],
                })
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some((at, text)) = in_heading.take() {
                    let id = ids.make(&text);
                    events[at] = Event::Start(Tag::Heading {
                        level,
                        id: Some(id.clone().into()),
                        classes: vec![],
                        attrs: vec![],
                    });
                    headings.push((id, text));
                }
                Event::End(TagEnd::Heading(level))
            }
            Event::Text(t) => {
                if let Some((_, h)) = in_heading.as_mut() {
                    h.push_str(&t);
                }
                Event::Text(t)
            }
            Event::Code(t) => {
                if let Some((_, h)) = in_heading.as_mut() {
                    h.push_str(&t);
                }
                Event::Code(t)
            }
            e => e,
        };
        events.push(ev);
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    (table_alignment_as_classes(html), headings)
}

fn with_section<'a>(url: &'a str, section: Option<&str>) -> std::borrow::Cow<'a, str> {
    match section {
        Some(s) => format!("{url}#{}", slugify(s)).into(),
        None => url.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_runs_over_soft_line_breaks_and_stops_at_anything_else() {
        let body = "Katiba\n   Macina *and* [[X]] Ansar\n\nDine.  \nHard \\\nbreak";
        let prose = prose(body);
        let runs: Vec<&str> = prose.exact.iter().map(|r| &body[r.clone()]).collect();
        assert_eq!(
            runs,
            [
                "Katiba\n   Macina ",
                "and",
                " ",
                " Ansar",
                "Dine.",
                "Hard ",
                "break"
            ]
        );
    }

    struct R;
    fn jnim() -> LinkInfo {
        LinkInfo {
            url: "/groups/jnim/".into(),
            title: "JNIM".into(),
            kind: "Group".into(),
            summary: "A \"coalition\".".into(),
        }
    }
    impl Resolver for R {
        fn entity(&self, t: &str) -> Option<LinkInfo> {
            (t == "JNIM").then(jnim)
        }
        fn md_file(&self, s: &str) -> Option<LinkInfo> {
            (s == "jnim").then(jnim)
        }
        fn cite(&self, key: &str) -> String {
            format!("<sup>{key}</sup>")
        }
    }

    #[test]
    fn plain_text_made_while_rendering_is_plain_text() {
        struct R;
        impl Resolver for R {
            fn entity(&self, t: &str) -> Option<LinkInfo> {
                (t == "JNIM").then(jnim)
            }
            fn md_file(&self, _: &str) -> Option<LinkInfo> {
                None
            }
            fn cite(&self, key: &str) -> String {
                format!("<sup>{key}</sup>")
            }
        }
        for body in [
            "",
            "One *two* `three`.\nFour  \nfive\n\n## Head [[JNIM]] [[Nobody|x]]\n\n- a\n- b[^c1]\n\n> q\n",
            "Text[^k] and <b>html</b>.\n\n[^k]: a definition the editor wrote\n\nAfter.",
            "```\ncode block\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        ] {
            let mut plain = String::new();
            let (html, _) = render_with_plain(body, &R, Some(&mut plain));
            assert_eq!(plain, plain_text(body), "{body:?}");
            assert_eq!(html, render(body, &R).0);
        }
    }

    #[test]
    fn footnote_keys_are_found_past_other_brackets() {
        let keys = footnote_keys("a [[B]] [x] [^k1] [^ bad] [^] [^k2][^k1] [^[x]] [^k3");
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["k1", "k2"]);
    }

    #[test]
    fn scans_links_cites_and_problems() {
        let items = scan("# Intro\n\nSee [[JNIM#Leaders]] and [x](jnim.md).[^a][^b]\n\n<script>x</script>\n\n[y](javascript:alert(1))\n");
        assert!(items.contains(&Item::WikiLink {
            target: "JNIM".into(),
            section: Some("Leaders".into()),
            start: 13
        }));
        assert!(items
            .iter()
            .any(|i| matches!(i, Item::MdLink { stem, .. } if stem == "jnim")));
        assert_eq!(
            items
                .iter()
                .filter(|i| matches!(i, Item::Cite { .. }))
                .count(),
            2
        );
        assert!(items.iter().any(|i| matches!(i, Item::RawHtml { .. })));
        assert!(items.iter().any(|i| matches!(i, Item::UnsafeUrl { .. })));
        assert!(items.contains(&Item::Heading {
            id: "intro".into(),
            text: "Intro".into()
        }));
    }

    #[test]
    fn renders_resolved_and_broken_links_inertly() {
        let (html, heads) = render("## A \"><img src=x onerror=alert(1)>\n\n[[JNIM]] [[Nope]][^k] <b>x</b> [j](JaVaScRiPt:alert(1))", &R);
        assert!(
            html.contains("<a class=\"wikilink\" href=\"/groups/jnim/\" title=\"JNIM\" data-kind=\"Group\" data-summary=\"A &quot;coalition&quot;.\">JNIM</a>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"broken-link\""), "{html}");
        assert!(html.contains("<sup>k</sup>"));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"), "{html}");
        assert!(html.contains("href=\"#\""));
        assert!(!html.contains("<img"), "{html}");
        assert!(heads[0]
            .0
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        assert!(!html.contains("refwiki-footnotes"));
    }

    /// Regression (fuzz target `page`): aligned tables must not carry inline styles.
    #[test]
    fn aligned_tables_use_classes_not_inline_styles() {
        let (html, _) = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n", &R);
        assert!(!html.contains("style="), "{html}");
        assert!(
            html.contains("class=\"align-left\"")
                && html.contains("class=\"align-center\"")
                && html.contains("class=\"align-right\"")
        );
        crate::testing::check_inert(&html).unwrap();
    }

    #[test]
    fn url_allow_list() {
        for ok in [
            "https://x.org",
            "page.md",
            "#p1",
            "/a/b",
            "mailto:a@b.c",
            "a/b:c",
            "HTTPS://X.ORG",
            "MailTo:a@b.c",
            "a&b.md",
            "",
        ] {
            assert!(url_is_safe(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:x",
            "java\tscript:x",
            "data:text/html;base64,xx",
            "vbscript:x",
            " javascript:x",
            "javascript&#58;x",
            "javascript&COLON;x",
            "javascript&Colon;x",
            "jav\u{0}ascript:x",
            "java\u{a0}script:x",
            "httpx:x",
        ] {
            assert!(!url_is_safe(bad), "{bad}");
        }
    }
}
