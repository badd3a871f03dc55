//! Stage 2, **resolve**: [`Corpus`] → [`Wiki`]. Total: it never fails; every content problem
//! becomes a [`Diagnostic`] and resolution goes on, so one run reports everything. It does no
//! IO of its own; a page whose text was let go at load reads its body again through `load`
//! ([`EntityPage::body_or_diagnostic`]), checked against the file's hash.
//!
//! Order of passes: drop duplicate slugs → [name index → scan bodies and verify citations
//! (in parallel) → wikilinks and `.md` links (in parallel) → relations and their inverses →
//! backlinks], all of it beside the building of the mention matcher → mentions in bodies
//! (in parallel, one matcher) beside the alias redirects → mentions in passages (in
//! parallel) → cited-by and mention lists → warnings (uncited entities, unused citations,
//! orphans, uncited sources) → tags. Each pass reads what earlier passes built; none mutates an
//! earlier pass's output.
//!
//! *Streaming* (when bodies were let go at load, or will be read again for the pages): the
//! matcher is built first, beside the name index and the citation proofs; then each body is
//! read, scanned and searched for unlinked mentions in one pass and let go, so no moment holds
//! every body.

pub mod citations;
pub mod index;
pub mod mentions;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::date::PartialDate;
use crate::diag::Diagnostic;
use crate::hash::hash_of;
use crate::load::{Corpus, EntityPage, HomePage, Source};
use crate::markdown::{self, Item};
use crate::text::slugify;

pub use citations::Citation;
pub use index::{Lookup, NameIndex};
pub use mentions::Mention;

/// The resolved wiki: everything the renderer needs, with every cross-reference an index.
#[derive(Debug, Clone)]
pub struct Wiki {
    /// Configuration.
    pub config: Config,
    /// Home page.
    pub home: Option<Arc<HomePage>>,
    /// Sources, sorted by id.
    pub sources: Vec<ResolvedSource>,
    /// Entities, sorted by path.
    pub entities: Vec<ResolvedEntity>,
    /// Name index.
    pub names: Arc<NameIndex>,
    /// Alias redirects: (kind folder, alias slug, entity), sorted.
    pub redirects: Arc<Vec<Redirect>>,
    /// Tag → entities (sorted by title).
    pub tags: BTreeMap<String, Vec<usize>>,
}

/// An alias redirect: (kind folder, alias slug, entity).
pub type Redirect = (String, String, usize);

/// A source with what points into it.
#[derive(Debug, Clone)]
pub struct ResolvedSource {
    /// The loaded source.
    pub source: Arc<Source>,
    /// Per passage (index n-1): entities citing it (sorted, unique).
    pub cited_by: Vec<Vec<usize>>,
    /// Per passage: citations into it, as (entity, citation index in that entity).
    pub citations: Vec<Vec<(usize, usize)>>,
    /// Per passage: mentions.
    pub mentions: Arc<Vec<Vec<Mention>>>,
}

/// An entity with its resolved citations, relations and back-references.
#[derive(Debug, Clone)]
pub struct ResolvedEntity {
    /// The loaded page.
    pub page: Arc<EntityPage>,
    /// URL path below the base, e.g. `people/iyad-ag-ghaly/`.
    pub path: String,
    /// Verified citations, numbered in order of first use (body, then facts and relations).
    pub citations: Arc<Vec<Citation>>,
    /// Citation key → index into `citations`.
    pub cite_index: Arc<BTreeMap<String, usize>>,
    /// Relations from this entity's point of view (declared here or inverted from elsewhere).
    pub relations: Vec<Relation>,
    /// Entities whose body links here (sorted by title).
    pub backlinks: Vec<usize>,
    /// Passages (source, n) mentioning this entity.
    pub mentioned_in: Vec<(usize, u32)>,
    /// Of those, the ones this entity does not cite.
    pub mentioned_not_cited: Vec<(usize, u32)>,
    /// Entities this body links to.
    pub links_to: BTreeSet<usize>,
    /// Heading ids of the body.
    pub headings: Arc<BTreeSet<String>>,
    /// The body's plain text (for the search index), as pieces, once a resolution that renders,
    /// the compiling of the body or [`ResolvedEntity::keep_plain_text`] made it; kept with the
    /// body's scan, so `serve` makes it once per version of the file.
    pub plain: Arc<std::sync::OnceLock<markdown::PlainText>>,
    /// The body compiled to HTML, once [`ResolvedEntity::compiled_body`] or a resolution that
    /// renders made it; kept with the body's scan, like `plain`, until a build takes it
    /// ([`ResolvedEntity::take_compiled_body`]).
    pub body: Arc<CompiledBody>,
}

/// Where a body's compiled HTML is kept (see [`ResolvedEntity::body`]).
pub type CompiledBody = std::sync::Mutex<Option<Arc<markdown::Compiled>>>;

impl ResolvedEntity {
    /// The body compiled to HTML (see [`markdown::Compiled`]), made now if need be and kept;
    /// the parse that makes it also makes the plain text if there is none yet.
    pub fn compiled_body(&self) -> anyhow::Result<Arc<markdown::Compiled>> {
        let mut kept = self.body.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = &*kept {
            return Ok(c.clone());
        }
        let c = self.compile_body()?;
        *kept = Some(c.clone());
        Ok(c)
    }

    /// The body compiled to HTML, taken from where it is kept (made now if need be), and its
    /// plain text (for the search index): for a build, which renders each page once, so that
    /// a body's HTML is freed with its page (10,000 of them are 45 MB). A
    /// [released](crate::load::EntityPage::release_body) body is read again for both, in one
    /// parse. Wikilinks written as slugs read in the text as `title` says (see
    /// [`Wiki::slug_title`]), as on the page.
    pub fn take_body_and_text(
        &self,
        title: markdown::SlugTitle,
    ) -> anyhow::Result<(Arc<markdown::Compiled>, String)> {
        let body = self.page.read_body()?;
        let taken = self.body.lock().unwrap_or_else(|e| e.into_inner()).take();
        Ok(match taken {
            Some(compiled) => (compiled, self.plain_of(&body, title)),
            None => {
                let (compiled, plain) = parse(&body);
                (Arc::new(compiled), plain.text_with(&body, title))
            }
        })
    }

    /// Compiles the body, keeping the plain text made by the same parse if there is none yet
    /// (pieces of a held body; a released body's are not kept).
    fn compile_body(&self) -> anyhow::Result<Arc<markdown::Compiled>> {
        let body = self.page.read_body()?;
        let (compiled, plain) = parse(&body);
        if self.page.body_held() {
            self.plain.get_or_init(|| plain);
        }
        Ok(Arc::new(compiled))
    }

    /// Makes the body's plain text now if need be, and keeps it (a held body's only).
    pub fn keep_plain_text(&self) {
        if self.page.body_held() {
            self.plain.get_or_init(|| parse(self.page.body()).1);
        }
    }

    /// The body as plain text (see [`markdown::plain_text_with`]): from the kept pieces if
    /// there are some, else made for this use only (from the file, if the body was released).
    pub fn plain_text(&self, title: markdown::SlugTitle) -> anyhow::Result<String> {
        Ok(self.plain_of(&self.page.read_body()?, title))
    }

    /// The plain text of `body` (this entity's): from the kept pieces if there are some.
    fn plain_of(&self, body: &str, title: markdown::SlugTitle) -> String {
        match self.plain.get() {
            Some(p) => p.text_with(body, title),
            None => markdown::plain_text_with(body, title),
        }
    }
}

/// A body compiled to HTML and its plain text, from one parse.
fn parse(body: &str) -> (markdown::Compiled, markdown::PlainText) {
    markdown::scan_body(body, true).rendered.unwrap_or_default()
}

/// A body's compiled HTML and plain text, if made, as they are kept.
fn kept(
    rendered: Option<(markdown::Compiled, markdown::PlainText)>,
) -> (
    Arc<CompiledBody>,
    Arc<std::sync::OnceLock<markdown::PlainText>>,
) {
    match rendered {
        Some((compiled, plain)) => (
            Arc::new(Some(Arc::new(compiled)).into()),
            Arc::new(plain.into()),
        ),
        None => Default::default(),
    }
}

/// One relation as seen from one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Relation type name as seen from this side (`led_by`).
    pub rtype: String,
    /// The other entity.
    pub other: usize,
    /// Start.
    pub since: Option<PartialDate>,
    /// End.
    pub until: Option<PartialDate>,
    /// Role.
    pub role: Option<String>,
    /// Citation: (declaring entity, citation index there).
    pub cite: Option<(usize, usize)>,
    /// Whether this side declared it (false = generated inverse).
    pub declared: bool,
}

impl Wiki {
    /// The entity a wikilink target names, if exactly one.
    pub fn lookup(&self, target: &str) -> Option<usize> {
        match self.names.lookup(target) {
            Lookup::Found(id) => Some(id),
            _ => None,
        }
    }

    /// The title a wikilink written as `slug` shows (see [`markdown::SlugTitle`]): its
    /// target's, if `slug` is the target's own slug.
    pub fn slug_title(&self, slug: &str) -> Option<&str> {
        let e = &self.entities[self.lookup(slug)?];
        (e.page.slug == slug).then_some(e.page.title.as_str())
    }

    /// Entity ids sorted by title (case- and accent-folded), then path.
    pub fn by_title(&self, ids: impl IntoIterator<Item = usize>) -> Vec<usize> {
        let mut v: Vec<usize> = ids.into_iter().collect();
        let key = |&i: &usize| {
            (
                crate::text::fold(&self.entities[i].page.title),
                self.entities[i].path.clone(),
            )
        };
        // Every entity (the render's ranks, the kinds' lists) is worth both cores at scale.
        match v.len() > 4096 {
            true => v.par_sort_by_cached_key(key),
            false => v.sort_by_cached_key(key),
        }
        v.dedup();
        v
    }
}

/// Pass timings, printed to stderr when `REFWIKI_PROFILE` is set (for BENCHMARKS.md).
struct Profile {
    on: bool,
    t: std::time::Instant,
    last: &'static str,
}

impl Profile {
    /// Starts timing the pass `first`.
    fn new(first: &'static str) -> Profile {
        Profile {
            on: std::env::var_os("REFWIKI_PROFILE").is_some(),
            t: std::time::Instant::now(),
            last: first,
        }
    }

    /// Ends the pass running since the last lap and starts `next`.
    fn lap(&mut self, next: &'static str) {
        if self.on {
            eprintln!(
                "  resolve/{:<40} {:>8.1} ms",
                self.last,
                self.t.elapsed().as_secs_f64() * 1000.0
            );
        }
        self.last = next;
        self.t = std::time::Instant::now();
    }
}

/// What an incremental rebuild may reuse from the previous resolution: per-file and per-source
/// results keyed by the content hashes (and the name set) they were computed from. Only
/// `Session` keeps one; a clean build starts empty, so both paths run the same code.
///
/// With `keep_folded` (`serve` sets it), results that depend on the set of names (the mentions
/// of each source, the unlinked-mention warnings of each body) also survive a change of names:
/// the folded texts they were computed from are kept, and when titles or aliases change only
/// the texts that contain an added, removed, re-owned or retitled name are matched again.
/// Leftmost-longest matching over a pattern set gives the same matches on a text in which no
/// pattern that came or went occurs, so the others are still right.
#[derive(Default)]
pub struct ResolveCache {
    norm: HashMap<String, (u64, Arc<citations::NormSource>)>,
    scans: HashMap<PathBuf, (u64, Arc<Scanned>)>,
    names: Option<CachedNames>,
    mentions: HashMap<String, NameDependent<Arc<SourceMentions>>>,
    unlinked: HashMap<PathBuf, NameDependent<Arc<Vec<Diagnostic>>>>,
    redirects: Option<(u64, Arc<Vec<Redirect>>)>,
    /// Keep folded texts, so that a change of names re-matches only the texts it can affect.
    pub keep_folded: bool,
    /// Compile every body to HTML (and make its plain text) in the parse that scans it, for a
    /// resolution whose pages are then rendered: one parse of each body instead of two.
    pub render_bodies: bool,
    /// Read by no later resolution: what only resolution needs is freed as soon as it is done.
    single_use: bool,
    /// Only the diagnostics are wanted (`check`): what only pages show and no diagnostic reads
    /// (mentions in sources, the mention lists, the tag lists) is not computed.
    diagnostics_only: bool,
    /// Let every body go once the last pass that reads it is done, to be read again from
    /// this wiki folder when its page is rendered (see [`Bodies::Reread`]).
    release_bodies: Option<Arc<std::path::Path>>,
    previous_names: Option<PreviousNames>,
}

impl ResolveCache {
    /// A cache for a long-lived session (`serve`): see `keep_folded`.
    pub fn keeping_folded_texts() -> ResolveCache {
        ResolveCache {
            keep_folded: true,
            render_bodies: true,
            ..ResolveCache::default()
        }
    }
}

/// A result that depends on the name set: the key of its own inputs, the name set it was
/// computed (or last confirmed) with, the value, and the folded text it was matched on.
struct NameDependent<T> {
    key: u64,
    names_key: u64,
    value: T,
    folded: Option<Arc<str>>,
}

/// The name set of the previous resolution, for computing what changed: its pages (for their
/// paths and titles) and its matcher (for its sorted patterns and their owners).
struct PreviousNames {
    key: u64,
    pages: Vec<Arc<EntityPage>>,
    matcher: Arc<mentions::Matcher>,
}

/// How the names changed since the previous resolution.
enum NameChange {
    /// Not at all, or nothing to compare with.
    Unknown,
    /// Only these folded names came, went, changed owner or belong to a retitled entity.
    Delta {
        previous_key: u64,
        names: Option<aho_corasick::AhoCorasick>,
    },
}

impl NameChange {
    /// Whether a result computed with name set `names_key` on `folded` is still right for
    /// `current`.
    fn keeps<T>(&self, r: &NameDependent<T>, current: u64) -> bool {
        if r.names_key == current {
            return true;
        }
        match self {
            NameChange::Unknown => false,
            NameChange::Delta {
                previous_key,
                names,
            } => {
                r.names_key == *previous_key
                    && match names {
                        None => true,
                        Some(ac) => r.folded.as_deref().is_some_and(|f| !ac.is_match(f)),
                    }
            }
        }
    }
}

impl NameChange {
    /// For a result computed with the previous name set on a text of `\0`-terminated parts
    /// (a source's passages), the parts in which a changed name occurs; `None` when the
    /// result cannot be patched part by part.
    fn touched_parts<T>(&self, r: &NameDependent<T>, parts: usize) -> Option<BTreeSet<usize>> {
        let NameChange::Delta {
            previous_key,
            names: Some(ac),
        } = self
        else {
            return None;
        };
        let folded = r.folded.as_deref()?;
        if r.names_key != *previous_key {
            return None;
        }
        let ends: Vec<usize> = folded.match_indices('\0').map(|(i, _)| i).collect();
        // A part that itself held a NUL would shift the count: then match everything again.
        if ends.len() != parts {
            return None;
        }
        Some(
            ac.find_overlapping_iter(folded)
                .map(|m| ends.partition_point(|&e| e < m.start()))
                .collect(),
        )
    }
}

/// The name index, the mention matcher and the index's diagnostics, for one name set.
type CachedNames = (u64, Arc<NameIndex>, Arc<mentions::Matcher>, Vec<Diagnostic>);

/// Per passage of one source: its mentions.
type SourceMentions = Vec<Vec<Mention>>;

/// What one entity's own file (with the sources it cites) determines: its body scan, its
/// verified and numbered citations, its headings, and the problems found on the way.
struct Scanned {
    items: Vec<Item>,
    citations: Arc<Vec<Citation>>,
    cite_index: Arc<BTreeMap<String, usize>>,
    headings: Arc<BTreeSet<String>>,
    diags: Vec<Diagnostic>,
    /// The prose searched for unlinked mentions (empty once they are found: `unlinked`).
    prose: markdown::Prose,
    /// When the body was streamed: the first mention of each entity the body does not link
    /// (see [`first_unlinked`]), found in the scan while the body was at hand.
    unlinked: Option<Vec<BodyMention>>,
    /// The slug of each alias, for alias redirects.
    alias_slugs: Vec<String>,
    /// The body as plain text, once asked for.
    plain: Arc<std::sync::OnceLock<markdown::PlainText>>,
    /// The body compiled to HTML, once asked for.
    body: Arc<CompiledBody>,
}

/// Resolves a corpus (for `check`: bodies are compiled to HTML only when a page asks).
pub fn resolve(corpus: Corpus) -> (Wiki, Vec<Diagnostic>) {
    resolve_once(corpus, ResolveCache::default())
}

/// Above this many bytes of entity Markdown, [`resolve_to_render`] lets each body go after
/// resolution and reads it again when its page is rendered ([`Bodies::Reread`]), instead of
/// compiling it ahead ([`Bodies::CompiledAhead`]).
pub const COMPILE_AHEAD_MAX_BYTES: usize = 256 << 20;

/// How a resolution whose pages are then all rendered holds the entities' bodies until their
/// pages are made. The pages are the same either way.
#[derive(Debug, Clone, Copy)]
pub enum Bodies<'a> {
    /// Each body is compiled to HTML in the parse that scans it, and the HTML is kept until its
    /// page: one parse instead of two (8–13% of a build's time at 10,000 entities, 52 MB of
    /// Markdown), for the HTML held through resolution.
    CompiledAhead,
    /// Each body is let go when resolution's last pass over it (the unlinked mentions) is
    /// done, and read again from this wiki folder, then compiled, when its page is rendered
    /// (its search text is made then too). At 100,000 entities the bodies are 400 MB and their
    /// HTML 520 MB: neither is held through resolution; the cost is a second read of each
    /// file, checked against the first by its hash.
    Reread(&'a std::path::Path),
}

/// Resolves a corpus loaded from `root` whose pages are then all rendered: bodies are
/// [compiled ahead](Bodies::CompiledAhead) unless together they are larger than
/// [`COMPILE_AHEAD_MAX_BYTES`], when they are [read again](Bodies::Reread).
pub fn resolve_to_render(corpus: Corpus, root: &std::path::Path) -> (Wiki, Vec<Diagnostic>) {
    let bytes: usize = corpus.entities.iter().map(|e| e.body_len()).sum();
    let bodies = match bytes <= COMPILE_AHEAD_MAX_BYTES {
        true => Bodies::CompiledAhead,
        false => Bodies::Reread(root),
    };
    resolve_to_render_with(corpus, bodies)
}

/// [`resolve_to_render`] with the bodies held as `bodies` says.
pub fn resolve_to_render_with(corpus: Corpus, bodies: Bodies) -> (Wiki, Vec<Diagnostic>) {
    let cache = match bodies {
        Bodies::CompiledAhead => ResolveCache {
            render_bodies: true,
            ..ResolveCache::default()
        },
        Bodies::Reread(root) => ResolveCache {
            release_bodies: Some(Arc::from(root)),
            ..ResolveCache::default()
        },
    };
    resolve_once(corpus, cache)
}

/// What a resolution for `check` found: the counts it reports, beside the diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Entities.
    pub entities: usize,
    /// Sources.
    pub sources: usize,
    /// Verified citations.
    pub citations: usize,
}

/// Resolves a corpus for its diagnostics alone (`check`): the same diagnostics as
/// [`resolve`], without computing what only the pages show (the mentions in sources and the
/// lists made from them, the tag lists), so no [`Wiki`] is returned.
pub fn check(corpus: Corpus) -> (Checked, Vec<Diagnostic>) {
    let cache = ResolveCache {
        diagnostics_only: true,
        ..ResolveCache::default()
    };
    let (wiki, diags) = resolve_once(corpus, cache);
    let checked = Checked::of(&wiki);
    crate::drop_in_background(wiki);
    (checked, diags)
}

impl Checked {
    /// The counts of a resolved wiki.
    pub fn of(wiki: &Wiki) -> Checked {
        Checked {
            entities: wiki.entities.len(),
            sources: wiki.sources.len(),
            citations: wiki.entities.iter().map(|e| e.citations.len()).sum(),
        }
    }
}

/// A resolution with a cache that is not kept.
fn resolve_once(corpus: Corpus, mut cache: ResolveCache) -> (Wiki, Vec<Diagnostic>) {
    cache.single_use = true;
    let resolved = resolve_with(corpus, &mut cache);
    // A one-shot resolution never reads its cache again; freeing it took 25 ms on one thread.
    crate::drop_in_background(cache);
    resolved
}

/// Resolves a corpus, reusing what `cache` holds for unchanged files and updating it.
pub fn resolve_with(corpus: Corpus, cache: &mut ResolveCache) -> (Wiki, Vec<Diagnostic>) {
    let mut profile = Profile::new("duplicate slugs");
    let mut diags = Vec::new();
    let Corpus {
        config,
        home,
        sources,
        entities,
    } = corpus;
    let folders: HashMap<&str, &str> = config
        .kinds
        .iter()
        .map(|(k, v)| (k.as_str(), v.folder.as_str()))
        .collect();
    let folder = |kind: &str| {
        folders
            .get(kind)
            .map_or_else(|| kind.to_string(), |f| f.to_string())
    };
    let entities = index::dedupe_slugs(entities, folder, &mut diags);
    profile.lap("names, scans, links and relations (beside the matcher)");
    // Everything that depends on the set of names (the index, the mention matcher, every
    // mention) is reused while no slug, title or alias changed (and no entity came or went).
    let names_key = hash_of(
        &entities
            .iter()
            .map(|e| (&e.slug, &e.title, &e.aliases, &e.file.path))
            .collect::<Vec<_>>(),
    );
    let cached = match &cache.names {
        Some((k, names, matcher, d)) if *k == names_key => {
            Some((names.clone(), matcher.clone(), d.clone()))
        }
        _ => None,
    };
    // Streaming: each body is read (again, if it was let go at load), scanned and matched
    // against the matcher at once, then let go; nothing holds every body. The matcher
    // must then come first; otherwise it is built beside everything that does not need it.
    let streaming = cache.release_bodies.is_some() || entities.iter().any(|e| !e.body_held());
    let pages: Vec<&EntityPage> = entities.iter().map(|e| &**e).collect();
    let matcher_of = || match &cached {
        Some((_, m, _)) => m.clone(),
        None => Arc::new(mentions::Matcher::new(&pages)),
    };
    let names_of = || match &cached {
        Some((n, _, d)) => (n.clone(), d.clone()),
        None => {
            let mut d = Vec::new();
            (Arc::new(NameIndex::build(&entities, &mut d)), d)
        }
    };
    let link_with = |names, stream, cache: &mut ResolveCache| {
        link(
            &entities,
            names,
            &folders,
            &sources,
            &config,
            home.as_deref(),
            stream,
            cache,
        )
    };
    let (matcher, linked) = match streaming {
        true => {
            // Beside the matcher (one thread): the name index, then the citation proofs,
            // which need no body.
            let norm = norm_sources(&sources, cache);
            let (matcher, ((names, d), verified)) = rayon::join(matcher_of, || {
                rayon::join(names_of, || verify_all(&entities, &sources, &norm))
            });
            profile.lap("names, scans, links and relations (after the matcher)");
            let stream = Some(Stream {
                matcher: &matcher,
                names_key,
                norm,
                verified,
            });
            let linked = link_with(names, stream, cache);
            (matcher, (linked, d))
        }
        false => rayon::join(matcher_of, || {
            let (names, d) = names_of();
            (link_with(names, None, cache), d)
        }),
    };
    drop(pages);
    let (
        Linked {
            names,
            titles,
            mut resolved,
            scanned,
            used_keys,
            mut back,
            diags: linked_diags,
        },
        names_diags,
    ) = linked;
    diags.extend(linked_diags);
    diags.extend(names_diags.iter().cloned());
    if cached.is_none() {
        let old = cache
            .names
            .replace((names_key, names.clone(), matcher.clone(), names_diags));
        // Freeing 30,000 names takes milliseconds: off the critical path.
        if let Some(old) = old {
            crate::drop_in_background(old);
        }
    }
    drop(cached);
    let name_change = if cache.keep_folded {
        name_change(&entities, &matcher, names_key, &mut cache.previous_names)
    } else {
        NameChange::Unknown
    };
    drop(entities);

    profile.lap("unlinked mentions, alias redirects");
    // The redirects are one thread's work: done beside the unlinked mentions, not after.
    let mut redirect_cache = cache.redirects.take();
    let (redirects, unlinked) = rayon::join(
        || alias_redirects(&resolved, &scanned, &folders, &mut redirect_cache),
        || {
            unlinked_mentions(
                &resolved,
                &scanned,
                &matcher,
                &name_change,
                names_key,
                cache,
            )
        },
    );
    cache.redirects = redirect_cache;
    if cache.single_use {
        // Nothing reads the scans (their items and prose) or the normalised sources again:
        // freed now, on a thread of their own, not with the cache after resolution.
        crate::drop_in_background((
            scanned,
            std::mem::take(&mut cache.scans),
            std::mem::take(&mut cache.norm),
        ));
    }
    diags.extend(unlinked.iter().flat_map(|d| d.iter().cloned()));
    if let Some(root) = &cache.release_bodies {
        // The unlinked mentions were the last pass to read the bodies: a build that reads
        // them again at render time lets them go now, before the mentions in sources and
        // the lists made from them are allocated. Each page is held by its entity alone
        // here (the corpus and the matcher's borrow are gone); one that is not keeps its
        // body.
        resolved.par_iter_mut().for_each(|e| {
            if let Some(page) = Arc::get_mut(&mut e.page) {
                page.release_body(root.clone());
            }
        });
    }

    profile.lap("mentions");
    let mentions = match cache.diagnostics_only {
        true => sources.iter().map(|_| Arc::default()).collect(),
        false => source_mentions(&sources, &matcher, &name_change, names_key, cache),
    };

    profile.lap("cited by, mentioned in");
    let by_title =
        |v: &mut Vec<usize>| v.sort_by(|x, y| titles[*x].cmp(&titles[*y]).then(x.cmp(y)));
    let mut rsources: Vec<ResolvedSource> = sources
        .into_par_iter()
        .zip(mentions)
        .map(|(s, m)| {
            let n = s.passages.len();
            ResolvedSource {
                source: s,
                cited_by: vec![Vec::new(); n],
                citations: vec![Vec::new(); n],
                mentions: m,
            }
        })
        .collect();
    invert(&mut rsources, |first, chunk| {
        for (id, e) in resolved.iter().enumerate() {
            for (ci, c) in e.citations.iter().enumerate() {
                let Some(s) = c.source.checked_sub(first).and_then(|i| chunk.get_mut(i)) else {
                    continue;
                };
                let p = c.passage as usize - 1;
                s.citations[p].push((id, ci));
                if !s.cited_by[p].contains(&id) {
                    s.cited_by[p].push(id);
                }
            }
        }
    });
    // Passages in order, so each entity's list comes sorted; a passage naming an entity
    // twice adds it once.
    let mut mentioned: Vec<Vec<(usize, u32)>> = vec![Vec::new(); resolved.len()];
    invert(&mut mentioned, |first, chunk| {
        for (si, s) in rsources.iter().enumerate() {
            for (pi, ms) in s.mentions.iter().enumerate() {
                for m in ms {
                    let Some(list) = m.entity().checked_sub(first).and_then(|i| chunk.get_mut(i))
                    else {
                        continue;
                    };
                    let at = (si, pi as u32 + 1);
                    if list.last() != Some(&at) {
                        list.push(at);
                    }
                }
            }
        }
    });
    resolved
        .par_iter_mut()
        .zip(back.par_iter_mut())
        .zip(mentioned.par_iter_mut())
        .for_each(|((e, back), mentioned)| {
            let mut b = std::mem::take(back);
            by_title(&mut b);
            e.backlinks = b;
            let mut cited: Vec<(usize, u32)> =
                e.citations.iter().map(|c| (c.source, c.passage)).collect();
            cited.sort_unstable();
            e.mentioned_not_cited = mentioned
                .iter()
                .filter(|p| cited.binary_search(p).is_err())
                .copied()
                .collect();
            e.mentioned_in = std::mem::take(mentioned);
        });
    rsources.par_iter_mut().for_each(|s| {
        for v in &mut s.cited_by {
            by_title(v);
        }
    });

    profile.lap("warnings");
    warnings(&resolved, &rsources, &used_keys, &mut diags);
    if cache.release_bodies.is_some() {
        // The warnings were the last pass to read the citations' declarations; the pages show
        // the verified citations, which share their quotes (at 100,000 entities, 650,000
        // declarations are 70–100 MB of the render's resident set).
        resolved.par_iter_mut().for_each(|e| {
            if let Some(page) = Arc::get_mut(&mut e.page) {
                page.release_declarations();
            }
        });
    }

    profile.lap("tags");
    let mut tags: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    if !cache.diagnostics_only {
        for (id, e) in resolved.iter().enumerate() {
            for t in &e.page.tags {
                tags.entry(t.clone()).or_default().push(id);
            }
        }
    }
    for v in tags.values_mut() {
        by_title(v);
        v.dedup();
    }

    profile.lap("end");
    let wiki = Wiki {
        config,
        home,
        sources: rsources,
        entities: resolved,
        names,
        redirects,
        tags,
    };
    (wiki, diags)
}

/// Fills `targets` on every core: they are cut into a run per thread, and `fill` is called
/// with each run and the index of its first target. Each call reads every item (citation,
/// mention) in order and keeps those aimed at its run, so each target's list fills in the
/// order one pass over the items would give. (At 100,000 entities, one pass over 650,000
/// citations and 2.3 million mentions held one core while the other idled.)
fn invert<T: Send>(targets: &mut [T], fill: impl Fn(usize, &mut [T]) + Sync) {
    let run = targets.len().div_ceil(rayon::current_num_threads()).max(1);
    targets
        .par_chunks_mut(run)
        .enumerate()
        .for_each(|(k, chunk)| fill(k * run, chunk));
}

/// The output folder of an entity's kind (the kind itself for an unknown kind).
fn kind_folder<'a>(folders: &HashMap<&'a str, &'a str>, e: &'a EntityPage) -> &'a str {
    folders.get(e.kind.as_str()).copied().unwrap_or(&e.kind)
}

/// What resolution knows once names, bodies, links and relations are resolved: everything
/// that does not need the mention matcher.
struct Linked {
    names: Arc<NameIndex>,
    /// Folded titles, the sort key of every list of entities.
    titles: Vec<String>,
    resolved: Vec<ResolvedEntity>,
    scanned: Vec<Arc<Scanned>>,
    /// Per entity: the citation keys its body, facts and relations use.
    used_keys: Vec<BTreeSet<String>>,
    /// Per entity: the entities whose body links to it, in id order.
    back: Vec<Vec<usize>>,
    diags: Vec<Diagnostic>,
}

/// Scans bodies and verifies citations, then resolves every link (bodies, home page) and
/// relation against `names`, and inverts links into backlinks. With `stream` (the mention
/// matcher and the name set's key), each body's unlinked mentions are found in its scan.
#[allow(clippy::too_many_arguments)]
fn link(
    entities: &[Arc<EntityPage>],
    names: Arc<NameIndex>,
    folders: &HashMap<&str, &str>,
    sources: &[Arc<Source>],
    config: &Config,
    home: Option<&HomePage>,
    stream: Option<Stream>,
    cache: &mut ResolveCache,
) -> Linked {
    let mut profile = Profile::new("folded titles");
    let mut diags = Vec::new();
    let titles: Vec<String> = entities
        .par_iter()
        .map(|e| crate::text::fold(&e.title))
        .collect();
    profile.lap("scan bodies and verify citations");
    let scanned = scan_entities(entities, sources, stream, &names, cache);
    let mut resolved: Vec<ResolvedEntity> = entities
        .iter()
        .zip(&scanned)
        .map(|(e, scan)| {
            diags.extend(scan.diags.iter().cloned());
            let folder = kind_folder(folders, e);
            ResolvedEntity {
                path: format!("{folder}/{}/", e.slug),
                page: e.clone(),
                citations: scan.citations.clone(),
                cite_index: scan.cite_index.clone(),
                relations: Vec::new(),
                backlinks: Vec::new(),
                mentioned_in: Vec::new(),
                mentioned_not_cited: Vec::new(),
                links_to: BTreeSet::new(),
                headings: scan.headings.clone(),
                plain: scan.plain.clone(),
                body: scan.body.clone(),
            }
        })
        .collect();

    profile.lap("body links, citation keys");
    let links: Vec<(BTreeSet<usize>, BTreeSet<String>, Vec<Diagnostic>)> = scanned
        .par_iter()
        .enumerate()
        .map(|(id, scan)| {
            let (mut d, mut used) = (Vec::new(), BTreeSet::new());
            let links = body_links(id, &scan.items, &names, &resolved, &mut d, &mut used);
            used.extend(fact_and_relation_keys(&resolved[id], &mut d));
            (links, used, d)
        })
        .collect();
    let mut used_keys = Vec::with_capacity(resolved.len());
    for (e, (l, used, d)) in resolved.iter_mut().zip(links) {
        e.links_to = l;
        used_keys.push(used);
        diags.extend(d);
    }
    if let Some(h) = home {
        home_links(h, &names, &mut diags);
    }

    profile.lap("relations and their inverses");
    let relations = relate(&resolved, &names, config, &titles, &mut diags);
    for (e, r) in resolved.iter_mut().zip(relations) {
        e.relations = r;
    }

    profile.lap("backlinks");
    // Ids arrive in increasing order and at most once each (`links_to` is a set).
    let mut back: Vec<Vec<usize>> = vec![Vec::new(); resolved.len()];
    for (id, e) in resolved.iter().enumerate() {
        for &t in &e.links_to {
            back[t].push(id);
        }
    }
    profile.lap("");
    Linked {
        names,
        titles,
        resolved,
        scanned,
        used_keys,
        back,
        diags,
    }
}

/// Alias redirects: each alias's slug in its entity's kind folder, unless a page or an earlier
/// alias there has it. Reused while no kind, slug or alias changed.
fn alias_redirects(
    resolved: &[ResolvedEntity],
    scanned: &[Arc<Scanned>],
    folders: &HashMap<&str, &str>,
    cached: &mut Option<(u64, Arc<Vec<Redirect>>)>,
) -> Arc<Vec<Redirect>> {
    let key = hash_of(
        &resolved
            .iter()
            .zip(scanned)
            .map(|(e, scan)| {
                (
                    kind_folder(folders, &e.page),
                    &e.page.slug,
                    &scan.alias_slugs,
                )
            })
            .collect::<Vec<_>>(),
    );
    if let Some((k, r)) = cached {
        if *k == key {
            return r.clone();
        }
    }
    let mut taken: std::collections::HashSet<(&str, &str)> = resolved
        .iter()
        .map(|e| (kind_folder(folders, &e.page), e.page.slug.as_str()))
        .collect();
    let mut redirects = Vec::new();
    for (id, (e, scan)) in resolved.iter().zip(scanned).enumerate() {
        let folder = kind_folder(folders, &e.page);
        for slug in &scan.alias_slugs {
            if taken.insert((folder, slug)) {
                redirects.push((folder.to_string(), slug.clone(), id));
            }
        }
    }
    redirects.sort();
    let redirects = Arc::new(redirects);
    *cached = Some((key, redirects.clone()));
    redirects
}

/// Scans every entity's body and verifies its citations, in parallel, reusing the cached
/// result of each file whose text and whose sources did not change.
///
/// With `stream` (the matcher, the name index and the name set's key), each body is read
/// through [`EntityPage::body_or_diagnostic`] (again from disk, if it was let go) and its
/// unlinked mentions are found in the same pass ([`Scanned::unlinked`]), so no body is needed
/// after its scan.
fn scan_entities(
    entities: &[Arc<EntityPage>],
    sources: &[Arc<Source>],
    stream: Option<Stream>,
    names: &NameIndex,
    cache: &mut ResolveCache,
) -> Vec<Arc<Scanned>> {
    let sources_key = hash_of(&sources.iter().map(|s| s.file.hash).collect::<Vec<_>>());
    let (matcher, names_key, norm, verified) = match stream {
        Some(s) => (Some(s.matcher), Some(s.names_key), s.norm, s.verified),
        None => (None, None, norm_sources(sources, cache), Vec::new()),
    };
    let norm_refs: Vec<&citations::NormSource> = norm.iter().map(|n| &**n).collect();
    let scans = &cache.scans;
    let render_bodies = cache.render_bodies;
    let mut verified: Vec<Option<Verified>> = verified.into_iter().map(Some).collect();
    verified.resize_with(entities.len(), || None);
    let scanned: Vec<(u64, Arc<Scanned>)> = entities
        .par_iter()
        .zip(verified.into_par_iter())
        .map(|(e, verified)| {
            // A streamed scan's unlinked mentions depend on the name set too.
            let key = hash_of(&(e.file.hash, sources_key, names_key));
            if let Some((k, s)) = scans.get(&e.file.path) {
                if *k == key {
                    return (key, s.clone());
                }
            }
            let (cites, mut diags) =
                verified.unwrap_or_else(|| verify_cites(e, sources, &norm_refs));
            let text = match matcher {
                Some(_) => e.body_or_diagnostic().unwrap_or_else(|d| {
                    diags.push(d);
                    std::borrow::Cow::Borrowed("")
                }),
                None => std::borrow::Cow::Borrowed(e.body()),
            };
            let markdown::Scan {
                items,
                prose,
                rendered,
            } = markdown::scan_body(&text, render_bodies);
            let (body, plain) = kept(rendered);
            let (prose, unlinked) = match matcher {
                Some(matcher) => {
                    let hits = body_mentions(&text, &prose, matcher, None);
                    // The links are looked up (again, in `body_links`) only for a body that
                    // names some entity outside its links.
                    let linked: BTreeSet<usize> = match hits.is_empty() {
                        true => BTreeSet::new(),
                        false => items
                            .iter()
                            .filter_map(|it| link_target(it, names))
                            .collect(),
                    };
                    let unlinked = first_unlinked(hits, |t| linked.contains(&t));
                    (markdown::Prose::default(), Some(unlinked))
                }
                None => (prose, None),
            };
            drop(text);
            let (citations, cite_index) = number_citations(e, &items, cites);
            let scan = Scanned {
                headings: Arc::new(headings_of(&items)),
                items,
                citations: Arc::new(citations),
                cite_index: Arc::new(cite_index),
                diags,
                prose,
                unlinked,
                alias_slugs: e.aliases.iter().map(|(a, _)| slugify(a)).collect(),
                plain,
                body,
            };
            (key, Arc::new(scan))
        })
        .collect();
    cache.scans = entities
        .iter()
        .zip(&scanned)
        .map(|(e, (key, s))| (e.file.path.clone(), (*key, s.clone())))
        .collect();
    scanned.into_iter().map(|(_, s)| s).collect()
}

/// What a streamed resolution hands its scan: the mention matcher, the key of the name set
/// it was built from, the normalised sources, and every entity's citations, verified with them
/// beside the matcher's building.
struct Stream<'a> {
    matcher: &'a mentions::Matcher,
    names_key: u64,
    norm: Vec<Arc<citations::NormSource>>,
    verified: Vec<Verified>,
}

/// An entity's verified citations (in declaration order) and the problems found.
type Verified = (Vec<Citation>, Vec<Diagnostic>);

/// The sources normalised for citation proofs (filled as proofs need them), reusing the
/// cache's for each source whose text did not change.
fn norm_sources(
    sources: &[Arc<Source>],
    cache: &mut ResolveCache,
) -> Vec<Arc<citations::NormSource>> {
    let norm: Vec<Arc<citations::NormSource>> = sources
        .par_iter()
        .map(|s| match cache.norm.get(&s.id) {
            Some((h, n)) if *h == s.file.hash => n.clone(),
            _ => Arc::new(citations::NormSource::new()),
        })
        .collect();
    cache.norm = sources
        .iter()
        .zip(&norm)
        .map(|(s, n)| (s.id.clone(), (s.file.hash, n.clone())))
        .collect();
    norm
}

/// Verifies entity `e`'s declared citations.
fn verify_cites(
    e: &EntityPage,
    sources: &[Arc<Source>],
    norm: &[&citations::NormSource],
) -> Verified {
    let (mut cites, mut diags) = (Vec::new(), Vec::new());
    for c in &e.cites {
        match citations::verify(e, c, sources, norm) {
            Ok(c) => cites.push(c),
            Err(x) => diags.push(x),
        }
    }
    (cites, diags)
}

/// Verifies every entity's citations, in parallel.
fn verify_all(
    entities: &[Arc<EntityPage>],
    sources: &[Arc<Source>],
    norm: &[Arc<citations::NormSource>],
) -> Vec<Verified> {
    let norm: Vec<&citations::NormSource> = norm.iter().map(|n| &**n).collect();
    entities
        .par_iter()
        .map(|e| verify_cites(e, sources, &norm))
        .collect()
}

/// The home page's links must resolve too (it has no citations).
fn home_links(h: &HomePage, names: &NameIndex, diags: &mut Vec<Diagnostic>) {
    for it in markdown::scan(h.body()) {
        let at = h.body_offset;
        match it {
            Item::WikiLink { target, start, .. } => match names.lookup(&target) {
                Lookup::Found(_) => {}
                Lookup::Ambiguous(_) => diags.push(
                    h.file
                        .error(
                            "ambiguous-link",
                            at + start,
                            format!("`{target}` names more than one entity"),
                        )
                        .hint("link by slug instead"),
                ),
                Lookup::Missing(_) => diags.push(
                    h.file
                        .error(
                            "broken-link",
                            at + start,
                            format!("`{target}` resolves to no entity"),
                        )
                        .hint("link to an existing title, alias or slug"),
                ),
            },
            Item::MdLink { stem, start, .. } if !names.by_slug.contains_key(&slugify(&stem)) => {
                diags.push(h.file.error(
                    "broken-link",
                    at + start,
                    format!("link to `{stem}.md`, but no page has that file name"),
                ))
            }
            Item::RawHtml { start } => diags.push(
                h.file
                    .error("raw-html", at + start, "raw HTML is not allowed in pages")
                    .hint("use Markdown; raw HTML is published as plain text"),
            ),
            Item::UnsafeUrl { url, start } => diags.push(h.file.error(
                "unsafe-url",
                at + start,
                format!("link URL `{url}` uses a scheme that is not allowed"),
            )),
            Item::Cite { key, start } => diags.push(h.file.error(
                "dangling-citation",
                at + start,
                format!("`[^{key}]`: the home page has no citations"),
            )),
            _ => {}
        }
    }
}

/// The citation keys entity `e`'s facts and relations use that its front matter declares; a
/// diagnostic for each one it does not.
fn fact_and_relation_keys(e: &ResolvedEntity, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    let declared: BTreeSet<&str> = e.page.cites.iter().map(|c| c.key.as_str()).collect();
    let keys = e
        .page
        .facts
        .iter()
        .filter_map(|f| f.cite.as_ref().map(|c| (c, f.offset)))
        .chain(
            e.page
                .relations
                .iter()
                .filter_map(|r| r.cite.as_ref().map(|c| (c, r.offset))),
        );
    let mut used = Vec::new();
    for (key, off) in keys {
        if declared.contains(key.as_str()) {
            used.push(key.clone());
        } else {
            let hint = crate::text::did_you_mean(key, declared.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("add `[cites.{key}]` to the front matter"));
            diags.push(
                e.page
                    .file
                    .error(
                        "dangling-citation",
                        off,
                        format!("`cite = \"{key}\"` refers to no citation in the front matter"),
                    )
                    .hint(hint),
            );
        }
    }
    used
}

/// Every entity's relations: the ones it declares and the inverses of the ones declared about
/// it, one per (type, other entity), declared before generated, sorted by label and title.
/// Targets are looked up in parallel.
fn relate(
    resolved: &[ResolvedEntity],
    names: &NameIndex,
    config: &Config,
    titles: &[String],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Vec<Relation>> {
    let declared: Vec<(Vec<Relation>, Vec<Diagnostic>)> = resolved
        .par_iter()
        .enumerate()
        .map(|(id, e)| {
            let (mut out, mut d) = (Vec::new(), Vec::new());
            for r in &e.page.relations {
                if !config.relations.contains_key(&r.rtype) {
                    continue;
                }
                let other = match names.lookup(&r.to) {
                    Lookup::Found(t) => t,
                    Lookup::Ambiguous(c) => {
                        d.push(ambiguous(e, r.offset, &r.to, &c, resolved));
                        continue;
                    }
                    Lookup::Missing(near) => {
                        let mut x = broken(e, r.offset, &r.to, near, names, resolved);
                        x.code = "broken-relation";
                        d.push(x);
                        continue;
                    }
                };
                if other == id {
                    d.push(
                        e.page
                            .file
                            .error(
                                "self-relation",
                                r.offset,
                                format!("`{}` relates the page to itself", r.rtype),
                            )
                            .hint("a relation needs another entity"),
                    );
                    continue;
                }
                let cite = r
                    .cite
                    .as_ref()
                    .and_then(|k| e.cite_index.get(k))
                    .map(|&i| (id, i));
                out.push(Relation {
                    rtype: r.rtype.clone(),
                    other,
                    since: r.since,
                    until: r.until,
                    role: r.role.clone(),
                    cite,
                    declared: true,
                });
            }
            (out, d)
        })
        .collect();
    let mut rels: Vec<Vec<Relation>> = vec![Vec::new(); resolved.len()];
    for (id, (list, d)) in declared.into_iter().enumerate() {
        diags.extend(d);
        for rel in list {
            let inv = Relation {
                rtype: config.relations[&rel.rtype].inverse.clone(),
                other: id,
                declared: false,
                ..rel.clone()
            };
            let other = rel.other;
            rels[id].push(rel);
            rels[other].push(inv);
        }
    }
    fn label<'a>(config: &'a Config, r: &'a Relation) -> &'a str {
        config
            .relations
            .get(&r.rtype)
            .map_or(r.rtype.as_str(), |t| t.label.as_str())
    }
    rels.par_iter_mut().for_each(|list| {
        // Declared before generated, so a relation written on both pages keeps the declared
        // side's details; then one entry per (type, other).
        list.sort_by(|a, b| (b.declared, &a.rtype, a.other).cmp(&(a.declared, &b.rtype, b.other)));
        let mut seen = std::collections::HashSet::new();
        let keep: Vec<bool> = list
            .iter()
            .map(|r| seen.insert((r.rtype.as_str(), r.other)))
            .collect();
        let mut keep = keep.into_iter();
        list.retain(|_| keep.next().unwrap_or(false));
        list.sort_by(|a, b| {
            (label(config, a), &titles[a.other]).cmp(&(label(config, b), &titles[b.other]))
        });
    });
    rels
}

/// The mentions in every source's passages, in parallel; a source whose text did not change
/// keeps its mentions while the names it can contain did not change either.
fn source_mentions(
    sources: &[Arc<Source>],
    matcher: &mentions::Matcher,
    name_change: &NameChange,
    names_key: u64,
    cache: &mut ResolveCache,
) -> Vec<Arc<SourceMentions>> {
    let keep_folded = cache.keep_folded;
    let previous = &cache.mentions;
    let results: Vec<NameDependent<Arc<SourceMentions>>> = sources
        .par_iter()
        .map(|s| {
            if let Some(r) = previous.get(&s.id) {
                if r.key == s.file.hash && name_change.keeps(r, names_key) {
                    return NameDependent {
                        key: r.key,
                        names_key,
                        value: r.value.clone(),
                        folded: r.folded.clone(),
                    };
                }
                // Only some passages contain a changed name: match those again.
                if let Some(parts) = (r.key == s.file.hash)
                    .then(|| name_change.touched_parts(r, s.passages.len()))
                    .flatten()
                {
                    let mut value = (*r.value).clone();
                    for i in parts {
                        if let (Some(v), Some(p)) = (value.get_mut(i), s.passages.get(i)) {
                            *v = matcher.find_in(&p.text);
                        }
                    }
                    return NameDependent {
                        key: r.key,
                        names_key,
                        value: Arc::new(value),
                        folded: r.folded.clone(),
                    };
                }
            }
            let mut folded = keep_folded.then(String::new);
            let value: SourceMentions = s
                .passages
                .iter()
                .map(|p| matcher.find_in_recording(&p.text, folded.as_mut()))
                .collect();
            NameDependent {
                key: s.file.hash,
                names_key,
                value: Arc::new(value),
                folded: folded.map(Arc::from),
            }
        })
        .collect();
    let mentions = results.iter().map(|r| r.value.clone()).collect();
    cache.mentions = sources.iter().map(|s| s.id.clone()).zip(results).collect();
    mentions
}

/// A mention of an entity in a body: (byte offset in the body, entity, the text named).
type BodyMention = (usize, usize, String);

/// Every mention in a body's prose (see [`markdown::Prose`]), in order of position. Each prose
/// range (a run of plain text between links, markup and line breaks) is matched on its own: a
/// mention never spans two, and a run is mostly text that folding leaves as it is, which the
/// matcher searches without a folded copy (the whole body, with its line breaks and markup,
/// always needed one). Decoded runs (rare) likewise, at their run's offset.
fn body_mentions<'a>(
    body: &'a str,
    prose: &'a markdown::Prose,
    matcher: &mentions::Matcher,
    mut folded: Option<&mut String>,
) -> Vec<(usize, usize, &'a str)> {
    let mut found: Vec<(usize, usize, &str)> = Vec::new();
    for r in &prose.exact {
        let Some(run) = body.get(r.clone()) else {
            continue;
        };
        found.extend(
            matcher
                .find_in_recording(run, folded.as_deref_mut())
                .into_iter()
                .map(|m| (r.start + m.start(), m.entity(), &run[m.start()..m.end()])),
        );
    }
    for (off, run) in &prose.decoded {
        found.extend(
            matcher
                .find_in_recording(run, folded.as_deref_mut())
                .into_iter()
                .map(|m| (*off, m.entity(), &run[m.start()..m.end()])),
        );
    }
    found.sort_by_key(|f| f.0);
    found
}

/// Of a body's mentions in order, the first of each entity that `linked` does not hold: the
/// ones an `unlinked-mention` warning may name (the body's own entity is left to the caller).
fn first_unlinked(
    hits: Vec<(usize, usize, &str)>,
    linked: impl Fn(usize) -> bool,
) -> Vec<BodyMention> {
    let mut seen = BTreeSet::new();
    hits.into_iter()
        .filter(|&(_, t, _)| !linked(t) && seen.insert(t))
        .map(|(pos, t, name)| (pos, t, name.to_string()))
        .collect()
}

/// The entity a body link (a wikilink or a link to a page's `.md` file) points to, if it
/// resolves to exactly one.
fn link_target(it: &Item, names: &NameIndex) -> Option<usize> {
    match it {
        Item::WikiLink { target, .. } => match names.lookup(target) {
            Lookup::Found(t) => Some(t),
            _ => None,
        },
        Item::MdLink { stem, .. } => names.by_slug.get(&slugify(stem)).copied(),
        _ => None,
    }
}

/// Entity bodies that name another entity without linking it: a warning with the link to
/// add, per entity, in parallel, reusing what the cache holds as [`source_mentions`] does.
fn unlinked_mentions(
    resolved: &[ResolvedEntity],
    scanned: &[Arc<Scanned>],
    matcher: &mentions::Matcher,
    name_change: &NameChange,
    names_key: u64,
    cache: &mut ResolveCache,
) -> Vec<Arc<Vec<Diagnostic>>> {
    let keep_folded = cache.keep_folded;
    let previous = &cache.unlinked;
    let unlinked_key = |e: &ResolvedEntity| hash_of(&(e.page.file.hash, &e.links_to));
    let results: Vec<NameDependent<Arc<Vec<Diagnostic>>>> = resolved
        .par_iter()
        .enumerate()
        .map(|(id, e)| {
            let key = unlinked_key(e);
            if let Some(r) = previous.get(&e.page.file.path) {
                if r.key == key && name_change.keeps(r, names_key) {
                    return NameDependent {
                        key,
                        names_key,
                        value: r.value.clone(),
                        folded: r.folded.clone(),
                    };
                }
            }
            let mut folded = keep_folded.then(String::new);
            let first = match &scanned[id].unlinked {
                Some(found) => found.clone(),
                None => {
                    let hits =
                        body_mentions(e.page.body(), &scanned[id].prose, matcher, folded.as_mut());
                    first_unlinked(hits, |t| e.links_to.contains(&t))
                }
            };
            let mut d = Vec::new();
            for (pos, t, name) in first {
                if t == id || e.links_to.contains(&t) {
                    continue;
                }
                let at = e.page.body_offset + pos;
                let target = &resolved[t].page;
                // A name wrapped onto the next line reads (and is linked) with one space.
                let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                let link = if crate::text::fold(&name) == crate::text::fold(&target.title) {
                    format!("[[{name}]]")
                } else {
                    format!("[[{}|{name}]]", target.slug)
                };
                d.push(
                    e.page
                        .file
                        .warning(
                            "unlinked-mention",
                            at,
                            format!("`{name}` names `{}` but is not linked", target.title),
                        )
                        .hint(format!("link the first mention: {link}")),
                );
            }
            NameDependent {
                key,
                names_key,
                value: Arc::new(d),
                folded: folded.map(Arc::from),
            }
        })
        .collect();
    let unlinked = results.iter().map(|r| r.value.clone()).collect();
    cache.unlinked = resolved
        .iter()
        .map(|e| e.page.file.path.clone())
        .zip(results)
        .collect();
    unlinked
}

/// Uncited entities, unused citations, orphans and uncited sources.
fn warnings(
    resolved: &[ResolvedEntity],
    sources: &[ResolvedSource],
    used_keys: &[BTreeSet<String>],
    diags: &mut Vec<Diagnostic>,
) {
    for (id, e) in resolved.iter().enumerate() {
        let title_at = || e.page.locate(&["title"]);
        if e.page.cites.is_empty() {
            diags.push(e.page.file.warning("no-citation", title_at(), format!("`{}` cites no source", e.page.title)).hint("add a `[cites.<key>]` with a quote and cite it from the body with `[^key]`"));
        }
        for c in &e.page.cites {
            if !used_keys[id].contains(&c.key) {
                diags.push(e.page.file.warning("unused-citation", c.offset, format!("citation `{}` is never used", c.key)).hint(format!("reference it with `[^{}]` in the body or `cite = \"{}\"` on a fact or relation, or remove it", c.key, c.key)));
            }
        }
        if e.backlinks.is_empty() && e.relations.is_empty() {
            diags.push(
                e.page
                    .file
                    .warning(
                        "orphan-entity",
                        title_at(),
                        format!("nothing links to `{}`", e.page.title),
                    )
                    .hint(format!(
                        "link it from a related page with `[[{}]]`, or add a relation",
                        e.page.title
                    )),
            );
        }
    }
    for s in sources {
        if s.cited_by.iter().all(Vec::is_empty) {
            diags.push(
                s.source
                    .file
                    .warning(
                        "uncited-source",
                        0,
                        format!("source `{}` is never cited", s.source.id),
                    )
                    .hint("cite one of its passages from an entity page, or remove the source"),
            );
        }
    }
}

fn section_hint(t: &ResolvedEntity) -> String {
    if t.headings.is_empty() {
        format!(
            "`{}` has no sections; link to the page without `#…`",
            t.page.title
        )
    } else {
        format!(
            "sections: {}",
            t.headings.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

fn ambiguous(
    e: &ResolvedEntity,
    at: usize,
    target: &str,
    cands: &[usize],
    all: &[ResolvedEntity],
) -> Diagnostic {
    let list: Vec<String> = cands
        .iter()
        .map(|&c| format!("`{}` ({})", all[c].page.title, all[c].page.slug))
        .collect();
    e.page
        .file
        .error(
            "ambiguous-link",
            at,
            format!("`{target}` names more than one entity: {}", list.join(", ")),
        )
        .hint("link by slug instead, e.g. `[[slug|shown text]]`")
}

fn broken(
    e: &ResolvedEntity,
    at: usize,
    target: &str,
    near: Option<String>,
    names: &NameIndex,
    all: &[ResolvedEntity],
) -> Diagnostic {
    let hint = near
        .and_then(|n| {
            names.by_name.get(&n).and_then(|v| v.first()).map(|&id| {
                format!(
                    "did you mean `{}` ({})?",
                    all[id].page.title, all[id].page.slug
                )
            })
        })
        .unwrap_or_else(|| "create the page, or link to an existing title, alias or slug".into());
    e.page
        .file
        .error(
            "broken-link",
            at,
            format!("`{target}` resolves to no entity"),
        )
        .hint(hint)
}

/// The links of entity `id`'s body (`items`, from its scan), with a diagnostic for each broken
/// or ambiguous link or anchor and for each problem the scan found; the citation keys the body
/// uses are added to `used_keys`. `resolved[id]` must hold the entity's current headings.
fn body_links(
    id: usize,
    items: &[Item],
    names: &NameIndex,
    resolved: &[ResolvedEntity],
    diags: &mut Vec<Diagnostic>,
    used_keys: &mut BTreeSet<String>,
) -> BTreeSet<usize> {
    let e = &resolved[id];
    let at = |start: usize| e.page.body_offset + start;
    let declared: BTreeSet<&str> = e.page.cites.iter().map(|c| c.key.as_str()).collect();
    let mut links = BTreeSet::new();
    for it in items {
        match it {
            Item::WikiLink { target, section, start } => match names.lookup(target) {
                Lookup::Found(t) => {
                    links.insert(t);
                    if let Some(s) = section {
                        if !resolved[t].headings.contains(&slugify(s)) {
                            diags.push(e.page.file.error("broken-anchor", at(*start), format!("`{}` has no section `{s}`", resolved[t].page.title)).hint(section_hint(&resolved[t])));
                        }
                    }
                }
                Lookup::Ambiguous(c) => diags.push(ambiguous(e, at(*start), target, &c, resolved)),
                Lookup::Missing(near) => diags.push(broken(e, at(*start), target, near, names, resolved)),
            },
            Item::MdLink { stem, section, start } => match names.by_slug.get(&slugify(stem)) {
                Some(&t) => {
                    links.insert(t);
                    if let Some(s) = section {
                        if !resolved[t].headings.contains(&slugify(s)) {
                            diags.push(e.page.file.error("broken-anchor", at(*start), format!("`{}` has no section `{s}`", resolved[t].page.title)).hint(section_hint(&resolved[t])));
                        }
                    }
                }
                None => diags.push(e.page.file.error("broken-link", at(*start), format!("link to `{stem}.md`, but no page has that file name")).hint("link to an existing page's file, or use a wikilink `[[Title]]`")),
            },
            Item::Cite { key, start } => {
                if declared.contains(key.as_str()) {
                    used_keys.insert(key.clone());
                } else {
                    let hint = crate::text::did_you_mean(key, declared.iter().copied())
                        .map(|s| format!("did you mean `[^{s}]`?"))
                        .unwrap_or_else(|| format!("add `[cites.{key}]` with `source` and `quote` to the front matter"));
                    diags.push(e.page.file.error("dangling-citation", at(*start), format!("`[^{key}]` refers to no citation in the front matter")).hint(hint));
                }
            }
            Item::FootnoteDef { start } => diags.push(e.page.file.error("footnote-definition", at(*start), "footnote definitions are not allowed in the body").hint("declare citations under `[cites.<key>]` in the front matter; the body only references them with `[^key]`")),
            Item::RawHtml { start } => diags.push(e.page.file.error("raw-html", at(*start), "raw HTML is not allowed in pages").hint("use Markdown; raw HTML is published as plain text")),
            Item::UnsafeUrl { url, start } => diags.push(e.page.file.error("unsafe-url", at(*start), format!("link URL `{}` uses a scheme that is not allowed", url.chars().take(60).collect::<String>())).hint("links may be relative, or use http, https or mailto")),
            Item::Heading { .. } => {}
        }
    }
    links.remove(&id);
    links
}

/// Heading ids of a scanned body.
fn headings_of(items: &[Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Heading { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// Numbers an entity's verified citations in order of first use: the body, then facts, then
/// relations, then the rest in declaration order. Returns them with the key → index map.
fn number_citations(
    e: &EntityPage,
    items: &[Item],
    cites: Vec<Citation>,
) -> (Vec<Citation>, BTreeMap<String, usize>) {
    fn push<'a>(k: &'a str, order: &mut Vec<&'a str>) {
        if !order.contains(&k) {
            order.push(k);
        }
    }
    let mut order: Vec<&str> = Vec::new();
    for it in items {
        if let Item::Cite { key, .. } = it {
            push(key, &mut order);
        }
    }
    for f in &e.facts {
        if let Some(c) = &f.cite {
            push(c, &mut order);
        }
    }
    for r in &e.relations {
        if let Some(c) = &r.cite {
            push(c, &mut order);
        }
    }
    for c in &e.cites {
        push(&c.key, &mut order);
    }
    let mut by_key: BTreeMap<String, Citation> =
        cites.into_iter().map(|c| (c.key.clone(), c)).collect();
    // Sized first: collected from a filter, the list would grow by doubling (79 MB at the
    // peak of a 100,000-entity build instead of 52).
    let mut citations: Vec<Citation> = Vec::with_capacity(by_key.len());
    citations.extend(order.iter().filter_map(|k| by_key.remove(*k)));
    let cite_index = citations
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key.clone(), i))
        .collect();
    (citations, cite_index)
}

/// `serve`'s preview of a body edit: re-resolves entity `id` of `wiki` with `page`, whose
/// front matter is byte-identical to the one `wiki` was resolved from (so the entity's names,
/// citations, relations, and everything other pages contribute to it — backlinks, inverse
/// relations, mentions — are unchanged; only its body, and so its citation numbering, links
/// and headings, differ). On success the new entity replaces `wiki.entities[id]` and the old
/// one is returned; when the body has an error `wiki` is left as it was and `None` comes back
/// (the full rebuild reports it).
///
/// The page this gives renders exactly as after a full resolution; other pages may not (the
/// backlinks of the pages this body links to are not updated), so this is for rendering page
/// `id` only, ahead of the full rebuild. `tests/testsuite/serve.rs` checks the two agree.
pub fn replace_body(wiki: &mut Wiki, id: usize, page: Arc<EntityPage>) -> Option<ResolvedEntity> {
    // Compiled to HTML in the same parse: the page is rendered next.
    let markdown::Scan {
        items, rendered, ..
    } = markdown::scan_body(page.body(), true);
    let (body, plain) = kept(rendered);
    let prev = &wiki.entities[id];
    let (citations, cite_index) = number_citations(&page, &items, prev.citations.to_vec());
    // Relations citing one of this entity's citations point at it by number: renumber.
    let relations = prev
        .relations
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some((holder, ci)) = r.cite {
                if holder == id {
                    r.cite = cite_index
                        .get(&prev.citations[ci].key)
                        .map(|&n| (holder, n));
                }
            }
            r
        })
        .collect();
    let new = ResolvedEntity {
        page,
        path: prev.path.clone(),
        citations: Arc::new(citations),
        cite_index: Arc::new(cite_index),
        relations,
        backlinks: prev.backlinks.clone(),
        mentioned_in: prev.mentioned_in.clone(),
        mentioned_not_cited: prev.mentioned_not_cited.clone(),
        links_to: BTreeSet::new(),
        headings: Arc::new(headings_of(&items)),
        plain,
        body,
    };
    let old = std::mem::replace(&mut wiki.entities[id], new);
    let mut diags = Vec::new();
    let links = body_links(
        id,
        &items,
        &wiki.names,
        &wiki.entities,
        &mut diags,
        &mut BTreeSet::new(),
    );
    if diags
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Error)
    {
        wiki.entities[id] = old;
        return None;
    }
    wiki.entities[id].links_to = links;
    Some(old)
}

/// How the name set changed since the previous resolution (see [`ResolveCache`]), and records
/// the current one for the next.
fn name_change(
    entities: &[Arc<EntityPage>],
    matcher: &Arc<mentions::Matcher>,
    names_key: u64,
    previous: &mut Option<PreviousNames>,
) -> NameChange {
    let current = PreviousNames {
        key: names_key,
        pages: entities.to_vec(),
        matcher: matcher.clone(),
    };
    let Some(p) = previous.replace(current) else {
        return NameChange::Unknown;
    };
    if p.key == names_key {
        return NameChange::Unknown;
    }
    let change = name_delta(&p, entities, matcher);
    // The previous pages and matcher are freed off the critical path.
    crate::drop_in_background(p);
    change
}

/// The folded names that came, went, changed owner or belong to a retitled entity between
/// `p` and the current name set.
fn name_delta(
    p: &PreviousNames,
    entities: &[Arc<EntityPage>],
    matcher: &mentions::Matcher,
) -> NameChange {
    // Entity ids (positions in path order) are stable only while the same files exist.
    let same_files = p.pages.len() == entities.len()
        && p.pages
            .iter()
            .zip(entities)
            .all(|(a, b)| Arc::ptr_eq(a, b) || a.file.path == b.file.path);
    if !same_files {
        return NameChange::Unknown;
    }
    let retitled = |id: usize| {
        !Arc::ptr_eq(&p.pages[id], &entities[id]) && p.pages[id].title != entities[id].title
    };
    // Both pattern lists are sorted: walk them side by side.
    let (mut old, mut new) = (
        p.matcher.patterns().peekable(),
        matcher.patterns().peekable(),
    );
    let mut delta: Vec<&str> = Vec::new();
    loop {
        match (old.peek().copied(), new.peek().copied()) {
            (None, None) => break,
            (Some((a, ao)), Some((b, bo))) if a == b => {
                if ao != bo || retitled(ao) || retitled(bo) {
                    delta.push(a);
                }
                old.next();
                new.next();
            }
            (Some((a, _)), Some((b, _))) if a < b => {
                delta.push(a);
                old.next();
            }
            (Some((a, _)), None) => {
                delta.push(a);
                old.next();
            }
            (_, Some((b, _))) => {
                delta.push(b);
                new.next();
            }
        }
    }
    if delta.is_empty() {
        return NameChange::Delta {
            previous_key: p.key,
            names: None,
        };
    }
    match aho_corasick::AhoCorasick::new(delta) {
        Ok(ac) => NameChange::Delta {
            previous_key: p.key,
            names: Some(ac),
        },
        Err(_) => NameChange::Unknown,
    }
}
