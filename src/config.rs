//! Site configuration: `wiki.toml` read over the embedded `defaults/wiki.toml`.
//!
//! The result is a typed, validated [`Config`]. A broken `wiki.toml` is a *content* problem (an
//! editor can fix it), so it becomes diagnostics and the build goes on with the defaults, which
//! lets `check` still report every other problem in one run.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diag::Diagnostic;
use crate::text::{did_you_mean, LineIndex};

/// The embedded default configuration.
pub const DEFAULT_CONFIG: &str = include_str!("../defaults/wiki.toml");

/// URL folders the site uses for its own pages; no kind may use them.
pub const RESERVED_FOLDERS: &[&str] = &[
    "sources",
    "tags",
    "search",
    "timeline",
    "graph",
    "vendor",
    "__refwiki",
];

/// Keys that every entity may carry, whatever its kind.
pub const COMMON_KEYS: &[&str] = &[
    "title",
    "kind",
    "aliases",
    "summary",
    "tags",
    "relations",
    "cites",
    "updated",
    "slug",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    description: Option<String>,
    base_url: Option<String>,
    language: Option<String>,
    #[serde(default)]
    kinds: BTreeMap<String, RawKind>,
    #[serde(default)]
    relations: BTreeMap<String, RawRelation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    folder: String,
    singular: Option<String>,
    plural: Option<String>,
    #[serde(default)]
    facts: Vec<String>,
    #[serde(default)]
    dates: Vec<String>,
    #[serde(default)]
    required: Vec<String>,
    schema: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelation {
    label: Option<String>,
    inverse: Option<String>,
    inverse_label: Option<String>,
    #[serde(default)]
    symmetric: bool,
}

/// The validated site configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Site title.
    pub title: String,
    /// One-line site description (meta description of the home page).
    pub description: String,
    /// Absolute base URL (`https://example.org/wiki/`) or a path (`/`), always ending in `/`.
    pub base_url: String,
    /// The path part of `base_url` (`/wiki/`), prefixed to every internal link.
    pub base_path: String,
    /// `lang` of the HTML.
    pub language: String,
    /// Entity kinds by name.
    pub kinds: BTreeMap<String, Kind>,
    /// Relation types by name, both directions of every pair.
    pub relations: BTreeMap<String, RelationType>,
}

/// One kind of entity.
#[derive(Debug, Clone)]
pub struct Kind {
    /// Name used in front matter (`person`).
    pub name: String,
    /// URL folder (`people`).
    pub folder: String,
    /// Display name, singular.
    pub singular: String,
    /// Display name, plural.
    pub plural: String,
    /// Fact keys allowed on entities of this kind, in infobox order.
    pub facts: Vec<String>,
    /// The facts that are partial dates (feed the timeline).
    pub dates: Vec<String>,
    /// Facts that must be present.
    pub required: Vec<String>,
    /// schema.org type for JSON-LD.
    pub schema: String,
}

/// One direction of a relation type.
#[derive(Debug, Clone)]
pub struct RelationType {
    /// Name used in front matter (`leads`).
    pub name: String,
    /// Human label (`leads`).
    pub label: String,
    /// Name of the inverse direction (`led_by`; itself when symmetric).
    pub inverse: String,
}

impl Config {
    /// The default configuration (no `wiki.toml`).
    pub fn default_config() -> Config {
        let (c, d) = Config::parse(None);
        debug_assert!(d.is_empty(), "embedded defaults are valid: {d:?}");
        c
    }

    /// Parses `wiki.toml` text (if any) over the defaults. Problems are diagnostics against
    /// `wiki.toml`; the returned config is always usable.
    pub fn parse(user: Option<&str>) -> (Config, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut raw: RawConfig = toml::from_str(DEFAULT_CONFIG).expect("embedded wiki.toml parses");
        if let Some(text) = user {
            match toml::from_str::<RawConfig>(text) {
                Ok(u) => {
                    raw.title = u.title.or(raw.title);
                    raw.description = u.description.or(raw.description);
                    raw.base_url = u.base_url.or(raw.base_url);
                    raw.language = u.language.or(raw.language);
                    raw.kinds.extend(u.kinds);
                    raw.relations.extend(u.relations);
                }
                Err(e) => diags.push(toml_error("wiki.toml", text, 0, &e, CONFIG_KEYS)),
            }
        }
        let mut kinds = BTreeMap::new();
        let mut folders = BTreeMap::new();
        for (name, k) in raw.kinds {
            let folder = crate::text::slugify(&k.folder);
            if let Some(other) = folders.insert(folder.clone(), name.clone()) {
                diags.push(Diagnostic::error(
                    "config",
                    "wiki.toml",
                    1,
                    1,
                    format!("kinds `{other}` and `{name}` share the URL folder `{folder}`"),
                ));
            }
            kinds.insert(
                name.clone(),
                Kind {
                    singular: k.singular.unwrap_or_else(|| name.clone()),
                    plural: k.plural.unwrap_or_else(|| k.folder.clone()),
                    folder,
                    facts: k.facts,
                    dates: k.dates,
                    required: k.required,
                    schema: k.schema.unwrap_or_else(|| "Thing".into()),
                    name,
                },
            );
        }
        for k in kinds.values() {
            if RESERVED_FOLDERS.contains(&k.folder.as_str()) {
                diags.push(Diagnostic::error(
                    "config",
                    "wiki.toml",
                    1,
                    1,
                    format!("kind `{}` uses the URL folder `{}`, which the site uses for its own pages", k.name, k.folder),
                ).hint(format!("choose another folder; reserved: {}", RESERVED_FOLDERS.join(", "))));
            }
        }
        let mut relations = BTreeMap::new();
        for (name, r) in raw.relations {
            let label = r.label.unwrap_or_else(|| name.replace('_', " "));
            if r.symmetric || r.inverse.is_none() {
                relations.insert(
                    name.clone(),
                    RelationType {
                        name: name.clone(),
                        label,
                        inverse: name,
                    },
                );
            } else {
                let inv = r.inverse.unwrap_or_default();
                let inv_label = r.inverse_label.unwrap_or_else(|| inv.replace('_', " "));
                relations.insert(
                    inv.clone(),
                    RelationType {
                        name: inv.clone(),
                        label: inv_label,
                        inverse: name.clone(),
                    },
                );
                relations.insert(
                    name.clone(),
                    RelationType {
                        name,
                        label,
                        inverse: inv,
                    },
                );
            }
        }
        let base_url = normalise_base_url(raw.base_url.as_deref().unwrap_or("/"));
        let base_path = base_path_of(&base_url);
        let config = Config {
            title: raw.title.unwrap_or_default(),
            description: raw.description.unwrap_or_default(),
            base_path,
            base_url,
            language: raw.language.unwrap_or_else(|| "en".into()),
            kinds,
            relations,
        };
        (config, diags)
    }

    /// Replaces the base URL (the `--base-url` flag).
    pub fn with_base_url(mut self, url: &str) -> Config {
        self.base_url = normalise_base_url(url);
        self.base_path = base_path_of(&self.base_url);
        self
    }

    /// The kind whose URL folder is `folder`.
    pub fn kind_by_folder(&self, folder: &str) -> Option<&Kind> {
        self.kinds.values().find(|k| k.folder == folder)
    }
}

const CONFIG_KEYS: &[&str] = &[
    "title",
    "description",
    "base_url",
    "language",
    "kinds",
    "relations",
    "folder",
    "singular",
    "plural",
    "facts",
    "dates",
    "required",
    "schema",
    "label",
    "inverse",
    "inverse_label",
    "symmetric",
];

fn normalise_base_url(url: &str) -> String {
    let mut u = url.trim().to_string();
    if u.is_empty() {
        u.push('/');
    }
    if !u.contains("://") && !u.starts_with('/') {
        u.insert(0, '/');
    }
    if !u.ends_with('/') {
        u.push('/');
    }
    u
}

fn base_path_of(base_url: &str) -> String {
    match base_url.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => rest[i..].to_string(),
            None => "/".into(),
        },
        None => base_url.to_string(),
    }
}

/// Turns a TOML error into a diagnostic at its absolute position in `file`. `offset` is where
/// the TOML text starts inside the file (after a `+++` line), so lines are file lines.
pub fn toml_error(
    file: &str,
    file_text_or_toml: &str,
    offset: usize,
    e: &toml::de::Error,
    keys: &[&str],
) -> Diagnostic {
    let full = file_text_or_toml;
    let li = LineIndex::new(full);
    let (line, col) = e.span().map_or((1, 1), |s| li.pos(full, offset + s.start));
    let msg = e.message().trim().to_string();
    let mut d = Diagnostic::error(
        "front-matter-syntax",
        file,
        line,
        col,
        format!("invalid TOML: {msg}"),
    )
    .with_line_text(li.line_text(full, line));
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or("");
        d.code = "unknown-key";
        d.message = format!("unknown key `{key}`");
        d.hint = Some(match did_you_mean(key, keys.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("allowed keys: {}", keys.join(", ")),
        });
    } else if msg.contains("duplicate key") {
        d.code = "duplicate-key";
        d.hint = Some("each key may appear once; remove or merge the repeated one".into());
    } else {
        d.hint = Some("fix the TOML syntax (strings in quotes, one `key = value` per line)".into());
    }
    if file == "wiki.toml" && d.code == "front-matter-syntax" {
        d.code = "config";
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_kinds_and_both_relation_directions() {
        let c = Config::default_config();
        assert_eq!(c.kinds["person"].folder, "people");
        assert_eq!(c.relations["led_by"].inverse, "leads");
        assert_eq!(c.relations["allied_with"].inverse, "allied_with");
        assert_eq!(c.base_path, "/");
    }

    #[test]
    fn user_config_overrides_and_reports_unknown_keys() {
        let (c, d) = Config::parse(Some(
            "title = \"X\"\nbase_url = \"https://e.org/wiki\"\n[kinds.ship]\nfolder = \"ships\"\n",
        ));
        assert!(d.is_empty());
        assert_eq!(c.title, "X");
        assert_eq!(c.base_path, "/wiki/");
        assert!(c.kinds.contains_key("ship") && c.kinds.contains_key("person"));
        let (_, d) = Config::parse(Some("titel = \"X\"\n"));
        assert_eq!(d[0].code, "unknown-key");
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `title`?"));
    }
}
