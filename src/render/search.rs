//! The search index, built at build time and searched in the browser with MiniSearch
//! (vendored in `theme/vendor/`).
//!
//! Two tiers keep it small on a phone and lazy at scale: `search/names.json` holds every
//! entity's title, aliases, kind and summary (what the search box needs while typing), and
//! `search/text-<n>.json` chunks of about 256 KiB hold page bodies and source passages, loaded
//! only when the search page runs a full-text query.

use std::borrow::Cow;

use serde::Serialize;

use super::OutputFile;
use crate::resolve::Wiki;

/// Target size of one full-text chunk, in bytes of JSON.
pub const CHUNK_BYTES: usize = 256 * 1024;

#[derive(Serialize)]
struct Names<'a> {
    docs: Vec<NameDoc<'a>>,
    chunks: Vec<String>,
}

#[derive(Serialize)]
struct NameDoc<'a> {
    id: usize,
    u: String,
    t: &'a str,
    a: Vec<&'a str>,
    k: &'a str,
    s: &'a str,
}

#[derive(Serialize)]
struct TextDoc<'a> {
    id: usize,
    u: String,
    t: std::borrow::Cow<'a, str>,
    k: &'a str,
    b: std::borrow::Cow<'a, str>,
}

/// A full-text document: a page body (by entity) or a passage (by source and index).
#[derive(Clone, Copy)]
enum Text {
    Page(usize),
    Passage(usize, usize),
}

/// The document `t`, numbered `id`.
fn text_doc(w: &Wiki, id: usize, t: Text) -> TextDoc<'_> {
    let base = &w.config.base_path;
    match t {
        Text::Page(i) => {
            let e = &w.entities[i];
            TextDoc {
                id,
                u: format!("{base}{}", e.path),
                t: Cow::Borrowed(&e.page.title),
                k: "page",
                b: Cow::Owned(e.plain_text()),
            }
        }
        Text::Passage(si, pi) => {
            let s = &w.sources[si].source;
            let p = &s.passages[pi];
            // Pushed, not `format!`ed: two strings per passage of every source.
            let mut u = String::with_capacity(base.len() + s.id.len() + 18);
            u.push_str(base);
            u.push_str("sources/");
            u.push_str(&s.id);
            u.push_str("/#p");
            super::push_num(&mut u, p.n);
            let mut title = String::with_capacity(s.title.len() + 16);
            title.push_str(&s.title);
            title.push_str(", passage ");
            super::push_num(&mut title, p.n);
            TextDoc {
                id,
                u,
                t: Cow::Owned(title),
                k: "passage",
                b: Cow::Borrowed(&p.text),
            }
        }
    }
}

/// The search files, in memory (see [`files_each`]).
pub fn files(w: &Wiki) -> Vec<OutputFile> {
    let out = std::sync::Mutex::new(Vec::new());
    files_each(w, &|f| {
        out.lock().expect("no panic holding the lock").push(f);
        Ok(())
    })
    .expect("collecting cannot fail");
    let mut out = out.into_inner().expect("no poisoned lock");
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The search files, each handed to `sink` as soon as it is serialised (a chunk of about
/// 256 KiB at a time, instead of the whole index: at 10,000 entities that was 100 MB of peak
/// memory). Page texts and chunks are built in parallel; chunk boundaries depend only on
/// sizes, so the output does not depend on the thread count. Returns the paths written.
pub fn files_each(w: &Wiki, sink: &dyn super::Sink) -> anyhow::Result<Vec<String>> {
    use rayon::prelude::*;
    let base = &w.config.base_path;
    let docs: Vec<NameDoc> = w
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| NameDoc {
            id: i,
            u: format!("{base}{}", e.path),
            t: &e.page.title,
            a: e.page.aliases.iter().map(|(a, _)| a.as_str()).collect(),
            k: w.config
                .kinds
                .get(&e.page.kind)
                .map_or(e.page.kind.as_str(), |k| k.singular.as_str()),
            s: &e.page.summary,
        })
        .collect();
    // Every page body and passage, with the size its JSON is estimated at; the documents
    // themselves are made chunk by chunk (a page body's plain text is made from its kept
    // pieces only then, and dropped with the chunk).
    let mut texts: Vec<(Text, usize)> = w
        .entities
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            let size = e.plain_text_len() + e.page.title.len() + base.len() + e.path.len();
            (Text::Page(i), size + 40)
        })
        .collect();
    for (si, s) in w.sources.iter().enumerate() {
        // `{base}sources/{id}/#p{n}` and `{title}, passage {n}` (see `text_doc`).
        let fixed = base.len()
            + "sources/".len()
            + s.source.id.len()
            + "/#p".len()
            + s.source.title.len()
            + ", passage ".len()
            + 40;
        for (pi, p) in s.source.passages.iter().enumerate() {
            let digits = 2 * itoa::Buffer::new().format(p.n).len();
            texts.push((Text::Passage(si, pi), fixed + digits + p.text.len()));
        }
    }
    // Chunk ranges with their estimated JSON size (the buffer each is written into), plus
    // the room sonic-rs reserves before writing a string: six bytes per byte (the worst
    // escaping) of the longest document, so a chunk ending in a long body would otherwise
    // grow and copy its buffer.
    let mut ranges = Vec::new();
    let (mut start, mut size, mut longest) = (0, 0, 0);
    for (i, (_, s)) in texts.iter().enumerate() {
        size += s;
        longest = longest.max(*s);
        if size >= CHUNK_BYTES {
            ranges.push((start..i + 1, size + 6 * longest + 64));
            (start, size, longest) = (i + 1, 0, 0);
        }
    }
    if start < texts.len() {
        ranges.push((start..texts.len(), size + 6 * longest + 64));
    }
    let mut paths: Vec<String> = ranges
        .par_iter()
        .enumerate()
        .map(|(n, (r, size))| {
            let path = format!("search/text-{n}.json");
            let docs: Vec<TextDoc> = texts[r.clone()]
                .iter()
                .enumerate()
                .map(|(k, (t, _))| text_doc(w, r.start + k, *t))
                .collect();
            let mut bytes = Vec::with_capacity(size + size / 16);
            sonic_rs::to_writer(&mut bytes, &docs).expect("search chunk serialises");
            drop(docs);
            sink.file(OutputFile {
                path: path.clone(),
                bytes,
            })?;
            Ok(path)
        })
        .collect::<anyhow::Result<_>>()?;
    drop(texts);
    let names = Names {
        docs,
        chunks: paths.iter().map(|p| format!("{base}{p}")).collect(),
    };
    sink.file(OutputFile {
        path: "search/names.json".into(),
        bytes: sonic_rs::to_vec(&names).expect("names serialise"),
    })?;
    paths.push("search/names.json".into());
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search files are serialised with sonic-rs (SIMD string escaping; the full-text
    /// chunks are most of the JSON a build writes): its bytes must be serde_json's.
    #[test]
    fn sonic_rs_writes_what_serde_json_writes() {
        let tricky = [
            "plain words",
            "quotes \" and \\ backslashes",
            "control \u{0} \u{1f} \n \r \t \u{8} \u{c} \u{7f}",
            "non-ASCII: é ü ß – — “curly” ’ \u{2028} \u{2029} 😀 ﷺ",
            "</script><!-- & ' / ",
            "",
        ];
        for s in tricky {
            let long = s.repeat(40);
            let docs = [TextDoc {
                id: 7,
                u: format!("/sources/x/#p{}", s.len()),
                t: Cow::Borrowed(s),
                k: "passage",
                b: Cow::Owned(long),
            }];
            let names = Names {
                docs: vec![NameDoc {
                    id: 1,
                    u: "/a/".into(),
                    t: s,
                    a: vec![s, "b"],
                    k: "person",
                    s,
                }],
                chunks: vec![s.to_string()],
            };
            assert_eq!(
                sonic_rs::to_string(&docs).unwrap(),
                serde_json::to_string(&docs).unwrap(),
                "{s:?}"
            );
            assert_eq!(
                sonic_rs::to_string_pretty(&names).unwrap(),
                serde_json::to_string_pretty(&names).unwrap(),
                "{s:?}"
            );
        }
    }
}
