//! `wiki.json`: a machine-readable export of every entity and source, for tools and tests.

use serde::Serialize;

use crate::resolve::Wiki;

#[derive(Serialize)]
struct Export<'a> {
    title: &'a str,
    entities: Entities<'a>,
    sources: Vec<SourceJson<'a>>,
}

/// Every entity, each made as it is serialised (at 100,000 entities, all of them made first
/// were 60 MB).
struct Entities<'a>(&'a Wiki);

impl Serialize for Entities<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let w = self.0;
        s.collect_seq(w.entities.iter().map(|e| entity(w, e)))
    }
}

#[derive(Serialize)]
struct EntityJson<'a> {
    slug: &'a str,
    kind: &'a str,
    title: &'a str,
    aliases: Vec<&'a str>,
    url: String,
    summary: &'a str,
    tags: &'a [String],
    facts: Vec<FactJson<'a>>,
    citations: Vec<CitationJson<'a>>,
    relations: Vec<RelationJson<'a>>,
}

#[derive(Serialize)]
struct FactJson<'a> {
    key: &'a str,
    value: &'a str,
    cite: Option<&'a str>,
}

#[derive(Serialize)]
struct CitationJson<'a> {
    key: &'a str,
    source: &'a str,
    passage: u32,
    quote: &'a str,
}

#[derive(Serialize)]
struct RelationJson<'a> {
    #[serde(rename = "type")]
    rtype: &'a str,
    target: &'a str,
    since: Option<String>,
    until: Option<String>,
    role: Option<&'a str>,
    cite: Option<&'a str>,
    declared: bool,
}

#[derive(Serialize)]
struct SourceJson<'a> {
    id: &'a str,
    title: &'a str,
    author: Option<&'a str>,
    publisher: Option<&'a str>,
    date: Option<String>,
    url: Option<&'a str>,
    passages: usize,
}

/// Serialises the export (pretty, stable key order, trailing newline) into memory.
pub fn export(w: &Wiki) -> Vec<u8> {
    // Sized up front from what it holds (the indented JSON is mostly fixed keys around the
    // quotes and titles): grown by doubling, the buffer was copied a dozen times, 27 MB at
    // 10,000 entities. The estimate is 1.3–1.7× the size on the shipped and synthetic wikis;
    // capacity never touched costs no memory.
    let estimate = w
        .entities
        .iter()
        .map(|e| {
            1024 + e.page.summary.len()
                + e.citations
                    .iter()
                    .map(|c| 192 + c.quote.len())
                    .sum::<usize>()
                + 320 * e.relations.len()
                + 128 * (e.page.facts.len() + e.page.aliases.len())
        })
        .sum::<usize>()
        + 384 * w.sources.len();
    let mut out = Vec::with_capacity(estimate);
    serialise(w, &mut out).expect("writing into memory cannot fail");
    out
}

/// Writes the export to `out` as it is serialised (a build writes it into its file this way:
/// at 100,000 entities it is 284 MB, which made in memory was the build's peak). The same
/// bytes as [`export`].
pub fn export_to(w: &Wiki, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(256 * 1024, out);
    serialise(w, sonic_rs::writer::BufferedWriter::new(&mut buffered))?;
    std::io::Write::flush(&mut buffered)
}

fn serialise(w: &Wiki, mut out: impl sonic_rs::writer::WriteExt) -> std::io::Result<()> {
    let sources = w
        .sources
        .iter()
        .map(|s| {
            let s = &s.source;
            SourceJson {
                id: &s.id,
                title: &s.title,
                author: s.author.as_deref(),
                publisher: s.publisher.as_deref(),
                date: s.date.map(|d| d.to_string()),
                url: s.url.as_deref(),
                passages: s.passages.len(),
            }
        })
        .collect();
    sonic_rs::to_writer_pretty(
        &mut out,
        &Export {
            title: &w.config.title,
            entities: Entities(w),
            sources,
        },
    )
    .map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// One entity's record.
fn entity<'a>(w: &'a Wiki, e: &'a crate::resolve::ResolvedEntity) -> EntityJson<'a> {
    EntityJson {
        slug: &e.page.slug,
        kind: &e.page.kind,
        title: &e.page.title,
        aliases: e.page.aliases.iter().map(|(a, _)| a.as_str()).collect(),
        url: format!("{}{}", w.config.base_path, e.path),
        summary: &e.page.summary,
        tags: &e.page.tags,
        facts: e
            .page
            .facts
            .iter()
            .map(|f| FactJson {
                key: &f.key,
                value: &f.value,
                cite: f.cite.as_deref(),
            })
            .collect(),
        citations: e
            .citations
            .iter()
            .map(|c| CitationJson {
                key: &c.key,
                source: &w.sources[c.source].source.id,
                passage: c.passage,
                quote: &c.quote,
            })
            .collect(),
        relations: e
            .relations
            .iter()
            .map(|r| RelationJson {
                rtype: &r.rtype,
                target: &w.entities[r.other].page.slug,
                since: r.since.map(|d| d.to_string()),
                until: r.until.map(|d| d.to_string()),
                role: r.role.as_deref(),
                cite: r
                    .cite
                    .map(|(h, ci)| w.entities[h].citations[ci].key.as_str()),
                declared: r.declared,
            })
            .collect(),
    }
}
