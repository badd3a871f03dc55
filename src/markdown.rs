//! Markdown bodies through pulldown-cmark: one place that knows the parser options, scans a body
//! for what `resolve` must check (wikilinks, `.md` links, `[^key]` citation references, headings,
//! raw HTML, unsafe URLs), and compiles a body to HTML through an event adapter, in the same
//! parse: what depends on other pages (links, citation marks) is left as holes, filled when a
//! page is rendered, so each version of a body is parsed once.
//!
//! Citation references are ordinary footnote references. Because GFM-style footnotes without a
//! definition parse as plain text, [`prepare`] appends a synthetic definition for every
//! `[^key]` in the body; the adapter drops those definitions again, so byte offsets of the
//! editor's text are unchanged. Raw HTML is never passed through: it is rendered as text.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::text::{escape_html_into, slugify};

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
    scan_body(body, false).items
}

/// What one pass of the parser over a body gives: see [`scan_body`].
#[derive(Debug, Default)]
pub struct Scan {
    /// What `resolve` checks.
    pub items: Vec<Item>,
    /// The prose searched for unlinked mentions.
    pub prose: Prose,
    /// When asked for: the body [`compile`]d to HTML, and its [`plain_text`].
    pub rendered: Option<(Compiled, PlainText)>,
}

/// Scans a body ([`scan`], [`prose`]) and, with `render`, also compiles it to HTML and makes
/// its plain text, all from one parse: a build needs all four of every body, and parsing is
/// the larger part of each.
pub fn scan_body(body: &str, render: bool) -> Scan {
    let (text, end) = prepare(body);
    let mut scan = Scan::default();
    let mut ids = Ids::default();
    let mut heading: Option<String> = None;
    let mut depth_skip = 0usize;
    let mut compiler = render.then(|| Compiler::new(body.len(), end));
    for (ev, range) in Parser::new_ext(&text, options()).into_offset_iter() {
        let start = range.start;
        if start < end {
            prose_event(&ev, &range, &text, end, &mut depth_skip, &mut scan.prose);
        }
        scan_event(&ev, start, end, &mut ids, &mut heading, &mut scan.items);
        if let Some(c) = compiler.as_mut() {
            c.event(ev, start, &text);
        }
    }
    scan.rendered = compiler.map(Compiler::finish);
    // Kept until the wiki is resolved (and by `serve` until the file changes): no spare
    // capacity (a tenth of a build's peak heap was the doubling growth of these two).
    scan.items.shrink_to_fit();
    scan.prose.exact.shrink_to_fit();
    scan.prose.decoded.shrink_to_fit();
    scan
}

/// Feeds one event (starting at `start`) to the items being scanned.
fn scan_event(
    ev: &Event<'_>,
    start: usize,
    end: usize,
    ids: &mut Ids,
    heading: &mut Option<String>,
    items: &mut Vec<Item>,
) {
    match ev {
        Event::Start(Tag::Link {
            link_type: LinkType::WikiLink { .. },
            dest_url,
            ..
        }) => {
            let (t, s) = split_section(dest_url);
            items.push(Item::WikiLink {
                target: t,
                section: s,
                start,
            });
        }
        Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
            if !url_is_safe(dest_url) {
                items.push(Item::UnsafeUrl {
                    url: dest_url.to_string(),
                    start,
                });
            } else if let Some((stem, section)) = md_link(dest_url) {
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
        Event::Html(_) | Event::InlineHtml(_) if start < end => items.push(Item::RawHtml { start }),
        Event::Start(Tag::Heading { .. }) => *heading = Some(String::new()),
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
                h.push_str(t);
            }
        }
        _ => {}
    }
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
/// no citation references; blocks separated by newlines. A wikilink written as a slug reads as
/// written (see [`plain_text_with`]).
pub fn plain_text(body: &str) -> String {
    plain_text_with(body, &|_| None)
}

/// What a wikilink written as a slug (`[[dialogue-with-jihadists]]`) reads as in a body's
/// plain text, as on its page: the title this gives for the slug, if it gives one (the
/// target's own slug), else the slug as written.
pub type SlugTitle<'a, 'w> = &'a dyn Fn(&str) -> Option<&'w str>;

/// [`plain_text`], with each wikilink written as its target's slug read as `title` says.
pub fn plain_text_with(body: &str, title: SlugTitle) -> String {
    let (text, end) = prepare(body);
    let mut out = String::with_capacity(body.len());
    // The text of the slug link being read. (No wikilink is inside an image: pulldown-cmark
    // ends an image's text at one.)
    let mut slug: Option<String> = None;
    for (ev, range) in Parser::new_ext(&text, options()).into_offset_iter() {
        if range.start >= end {
            break;
        }
        match &ev {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) if is_slug_link(*link_type, dest_url) => slug = Some(String::new()),
            Event::End(TagEnd::Link) => {
                if let Some(s) = slug.take() {
                    out.push_str(title(&s).unwrap_or(&s));
                }
            }
            _ => {}
        }
        if let Some(s) = plain_piece(&ev) {
            slug.as_mut().unwrap_or(&mut out).push_str(s);
        }
    }
    out
}

/// What one event adds to a [`plain_text`], if anything.
fn plain_piece<'e>(ev: &'e Event<'_>) -> Option<&'e str> {
    match ev {
        Event::Text(t) | Event::Code(t) => Some(t),
        Event::SoftBreak | Event::HardBreak => Some(" "),
        Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => Some("\n"),
        _ => None,
    }
}

/// A body's [`plain_text`], kept small: most of it is runs of the body's own bytes, kept as
/// ranges of the body; only the rest (decoded entities and escapes, typographic quotes, line
/// breaks) is kept as text. A build keeps one for every body until its search index is
/// written: as whole strings, 10,000 bodies took 39 MB.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PlainText {
    pieces: Vec<Piece>,
    /// The text of the [`Piece::Other`] pieces.
    other: String,
    /// The body was too long for `u32` offsets: nothing is kept, [`PlainText::text`] parses.
    reparse: bool,
}

/// A run of a [`PlainText`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// Bytes `start..end` of the body.
    Body(u32, u32),
    /// Bytes `start..end` of [`PlainText::other`].
    Other(u32, u32),
    /// Bytes `start..end` of the body, the text of a wikilink written as a slug: it reads as
    /// the [`SlugTitle`] says.
    Slug(u32, u32),
}

impl PlainText {
    /// Appends `s`, a piece of the plain text of the body that starts `text` (whose first
    /// `end` bytes are the body's); `slug` if it is the text of a wikilink written as a slug.
    fn push(&mut self, s: &str, text: &str, end: usize, slug: bool) {
        if self.reparse {
            return;
        }
        let (Ok(_), Ok(other_len)) = (
            u32::try_from(end),
            u32::try_from(self.other.len() + s.len()),
        ) else {
            *self = PlainText {
                reparse: true,
                ..PlainText::default()
            };
            return;
        };
        // A piece borrowed from the body is found by its address.
        let at = (s.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
        if at <= end && s.len() <= end - at {
            let (start, stop) = (at as u32, (at + s.len()) as u32);
            match self.pieces.last_mut() {
                Some(Piece::Slug(_, e)) if slug && *e == start => *e = stop,
                Some(Piece::Body(_, e)) if !slug && *e == start => *e = stop,
                _ if slug => self.pieces.push(Piece::Slug(start, stop)),
                _ => self.pieces.push(Piece::Body(start, stop)),
            }
        } else {
            let start = self.other.len() as u32;
            self.other.push_str(s);
            match self.pieces.last_mut() {
                Some(Piece::Other(_, e)) if *e == start => *e = other_len,
                _ => self.pieces.push(Piece::Other(start, other_len)),
            }
        }
    }

    /// The plain text of `body`, which must be the body this was made from; each wikilink
    /// written as a slug reads as written (see [`PlainText::text_with`]).
    pub fn text(&self, body: &str) -> String {
        self.text_with(body, &|_| None)
    }

    /// The plain text of `body`, with each wikilink written as its target's slug read as
    /// `title` says.
    pub fn text_with(&self, body: &str, title: SlugTitle) -> String {
        if self.reparse {
            return plain_text_with(body, title);
        }
        let mut out = String::with_capacity(body.len());
        for p in &self.pieces {
            // `get`: a body that is not the one this was made from gives wrong text, not a panic.
            let piece = match *p {
                Piece::Body(s, e) => body.get(s as usize..e as usize),
                Piece::Other(s, e) => self.other.get(s as usize..e as usize),
                Piece::Slug(s, e) => body
                    .get(s as usize..e as usize)
                    .map(|t| title(t).unwrap_or(t)),
            };
            out.push_str(piece.unwrap_or_default());
        }
        out
    }

    /// Frees spare capacity (kept until a build ends).
    fn shrink(&mut self) {
        self.pieces.shrink_to_fit();
        self.other.shrink_to_fit();
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
    scan_body(body, false).prose
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

/// The writer pulldown-cmark writes a compiled body's HTML into: it notes where each hole's
/// marker ([`HOLE`]) is written instead of writing it, and writes table-cell alignment as
/// classes (pulldown-cmark writes `style="text-align: …"`, which the page's
/// Content-Security-Policy, `style-src 'self'`, blocks; found by the `page` fuzz target).
/// Both are recognised as whole writes of pulldown-cmark's own: the body's text, code and
/// attributes reach the writer escaped, so no write of theirs is a marker or contains `<`
/// or `>`. One pass over the HTML, instead of writing it whole and then searching it for the
/// markers (and for the attributes) and copying it once more.
struct HoleWriter<'h> {
    html: String,
    holes: std::slice::IterMut<'h, Hole>,
}

impl std::fmt::Write for HoleWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        match s {
            HOLE => {
                if let Some(hole) = self.holes.next() {
                    hole.at = self.html.len();
                }
            }
            " style=\"text-align: left\">" => self.html.push_str(" class=\"align-left\">"),
            " style=\"text-align: center\">" => self.html.push_str(" class=\"align-center\">"),
            " style=\"text-align: right\">" => self.html.push_str(" class=\"align-right\">"),
            _ => self.html.push_str(s),
        }
        Ok(())
    }
}

/// Renders a body to HTML, resolving wikilinks, `.md` links and citation references, and giving
/// headings ids. Returns the HTML and the headings (id, text).
pub fn render(body: &str, r: &dyn Resolver) -> (String, Vec<(String, String)>) {
    let c = compile(body);
    (c.fill(r), c.headings)
}

/// A body's HTML as far as the body alone determines it: what depends on other pages (where a
/// link goes, and the title, kind and summary it previews; what a citation mark shows) is left
/// as holes that [`Compiled::fill`] fills. So a body is parsed once per version of its file,
/// however often the pages it links to change.
#[derive(Debug, Default, Clone)]
pub struct Compiled {
    /// The HTML around the holes.
    html: String,
    /// Each hole's text, end to end: a link's destination as written, a citation's key.
    text: String,
    /// The holes, in order.
    holes: Vec<Hole>,
    /// Headings (id, text), in order.
    pub headings: Vec<(String, String)>,
}

/// One hole of a [`Compiled`] body. Its text runs in [`Compiled::text`] from the end of the
/// previous hole's to `end` (one string for all holes instead of one each: a 10,000-entity
/// wiki has 200,000 holes).
#[derive(Debug, Clone, Copy)]
struct Hole {
    /// Where it goes in [`Compiled::html`].
    at: usize,
    /// Where its text ends in [`Compiled::text`].
    end: usize,
    kind: HoleKind,
}

/// What goes into a hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoleKind {
    /// The start of a wikilink (text: its destination): a link with a preview when its
    /// target resolves, else a broken-link marker.
    WikiLink,
    /// A whole wikilink written as a slug with no text of its own (`[[iyad-ag-ghaly]]`; text:
    /// the slug): the link, and as its text the target's title when the slug is the
    /// target's own, else the slug as written. Closed by a [`HoleKind::Close`] like the others.
    SlugLink,
    /// The start of a `.md` link (text: its destination), likewise.
    MdLink,
    /// The end of the innermost open link.
    Close,
    /// A citation reference `[^key]` (text: the key).
    Cite,
}

/// Stands for a hole in the HTML that pulldown-cmark writes. It cannot come from the body:
/// every `<` of the body's text, code and attributes is escaped.
const HOLE: &str = "<\0>";

/// A body compiled to HTML (see [`Compiled`]).
pub fn compile(body: &str) -> Compiled {
    scan_body(body, true).rendered.unwrap_or_default().0
}

impl Compiled {
    /// The body's HTML, with each link resolved and each citation mark made by `r`.
    pub fn fill(&self, r: &dyn Resolver) -> String {
        let mut out = String::with_capacity(self.html.len() + 160 * self.holes.len());
        // Per open link: whether it resolved (closed by `</a>`) or is broken (`</span>`).
        let mut open: Vec<bool> = Vec::new();
        let (mut last, mut from) = (0, 0);
        for hole in &self.holes {
            out.push_str(&self.html[last..hole.at]);
            last = hole.at;
            let text = &self.text[from..hole.end];
            from = hole.end;
            let target = match hole.kind {
                HoleKind::WikiLink => {
                    let (t, section) = split_section(text);
                    Some((r.entity(&t), section))
                }
                HoleKind::SlugLink => Some((r.entity(text), None)),
                HoleKind::MdLink => {
                    md_link(text).map(|(stem, section)| (r.md_file(&stem), section))
                }
                HoleKind::Close => {
                    out.push_str(match open.pop() {
                        Some(false) => "</span>",
                        _ => "</a>",
                    });
                    None
                }
                HoleKind::Cite => {
                    out.push_str(&r.cite(text));
                    None
                }
            };
            let Some((info, section)) = target else {
                continue;
            };
            open.push(info.is_some());
            match &info {
                Some(l) => open_link(&mut out, l, section.as_deref()),
                None => open_broken(&mut out, text),
            }
            if hole.kind == HoleKind::SlugLink {
                // The target's own slug (its URL's last segment) reads as its title.
                let own = info.as_ref().filter(|l| {
                    l.url
                        .strip_suffix('/')
                        .and_then(|u| u.strip_suffix(text))
                        .is_some_and(|u| u.ends_with('/'))
                });
                escape_html_into(&mut out, own.map_or(text, |l| &l.title));
            }
        }
        out.push_str(&self.html[last..]);
        out
    }
}

/// The opening tag of a resolved link to `l` (at `section`, if any), with its preview.
fn open_link(out: &mut String, l: &LinkInfo, section: Option<&str>) {
    out.push_str("<a class=\"wikilink\" href=\"");
    escape_html_into(out, &with_section(&l.url, section));
    out.push_str("\" title=\"");
    escape_html_into(out, &l.title);
    out.push_str("\" data-kind=\"");
    escape_html_into(out, &l.kind);
    out.push_str("\" data-summary=\"");
    escape_html_into(out, &l.summary);
    out.push_str("\">");
}

/// The opening tag of a link whose target (`written`) does not resolve.
fn open_broken(out: &mut String, written: &str) {
    out.push_str("<span class=\"broken-link\" title=\"No page: ");
    escape_html_into(out, written);
    out.push_str("\">");
}

/// Whether a wikilink target reads as a slug of two or more words (`slugify` leaves it as
/// it is, and it has a hyphen). A one-word slug, `[[zakat]]`, reads as the word the editor
/// wrote, and stays.
fn reads_as_slug(target: &str) -> bool {
    target.contains('-') && crate::text::slugify(target) == target
}

/// Whether a link is a wikilink written as a slug, with no `|` text: its text reads as its
/// target's title, on the page ([`HoleKind::SlugLink`]) and in the plain text alike.
fn is_slug_link(link_type: LinkType, dest_url: &str) -> bool {
    matches!(link_type, LinkType::WikiLink { has_pothole: false }) && reads_as_slug(dest_url)
}

/// How a link opened by the compiler must be closed.
enum LinkEnd {
    /// A Markdown link event.
    Normal,
    /// A hole: the link is resolved when the HTML is filled.
    Hole,
    /// A [`HoleKind::SlugLink`]: its text comes from the hole, so the link's own text
    /// events are dropped.
    OwnText,
    /// Nothing: a wikilink or `.md` link inside an image's alt text, which keeps its text only.
    Dropped,
}

/// Turns a body's events into [`Compiled`] HTML and its plain text, one event at a time.
struct Compiler<'a> {
    /// Where the synthetic footnote definitions start.
    end: usize,
    events: Vec<Event<'a>>,
    holes: Vec<Hole>,
    /// The holes' texts (see [`Compiled::text`]).
    text: String,
    ids: Ids,
    headings: Vec<(String, String)>,
    /// The heading being read: its start event's index in `events`, and its text.
    in_heading: Option<(usize, String)>,
    /// Depth inside a skipped footnote definition.
    skip_depth: usize,
    link_stack: Vec<LinkEnd>,
    /// Depth inside images: their alt text takes no holes.
    image_depth: usize,
    plain: PlainText,
    /// `plain` stops at the first synthetic event.
    plain_done: bool,
    body_len: usize,
}

impl<'a> Compiler<'a> {
    fn new(body_len: usize, end: usize) -> Compiler<'a> {
        Compiler {
            end,
            // About one event per 16 bytes of prose: sized once instead of grown by doubling
            // (moved six times for a body of 4 KB).
            events: Vec::with_capacity(body_len / 16),
            holes: Vec::new(),
            text: String::new(),
            ids: Ids::default(),
            headings: Vec::new(),
            in_heading: None,
            skip_depth: 0,
            link_stack: Vec::new(),
            image_depth: 0,
            plain: PlainText::default(),
            plain_done: false,
            body_len,
        }
    }

    /// An event of the body, starting at byte `start` of the prepared text.
    fn event(&mut self, ev: Event<'a>, start: usize, text: &str) {
        if !self.plain_done {
            if start >= self.end {
                self.plain_done = true;
            } else if let Some(s) = plain_piece(&ev) {
                let slug = matches!(self.link_stack.last(), Some(LinkEnd::OwnText));
                self.plain.push(s, text, self.end, slug);
            }
        }
        if self.skip_depth > 0 {
            match ev {
                Event::Start(Tag::FootnoteDefinition(_)) => self.skip_depth += 1,
                Event::End(TagEnd::FootnoteDefinition) => self.skip_depth -= 1,
                _ => {}
            }
            return;
        }
        if start >= self.end && !matches!(ev, Event::Start(Tag::FootnoteDefinition(_))) {
            return;
        }
        // A slug link's text is written when it is filled; a heading's id still reads it, as
        // the scan's does.
        if matches!(self.link_stack.last(), Some(LinkEnd::OwnText))
            && !matches!(ev, Event::End(TagEnd::Link))
        {
            if let (Some((_, h)), Event::Text(t) | Event::Code(t)) = (self.in_heading.as_mut(), &ev)
            {
                h.push_str(t);
            }
            return;
        }
        let ev = match ev {
            Event::Start(Tag::FootnoteDefinition(_)) => {
                self.skip_depth = 1;
                return;
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let kind = match link_type {
                    _ if is_slug_link(link_type, &dest_url) => Some(HoleKind::SlugLink),
                    LinkType::WikiLink { .. } => Some(HoleKind::WikiLink),
                    _ if !url_is_safe(&dest_url) => None,
                    _ => md_link(&dest_url).map(|_| HoleKind::MdLink),
                };
                match kind {
                    // An image's alt text is plain text (pulldown-cmark escapes any HTML in
                    // it, so a hole's marker would be lost): the link's text stays, alone.
                    Some(_) if self.image_depth > 0 => {
                        self.link_stack.push(LinkEnd::Dropped);
                        return;
                    }
                    Some(HoleKind::SlugLink) => {
                        self.link_stack.push(LinkEnd::OwnText);
                        self.hole(HoleKind::SlugLink, &dest_url)
                    }
                    Some(kind) => {
                        self.link_stack.push(LinkEnd::Hole);
                        self.hole(kind, &dest_url)
                    }
                    None => {
                        self.link_stack.push(LinkEnd::Normal);
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
            Event::End(TagEnd::Link) => match self.link_stack.pop() {
                Some(LinkEnd::Hole | LinkEnd::OwnText) => self.hole(HoleKind::Close, ""),
                Some(LinkEnd::Dropped) => return,
                _ => Event::End(TagEnd::Link),
            },
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                self.image_depth += 1;
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
            Event::End(TagEnd::Image) => {
                self.image_depth = self.image_depth.saturating_sub(1);
                Event::End(TagEnd::Image)
            }
            // Nothing in an image's alt text, like a link there.
            Event::FootnoteReference(_) if self.image_depth > 0 => return,
            Event::FootnoteReference(key) => self.hole(HoleKind::Cite, &key),
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            Event::Start(Tag::Heading { level, .. }) => {
                self.in_heading = Some((self.events.len(), String::new()));
                Event::Start(Tag::Heading {
                    level,
                    id: None,
                    classes: vec![],
                    attrs: vec![],
                })
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some((at, text)) = self.in_heading.take() {
                    let id = self.ids.make(&text);
                    self.events[at] = Event::Start(Tag::Heading {
                        level,
                        id: Some(id.clone().into()),
                        classes: vec![],
                        attrs: vec![],
                    });
                    self.headings.push((id, text));
                }
                Event::End(TagEnd::Heading(level))
            }
            Event::Text(t) => {
                if let Some((_, h)) = self.in_heading.as_mut() {
                    h.push_str(&t);
                }
                Event::Text(t)
            }
            Event::Code(t) => {
                if let Some((_, h)) = self.in_heading.as_mut() {
                    h.push_str(&t);
                }
                Event::Code(t)
            }
            e => e,
        };
        self.events.push(ev);
    }

    /// Records `hole` and gives the event that marks its place.
    fn hole(&mut self, kind: HoleKind, text: &str) -> Event<'a> {
        self.text.push_str(text);
        self.holes.push(Hole {
            at: 0,
            end: self.text.len(),
            kind,
        });
        Event::InlineHtml(CowStr::Borrowed(HOLE))
    }

    /// The compiled body and its plain text.
    fn finish(self) -> (Compiled, PlainText) {
        let mut holes = self.holes;
        let mut out = HoleWriter {
            html: String::with_capacity(self.body_len * 3 / 2),
            holes: holes.iter_mut(),
        };
        pulldown_cmark::html::write_html_fmt(&mut out, self.events.into_iter())
            .expect("writing into memory cannot fail");
        let html = out.html;
        let mut text = self.text;
        text.shrink_to_fit();
        holes.shrink_to_fit();
        let compiled = Compiled {
            html,
            text,
            holes,
            headings: self.headings,
        };
        let mut plain = self.plain;
        plain.shrink();
        (compiled, plain)
    }
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
    fn a_wikilink_written_as_its_targets_slug_shows_the_title() {
        struct R;
        impl Resolver for R {
            fn entity(&self, t: &str) -> Option<LinkInfo> {
                let info = |slug: &str, title: &str| LinkInfo {
                    url: format!("/topics/{slug}/").into(),
                    title: title.into(),
                    kind: "Topic".into(),
                    summary: "S.".into(),
                };
                match t {
                    "dialogue-with-jihadists" => {
                        Some(info("dialogue-with-jihadists", "Dialogue <with> jihadists"))
                    }
                    // An alias written like a slug: it names a page with another slug.
                    "talks-2012" => Some(info("algiers-talks-2012", "Algiers talks")),
                    "zakat" => Some(info("zakat", "Zakat")),
                    _ => None,
                }
            }
            fn md_file(&self, _: &str) -> Option<LinkInfo> {
                None
            }
            fn cite(&self, key: &str) -> String {
                format!("<sup>{key}</sup>")
            }
        }
        let html = |body: &str| compile(body).fill(&R);
        let link = |slug: &str, title: &str| {
            format!("<a class=\"wikilink\" href=\"/topics/{slug}/\" title=\"{title}\" data-kind=\"Topic\" data-summary=\"S.\">")
        };
        let dialogue = link("dialogue-with-jihadists", "Dialogue &lt;with&gt; jihadists");
        // The slug reads as the title (escaped).
        assert_eq!(
            html("See [[dialogue-with-jihadists]]."),
            format!("<p>See {dialogue}Dialogue &lt;with&gt; jihadists</a>.</p>\n")
        );
        // Text after `|`, a one-word slug, a slug that is another page's alias, a section, and
        // a broken slug all read as written.
        assert_eq!(
            html("[[dialogue-with-jihadists|talks]]"),
            format!("<p>{dialogue}talks</a></p>\n")
        );
        assert!(html("[[zakat]]").contains(">zakat</a>"));
        assert!(html("[[talks-2012]]").contains(">talks-2012</a>"));
        assert!(html("[[dialogue-with-jihadists#history]]")
            .contains("\">dialogue-with-jihadists#history</a>"));
        assert_eq!(
            html("[[no-such-page]] then"),
            "<p><span class=\"broken-link\" title=\"No page: no-such-page\">no-such-page</span> then</p>\n"
        );
        // In a heading: the id reads the slug, as the scan's does.
        let c = compile("## On [[dialogue-with-jihadists]]");
        assert_eq!(c.headings[0].0, "on-dialogue-with-jihadists");
        assert_eq!(
            scan("## On [[dialogue-with-jihadists]]")
                .iter()
                .find_map(|i| match i {
                    Item::Heading { id, .. } => Some(id.clone()),
                    _ => None,
                }),
            Some(c.headings[0].0.clone())
        );
        let out = c.fill(&R);
        assert!(
            out.starts_with(&format!(
                "<h2 id=\"on-dialogue-with-jihadists\">On {dialogue}Dialogue"
            )),
            "{out}"
        );
        // The search text reads as the page does, from the kept pieces and from a parse alike;
        // without titles, as written.
        let title =
            |t: &str| (t == "dialogue-with-jihadists").then_some("Dialogue <with> jihadists");
        let body = "## On [[dialogue-with-jihadists]]\n\nSee [[dialogue-with-jihadists]], \
                    [[dialogue-with-jihadists|talks]], [[talks-2012]] and `[[dialogue-with-jihadists]]`.";
        let want = "On Dialogue <with> jihadists\nSee Dialogue <with> jihadists, talks, \
                    talks-2012 and [[dialogue-with-jihadists]].\n";
        let (_, plain) = scan_body(body, true).rendered.unwrap();
        assert_eq!(plain.text_with(body, &title), want);
        assert_eq!(plain_text_with(body, &title), want);
        assert_eq!(plain.text(body), plain_text(body));
        assert!(plain_text(body).starts_with("On dialogue-with-jihadists\nSee dialogue-with"));
    }

    #[test]
    fn one_parse_gives_the_scan_the_html_and_the_plain_text() {
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
            let scan = scan_body(body, true);
            let (compiled, plain) = scan.rendered.unwrap();
            assert_eq!(plain.text(body), plain_text(body), "{body:?}");
            assert!(!compiled.fill(&R).contains('\0'));
            assert_eq!(scan.items, super::scan(body));
            assert_eq!(scan.prose, prose(body));
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

    /// An image's alt text is plain text: a link in it leaves its text only, and the holes after
    /// it still line up. (pulldown-cmark ends an image's text at a wikilink or a citation
    /// reference, so only `.md` links can be there.)
    #[test]
    fn links_and_citations_in_alt_text_leave_their_text_only() {
        let (html, _) = render(
            "![see [x](jnim.md) and *y*](a.png) then [[JNIM|it]][^j]",
            &R,
        );
        assert!(
            html.contains("<img src=\"a.png\" alt=\"see x and y\" />"),
            "{html}"
        );
        assert!(
            html.ends_with(" then <a class=\"wikilink\" href=\"/groups/jnim/\" title=\"JNIM\" data-kind=\"Group\" data-summary=\"A &quot;coalition&quot;.\">it</a><sup>j</sup></p>\n"),
            "{html}"
        );
    }

    /// Regression (fuzz target `page`): aligned tables must not carry inline styles.
    #[test]
    fn aligned_tables_use_classes_not_inline_styles() {
        let (html, _) = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | [[JNIM]] | 3 |\n", &R);
        assert!(!html.contains("style="), "{html}");
        assert!(
            html.contains("class=\"align-left\"")
                && html.contains("class=\"align-center\"")
                && html.contains("class=\"align-right\"")
        );
        // The hole after the rewritten attribute is filled where it was written.
        assert!(
            html.contains(
                "<td class=\"align-center\"><a class=\"wikilink\" href=\"/groups/jnim/\""
            ),
            "{html}"
        );
        crate::testing::check_inert(&html).unwrap();
        // The same words written in a body are text: escaped, not rewritten.
        let (html, _) = render("` style=\"text-align: left\">`\n", &R);
        assert_eq!(
            html,
            "<p><code> style=\"text-align: left\"&gt;</code></p>\n"
        );
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
