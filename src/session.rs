//! An incremental build session: the pipeline of `lib::build`, kept warm between rebuilds.
//!
//! `serve` and `build --watch` own one `Session`. It keeps every loaded file (shared `Arc`s,
//! re-read only when the watcher names it, or when the walk finds it new), the templates, the
//! theme and, per output path, the page fingerprint and bytes of the last good build. A rebuild
//! re-resolves the whole wiki (resolution is cheap and global: one renamed title can break links
//! anywhere) and re-renders only pages whose fingerprint changed. The result is the same as a
//! clean build of the same files; `tests/testsuite/serve.rs` checks that byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use tera::Tera;

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::{self, Loaded};
use crate::render::{self, OutputFile};

/// What changed since the last rebuild, already classified by the watcher.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// `wiki.toml` changed: reload everything.
    pub config: bool,
    /// A template changed: reload templates, re-render everything.
    pub templates: bool,
    /// A theme file changed: reload the theme.
    pub theme: bool,
    /// Content files (relative to the root) created, modified or removed.
    pub content: BTreeSet<PathBuf>,
    /// The watcher lost events: re-read every content file.
    pub rescan: bool,
}

impl Changes {
    /// Everything: the first build, or after a rescan.
    pub fn everything() -> Changes {
        Changes {
            config: true,
            templates: true,
            theme: true,
            content: BTreeSet::new(),
            rescan: true,
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.config && !self.templates && !self.theme && !self.rescan && self.content.is_empty()
    }

    /// Merges another batch into this one.
    pub fn merge(&mut self, other: Changes) {
        self.config |= other.config;
        self.templates |= other.templates;
        self.theme |= other.theme;
        self.rescan |= other.rescan;
        self.content.extend(other.content);
    }
}

/// The served site: every output file by path.
pub type SiteFiles = BTreeMap<String, Arc<Vec<u8>>>;

/// What one rebuild produced.
#[derive(Debug)]
pub struct Outcome {
    /// Every diagnostic (sorted).
    pub diagnostics: Diagnostics,
    /// The new site, or `None` when errors kept the previous one.
    pub site: Option<Arc<SiteFiles>>,
    /// Output paths added, changed or removed (empty when the build failed).
    pub changed: Vec<String>,
    /// Pages rendered this time.
    pub rendered: usize,
}

/// A warm pipeline.
pub struct Session {
    root: PathBuf,
    base_url: Option<String>,
    config: Option<(Config, Vec<Diagnostic>)>,
    files: BTreeMap<PathBuf, (Loaded, Vec<Diagnostic>)>,
    tera: Option<Tera>,
    theme: Option<Vec<OutputFile>>,
    cache: crate::resolve::ResolveCache,
    fingerprints: BTreeMap<String, u64>,
    site: Arc<SiteFiles>,
    /// Paths and fingerprint of the data files in `site`.
    data: (Vec<String>, u64),
    /// The last good resolved wiki (for previews and the data files).
    last: Option<crate::resolve::Wiki>,
    /// Fingerprint of the data files `last` needs, when they are not written yet.
    pending: Option<u64>,
    /// The render index of the last rebuild, by [`render::Index::key`].
    index: Option<(u64, Arc<render::Index>)>,
    /// Whether the last rebuild succeeded, so that `last` is the wiki of the current files.
    clean: bool,
    /// Pages put into the site ahead of a rebuild's end (by a preview, or early in the
    /// rebuild), with their previous bytes, so a failed rebuild can take them back.
    previewed: Vec<(String, Option<Arc<Vec<u8>>>)>,
    /// The file a preview read, which the rebuild that follows uses instead of reading it
    /// again: the reload went out with this content, and a save arriving in between (caught
    /// half-written, perhaps) gets its own batch.
    preloaded: Option<(PathBuf, (Loaded, Vec<Diagnostic>))>,
    /// The last walk of `content/`: paths and diagnostics.
    walk: Option<(Vec<PathBuf>, Vec<Diagnostic>)>,
}

fn is_data(path: &str) -> bool {
    path == "wiki.json"
        || path.starts_with("search/") && path.ends_with(".json")
        || matches!(path, "sitemap.xml" | "robots.txt" | "feed.xml")
}

impl Session {
    /// A session for the wiki at `root`; `base_url` overrides the configured one.
    pub fn new(root: &Path, base_url: Option<String>) -> Session {
        Session {
            root: root.to_path_buf(),
            base_url,
            config: None,
            files: BTreeMap::new(),
            tera: None,
            theme: None,
            cache: crate::resolve::ResolveCache::keeping_folded_texts(),
            fingerprints: BTreeMap::new(),
            site: Arc::new(SiteFiles::new()),
            data: (Vec::new(), 0),
            last: None,
            pending: None,
            index: None,
            clean: false,
            previewed: Vec::new(),
            preloaded: None,
            walk: None,
        }
    }

    /// The last good site.
    pub fn site(&self) -> Arc<SiteFiles> {
        self.site.clone()
    }

    /// Applies `changes` and rebuilds the pages. `Err` only for operational failures (a
    /// template that does not parse, an unreadable folder); content problems come back as
    /// diagnostics. The data files may be stale until [`Session::finish_data`] runs.
    pub fn rebuild(&mut self, changes: &Changes) -> Result<Outcome> {
        self.rebuild_early(changes, &mut |_, _| {})
    }

    /// [`Session::rebuild`], calling `early` with the output paths of the changed entity
    /// pages and the site holding them as soon as those are rendered (after resolution, before
    /// every other page), so `serve` can reload the page being edited first. Not called when
    /// the rebuild finds errors.
    pub fn rebuild_early(
        &mut self,
        changes: &Changes,
        early: &mut dyn FnMut(&[String], Arc<SiteFiles>),
    ) -> Result<Outcome> {
        self.clean = false;
        let outcome = self.rebuild_inner(changes, early);
        let ahead = std::mem::take(&mut self.previewed);
        if !matches!(&outcome, Ok(o) if o.site.is_some()) {
            // The build failed: the last good site stays, without the pages put in ahead.
            let site = Arc::make_mut(&mut self.site);
            for (path, before) in ahead.into_iter().rev() {
                match before {
                    Some(b) => site.insert(path, b),
                    None => site.remove(&path),
                };
            }
        }
        outcome
    }

    fn rebuild_inner(
        &mut self,
        changes: &Changes,
        early: &mut dyn FnMut(&[String], Arc<SiteFiles>),
    ) -> Result<Outcome> {
        let profile = std::env::var_os("REFWIKI_PROFILE").is_some();
        let mut t = std::time::Instant::now();
        let mut lap = |name: &str| {
            if profile {
                eprintln!(
                    "  rebuild/{name:<12} {:>8.1} ms",
                    t.elapsed().as_secs_f64() * 1000.0
                );
            }
            t = std::time::Instant::now();
        };
        if changes.config || self.config.is_none() {
            self.config = Some(load::load_config(&self.root, self.base_url.as_deref())?);
            self.files.clear();
            self.fingerprints.clear();
        }
        if changes.templates || self.tera.is_none() {
            self.tera = None;
            self.tera = Some(render::templates::load(&self.root)?);
            self.fingerprints.clear();
        }
        if changes.theme || self.theme.is_none() {
            self.theme = Some(crate::write::theme_files(&self.root)?);
        }
        let (config, config_diags) = self.config.clone().expect("loaded above");
        // The walk is skipped when every change is a save of a file the last walk found (and
        // that is still a plain file): then the walk would find the same.
        let known = |s: &Session| {
            let Some((paths, _)) = &s.walk else {
                return false;
            };
            !changes.rescan
                && !changes.config
                && changes.content.iter().all(|p| {
                    paths.contains(p)
                        && std::fs::symlink_metadata(s.root.join(p)).is_ok_and(|m| m.is_file())
                })
        };
        // Saves of known files only: no page appears or disappears, so the edited pages can
        // go out ahead of the rest without showing a site that is half old, half new.
        let saves_only = known(self);
        if !saves_only {
            self.walk = Some(load::content_files(&self.root)?);
        }
        let (paths, walk_diags) = self.walk.as_ref().expect("walked above");
        let stale: Vec<&PathBuf> = if saves_only {
            // Every changed path is a file the walk found: nothing to forget, nothing new.
            changes.content.iter().collect()
        } else {
            let present: BTreeSet<&PathBuf> = paths.iter().collect();
            self.files.retain(|p, _| present.contains(p));
            paths
                .iter()
                .filter(|p| {
                    changes.rescan || changes.content.contains(*p) || !self.files.contains_key(*p)
                })
                .collect()
        };
        use rayon::prelude::*;
        let mut preloaded = self.preloaded.take();
        let reloaded: Vec<(PathBuf, (Loaded, Vec<Diagnostic>))> = stale
            .iter()
            .map(|p| match preloaded.take_if(|(q, _)| q == *p) {
                Some((_, l)) => Err(((*p).clone(), l)),
                None => Ok(*p),
            })
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|r| match r {
                Ok(p) => (p.clone(), load::load_file(&self.root, p, &config)),
                Err(done) => done,
            })
            .collect();
        self.files.extend(reloaded);

        lap("load");
        let mut diags = config_diags;
        diags.extend(walk_diags.iter().cloned());
        for (_, d) in self.files.values() {
            diags.extend(d.iter().cloned());
        }
        let corpus = load::assemble(config, self.files.values().map(|(l, _)| l), &mut diags);
        lap("assemble");
        let (wiki, rd) = crate::resolve::resolve_with(corpus, &mut self.cache);
        lap("resolve");
        diags.extend(rd);
        let diagnostics = Diagnostics::finish(diags);
        if diagnostics.errors() > 0 {
            return Ok(Outcome {
                diagnostics,
                site: None,
                changed: Vec::new(),
                rendered: 0,
            });
        }
        let key = render::Index::key(&wiki);
        let ix = match &self.index {
            Some((k, ix)) if *k == key => ix.clone(),
            _ => Arc::new(render::Index::new(&wiki)),
        };
        self.index = Some((key, ix.clone()));
        // The edited pages first (a handful at most: a bulk change waits for the whole site).
        let edited: Vec<usize> = wiki
            .entities
            .iter()
            .enumerate()
            .filter(|(_, e)| changes.content.contains(&e.page.file.path))
            .map(|(i, _)| i)
            .collect();
        if saves_only && !edited.is_empty() && edited.len() <= 4 {
            let mut ready = Vec::new();
            for id in edited {
                let f = render::render_entity(&wiki, self.tera.as_ref().expect("loaded"), &ix, id)?;
                ready.extend(self.put_ahead(f));
            }
            if !ready.is_empty() {
                early(&ready, self.site.clone());
            }
            lap("early pages");
        }
        let inc = render::render_changed(
            &wiki,
            self.tera.as_ref().expect("loaded"),
            &ix,
            &self.fingerprints,
        )?;
        lap("render");
        let rendered = inc.rendered.len();
        let mut site: SiteFiles = SiteFiles::new();
        let mut changed = Vec::new();
        let mut fresh: BTreeMap<String, Vec<u8>> = inc
            .rendered
            .into_iter()
            .map(|f| (f.path, f.bytes))
            .collect();
        // Generated pages win over theme files of the same path, as in `build`.
        let theme = self.theme.as_ref().expect("loaded");
        for f in theme.iter().filter(|f| !is_data(&f.path)) {
            fresh
                .entry(f.path.clone())
                .or_insert_with(|| f.bytes.clone());
        }
        let keep_data = self.data.0.iter().filter(|p| self.site.contains_key(*p));
        for path in inc
            .fingerprints
            .keys()
            .chain(theme.iter().map(|f| &f.path).filter(|p| !is_data(p)))
            .chain(keep_data)
        {
            let bytes = match fresh.remove(path) {
                Some(b) => Arc::new(b),
                None => match self.site.get(path) {
                    Some(b) => b.clone(),
                    None => continue,
                },
            };
            let same = self
                .site
                .get(path)
                .is_some_and(|b| Arc::ptr_eq(b, &bytes) || b.as_slice() == bytes.as_slice());
            if !same {
                changed.push(path.clone());
            }
            site.insert(path.clone(), bytes);
        }
        for old in self.site.keys() {
            if !site.contains_key(old) {
                changed.push(old.clone());
            }
        }
        changed.sort();
        changed.dedup();
        self.fingerprints = inc.fingerprints;
        self.site = Arc::new(site);
        lap("site map");
        self.pending = (inc.data_fingerprint != self.data.1 || self.data.0.is_empty())
            .then_some(inc.data_fingerprint);
        self.last = Some(wiki);
        self.clean = true;
        Ok(Outcome {
            diagnostics,
            site: Some(self.site.clone()),
            changed,
            rendered,
        })
    }

    /// The fast path for the commonest edit, a save that changed one entity page's body and
    /// nothing else: re-resolves and re-renders that page alone against the last good wiki
    /// (see [`crate::resolve::replace_body`]) and puts it into the site, so `serve` can reload
    /// it before the full [`Session::rebuild`] (which must follow, with the same `changes`,
    /// and updates every other page: backlinks of the pages the body links to, the search
    /// index). Returns the output path when the page changed; `None` when the edit is not of
    /// that kind, or has an error, or changed nothing.
    pub fn preview(&mut self, changes: &Changes) -> Option<String> {
        if !self.clean || changes.config || changes.templates || changes.theme || changes.rescan {
            return None;
        }
        let [path] = changes.content.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let (Loaded::Entity(old_page), _) = self.files.get(path)? else {
            return None;
        };
        let (config, _) = self.config.as_ref()?;
        let (loaded, diags) = load::load_file(&self.root, path, config);
        self.preloaded = Some((path.clone(), (loaded.clone(), diags.clone())));
        if diags
            .iter()
            .any(|d| d.severity == crate::diag::Severity::Error)
        {
            return None;
        }
        let Loaded::Entity(page) = loaded else {
            return None;
        };
        if page.fm() != old_page.fm()
            || page.fm_offset != old_page.fm_offset
            || page.file.path != old_page.file.path
        {
            return None;
        }
        let wiki = self.last.as_mut()?;
        let id = wiki
            .entities
            .iter()
            .position(|e| Arc::ptr_eq(&e.page, old_page))?;
        let old = crate::resolve::replace_body(wiki, id, page)?;
        let (_, ix) = self.index.as_ref()?;
        let out = render::render_entity(wiki, self.tera.as_ref()?, ix, id);
        wiki.entities[id] = old;
        self.put_ahead(out.ok()?)
    }

    /// Puts a page into the site ahead of the rebuild's end (remembering what it replaces, so a
    /// failed rebuild can take it back). Returns its path, or `None` when the site already has
    /// these bytes.
    fn put_ahead(&mut self, f: OutputFile) -> Option<String> {
        if self.site.get(&f.path).map(|b| b.as_slice()) == Some(f.bytes.as_slice()) {
            return None;
        }
        let before = Arc::make_mut(&mut self.site).insert(f.path.clone(), Arc::new(f.bytes));
        self.previewed.push((f.path.clone(), before));
        Some(f.path)
    }

    /// Writes the data files (`wiki.json`, search index, sitemap, robots, feed) of the last
    /// rebuild if they are stale, and returns the paths that changed. After it, the site is
    /// byte-identical to a clean build of the same files. Fails (with the path) only when a
    /// body that is not held cannot be read again.
    pub fn finish_data(&mut self) -> anyhow::Result<Vec<String>> {
        let (Some(fp), Some(wiki)) = (self.pending.take(), self.last.as_ref()) else {
            return Ok(Vec::new());
        };
        let pages: Vec<&str> = self
            .site
            .keys()
            .map(String::as_str)
            .filter(|p| !is_data(p))
            .collect();
        // Plain texts are kept with each file's scan, so the next rebuild makes only the
        // edited ones again.
        {
            use rayon::prelude::*;
            wiki.entities.par_iter().for_each(|e| {
                e.keep_plain_text();
            });
        }
        let files = render::data_files(wiki, pages.into_iter())?;
        let mut site: SiteFiles = self
            .site
            .iter()
            .filter(|(p, _)| !is_data(p))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        let mut changed = Vec::new();
        let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
        for f in files {
            if self.site.get(&f.path).map(|b| b.as_slice()) != Some(f.bytes.as_slice()) {
                changed.push(f.path.clone());
            }
            site.insert(f.path, Arc::new(f.bytes));
        }
        changed.extend(
            self.data
                .0
                .iter()
                .filter(|p| !site.contains_key(*p))
                .cloned(),
        );
        changed.sort();
        self.site = Arc::new(site);
        self.data = (paths, fp);
        Ok(changed)
    }
}

/// The URL a reader sees for an output path: `people/x/index.html` → `/people/x/`.
pub fn url_of(path: &str) -> String {
    match path.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{path}"),
    }
}
