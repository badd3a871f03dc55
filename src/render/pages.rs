//! The reader's overview pages and per-entity extras: search page, timeline, relation graphs.

use anyhow::Result;

use super::graph::{self, Edge, Node};
use super::view::*;
use super::{OutputFile, Renderer};

impl Renderer<'_> {
    pub(super) fn search_page(&self) -> Result<OutputFile> {
        let v = SearchPageView {
            meta: self.meta(
                "Search",
                "Search every entity, alias, page and source passage.",
                "search/",
            ),
        };
        self.page("search.html", "search/index.html", &v)
    }

    fn entry(&self, id: usize, label: &str, date: crate::date::PartialDate) -> TimelineEntry {
        let e = &self.wiki.entities[id];
        TimelineEntry {
            date: date.to_string(),
            date_human: date.human(),
            year: format!("{}", date.year),
            label: label.to_string(),
            entity: self.link(id),
            kind: e.page.kind.clone(),
        }
    }

    /// Dated facts of entity `id` as timeline entries.
    fn dated(&self, id: usize) -> Vec<TimelineEntry> {
        let e = &self.wiki.entities[id];
        e.page
            .facts
            .iter()
            .filter_map(|f| {
                let d = f.date?;
                let label = match (e.page.kind.as_str(), f.key.as_str()) {
                    (_, "date") => e.page.title.clone(),
                    (_, "end") => format!("{} ends", e.page.title),
                    (_, k) => format!("{} {}", e.page.title, k.replace('_', " ")),
                };
                Some(self.entry(id, &label, d))
            })
            .collect()
    }

    pub(super) fn entity_timeline(&self, id: usize) -> Vec<TimelineEntry> {
        let mut v = self.dated(id);
        for r in &self.wiki.entities[id].relations {
            if self.wiki.entities[r.other].page.kind == "event" {
                v.extend(self.dated(r.other));
            }
        }
        sort_entries(&mut v);
        v.dedup_by(|a, b| a.date == b.date && a.label == b.label);
        v
    }

    pub(super) fn entity_graph(&self, id: usize) -> String {
        let e = &self.wiki.entities[id];
        let mut nodes = vec![self.node(id)];
        let mut labels: Vec<Vec<String>> = vec![Vec::new()];
        for r in &e.relations {
            let label = self
                .wiki
                .config
                .relations
                .get(&r.rtype)
                .map_or_else(|| r.rtype.clone(), |t| t.label.clone());
            let url = self.link(r.other).url;
            let at = match nodes.iter().position(|n| *n.url == *url) {
                Some(i) => i,
                None => {
                    nodes.push(self.node(r.other));
                    labels.push(Vec::new());
                    nodes.len() - 1
                }
            };
            if !labels[at].contains(&label) {
                labels[at].push(label);
            }
        }
        // One edge per neighbour, its relation labels joined.
        let edges: Vec<Edge> = (1..nodes.len())
            .map(|to| Edge {
                from: 0,
                to,
                label: labels[to].join(", "),
            })
            .collect();
        graph::neighbourhood(&nodes, &edges, 24)
    }

    fn node(&self, id: usize) -> Node {
        let l = self.link(id);
        Node {
            title: l.title.to_string(),
            url: l.url.to_string(),
            kind: l.kind.to_string(),
        }
    }

    pub(super) fn timeline_page(&self) -> Result<OutputFile> {
        let mut entries: Vec<TimelineEntry> = (0..self.wiki.entities.len())
            .flat_map(|i| self.dated(i))
            .collect();
        sort_entries(&mut entries);
        let v = TimelinePageView {
            meta: self.meta(
                "Timeline",
                "Every dated person, group and event of the wiki, in order.",
                "timeline/",
            ),
            entries,
        };
        self.page("timeline.html", "timeline/index.html", &v)
    }

    pub(super) fn graph_page(&self) -> Result<OutputFile> {
        let w = self.wiki;
        // Nodes grouped by kind, then title; only entities with at least one relation, and of
        // those at most `OVERVIEW_MAX_NODES`, the most related (ties in path order).
        let mut ids: Vec<usize> = (0..w.entities.len())
            .filter(|&i| !w.entities[i].relations.is_empty())
            .collect();
        let related = ids.len();
        if related > graph::OVERVIEW_MAX_NODES {
            ids.sort_by_key(|&i| (std::cmp::Reverse(w.entities[i].relations.len()), i));
            ids.truncate(graph::OVERVIEW_MAX_NODES);
        }
        ids.sort_by_cached_key(|&i| {
            (
                w.entities[i].page.kind.clone(),
                crate::text::fold(&w.entities[i].page.title),
            )
        });
        let index: std::collections::BTreeMap<usize, usize> =
            ids.iter().enumerate().map(|(n, &i)| (i, n)).collect();
        let nodes: Vec<Node> = ids.iter().map(|&i| self.node(i)).collect();
        let mut edges = Vec::new();
        for &i in &ids {
            for r in w.entities[i].relations.iter().filter(|r| r.declared) {
                if let Some(&to) = index.get(&r.other) {
                    let label = w
                        .config
                        .relations
                        .get(&r.rtype)
                        .map_or_else(|| r.rtype.clone(), |t| t.label.clone());
                    edges.push(Edge {
                        from: index[&i],
                        to,
                        label,
                    });
                }
            }
        }
        let v = GraphPageView {
            meta: self.meta(
                "Relations overview",
                "Every typed relation between the wiki's entities.",
                "graph/",
            ),
            svg: graph::overview(&nodes, &edges).into(),
            nodes: nodes.len(),
            related,
            edges: edges.len(),
        };
        self.page("graph.html", "graph/index.html", &v)
    }
}

fn sort_entries(v: &mut [TimelineEntry]) {
    v.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| crate::text::fold(&a.label).cmp(&crate::text::fold(&b.label)))
            .then_with(|| a.entity.url.cmp(&b.entity.url))
    });
}
