//! Page fingerprints for incremental rendering: a hash of everything a page's view is built
//! from, computed from the resolved wiki *without* rendering Markdown or templates.
//!
//! `serve` renders only pages whose fingerprint changed since the last build. The rule that
//! keeps this correct: every input a view builder in `mod.rs` reads must be fed to the hasher
//! here. The incremental-equals-clean-build tests fail when one is forgotten.

use std::hash::{Hash, Hasher};

use super::{Job, Renderer};
use crate::markdown::{self, Item};

impl Renderer<'_> {
    /// The output path of a job.
    pub(super) fn job_path(&self, job: &Job) -> String {
        let w = self.wiki;
        match job {
            Job::Search => "search/index.html".into(),
            Job::Timeline => "timeline/index.html".into(),
            Job::Graph => "graph/index.html".into(),
            Job::Home => "index.html".into(),
            Job::NotFound => "404.html".into(),
            Job::SourceList => "sources/index.html".into(),
            Job::TagList => "tags/index.html".into(),
            Job::Entity(i) => format!("{}index.html", w.entities[*i].path),
            Job::Source(i) => format!("sources/{}/index.html", w.sources[*i].source.id),
            Job::Kind(k) => format!("{}/index.html", w.config.kinds[k].folder),
            Job::Tag(t) => format!("tags/{t}/index.html"),
            Job::Redirect(i) => {
                let (folder, slug, _) = &w.redirects[*i];
                format!("{folder}/{slug}/index.html")
            }
        }
    }

    fn hash_link(&self, id: usize, h: &mut crate::hash::Hasher) {
        self.link_hashes[id].hash(h);
    }

    fn hash_citation(&self, holder: usize, ci: usize, h: &mut crate::hash::Hasher) {
        let c = &self.wiki.entities[holder].citations[ci];
        let s = &self.wiki.sources[c.source].source;
        // Everything a reference shows: the source's metadata and the passage around the quote,
        // all read from the source's file (so its content hash stands for them).
        (&c.key, &s.id, s.file.hash).hash(h);
        (c.passage, &c.quote, &c.note, c.range).hash(h);
    }

    /// What a list of sources shows: id, title and byline of each.
    fn hash_source_list(&self, h: &mut crate::hash::Hasher) {
        for s in &self.wiki.sources {
            let s = &s.source;
            (&s.id, &s.title, &s.author, &s.publisher, s.date).hash(h);
        }
    }

    /// Fingerprint of one job's output.
    pub(super) fn fingerprint(&self, job: &Job) -> u64 {
        let w = self.wiki;
        let mut h = crate::hash::hasher();
        self.site_hash.hash(&mut h);
        std::mem::discriminant(job).hash(&mut h);
        match job {
            Job::NotFound | Job::Search => {}
            Job::Timeline => {
                for (i, e) in w.entities.iter().enumerate() {
                    self.hash_link(i, &mut h);
                    for f in &e.page.facts {
                        (&f.key, f.date).hash(&mut h);
                    }
                }
            }
            Job::Graph => {
                for (i, e) in w.entities.iter().enumerate() {
                    if e.relations.is_empty() {
                        continue;
                    }
                    self.hash_link(i, &mut h);
                    for r in e.relations.iter().filter(|r| r.declared) {
                        (&r.rtype, r.other).hash(&mut h);
                    }
                }
            }
            Job::Home => {
                if let Some(home) = &w.home {
                    home.file.hash.hash(&mut h);
                    for it in markdown::scan(home.body()) {
                        if let Item::WikiLink { target, .. } | Item::MdLink { stem: target, .. } =
                            it
                        {
                            match w
                                .lookup(&target)
                                .or_else(|| w.names.by_slug.get(&target).copied())
                            {
                                Some(id) => self.hash_link(id, &mut h),
                                None => target.hash(&mut h),
                            }
                        }
                    }
                }
                self.hash_source_list(&mut h);
                for s in &w.sources {
                    s.source.passages.len().hash(&mut h);
                }
                for (i, e) in w.entities.iter().enumerate() {
                    for c in e.citations.iter() {
                        (i, c.source, c.passage).hash(&mut h);
                    }
                }
            }
            Job::SourceList => {
                self.hash_source_list(&mut h);
            }
            Job::TagList => {
                for (t, ids) in &w.tags {
                    (t, ids.len()).hash(&mut h);
                }
            }
            Job::Entity(i) => {
                let e = &w.entities[*i];
                (e.page.file.hash, &e.path).hash(&mut h);
                for &id in e.links_to.iter().chain(&e.backlinks) {
                    self.hash_link(id, &mut h);
                }
                for r in &e.relations {
                    (&r.rtype, r.since, r.until, &r.role, r.declared).hash(&mut h);
                    self.hash_link(r.other, &mut h);
                    // The entity's timeline shows related entities' dates.
                    for f in &w.entities[r.other].page.facts {
                        (&f.key, f.date).hash(&mut h);
                    }
                    if let Some((holder, ci)) = r.cite {
                        (holder == *i).hash(&mut h);
                        self.hash_citation(holder, ci, &mut h);
                    }
                }
                for ci in 0..e.citations.len() {
                    self.hash_citation(*i, ci, &mut h);
                }
                for (s, n) in e.mentioned_in.iter().chain(&e.mentioned_not_cited) {
                    (&w.sources[*s].source.id, &w.sources[*s].source.title, n).hash(&mut h);
                }
                // The body's wikilinks resolve through the name index: hash what each resolves to.
                for id in e.links_to.iter() {
                    self.hash_link(*id, &mut h);
                }
            }
            Job::Source(si) => {
                let s = &w.sources[*si];
                (s.source.file.hash, &s.source.id).hash(&mut h);
                for (pi, cited) in s.cited_by.iter().enumerate() {
                    for &id in cited {
                        self.hash_link(id, &mut h);
                    }
                    for &(e, ci) in &s.citations[pi] {
                        w.entities[e].citations[ci].range.hash(&mut h);
                    }
                    for m in &s.mentions[pi] {
                        (m.start(), m.end()).hash(&mut h);
                        self.hash_link(m.entity(), &mut h);
                    }
                    pi.hash(&mut h);
                }
            }
            Job::Kind(k) => {
                for (i, e) in w.entities.iter().enumerate() {
                    if &e.page.kind == k {
                        self.hash_link(i, &mut h);
                    }
                }
            }
            Job::Tag(t) => {
                t.hash(&mut h);
                for &id in &w.tags[t] {
                    self.hash_link(id, &mut h);
                }
            }
            Job::Redirect(i) => {
                let (folder, slug, id) = &w.redirects[*i];
                (folder, slug).hash(&mut h);
                self.hash_link(*id, &mut h);
                w.entities[*id]
                    .page
                    .aliases
                    .iter()
                    .map(|(a, _)| a)
                    .collect::<Vec<_>>()
                    .hash(&mut h);
            }
        }
        h.finish()
    }
}
