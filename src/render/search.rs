//! The search index, built at build time and searched in the browser with MiniSearch
//! (vendored in `theme/vendor/`).
//!
//! Two tiers keep it small on a phone and lazy at scale: `search/names.json` holds every
//! entity's title, aliases, kind and summary (what the search box needs while typing), and
//! `search/text-<n>.json` chunks of about 256 KiB hold page bodies (the first chunks, made by
//! a build beside their pages) and source passages, loaded only when the search page runs a
//! full-text query.

use std::borrow::Cow;
use std::ops::Range;

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

/// The document of page `i`'s body, whose plain text is `text`.
fn page_doc(w: &Wiki, i: usize, text: String) -> TextDoc<'_> {
    let e = &w.entities[i];
    TextDoc {
        id: i,
        u: format!("{}{}", w.config.base_path, e.path),
        t: Cow::Borrowed(&e.page.title),
        k: "page",
        b: Cow::Owned(text),
    }
}

/// The document of passage `pi` of source `si`, numbered `id`.
fn passage_doc(w: &Wiki, id: usize, si: usize, pi: usize) -> TextDoc<'_> {
    let base = &w.config.base_path;
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

/// Cuts a list of documents' estimated JSON sizes into chunks of about [`CHUNK_BYTES`]:
/// ranges of the list, each with the size of the buffer it is written into (plus the room
/// sonic-rs reserves before writing a string: six bytes per byte, the worst escaping, of the
/// longest document, so a chunk ending in a long body would otherwise grow and copy its
/// buffer).
fn cut(sizes: impl Iterator<Item = usize>) -> Vec<(Range<usize>, usize)> {
    let mut ranges = Vec::new();
    let (mut start, mut size, mut longest, mut n) = (0, 0, 0, 0);
    for s in sizes {
        n += 1;
        size += s;
        longest = longest.max(s);
        if size >= CHUNK_BYTES {
            ranges.push((start..n, size + 6 * longest + 64));
            (start, size, longest) = (n, 0, 0);
        }
    }
    if start < n {
        ranges.push((start..n, size + 6 * longest + 64));
    }
    ranges
}

/// The page bodies' chunks: ranges of entity ids, cut by an estimate of each document's size
/// made from its Markdown (its plain text is shorter), so that the chunks are known before
/// any body is read and [`render_each`](super::render_each) can make each chunk beside its
/// pages, while their bodies are at hand. Each range comes with its buffer's size.
pub fn page_chunks(w: &Wiki) -> Vec<(Range<usize>, usize)> {
    let base = w.config.base_path.len();
    cut(w
        .entities
        .iter()
        .map(|e| e.page.body_len() + e.page.title.len() + base + e.path.len() + 40))
}

/// Page chunk `n`: the documents of the pages `range`, whose plain texts are `texts`, in
/// order; `size` is the buffer's size (from [`page_chunks`]).
pub fn page_chunk(
    w: &Wiki,
    n: usize,
    range: Range<usize>,
    size: usize,
    texts: Vec<String>,
) -> OutputFile {
    let docs: Vec<TextDoc> = range.zip(texts).map(|(i, t)| page_doc(w, i, t)).collect();
    chunk_file(n, size, &docs)
}

/// The search chunk file numbered `n`.
fn chunk_file(n: usize, size: usize, docs: &[TextDoc]) -> OutputFile {
    let mut bytes = Vec::with_capacity(size + size / 16);
    sonic_rs::to_writer(&mut bytes, docs).expect("search chunk serialises");
    OutputFile {
        path: chunk_path(n),
        bytes,
    }
}

fn chunk_path(n: usize) -> String {
    format!("search/text-{n}.json")
}

/// The search files, in memory (see [`files_each`]).
pub fn files(w: &Wiki) -> anyhow::Result<Vec<OutputFile>> {
    let out = std::sync::Mutex::new(Vec::new());
    files_each(w, &|f| {
        out.lock().expect("no panic holding the lock").push(f);
        Ok(())
    })?;
    let mut out = out.into_inner().expect("no poisoned lock");
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The search files, each handed to `sink` as soon as it is serialised: the page chunks
/// (from each body's kept plain text, or one made for the chunk), then what
/// [`passage_files_each`] makes. Returns the paths written.
pub fn files_each(w: &Wiki, sink: &dyn super::Sink) -> anyhow::Result<Vec<String>> {
    use rayon::prelude::*;
    let pages = page_chunks(w);
    let mut paths: Vec<String> = pages
        .par_iter()
        .enumerate()
        .map(|(n, (r, size))| {
            let texts = r
                .clone()
                .map(|i| w.entities[i].plain_text(&|t| w.slug_title(t)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let f = page_chunk(w, n, r.clone(), *size, texts);
            let path = f.path.clone();
            sink.file(f)?;
            Ok(path)
        })
        .collect::<anyhow::Result<_>>()?;
    paths.extend(passage_files_each(w, pages.len(), sink)?);
    Ok(paths)
}

/// The passages' chunks, numbered from `first` (the number of page chunks, made before or
/// beside: see [`page_chunks`]), each handed to `sink` as soon as it is serialised (a chunk of
/// about 256 KiB at a time, instead of the whole index: at 10,000 entities that was 100 MB of
/// peak memory), then `search/names.json`, which lists every chunk. Chunks are built in
/// parallel; their boundaries depend only on sizes, so the output does not depend on the
/// thread count. Returns the paths written.
pub fn passage_files_each(
    w: &Wiki,
    first: usize,
    sink: &dyn super::Sink,
) -> anyhow::Result<Vec<String>> {
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
    // Every passage (numbered after the pages), with the size its JSON is estimated at; the
    // documents themselves are made chunk by chunk.
    let mut passages: Vec<(usize, usize)> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for (si, s) in w.sources.iter().enumerate() {
        // `{base}sources/{id}/#p{n}` and `{title}, passage {n}` (see `passage_doc`).
        let fixed = base.len()
            + "sources/".len()
            + s.source.id.len()
            + "/#p".len()
            + s.source.title.len()
            + ", passage ".len()
            + 40;
        for (pi, p) in s.source.passages.iter().enumerate() {
            let digits = 2 * itoa::Buffer::new().format(p.n).len();
            passages.push((si, pi));
            sizes.push(fixed + digits + p.text.len());
        }
    }
    let ranges = cut(sizes.into_iter());
    let pages = w.entities.len();
    let mut paths: Vec<String> = ranges
        .par_iter()
        .enumerate()
        .map(|(k, (r, size))| {
            let docs: Vec<TextDoc> = r
                .clone()
                .map(|j| passage_doc(w, pages + j, passages[j].0, passages[j].1))
                .collect();
            let f = chunk_file(first + k, *size, &docs);
            let path = f.path.clone();
            sink.file(f)?;
            Ok(path)
        })
        .collect::<anyhow::Result<_>>()?;
    drop(passages);
    let names = Names {
        docs,
        chunks: (0..first + ranges.len())
            .map(|n| format!("{base}{}", chunk_path(n)))
            .collect(),
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
