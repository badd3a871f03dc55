//! The name index: slugs, titles and aliases (folded) → entities. Reports two pages with one
//! output path and two entities claiming one name.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::load::EntityPage;
use crate::text::{did_you_mean, fold, slugify};

/// Index of entity names. Entity ids are indexes into the resolved entity list.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    /// Slug → entity.
    pub by_slug: BTreeMap<String, usize>,
    /// Folded name (slug, title or alias) → entities claiming it (more than one = ambiguous).
    pub by_name: BTreeMap<String, Vec<usize>>,
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
        let mut ix = NameIndex::default();
        // First claimant of each folded name, with where it was claimed.
        let mut claims: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for (id, e) in entities.iter().enumerate() {
            ix.by_slug.insert(e.slug.clone(), id);
            let title_at = e.locate(&["title"]);
            let mut names = vec![
                (e.slug.clone(), title_at, "slug"),
                (e.title.clone(), title_at, "title"),
            ];
            names.extend(e.aliases.iter().map(|(a, at)| (a.clone(), *at, "alias")));
            for (name, at, what) in names {
                let f = fold(&name);
                if f.is_empty() {
                    continue;
                }
                match claims.get(&f) {
                    Some((other, _)) if *other == id => continue,
                    Some((other, other_what)) => {
                        let o = &entities[*other];
                        diags.push(
                            e.file
                                .error("duplicate-name", at, format!("{what} `{name}` is also the {other_what} of `{}` ({})", o.title, o.file.path.display()))
                                .hint("each name may belong to one entity; remove it here or there, or make it more specific"),
                        );
                    }
                    None => {
                        claims.insert(f.clone(), (id, what.to_string()));
                    }
                }
                let v = ix.by_name.entry(f).or_default();
                if !v.contains(&id) {
                    v.push(id);
                }
            }
        }
        ix
    }

    /// Looks up a wikilink target or relation target.
    pub fn lookup(&self, target: &str) -> Lookup {
        let f = fold(target);
        match self.by_name.get(&f) {
            Some(v) if v.len() == 1 => Lookup::Found(v[0]),
            Some(v) => Lookup::Ambiguous(v.clone()),
            None => match self.by_slug.get(&slugify(target)) {
                Some(id) => Lookup::Found(*id),
                None => Lookup::Missing(
                    did_you_mean(&f, self.by_name.keys().map(String::as_str)).map(str::to_string),
                ),
            },
        }
    }
}

/// Removes entities whose output path (`<folder>/<slug>`) another entity already has, reporting
/// each at the later file with the earlier one named. Returns the survivors.
pub fn dedupe_slugs(
    entities: Vec<Arc<EntityPage>>,
    folder_of: impl Fn(&str) -> String,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Arc<EntityPage>> {
    let mut seen: BTreeMap<String, std::path::PathBuf> = BTreeMap::new();
    let mut out = Vec::with_capacity(entities.len());
    for e in entities {
        if let Some(first) = seen.get(&e.slug) {
            diags.push(
                e.file
                    .error(
                        "duplicate-slug",
                        e.locate(&["title"]),
                        format!(
                            "`{}` and `{}` would both be published as `{}/{}/`",
                            first.display(),
                            e.file.path.display(),
                            folder_of(&e.kind),
                            e.slug
                        ),
                    )
                    .hint("rename one of the files, or give one an explicit `slug = \"…\"`"),
            );
            continue;
        }
        seen.insert(e.slug.clone(), e.file.path.clone());
        out.push(e);
    }
    out
}
