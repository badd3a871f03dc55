//! Pre-rendered HTML for the lists that grow with the wiki: a source's passages (with who
//! cites and who is mentioned in each), an entity's references, backlinks, mentions and
//! timeline.
//!
//! Why not Tera loops: every list item is first converted into a template value (a map of
//! strings) and every `{{ item.field }}` is a lookup (in Tera 1, one that allocated twice per
//! segment). On a 10,000-entity wiki those loops were 45% of render time, so these lists reach
//! templates as a
//! [`Fragment`] (its HTML and its length), built here by appending escaped text to one
//! `String`. This is mdBook's `{{#toc}}` helper pattern. The markup is part of the template
//! contract (`docs/templates.md`); themes restyle it with CSS.
//!
//! Everything interpolated goes through [`escape_html_into`], or is HTML that was escaped when
//! it was built (`LinkHtml`, passage text from [`passage_html`]).

use serde::Serialize;

use super::view::Html;
use super::{push_num, Renderer};
use crate::text::escape_html_into as esc;

/// A list rendered to HTML (trusted: built from escaped text), with its length for a
/// template's conditions and counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Fragment {
    /// Number of items.
    pub count: usize,
    /// The items' HTML (`<li>` elements).
    pub html: Html,
}

/// An entity's URL and title, escaped once per build for the lists that link it.
#[derive(Debug, Clone)]
pub(super) struct LinkHtml {
    /// Escaped URL.
    pub href: String,
    /// Escaped title.
    pub title: String,
}

/// A source's URL prefix and title, escaped once per build.
#[derive(Debug, Clone)]
pub(super) struct SourceHtml {
    /// Escaped `…/sources/<id>/`.
    pub href: String,
    /// Escaped title.
    pub title: String,
    /// "Author, Publisher, date" as far as known (unescaped).
    pub byline: String,
}

impl Renderer<'_> {
    /// `<a href="…">Title</a>` for entity `id`.
    fn push_link(&self, out: &mut String, id: usize) {
        let l = &self.links_html[id];
        out.push_str("<a href=\"");
        out.push_str(&l.href);
        out.push_str("\">");
        out.push_str(&l.title);
        out.push_str("</a>");
    }

    /// `<li><a href="…">Title</a></li>` per entity.
    pub(super) fn entity_list(&self, ids: &[usize]) -> Fragment {
        let mut html = String::with_capacity(ids.len() * 64);
        for &id in ids {
            html.push_str("<li>");
            self.push_link(&mut html, id);
            html.push_str("</li>");
        }
        Fragment {
            count: ids.len(),
            html: html.into(),
        }
    }

    /// `<li><a href="…/sources/<id>/#p<n>">Source title, passage n</a></li>` per passage.
    pub(super) fn passage_list(&self, passages: &[(usize, u32)]) -> Fragment {
        let mut html = String::with_capacity(passages.len() * 96);
        for &(s, n) in passages {
            let s = &self.sources_html[s];
            html.push_str("<li><a href=\"");
            html.push_str(&s.href);
            html.push_str("#p");
            push_num(&mut html, n);
            html.push_str("\">");
            html.push_str(&s.title);
            html.push_str(", passage ");
            push_num(&mut html, n);
            html.push_str("</a></li>");
        }
        Fragment {
            count: passages.len(),
            html: html.into(),
        }
    }

    /// The numbered references of entity `id`: the passage link, the quote, the editor's note,
    /// and a hidden `.ctx` block (the whole passage with the quote in `<mark>`) that the
    /// citation preview card clones. `urls` are the citations' URLs.
    pub(super) fn references(&self, id: usize, urls: &[String]) -> Fragment {
        let e = &self.wiki.entities[id];
        let mut html = String::with_capacity(e.citations.len() * 1024);
        for (i, c) in e.citations.iter().enumerate() {
            let sh = &self.sources_html[c.source];
            let text = &self.wiki.sources[c.source].source.passages[c.passage as usize - 1].text;
            let n = c.passage;
            html.push_str("<li id=\"cite-");
            push_num(&mut html, i + 1);
            html.push_str("\"><a class=\"passage\" href=\"");
            esc(&mut html, &urls[i]);
            html.push_str("\">");
            html.push_str(&sh.title);
            html.push_str(", passage ");
            push_num(&mut html, n);
            html.push_str("</a>: <q>");
            esc(&mut html, &c.quote);
            html.push_str("</q>");
            if let Some(note) = c.note.as_deref().filter(|n| !n.is_empty()) {
                html.push_str(" <span class=\"note\">(");
                esc(&mut html, note);
                html.push_str(")</span>");
            }
            html.push_str("\n<div class=\"ctx\" hidden><p class=\"ctx-source\">");
            html.push_str(&sh.title);
            if !sh.byline.is_empty() {
                html.push_str(" — ");
                esc(&mut html, &sh.byline);
            }
            html.push_str(" · passage ");
            push_num(&mut html, n);
            html.push_str("</p><blockquote>");
            esc(&mut html, &text[..c.range.0]);
            html.push_str("<mark>");
            esc(&mut html, &text[c.range.0..c.range.1]);
            html.push_str("</mark>");
            esc(&mut html, &text[c.range.1..]);
            html.push_str("</blockquote></div></li>\n");
        }
        Fragment {
            count: e.citations.len(),
            html: html.into(),
        }
    }

    /// Entity `id`'s timeline: `<li data-kind><time datetime>…</time> <a>label</a></li>`.
    pub(super) fn timeline_list(&self, id: usize) -> Fragment {
        let entries = self.entity_timeline(id);
        let mut html = String::with_capacity(entries.len() * 128);
        for t in &entries {
            html.push_str("<li data-kind=\"");
            esc(&mut html, &t.kind);
            html.push_str("\"><time datetime=\"");
            esc(&mut html, &t.date);
            html.push_str("\">");
            esc(&mut html, &t.date_human);
            html.push_str("</time> <a href=\"");
            esc(&mut html, &t.entity.url);
            html.push_str("\">");
            esc(&mut html, &t.label);
            html.push_str("</a></li>\n");
        }
        Fragment {
            count: entries.len(),
            html: html.into(),
        }
    }

    /// Every passage of source `si` as `<li class="passage" id="p<n>" value="<n>">`: its
    /// number as a self-link, its text (quotes marked, mentions linked), and the entities that
    /// cite it and that it mentions, by title.
    pub(super) fn passages(&self, si: usize) -> Fragment {
        let w = self.wiki;
        let s = &w.sources[si];
        let passages = &s.source.passages;
        let mut html = String::with_capacity(passages.iter().map(|p| p.text.len() * 2).sum());
        let mut marks: Vec<(usize, usize)> = Vec::new();
        let mut mentioned: Vec<usize> = Vec::new();
        for (pi, p) in passages.iter().enumerate() {
            let n = p.n;
            html.push_str("<li class=\"passage");
            if matches!(p.block, crate::load::Block::Heading(_)) {
                html.push_str(" heading");
            }
            if p.block == crate::load::Block::Quote {
                html.push_str(" blockquote");
            }
            // Pushed: `write!` with its five formatted numbers was a sixth of a source
            // page's rendering.
            let mut num = itoa::Buffer::new();
            let n = num.format(n);
            for part in [
                "\" id=\"p",
                n,
                "\" value=\"",
                n,
                "\">\n<a class=\"pn\" href=\"#p",
                n,
                "\" aria-label=\"Passage ",
                n,
                "\">",
                n,
                "</a>\n<div class=\"text\">",
            ] {
                html.push_str(part);
            }
            marks.clear();
            marks.extend(
                s.citations[pi]
                    .iter()
                    .map(|&(e, ci)| w.entities[e].citations[ci].range),
            );
            passage_html(
                &mut html,
                &p.text,
                &marks,
                &s.mentions[pi],
                &self.links_html,
            );
            html.push_str("</div>\n");
            if !s.cited_by[pi].is_empty() {
                html.push_str("<p class=\"cited-by\">Cited by: ");
                self.push_links(&mut html, &s.cited_by[pi]);
                html.push_str("</p>\n");
            }
            mentioned.clear();
            mentioned.extend(s.mentions[pi].iter().map(|m| m.entity()));
            if !mentioned.is_empty() {
                mentioned.sort_unstable_by_key(|&e| self.rank[e]);
                mentioned.dedup();
                html.push_str("<p class=\"mentions\">Mentions: ");
                self.push_links(&mut html, &mentioned);
                html.push_str("</p>\n");
            }
            html.push_str("</li>\n");
        }
        Fragment {
            count: passages.len(),
            html: html.into(),
        }
    }

    /// Comma-separated links.
    fn push_links(&self, out: &mut String, ids: &[usize]) {
        for (i, &id) in ids.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.push_link(out, id);
        }
    }
}

/// Appends the escaped passage text with quoted ranges marked and mentions linked. Ranges are
/// byte ranges of `text`; mentions never overlap each other, marks may (they are merged).
fn passage_html(
    out: &mut String,
    text: &str,
    marks: &[(usize, usize)],
    mentions: &[crate::resolve::Mention],
    links: &[LinkHtml],
) {
    if marks.is_empty() && mentions.is_empty() {
        crate::text::escape_html_into(out, text);
        return;
    }
    let mut cuts: Vec<usize> = Vec::with_capacity(2 + 2 * (marks.len() + mentions.len()));
    cuts.extend([0, text.len()]);
    for &(a, b) in marks {
        cuts.extend([a, b]);
    }
    for m in mentions {
        cuts.extend([m.start(), m.end()]);
    }
    cuts.retain(|&c| c <= text.len() && text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let marked = marks.iter().any(|&(x, y)| x <= a && b <= y && x < y);
        let mention = mentions.iter().find(|m| m.start() <= a && b <= m.end());
        if marked {
            out.push_str("<mark>");
        }
        if let Some(m) = mention {
            let l = &links[m.entity()];
            out.push_str("<a class=\"mention\" href=\"");
            out.push_str(&l.href);
            out.push_str("\" title=\"");
            out.push_str(&l.title);
            out.push_str("\">");
        }
        crate::text::escape_html_into(out, &text[a..b]);
        if mention.is_some() {
            out.push_str("</a>");
        }
        if marked {
            out.push_str("</mark>");
        }
    }
}
