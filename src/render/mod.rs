//! Stage 3, **render**: [`Wiki`] → `Vec<OutputFile>`. No filesystem writes.
//!
//! Every page is built from a typed view (see `view.rs`) and rendered through Tera, in parallel;
//! the result is sorted by path so the output is the same whatever the thread count. Tera's
//! `Context` is only ever built here, from a view struct.

pub mod fingerprint;
pub mod fragments;
pub mod graph;
pub mod json;
pub mod pages;
pub mod publish;
pub mod search;
pub mod templates;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::markdown::{self, Resolver};
use crate::resolve::{ResolvedEntity, Wiki};
use crate::text::{escape_html, fold};
use view::*;

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path below the output folder, `/`-separated.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The theme files embedded in the binary (the repository's `theme/` is their source).
pub const DEFAULT_THEME: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../../theme/style.css")),
    ("favicon.svg", include_bytes!("../../theme/favicon.svg")),
    ("theme.js", include_bytes!("../../theme/theme.js")),
    ("refwiki.js", include_bytes!("../../theme/refwiki.js")),
    (
        "vendor/minisearch.js",
        include_bytes!("../../theme/vendor/minisearch.js"),
    ),
];

/// Shared context for rendering one wiki: the wiki, the templates and the [`Index`].
pub struct Renderer<'w> {
    wiki: &'w Wiki,
    tera: &'w Tera,
    ix: &'w Index,
}

impl std::ops::Deref for Renderer<'_> {
    type Target = Index;
    fn deref(&self) -> &Index {
        self.ix
    }
}

/// Room for a page's layout around its variable parts (head, header, footer: about 4 KB).
const PAGE_CHROME: usize = 6 * 1024;

/// What every page's rendering looks up, computed once per wiki: site values, and per entity
/// and source the links and escaped strings lists are made of. It depends only on titles,
/// paths, summaries, kinds, source metadata and the configuration, so `serve` reuses it across
/// rebuilds in which none of those changed (see [`Index::key`]).
pub struct Index {
    site: SiteView,
    /// `site` as a template value, made once: every page's context shares it.
    site_value: tera::Value,
    site_hash: u64,
    links: Vec<EntityLink>,
    /// Per entity: URL and title, escaped (for fragments).
    links_html: Vec<fragments::LinkHtml>,
    /// Per source: URL prefix, title (escaped) and byline.
    sources_html: Vec<fragments::SourceHtml>,
    /// Per entity: its position in title order (folded title, then path).
    rank: Vec<u32>,
    /// Per entity: what a wikilink to it carries.
    infos: Vec<markdown::LinkInfo>,
    /// Per entity: hash of what a link to it shows (path, title, kind, summary), for page
    /// fingerprints.
    link_hashes: Vec<u64>,
}

/// The result of an incremental render: every output path with its fingerprint, and the
/// files whose fingerprint changed (rendered).
#[derive(Debug, Default)]
pub struct Incremental {
    /// Fingerprint of every page of the site (including `wiki.json`).
    pub fingerprints: BTreeMap<String, u64>,
    /// The pages that had to be rendered.
    pub rendered: Vec<OutputFile>,
    /// Hash of every page fingerprint: when it changes, the data files are stale.
    pub data_fingerprint: u64,
}

/// Renders the page of entity `id` alone (`serve`'s preview of a body edit), with `ix` built
/// for `wiki` or for a wiki with the same [`Index::key`]. Returns its path and bytes.
pub fn render_entity(wiki: &Wiki, tera: &Tera, ix: &Index, id: usize) -> Result<OutputFile> {
    Renderer { wiki, tera, ix }.job(&Job::Entity(id))
}

/// Renders only the pages whose fingerprint differs from `previous` (all of them when
/// `previous` is empty). The data files (`wiki.json`, the search index, sitemap, robots, feed)
/// are not included: they depend on every page, so [`Incremental::data_fingerprint`] says when
/// [`data_files`] must run again, which `serve` does after the reload event went out.
pub fn render_changed(
    wiki: &Wiki,
    tera: &Tera,
    ix: &Index,
    previous: &BTreeMap<String, u64>,
) -> Result<Incremental> {
    let r = Renderer { wiki, tera, ix };
    let jobs = jobs(wiki);
    let planned: Vec<(String, u64)> = jobs
        .par_iter()
        .map(|j| (r.job_path(j), r.fingerprint(j)))
        .collect();
    let mut rendered: Vec<OutputFile> = jobs
        .par_iter()
        .zip(planned.par_iter())
        .filter(|(_, (path, fp))| previous.get(path) != Some(fp))
        .map(|(j, _)| r.job(j))
        .collect::<Result<_>>()?;
    let fingerprints: BTreeMap<String, u64> = planned.into_iter().collect();
    let data_fingerprint = crate::hash::hash_of(&fingerprints);
    rendered.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Incremental {
        fingerprints,
        rendered,
        data_fingerprint,
    })
}

/// The files that depend on the whole wiki: `wiki.json`, the search index, sitemap, robots.txt
/// and the feed. `pages` lists the site's page paths (for the sitemap).
pub fn data_files<'a>(
    wiki: &Wiki,
    pages: impl Iterator<Item = &'a str>,
) -> Result<Vec<OutputFile>> {
    let mut files = vec![OutputFile {
        path: "wiki.json".into(),
        bytes: json::export(wiki),
    }];
    files.extend(search::files(wiki)?);
    files.extend(publish_files(wiki, pages));
    Ok(files)
}

fn jobs(wiki: &Wiki) -> Vec<Job> {
    let mut jobs: Vec<Job> = vec![
        Job::Home,
        Job::NotFound,
        Job::SourceList,
        Job::TagList,
        Job::Search,
        Job::Timeline,
        Job::Graph,
    ];
    jobs.extend((0..wiki.entities.len()).map(Job::Entity));
    jobs.extend((0..wiki.sources.len()).map(Job::Source));
    jobs.extend(wiki.config.kinds.keys().cloned().map(Job::Kind));
    jobs.extend(wiki.tags.keys().cloned().map(Job::Tag));
    jobs.extend((0..wiki.redirects.len()).map(Job::Redirect));
    jobs
}

/// What writes a file's contents as it goes (see [`Sink::stream`]).
pub type Contents<'a> = &'a mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>;

/// Where [`render_each`] hands the files it makes, from several threads. Any
/// `Fn(OutputFile) -> Result<()>` is one.
pub trait Sink: Sync {
    /// Takes one file.
    fn file(&self, f: OutputFile) -> Result<()>;

    /// Takes the file at `path` that `write` writes, as it is written: for `wiki.json`, which
    /// grows with every entity and citation (284 MB at 100,000 entities). By default it is
    /// written into memory and handed to [`Sink::file`].
    fn stream(&self, path: &str, write: Contents) -> Result<()> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        self.file(OutputFile {
            path: path.into(),
            bytes,
        })
    }
}

impl<F: Fn(OutputFile) -> Result<()> + Sync> Sink for F {
    fn file(&self, f: OutputFile) -> Result<()> {
        self(f)
    }
}

/// Renders every page of the wiki, plus `wiki.json`, the search index, the sitemap, robots.txt
/// and the feed, handing each file to `sink` as soon as it is ready (from several threads), so
/// a build never holds the whole site in memory. Returns the paths produced, sorted.
pub fn render_each(wiki: &Wiki, tera: &Tera, sink: &dyn Sink) -> Result<Vec<String>> {
    let ix = Index::new(wiki);
    let r = Renderer {
        wiki,
        tera,
        ix: &ix,
    };
    /// A unit of the render's parallel work: one page, or the entity pages of one search
    /// chunk with the chunk itself, made while their bodies are at hand.
    enum Work<'j> {
        Page(&'j Job),
        Entities(usize, std::ops::Range<usize>, usize),
    }
    let jobs = jobs(wiki);
    let chunks = search::page_chunks(wiki);
    let first_chunk = chunks.len();
    // The site-wide pages first (the timeline and the graph are the longest), then the
    // entities' chunks in place of their pages, then the rest.
    let head = jobs
        .iter()
        .take_while(|j| !matches!(j, Job::Entity(_)))
        .count();
    let work: Vec<Work> = jobs[..head]
        .iter()
        .map(Work::Page)
        .chain(
            chunks
                .into_iter()
                .enumerate()
                .map(|(n, (range, size))| Work::Entities(n, range, size)),
        )
        .chain(
            jobs[head..]
                .iter()
                .filter(|j| !matches!(j, Job::Entity(_)))
                .map(Work::Page),
        )
        .collect();
    let profile = std::env::var_os("REFWIKI_PROFILE").is_some();
    type Timed = Vec<(String, &'static str, std::time::Duration)>;
    // One entity page and its body's plain text, for the search chunk made beside it: the
    // body (read again from its file, when the resolution let it go) is compiled and turned
    // into plain text in one parse, and freed with its page.
    let entity = |i: usize, texts: &mut Vec<String>, timed: &mut Timed| -> Result<()> {
        let t = std::time::Instant::now();
        let (body, text) = wiki.entities[i].take_body_and_text(&|t| wiki.slug_title(t))?;
        let f = r.entity_with(i, body)?;
        texts.push(text);
        let (path, d) = (f.path.clone(), t.elapsed());
        sink.file(f)?;
        timed.push((path, "entity", d));
        Ok(())
    };
    // `wiki.json` (one thread's work, written as it is serialised, so it holds little) is
    // made beside the pages; the passages' search chunks, parallel in themselves, follow.
    let (json, pages) = rayon::join(
        || {
            let t = std::time::Instant::now();
            sink.stream("wiki.json", &mut |out| json::export_to(wiki, out))?;
            Ok::<_, anyhow::Error>(("wiki.json".to_string(), "wiki.json", t.elapsed()))
        },
        || -> Result<Vec<Timed>> {
            // Split down to pieces of a few items: rayon stops splitting a piece nobody steals
            // after a few halvings, and the entities' chunks (tens of pages each) sit together
            // among hundreds of thousands of redirects, so one thread would be left with them
            // (at 100,000 entities, 13 s of one core idle).
            work.par_iter()
                .with_max_len(16)
                .map(|w| match w {
                    Work::Page(j) => {
                        let t = std::time::Instant::now();
                        let f = r.job(j)?;
                        let path = f.path.clone();
                        let d = t.elapsed();
                        sink.file(f)?;
                        Ok(vec![(path, j.name(), d)])
                    }
                    Work::Entities(n, range, size) => {
                        let mut timed = Vec::with_capacity(range.len() + 1);
                        let mut texts = Vec::with_capacity(range.len());
                        for i in range.clone() {
                            entity(i, &mut texts, &mut timed)?;
                        }
                        let t = std::time::Instant::now();
                        let f = search::page_chunk(wiki, *n, range.clone(), *size, texts);
                        let (path, d) = (f.path.clone(), t.elapsed());
                        sink.file(f)?;
                        timed.push((path, "search index", d));
                        Ok(timed)
                    }
                })
                .collect()
        },
    );
    let (pages, json) = (pages?, json?);
    let t = std::time::Instant::now();
    let search = search::passage_files_each(wiki, first_chunk, sink)?;
    let d = t.elapsed();
    let mut data: Timed = search
        .into_iter()
        .enumerate()
        .map(|(k, p)| {
            (
                p,
                "search index",
                if k == 0 { d } else { Default::default() },
            )
        })
        .collect();
    data.push(json);
    let mut per_kind: BTreeMap<&'static str, (usize, std::time::Duration)> = BTreeMap::new();
    let mut paths: Vec<String> = Vec::with_capacity(jobs.len() + 64);
    for (p, name, d) in pages.into_iter().flatten().chain(data) {
        let e = per_kind.entry(name).or_default();
        e.0 += 1;
        e.1 += d;
        paths.push(p);
    }
    let t = std::time::Instant::now();
    for f in publish_files(wiki, paths.iter().map(String::as_str)) {
        paths.push(f.path.clone());
        sink.file(f)?;
    }
    per_kind.insert("sitemap, feed", (1, t.elapsed()));
    if profile {
        for (name, (n, d)) in &per_kind {
            eprintln!(
                "  render/{name:<16} {n:>6} files {:>9.1} ms (summed over threads)",
                d.as_secs_f64() * 1000.0
            );
        }
    }
    paths.sort();
    Ok(paths)
}

/// Renders every page into memory (tests and tools; `build` streams with [`render_each`]).
pub fn render(wiki: &Wiki, tera: &Tera) -> Result<Vec<OutputFile>> {
    let files = std::sync::Mutex::new(Vec::new());
    render_each(wiki, tera, &|f| {
        files
            .lock()
            .expect("no panics while holding the lock")
            .push(f);
        Ok(())
    })?;
    let mut files = files.into_inner().expect("no poisoned lock");
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Sitemap (every HTML page but redirects and 404), robots.txt and the Atom feed.
fn publish_files<'a>(wiki: &Wiki, paths: impl Iterator<Item = &'a str>) -> Vec<OutputFile> {
    let redirects: BTreeSet<String> = wiki
        .redirects
        .iter()
        .map(|(f, s, _)| format!("{f}/{s}/index.html"))
        .collect();
    let mut pages: Vec<String> = paths
        .filter(|p| p.ends_with(".html") && *p != "404.html" && !redirects.contains(*p))
        .map(str::to_string)
        .collect();
    pages.sort();
    vec![
        publish::sitemap(wiki, &pages),
        publish::robots(wiki),
        publish::feed(wiki),
    ]
}

impl Job {
    /// A short name of the page type, for profiles.
    fn name(&self) -> &'static str {
        match self {
            Job::Search => "search page",
            Job::Timeline => "timeline",
            Job::Graph => "graph",
            Job::Home => "home",
            Job::NotFound => "404",
            Job::SourceList => "source list",
            Job::TagList => "tag list",
            Job::Entity(_) => "entity",
            Job::Source(_) => "source",
            Job::Kind(_) => "kind index",
            Job::Tag(_) => "tag",
            Job::Redirect(_) => "redirect",
        }
    }
}

/// The site-wide values of `wiki`.
fn site_view(wiki: &Wiki) -> SiteView {
    let c = &wiki.config;
    let kinds = c
        .kinds
        .values()
        .map(|k| KindLink {
            name: k.name.clone(),
            plural: k.plural.clone(),
            url: format!("{}{}/", c.base_path, k.folder),
            count: wiki
                .entities
                .iter()
                .filter(|e| e.page.kind == k.name)
                .count(),
        })
        .collect();
    SiteView {
        title: c.title.clone(),
        base: c.base_path.clone(),
        base_url: c.base_url.clone(),
        description: c.description.clone(),
        language: c.language.clone(),
        kinds,
    }
}

/// One page to render.
pub(crate) enum Job {
    Search,
    Timeline,
    Graph,
    Home,
    NotFound,
    SourceList,
    TagList,
    Entity(usize),
    Source(usize),
    Kind(String),
    Tag(String),
    Redirect(usize),
}

impl Index {
    /// What the index of `wiki` depends on, hashed: equal keys give equal indexes.
    pub fn key(wiki: &Wiki) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = crate::hash::hasher();
        serde_json::to_vec(&site_view(wiki))
            .expect("site view serialises")
            .hash(&mut h);
        for e in &wiki.entities {
            (&e.path, &e.page.title, &e.page.kind, &e.page.summary).hash(&mut h);
        }
        for s in &wiki.sources {
            let s = &s.source;
            (
                &s.id,
                &s.title,
                &s.author,
                &s.publisher,
                s.date.map(|d| d.to_string()),
            )
                .hash(&mut h);
        }
        h.finish()
    }

    /// Computes the index of `wiki`.
    pub fn new(wiki: &Wiki) -> Index {
        let c = &wiki.config;
        let site = site_view(wiki);
        let site_hash =
            crate::hash::hash_of(&serde_json::to_vec(&site).expect("site view serialises"));
        // Each list has an item per entity (or source): made on both cores at scale.
        let links = wiki
            .entities
            .par_iter()
            .map(|e| EntityLink {
                url: format!("{}{}", wiki.config.base_path, e.path).into(),
                title: e.page.title.as_str().into(),
                kind: e.page.kind.as_str().into(),
                summary: e.page.summary.as_str().into(),
            })
            .collect::<Vec<EntityLink>>();
        let links_html = links
            .par_iter()
            .map(|l| fragments::LinkHtml {
                href: escape_html(&l.url),
                title: escape_html(&l.title),
            })
            .collect();
        let sources_html = wiki
            .sources
            .par_iter()
            .map(|s| fragments::SourceHtml {
                href: escape_html(&format!("{}sources/{}/", c.base_path, s.source.id)),
                title: escape_html(&s.source.title),
                byline: byline(&s.source),
            })
            .collect();
        let mut rank = vec![0u32; wiki.entities.len()];
        for (r, id) in wiki
            .by_title(0..wiki.entities.len())
            .into_iter()
            .enumerate()
        {
            rank[id] = r as u32;
        }
        let infos = links
            .par_iter()
            .zip(&wiki.entities)
            .map(|(l, e)| markdown::LinkInfo {
                url: l.url.clone(),
                title: l.title.clone(),
                kind: c
                    .kinds
                    .get(&e.page.kind)
                    .map_or_else(|| e.page.kind.as_str(), |k| k.singular.as_str())
                    .into(),
                summary: l.summary.clone(),
            })
            .collect();
        let link_hashes = wiki
            .entities
            .par_iter()
            .map(|e| crate::hash::hash_of(&(&e.path, &e.page.title, &e.page.kind, &e.page.summary)))
            .collect();
        Index {
            link_hashes,
            site_value: tera::Value::from_serializable(&site),
            site,
            site_hash,
            links,
            links_html,
            sources_html,
            rank,
            infos,
        }
    }
}

impl Renderer<'_> {
    fn job(&self, job: &Job) -> Result<OutputFile> {
        match job {
            Job::Home => self.home(),
            Job::NotFound => {
                let v = NotFoundPageView {
                    meta: self.meta("Page not found", "", "404.html"),
                };
                self.page("404.html", "404.html", &v)
            }
            Job::SourceList => self.source_list(),
            Job::Search => self.search_page(),
            Job::Timeline => self.timeline_page(),
            Job::Graph => self.graph_page(),
            Job::TagList => self.tag_list(),
            Job::Entity(i) => self.entity(*i),
            Job::Source(i) => self.source(*i),
            Job::Kind(k) => self.kind(k),
            Job::Tag(t) => self.tag(t),
            Job::Redirect(i) => self.redirect(*i),
        }
    }

    fn page<T: Serialize>(&self, template: &str, path: &str, view: &T) -> Result<OutputFile> {
        self.page_sized(template, path, view, PAGE_CHROME)
    }

    /// [`Self::page`] into a buffer of `size` bytes: a page's big strings (its body, its lists)
    /// otherwise grow the output by doubling, copying it each time.
    fn page_sized<T: Serialize>(
        &self,
        template: &str,
        path: &str,
        view: &T,
        size: usize,
    ) -> Result<OutputFile> {
        let mut ctx = Context::from_serialize(view)
            .with_context(|| format!("internal error while preparing `{path}`"))?;
        ctx.insert_value("site", self.site_value.clone());
        let mut bytes = Vec::with_capacity(size);
        self.tera
            .render_to(template, &ctx, &mut bytes)
            .with_context(|| format!("failed to render `{path}` with template `{template}`"))?;
        if bytes.capacity() > bytes.len() + bytes.len() / 4 + 1024 {
            // `serve` keeps every page in memory: no idle room for 20,000 small redirects.
            bytes.shrink_to_fit();
        }
        Ok(OutputFile {
            path: path.to_string(),
            bytes,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.wiki.config.base_path, path)
    }

    fn canonical(&self, path: &str) -> String {
        format!("{}{}", self.wiki.config.base_url, path)
    }

    fn meta(&self, title: &str, description: &str, path: &str) -> PageMeta {
        let description = if description.is_empty() {
            self.site.description.clone()
        } else {
            description.to_string()
        };
        let canon_path = path.strip_suffix("index.html").unwrap_or(path);
        PageMeta {
            title: title.to_string(),
            description,
            canonical: self.canonical(canon_path),
            path: canon_path.to_string(),
        }
    }

    fn link(&self, id: usize) -> EntityLink {
        self.links[id].clone()
    }

    /// URL of a citation: the passage, with the quoted words' range (UTF-16 offsets into the
    /// passage text) so the source page can highlight exactly those words.
    fn citation_url(&self, c: &crate::resolve::Citation) -> String {
        let s = &self.wiki.sources[c.source].source;
        let (start, end) = c.hl;
        // Pushed, not `format!`ed twice (path, then base + path): one per citation shown.
        let base = &self.wiki.config.base_path;
        let mut url = String::with_capacity(base.len() + s.id.len() + 40);
        url.push_str(base);
        url.push_str("sources/");
        url.push_str(&s.id);
        url.push_str("/?hl=");
        push_num(&mut url, start);
        url.push('-');
        push_num(&mut url, end);
        url.push_str("#p");
        push_num(&mut url, c.passage);
        url
    }

    /// The mark of citation `ci` of entity `holder`; `local` are the URLs of the citations of
    /// the page being rendered, `page`.
    fn cite_mark(&self, holder: usize, ci: usize, page: usize, local: &[String]) -> CiteMark {
        let c = &self.wiki.entities[holder].citations[ci];
        CiteMark {
            number: ci + 1,
            url: if holder == page {
                local[ci].clone()
            } else {
                self.citation_url(c)
            },
            quote: c.quote.to_string(),
        }
    }

    fn entity(&self, id: usize) -> Result<OutputFile> {
        // Compiled when the body was scanned (or now, with its plain text for the search
        // index); only the links and citation marks are made here.
        let body = self.wiki.entities[id].compiled_body()?;
        self.entity_with(id, body)
    }

    /// The page of entity `id`, whose body compiles to `body`.
    fn entity_with(
        &self,
        id: usize,
        body: std::sync::Arc<markdown::Compiled>,
    ) -> Result<OutputFile> {
        let w = self.wiki;
        let e = &w.entities[id];
        let kind = &w.config.kinds[&e.page.kind];
        let urls: Vec<String> = e.citations.iter().map(|c| self.citation_url(c)).collect();
        let body_resolver = BodyResolver {
            r: self,
            e,
            urls: &urls,
        };
        let body_html = body.fill(&body_resolver);
        drop(body);
        let facts = e
            .page
            .facts
            .iter()
            .map(|f| FactView {
                key: f.key.clone(),
                label: f.key.replace('_', " "),
                value: f.date.map_or_else(|| f.value.clone(), |d| d.human()),
                cite: f
                    .cite
                    .as_ref()
                    .and_then(|k| e.cite_index.get(k))
                    .map(|&ci| self.cite_mark(id, ci, id, &urls)),
            })
            .collect();
        let relations: Vec<RelationView> = e
            .relations
            .iter()
            .map(|r| {
                let label = w
                    .config
                    .relations
                    .get(&r.rtype)
                    .map_or_else(|| r.rtype.clone(), |t| t.label.clone());
                let cite = r.cite.map(|(holder, ci)| {
                    let mut m = self.cite_mark(holder, ci, id, &urls);
                    if holder != id {
                        // The citation lives on the other page: no local number to show.
                        m.number = 0;
                    }
                    m
                });
                RelationView {
                    rtype: r.rtype.clone(),
                    label,
                    target: self.link(r.other),
                    since: r.since.map(|d| d.human()).unwrap_or_default(),
                    until: r.until.map(|d| d.human()).unwrap_or_default(),
                    role: r.role.clone().unwrap_or_default(),
                    cite,
                }
            })
            .collect();
        let mut relation_groups: Vec<RelationGroupView> = Vec::new();
        let relations: Vec<SharedRelation> = relations
            .into_iter()
            .map(|r| {
                let shared = SharedRelation::new(&r);
                match relation_groups.last_mut() {
                    Some(g) if g.label == r.label => g.items.push(shared.clone()),
                    _ => relation_groups.push(RelationGroupView {
                        label: r.label,
                        items: vec![shared.clone()],
                    }),
                }
                shared
            })
            .collect();
        let mut seen_names = BTreeSet::from([fold(&e.page.title)]);
        let aliases: Vec<String> = e
            .page
            .aliases
            .iter()
            .map(|(a, _)| a.clone())
            .filter(|a| seen_names.insert(fold(a)))
            .collect();
        let view = EntityPageView {
            meta: self.meta(&e.page.title, &e.page.summary, &e.path),
            entity: EntityView {
                slug: e.page.slug.clone(),
                kind: e.page.kind.clone(),
                kind_label: kind.singular.clone(),
                kind_url: self.url(&format!("{}/", kind.folder)),
                title: e.page.title.clone(),
                summary: e.page.summary.clone(),
                aliases,
                tags: e
                    .page
                    .tags
                    .iter()
                    .map(|t| TagLink {
                        name: t.clone(),
                        url: self.url(&format!("tags/{t}/")),
                    })
                    .collect(),
                facts,
                relations,
                relation_groups,
                body_html: body_html.into(),
                references: self.references(id, &urls),
                backlinks: self.entity_list(&e.backlinks),
                mentioned_in: self.passage_list(&e.mentioned_in),
                mentioned_not_cited: self.passage_list(&e.mentioned_not_cited),
                timeline: self.timeline_list(id),
                json_ld: publish::json_ld(w, id).into(),
                graph_svg: self.entity_graph(id).into(),
            },
        };
        let v = &view.entity;
        let size = [
            &v.body_html,
            &v.references.html,
            &v.backlinks.html,
            &v.mentioned_in.html,
            &v.mentioned_not_cited.html,
            &v.timeline.html,
            &v.json_ld,
            &v.graph_svg,
        ]
        .iter()
        .map(|s| s.len())
        .sum::<usize>();
        let path = format!("{}index.html", e.path);
        self.page_sized("entity.html", &path, &view, size + PAGE_CHROME)
    }

    fn source(&self, si: usize) -> Result<OutputFile> {
        let w = self.wiki;
        let s = &w.sources[si];
        let src = &s.source;
        let path = format!("sources/{}/", src.id);
        let view = SourcePageView {
            meta: self.meta(&src.title, src.note.as_deref().unwrap_or(""), &path),
            source: SourceView {
                id: src.id.clone(),
                title: src.title.clone(),
                author: src.author.clone(),
                publisher: src.publisher.clone(),
                date: src.date.map(|d| d.human()),
                url: src.url.clone(),
                note: src.note.clone(),
                passages: self.passages(si),
            },
        };
        let size = view.source.passages.html.len() + PAGE_CHROME;
        self.page_sized("source.html", &format!("{path}index.html"), &view, size)
    }

    fn source_links(&self) -> Vec<SourceLink> {
        self.wiki
            .sources
            .iter()
            .map(|s| {
                let s = &s.source;
                let byline = byline(s);
                SourceLink {
                    url: self.url(&format!("sources/{}/", s.id)),
                    title: s.title.clone(),
                    byline,
                }
            })
            .collect()
    }

    fn home(&self) -> Result<OutputFile> {
        let w = self.wiki;
        let body_html = match &w.home {
            Some(h) => markdown::render(h.body(), &HomeResolver { r: self }).0,
            None => String::new(),
        };
        let citations: usize = w.entities.iter().map(|e| e.citations.len()).sum();
        let cited: BTreeSet<(usize, u32)> = w
            .entities
            .iter()
            .flat_map(|e| e.citations.iter().map(|c| (c.source, c.passage)))
            .collect();
        let title = w
            .home
            .as_ref()
            .and_then(|h| h.title.clone())
            .unwrap_or_else(|| w.config.title.clone());
        let view = HomePageView {
            meta: self.meta(&title, "", "index.html"),
            home: HomeView {
                body_html: body_html.into(),
                counts: Counts {
                    entities: w.entities.len(),
                    sources: w.sources.len(),
                    passages: w.sources.iter().map(|s| s.source.passages.len()).sum(),
                    citations,
                    cited_passages: cited.len(),
                },
                sources: self.source_links(),
            },
        };
        self.page("index.html", "index.html", &view)
    }

    fn list(
        &self,
        heading: &str,
        intro: String,
        path: &str,
        entries: Vec<ListEntry>,
    ) -> Result<OutputFile> {
        let mut letters: Vec<String> = entries.iter().map(|e| e.letter.clone()).collect();
        letters.dedup();
        let view = ListPageView {
            meta: self.meta(heading, &intro, path),
            list: ListView {
                heading: heading.to_string(),
                intro,
                letters,
                entries,
            },
        };
        self.page("list.html", &format!("{path}index.html"), &view)
    }

    fn entries(&self, ids: impl IntoIterator<Item = usize>) -> Vec<ListEntry> {
        self.wiki
            .by_title(ids)
            .into_iter()
            .map(|id| {
                let l = self.link(id);
                ListEntry {
                    letter: letter(&l.title),
                    url: l.url.to_string(),
                    title: l.title.to_string(),
                    summary: l.summary.to_string(),
                }
            })
            .collect()
    }

    fn kind(&self, name: &str) -> Result<OutputFile> {
        let k = &self.wiki.config.kinds[name];
        let ids = self
            .wiki
            .entities
            .iter()
            .enumerate()
            .filter(|(_, e)| e.page.kind == name)
            .map(|(i, _)| i);
        let entries = self.entries(ids);
        let intro = format!(
            "{} {} in this wiki, A–Z.",
            entries.len(),
            k.plural.to_lowercase()
        );
        self.list(&k.plural, intro, &format!("{}/", k.folder), entries)
    }

    fn tag(&self, tag: &str) -> Result<OutputFile> {
        let entries = self.entries(self.wiki.tags[tag].iter().copied());
        let intro = format!("{} pages tagged “{tag}”.", entries.len());
        self.list(
            &format!("Tag: {tag}"),
            intro,
            &format!("tags/{tag}/"),
            entries,
        )
    }

    fn tag_list(&self) -> Result<OutputFile> {
        let entries = self
            .wiki
            .tags
            .iter()
            .map(|(t, ids)| ListEntry {
                url: self.url(&format!("tags/{t}/")),
                title: t.clone(),
                summary: format!("{} pages", ids.len()),
                letter: letter(t),
            })
            .collect();
        self.list(
            "Tags",
            "Every tag used in this wiki.".into(),
            "tags/",
            entries,
        )
    }

    fn source_list(&self) -> Result<OutputFile> {
        let mut entries: Vec<ListEntry> = self
            .source_links()
            .into_iter()
            .map(|s| ListEntry {
                letter: letter(&s.title),
                url: s.url,
                title: s.title,
                summary: s.byline,
            })
            .collect();
        entries.sort_by_key(|e| fold(&e.title));
        self.list(
            "Sources",
            "The archived documents every citation points into.".into(),
            "sources/",
            entries,
        )
    }

    fn redirect(&self, i: usize) -> Result<OutputFile> {
        let (folder, slug, id) = &self.wiki.redirects[i];
        let e = &self.wiki.entities[*id];
        let alias = e
            .page
            .aliases
            .iter()
            .map(|(a, _)| a)
            .find(|a| crate::text::slugify(a) == *slug)
            .cloned()
            .unwrap_or_default();
        let view = RedirectPageView {
            redirect: RedirectView {
                alias,
                title: e.page.title.clone(),
                url: self.url(&e.path),
                canonical: self.canonical(&e.path),
            },
        };
        // A redirect is a few hundred bytes: no room for a page's layout.
        let path = format!("{folder}/{slug}/index.html");
        self.page_sized("redirect.html", &path, &view, 1024)
    }
}

/// "Author, Publisher, date" with what is known.
fn byline(s: &crate::load::Source) -> String {
    [
        s.author.clone(),
        s.publisher.clone(),
        s.date.map(|d| d.human()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

/// Appends `n` in decimal: itoa instead of the formatting machinery, for the numbers in
/// every list item and citation URL.
pub(crate) fn push_num(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// First letter for A–Z grouping: folded ASCII uppercase, or `#`.
fn letter(title: &str) -> String {
    match fold(title).chars().next() {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string(),
        _ => "#".into(),
    }
}

struct BodyResolver<'a, 'w> {
    r: &'a Renderer<'w>,
    e: &'a ResolvedEntity,
    /// URL of each of `e`'s citations.
    urls: &'a [String],
}

impl Renderer<'_> {
    /// What a preview of entity `id` shows.
    fn link_info(&self, id: usize) -> markdown::LinkInfo {
        self.infos[id].clone()
    }

    /// The entity a wikilink target names.
    fn resolve_target(&self, target: &str) -> Option<markdown::LinkInfo> {
        self.wiki.lookup(target).map(|id| self.link_info(id))
    }

    /// The entity whose slug is the `.md` link's file stem.
    fn resolve_md(&self, stem: &str) -> Option<markdown::LinkInfo> {
        self.wiki
            .names
            .by_slug
            .get(&crate::text::slugify(stem))
            .map(|&id| self.link_info(id))
    }
}

impl Resolver for BodyResolver<'_, '_> {
    fn entity(&self, target: &str) -> Option<markdown::LinkInfo> {
        self.r.resolve_target(target)
    }
    fn md_file(&self, stem: &str) -> Option<markdown::LinkInfo> {
        self.r.resolve_md(stem)
    }
    fn cite(&self, key: &str) -> String {
        match self.e.cite_index.get(key) {
            Some(&ci) => {
                // Built by pushing: `format!` with three escaped copies was a tenth of the
                // Markdown rendering of a body (every citation mark goes through here).
                let c = &self.e.citations[ci];
                let n = (ci + 1).to_string();
                let mut out = String::with_capacity(96 + self.urls[ci].len() + c.quote.len());
                out.push_str("<sup class=\"cite\"><a href=\"");
                crate::text::escape_html_into(&mut out, &self.urls[ci]);
                out.push_str("\" title=\"");
                crate::text::escape_html_into(&mut out, &c.quote);
                out.push_str("\" data-ref=\"");
                out.push_str(&n);
                out.push_str("\" data-key=\"");
                crate::text::escape_html_into(&mut out, key);
                out.push_str("\">[");
                out.push_str(&n);
                out.push_str("]</a></sup>");
                out
            }
            None => format!(
                "<sup class=\"cite broken-link\">[{}?]</sup>",
                escape_html(key)
            ),
        }
    }
}

struct HomeResolver<'a, 'w> {
    r: &'a Renderer<'w>,
}

impl Resolver for HomeResolver<'_, '_> {
    fn entity(&self, target: &str) -> Option<markdown::LinkInfo> {
        self.r.resolve_target(target)
    }
    fn md_file(&self, stem: &str) -> Option<markdown::LinkInfo> {
        self.r.resolve_md(stem)
    }
    fn cite(&self, key: &str) -> String {
        format!("[^{}]", escape_html(key))
    }
}
