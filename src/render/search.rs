//! The search index, built at build time and searched in the browser with MiniSearch
//! (vendored in `theme/vendor/`).
//!
//! Two tiers keep it small on a phone and lazy at scale: `search/names.json` holds every
//! entity's title, aliases, kind and summary (what the search box needs while typing), and
//! `search/text-<n>.json` chunks of about 256 KiB hold page bodies and source passages, loaded
//! only when the search page runs a full-text query.

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
pub fn files_each(
    w: &Wiki,
    sink: &(dyn Fn(OutputFile) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<Vec<String>> {
    use rayon::prelude::*;
    use std::borrow::Cow;
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
    let mut texts: Vec<TextDoc> = w
        .entities
        .par_iter()
        .enumerate()
        .map(|(i, e)| TextDoc {
            id: i,
            u: format!("{base}{}", e.path),
            t: Cow::Borrowed(&e.page.title),
            k: "page",
            // Made here and dropped with the chunk, unless a session keeps it (`serve`).
            b: e.plain_text_unkept(),
        })
        .collect();
    for s in &w.sources {
        // Pushed, not `format!`ed: two strings per passage of every source.
        let mut prefix = String::with_capacity(base.len() + s.source.id.len() + 12);
        prefix.push_str(base);
        prefix.push_str("sources/");
        prefix.push_str(&s.source.id);
        prefix.push_str("/#p");
        for p in &s.source.passages {
            let mut u = String::with_capacity(prefix.len() + 6);
            u.push_str(&prefix);
            super::push_num(&mut u, p.n);
            let mut t = String::with_capacity(s.source.title.len() + 16);
            t.push_str(&s.source.title);
            t.push_str(", passage ");
            super::push_num(&mut t, p.n);
            texts.push(TextDoc {
                id: texts.len(),
                u,
                t: Cow::Owned(t),
                k: "passage",
                b: Cow::Borrowed(&p.text),
            });
        }
    }
    // Chunk ranges with their estimated JSON size (the buffer each is written into), plus
    // the room sonic-rs reserves before writing a string: six bytes per byte (the worst
    // escaping), so a chunk ending in a long body would otherwise grow and copy its buffer.
    let mut ranges = Vec::new();
    let (mut start, mut size, mut longest) = (0, 0, 0);
    for (i, t) in texts.iter().enumerate() {
        size += t.b.len() + t.t.len() + t.u.len() + 40;
        longest = longest.max(t.b.len());
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
            let mut bytes = Vec::with_capacity(size + size / 16);
            sonic_rs::to_writer(&mut bytes, &texts[r.clone()]).expect("search chunk serialises");
            sink(OutputFile {
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
    sink(OutputFile {
        path: "search/names.json".into(),
        bytes: sonic_rs::to_vec(&names).expect("names serialise"),
    })?;
    paths.push("search/names.json".into());
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

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
