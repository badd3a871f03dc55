//! The name index: slugs, titles and aliases (folded) → entities. Reports two pages with one
//! output path and two entities claiming one name.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::load::EntityPage;
use crate::text::{did_you_mean, fold, fold_into, slugify};

/// The maps' hasher: foldhash, several times faster than std's SipHash on short keys. Every
/// wikilink and relation target is looked up here, several times per build (at 100,000
/// entities, 400,000 names and millions of look-ups); the names are the wiki's own, so
/// SipHash's resistance to keys chosen to collide buys nothing.
pub type Names<V> = HashMap<String, V, foldhash::fast::FixedState>;

/// Index of entity names. Entity ids are indexes into the resolved entity list.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    /// Slug → entity.
    pub by_slug: Names<usize>,
    /// Folded name (slug, title or alias) → entities claiming it (more than one = ambiguous).
    /// Hashed: nothing iterates it in an order that reaches the output (see `lookup`).
    pub by_name: Names<Vec<usize>>,
}

/// Result of looking a name up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Exactly one entity.
    Found(usize),
    /// Several entities claim the name.
    Ambiguous(Vec<usize>),
    /// Nothing; with the closest name, if any.
    Missing(Option<String>),
}

impl NameIndex {
    /// Builds the index. `entities` must already be free of duplicate slugs.
    pub fn build(entities: &[Arc<EntityPage>], diags: &mut Vec<Diagnostic>) -> NameIndex {
        let mut ix = NameIndex {
            by_slug: Names::with_capacity_and_hasher(entities.len(), Default::default()),
            by_name: Names::with_capacity_and_hasher(entities.len() * 4, Default::default()),
        };
        for (id, e) in entities.iter().enumerate() {
            ix.by_slug.insert(e.slug.clone(), id);
            let names = [(e.slug.as_str(), None), (e.title.as_str(), None)]
                .into_iter()
                .chain(e.aliases.iter().map(|(a, at)| (a.as_str(), Some(*at))));
            for (i, (name, alias_at)) in names.enumerate() {
                let f = fold(name);
                if f.is_empty() {
                    continue;
                }
                let Some(v) = ix.by_name.get_mut(&f) else {
                    ix.by_name.insert(f, vec![id]);
                    continue;
                };
                // The first entity in the list is the first claimant; a later one is reported.
                let other = v[0];
                if other == id {
                    continue;
                }
                if !v.contains(&id) {
                    v.push(id);
                }
                let what = ["slug", "title"].get(i).copied().unwrap_or("alias");
                let at = alias_at.unwrap_or_else(|| e.locate(&["title"]));
                let o = &entities[other];
                let other_what = if fold(&o.slug) == f {
                    "slug"
                } else if fold(&o.title) == f {
                    "title"
                } else {
                    "alias"
                };
                diags.push(
                    e.file
                        .error("duplicate-name", at, format!("{what} `{name}` is also the {other_what} of `{}` ({})", o.title, o.file.path.display()))
                        .hint("each name may belong to one entity; remove it here or there, or make it more specific"),
                );
            }
        }
        ix
    }

    /// Looks up a wikilink target or relation target.
    pub fn lookup(&self, target: &str) -> Lookup {
        thread_local! {
            static FOLDED: std::cell::RefCell<String> = Default::default();
        }
        FOLDED.with_borrow_mut(|f| {
            f.clear();
            fold_into(target, f);
            match self.by_name.get(f.as_str()) {
                Some(v) if v.len() == 1 => Lookup::Found(v[0]),
                Some(v) => Lookup::Ambiguous(v.clone()),
                None => match self.by_slug.get(&slugify(target)) {
                    Some(id) => Lookup::Found(*id),
                    // `did_you_mean` breaks ties by the name itself, so the map's order is moot.
                    None => Lookup::Missing(
                        did_you_mean(f, self.by_name.keys().map(String::as_str))
                            .map(str::to_string),
                    ),
                },
            }
        })
    }
}

/// Removes entities whose output path (`<folder>/<slug>`) another entity already has, reporting
/// each at the later file with the earlier one named. Returns the survivors.
pub fn dedupe_slugs(
    entities: Vec<Arc<EntityPage>>,
    folder_of: impl Fn(&str) -> String,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Arc<EntityPage>> {
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(entities.len());
    let mut keep = vec![true; entities.len()];
    for (i, e) in entities.iter().enumerate() {
        match first.entry(e.slug.as_str()) {
            Entry::Vacant(v) => {
                v.insert(i);
            }
            Entry::Occupied(o) => {
                keep[i] = false;
                diags.push(
                    e.file
                        .error(
                            "duplicate-slug",
                            e.locate(&["title"]),
                            format!(
                                "`{}` and `{}` would both be published as `{}/{}/`",
                                entities[*o.get()].file.path.display(),
                                e.file.path.display(),
                                folder_of(&e.kind),
                                e.slug
                            ),
                        )
                        .hint("rename one of the files, or give one an explicit `slug = \"…\"`"),
                );
            }
        }
    }
    entities
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect()
}
