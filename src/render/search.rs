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
    t: String,
    k: &'a str,
    b: String,
}

/// The search files.
pub fn files(w: &Wiki) -> Vec<OutputFile> {
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
    let mut texts: Vec<TextDoc> = Vec::new();
    for (i, e) in w.entities.iter().enumerate() {
        texts.push(TextDoc {
            id: i,
            u: format!("{base}{}", e.path),
            t: e.page.title.clone(),
            k: "page",
            b: crate::markdown::plain_text(e.page.body()),
        });
    }
    for s in &w.sources {
        for p in &s.source.passages {
            texts.push(TextDoc {
                id: texts.len(),
                u: format!("{base}sources/{}/#p{}", s.source.id, p.n),
                t: format!("{}, passage {}", s.source.title, p.n),
                k: "passage",
                b: p.text.clone(),
            });
        }
    }
    let mut out = Vec::new();
    let mut chunk: Vec<&TextDoc> = Vec::new();
    let mut size = 0;
    let mut chunk_files = Vec::new();
    let mut flush = |chunk: &mut Vec<&TextDoc>, out: &mut Vec<OutputFile>| {
        let path = format!("search/text-{}.json", chunk_files.len());
        out.push(OutputFile {
            path: path.clone(),
            bytes: serde_json::to_vec(&chunk).expect("search chunk serialises"),
        });
        chunk_files.push(format!("{base}{path}"));
        chunk.clear();
    };
    for t in &texts {
        size += t.b.len() + t.t.len() + t.u.len() + 40;
        chunk.push(t);
        if size >= CHUNK_BYTES {
            flush(&mut chunk, &mut out);
            size = 0;
        }
    }
    if !chunk.is_empty() {
        flush(&mut chunk, &mut out);
    }
    let names = Names {
        docs,
        chunks: chunk_files,
    };
    out.push(OutputFile {
        path: "search/names.json".into(),
        bytes: serde_json::to_vec(&names).expect("names serialise"),
    });
    out
}
