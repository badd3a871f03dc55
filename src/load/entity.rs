//! Entity pages (and the home page): front matter → typed [`EntityPage`], body kept as raw
//! Markdown. Nothing is resolved here; a relation target is just the string the editor wrote.
//!
//! Validation that needs only this one file happens here: unknown keys (with "did you mean"),
//! wrong types, unknown kinds and relation types, invalid dates, bad slugs.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::front_matter::{self, locate, FmFormat, Value};
use super::TextFile;
use crate::config::{Config, COMMON_KEYS};
use crate::date::PartialDate;
use crate::diag::Diagnostic;
use crate::text::{did_you_mean, slugify};

/// An entity page: typed front matter plus the raw Markdown body.
#[derive(Debug, Clone)]
pub struct EntityPage {
    /// The file.
    pub file: TextFile,
    /// Where the front-matter text starts (for locating keys).
    pub fm_offset: usize,
    /// Length of the raw front-matter text (at `fm_offset` in the file; see [`EntityPage::fm`]).
    fm_len: usize,
    /// Where the body starts in the file.
    pub body_offset: usize,
    /// URL slug (file stem, or the `slug` key).
    pub slug: String,
    /// Kind name (`person`).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Aliases with the byte offset of their declaration.
    pub aliases: Vec<(String, usize)>,
    /// One-sentence summary.
    pub summary: String,
    /// Tags (slugified).
    pub tags: Vec<String>,
    /// Kind facts, in the kind's order.
    pub facts: Vec<Fact>,
    /// Declared relations.
    pub relations: Vec<RelationDecl>,
    /// Declared citations, sorted by key.
    pub cites: Vec<CiteDecl>,
    /// Last substantive update, for the feed.
    pub updated: Option<PartialDate>,
    /// Set once the body is let go ([`EntityPage::release_body`]): where to read it again.
    released: Option<Released>,
}

/// Where a released body is read again from, and how long it was.
#[derive(Debug, Clone)]
struct Released {
    /// The wiki folder (the file is `root/path`).
    root: Arc<Path>,
    /// Length of the body in bytes.
    body_len: usize,
}

impl EntityPage {
    /// The Markdown body, while it is held (see [`EntityPage::read_body`] for one that may have
    /// been let go).
    ///
    /// # Panics
    /// In debug builds, if the body was released: every reader of a released body goes through
    /// [`EntityPage::read_body`].
    pub fn body(&self) -> &str {
        debug_assert!(self.released.is_none(), "body of a released page");
        self.file.text.get(self.body_offset..).unwrap_or("")
    }

    /// Length of the body in bytes, held or not.
    pub fn body_len(&self) -> usize {
        match &self.released {
            Some(r) => r.body_len,
            None => self.file.text.len() - self.body_offset,
        }
    }

    /// Whether the body is held in memory (not [released](EntityPage::release_body)).
    pub fn body_held(&self) -> bool {
        self.released.is_none()
    }

    /// Lets the file's text go (the body and the raw front matter), keeping the parsed front
    /// matter and the file's hash: a large build holds no text of its pages but the one it is
    /// working on (at 100,000 entities the files are 528 MB). [`EntityPage::read_body`] reads
    /// the body again from `root`, and a diagnostic that points into the file reads the file
    /// again to show where (see [`TextFile::released`]).
    pub fn release_body(&mut self, root: Arc<Path>) {
        if self.released.is_some() {
            return;
        }
        let body_len = self.file.text.len() - self.body_offset;
        self.file = self.file.released(0, root.clone());
        self.released = Some(Released { root, body_len });
    }

    /// Lets the citations' declarations (`cites`) go, once resolution has verified them and
    /// reported on their use: a page shows its verified citations, which share the quotes and
    /// notes. Only a build that renders once and keeps nothing does this.
    pub fn release_declarations(&mut self) {
        self.cites = Vec::new();
    }

    /// The Markdown body: borrowed while it is held; read again from disk once released,
    /// refused (with the path) if the file no longer has the text this page was made from.
    pub fn read_body(&self) -> anyhow::Result<Cow<'_, str>> {
        self.body_or_diagnostic().map_err(|d| {
            let root = self.released.as_ref().map_or(Path::new(""), |r| &r.root);
            anyhow::anyhow!("{}: {}", root.join(&self.file.path).display(), d.message)
        })
    }

    /// [`EntityPage::read_body`], with a failure as an `unreadable-file` diagnostic.
    pub fn body_or_diagnostic(&self) -> Result<Cow<'_, str>, Diagnostic> {
        let Some(r) = &self.released else {
            return Ok(Cow::Borrowed(self.body()));
        };
        let mut text = self.file.read_again(&r.root)?;
        text.drain(..self.body_offset);
        Ok(Cow::Owned(text))
    }

    /// The raw front-matter text (a range of the file, not a copy; read again if the page's
    /// text was let go).
    pub fn fm(&self) -> &str {
        self.file
            .slice(self.fm_offset, self.fm_offset + self.fm_len)
    }

    /// Byte offset (in the file) of a front-matter key path.
    pub fn locate(&self, path: &[&str]) -> usize {
        self.fm_offset + locate(self.fm(), path)
    }
}

/// A kind fact (`born = "1954"` or `born = { value = "1954", cite = "born" }`).
#[derive(Debug, Clone)]
pub struct Fact {
    /// Key (`born`).
    pub key: String,
    /// Text as written.
    pub value: String,
    /// Parsed date, for date facts.
    pub date: Option<PartialDate>,
    /// Citation key.
    pub cite: Option<String>,
    /// Offset of the key in the file.
    pub offset: usize,
}

/// A relation as declared on this page.
#[derive(Debug, Clone)]
pub struct RelationDecl {
    /// Relation type (`leads`).
    pub rtype: String,
    /// Target as written (slug, title or alias).
    pub to: String,
    /// Start date.
    pub since: Option<PartialDate>,
    /// End date.
    pub until: Option<PartialDate>,
    /// Role (`leader`).
    pub role: Option<String>,
    /// Citation key.
    pub cite: Option<String>,
    /// Offset of the declaration in the file.
    pub offset: usize,
}

/// A citation declared in front matter under `[cites.<key>]`.
#[derive(Debug, Clone)]
pub struct CiteDecl {
    /// Key (`leads`).
    pub key: String,
    /// Source id.
    pub source: String,
    /// Passage number, if given.
    pub passage: Option<u32>,
    /// The quoted words (shared with the verified [`Citation`](crate::resolve::Citation)
    /// made from this declaration, not copied: 650,000 quotes at 100,000 entities).
    pub quote: Arc<str>,
    /// Optional editor's note shown with the reference (shared likewise).
    pub note: Option<Arc<str>>,
    /// Offset of the `[cites.key]` declaration.
    pub offset: usize,
}

/// `content/index.md`: optional front matter (`title`) and a Markdown body.
#[derive(Debug, Clone)]
pub struct HomePage {
    /// The file.
    pub file: TextFile,
    /// Title override.
    pub title: Option<String>,
    /// Where the body starts.
    pub body_offset: usize,
}

impl HomePage {
    /// The Markdown body.
    pub fn body(&self) -> &str {
        &self.file.text[self.body_offset..]
    }
}

/// A parsed front-matter block: the table, its syntax, where the block starts, its raw
/// text, and where the body starts.
pub(crate) type ParsedFrontMatter = (BTreeMap<String, Value>, FmFormat, usize, String, usize);

/// Splits and parses the front matter of `file`, reporting problems; `None` when there is no
/// usable front matter.
pub(crate) fn front_matter(
    file: &TextFile,
    required: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<ParsedFrontMatter> {
    let split = match front_matter::split(&file.text) {
        Ok(s) => s,
        Err(front_matter::Unterminated) => {
            diags.push(
                file.error("unterminated-front-matter", 0, "front matter is opened but never closed")
                    .hint("add the closing delimiter line (`+++` for TOML, `---` for YAML) after the last key"),
            );
            return None;
        }
    };
    let Some(format) = split.format else {
        if required {
            diags.push(file.error("missing-front-matter", 0, "page has no front matter").hint(
                "start the file with a `+++` line, `title = \"…\"` and `kind = \"…\"`, and a closing `+++` line",
            ));
        }
        return None;
    };
    match front_matter::parse(format, split.fm) {
        Ok(t) => Some((
            t,
            format,
            split.fm_offset,
            split.fm.to_string(),
            split.body_offset,
        )),
        Err(e) => {
            let fmt = if format == FmFormat::Toml {
                "TOML"
            } else {
                "YAML"
            };
            let mut d = file.error(
                e.code,
                split.fm_offset + e.offset,
                format!("invalid {fmt} front matter: {}", e.message.trim()),
            );
            d.hint = Some(match e.code {
                "nesting-too-deep" => {
                    "flatten the front matter; nothing here needs that much nesting".into()
                }
                "yaml-budget" => {
                    "YAML anchors and aliases expand too far; write the values out".into()
                }
                "duplicate-key" => {
                    "each key may appear once; remove or merge the repeated one".into()
                }
                _ => format!("fix the {fmt} syntax at this position"),
            });
            diags.push(d);
            None
        }
    }
}

/// Parses `content/index.md`.
pub fn parse_home(file: TextFile, diags: &mut Vec<Diagnostic>) -> Option<HomePage> {
    let mut title = None;
    let mut body_offset = 0;
    if let Some((table, _, fm_offset, fm, b)) = front_matter(&file, false, diags) {
        body_offset = b;
        for (k, v) in &table {
            match (k.as_str(), v) {
                ("title", Value::Str(s)) => title = Some(s.clone()),
                _ => diags.push(
                    file.error(
                        "unknown-key",
                        fm_offset + locate(&fm, &[k]),
                        format!("unknown key `{k}` in the home page"),
                    )
                    .hint("the home page takes only `title`"),
                ),
            }
        }
    } else if front_matter::split(&file.text).is_err() {
        return None;
    }
    Some(HomePage {
        file,
        title,
        body_offset,
    })
}

/// Parses an entity page.
pub fn parse_entity(
    file: TextFile,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) -> Option<EntityPage> {
    let (table, _, fm_offset, fm, body_offset) = front_matter(&file, true, diags)?;
    let at = |path: &[&str]| fm_offset + locate(&fm, path);
    let mut p = EntityPage {
        slug: String::new(),
        kind: String::new(),
        title: String::new(),
        aliases: Vec::new(),
        summary: String::new(),
        tags: Vec::new(),
        facts: Vec::new(),
        relations: Vec::new(),
        cites: Vec::new(),
        updated: None,
        released: None,
        fm_offset,
        fm_len: fm.len(),
        body_offset,
        file,
    };
    let file = p.file.clone();
    let mut err = |code: &'static str, off: usize, msg: String, hint: Option<String>| {
        diags.push(file.error(code, off, msg).maybe_hint(hint));
    };

    // Kind first: it decides which other keys are allowed.
    let kind = match table.get("kind") {
        Some(Value::Str(k)) if config.kinds.contains_key(k) => Some(&config.kinds[k]),
        Some(Value::Str(k)) => {
            let hint = did_you_mean(k, config.kinds.keys().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "known kinds: {}",
                        config.kinds.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                });
            err(
                "unknown-kind",
                at(&["kind"]),
                format!("unknown kind `{k}`"),
                Some(hint + " (kinds are declared in wiki.toml)"),
            );
            None
        }
        Some(v) => {
            err(
                "invalid-value",
                at(&["kind"]),
                format!("`kind` must be a string, found {}", v.type_name()),
                None,
            );
            None
        }
        None => {
            err(
                "missing-key",
                fm_offset,
                "missing `kind`".into(),
                Some(format!(
                    "add `kind = \"…\"`, one of: {}",
                    config.kinds.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            );
            None
        }
    };
    if let Some(k) = kind {
        p.kind = k.name.clone();
    }

    let string = |key: &str,
                  v: &Value,
                  err: &mut dyn FnMut(&'static str, usize, String, Option<String>)|
     -> Option<String> {
        match v {
            Value::Str(s) => Some(s.clone()),
            other => {
                err(
                    "invalid-value",
                    at(&[key]),
                    format!("`{key}` must be a string, found {}", other.type_name()),
                    Some(format!("write `{key} = \"…\"`")),
                );
                None
            }
        }
    };
    let strings = |key: &str,
                   v: &Value,
                   err: &mut dyn FnMut(&'static str, usize, String, Option<String>)|
     -> Vec<(String, usize)> {
        match v {
            Value::Array(a) => {
                let mut out = Vec::new();
                let mut from = at(&[key]) - fm_offset;
                for item in a {
                    match item {
                        Value::Str(s) => {
                            let off = fm[from..].find(s.as_str()).map_or(from, |i| from + i);
                            from = off;
                            out.push((s.clone(), fm_offset + off));
                        }
                        other => err(
                            "invalid-value",
                            at(&[key]),
                            format!(
                                "`{key}` must be a list of strings, found {}",
                                other.type_name()
                            ),
                            None,
                        ),
                    }
                }
                out
            }
            Value::Str(s) => vec![(s.clone(), at(&[key]))],
            other => {
                err(
                    "invalid-value",
                    at(&[key]),
                    format!(
                        "`{key}` must be a list of strings, found {}",
                        other.type_name()
                    ),
                    Some(format!("write `{key} = [\"…\", \"…\"]`")),
                );
                Vec::new()
            }
        }
    };

    let mut allowed: Vec<&str> = COMMON_KEYS.to_vec();
    if let Some(k) = kind {
        allowed.extend(k.facts.iter().map(String::as_str));
    }
    for (key, value) in &table {
        match key.as_str() {
            "kind" => {}
            "title" => p.title = string(key, value, &mut err).unwrap_or_default(),
            "summary" => p.summary = string(key, value, &mut err).unwrap_or_default(),
            "slug" => {
                if let Some(s) = string(key, value, &mut err) {
                    if slugify(&s) == s {
                        p.slug = s;
                    } else {
                        err(
                            "invalid-slug",
                            at(&["slug"]),
                            format!("slug `{s}` is not a URL slug"),
                            Some(format!(
                                "use lowercase letters, digits and hyphens, e.g. `{}`",
                                slugify(&s)
                            )),
                        );
                    }
                }
            }
            "aliases" => {
                p.aliases = strings(key, value, &mut err)
                    .into_iter()
                    .filter(|(a, _)| !a.trim().is_empty())
                    .collect()
            }
            "tags" => {
                p.tags = strings(key, value, &mut err)
                    .into_iter()
                    .map(|(t, _)| slugify(&t))
                    .collect()
            }
            "updated" => match value.as_text().and_then(PartialDate::parse) {
                Some(d) => p.updated = Some(d),
                None => err(
                    "invalid-date",
                    at(&["updated"]),
                    "`updated` is not a date".into(),
                    Some("write `updated = 2026-11-21`".into()),
                ),
            },
            "relations" => p.relations = relations(value, config, &fm, fm_offset, &mut err),
            "cites" => p.cites = cites(value, &fm, fm_offset, &mut err),
            k if kind.is_some_and(|kd| kd.facts.iter().any(|f| f == k)) => {
                let kd = kind.expect("checked");
                let is_date = kd.dates.iter().any(|d| d == k);
                if let Some(f) = fact(k, value, is_date, at(&[k]), &mut err) {
                    p.facts.push(f);
                }
            }
            k if kind.is_none()
                && config
                    .kinds
                    .values()
                    .any(|kd| kd.facts.iter().any(|f| f == k)) => {}
            k => {
                let hint = match did_you_mean(k, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("allowed keys for this kind: {}", allowed.join(", ")),
                };
                let other_kinds: Vec<&str> = config
                    .kinds
                    .values()
                    .filter(|kd| kd.facts.iter().any(|f| f == k))
                    .map(|kd| kd.name.as_str())
                    .collect();
                let msg = if other_kinds.is_empty() {
                    format!("unknown key `{k}`")
                } else {
                    format!(
                        "`{k}` is not a fact of kind `{}` (it belongs to: {})",
                        p.kind,
                        other_kinds.join(", ")
                    )
                };
                err("unknown-key", at(&[k]), msg, Some(hint));
            }
        }
    }
    if !table.contains_key("title") {
        err(
            "missing-key",
            fm_offset,
            "missing `title`".into(),
            Some("add `title = \"…\"`".into()),
        );
    } else if p.title.trim().is_empty() && matches!(table.get("title"), Some(Value::Str(_))) {
        err(
            "invalid-value",
            at(&["title"]),
            "`title` is empty".into(),
            Some("give the page its name, e.g. `title = \"Iyad ag Ghaly\"`".into()),
        );
    }
    if let Some(k) = kind {
        p.facts
            .sort_by_key(|f| k.facts.iter().position(|x| *x == f.key));
        for req in &k.required {
            if !p.facts.iter().any(|f| &f.key == req) {
                err(
                    "missing-key",
                    fm_offset,
                    format!("a `{}` needs `{req}`", k.name),
                    Some(format!("add `{req} = \"…\"`")),
                );
            }
        }
    }
    if p.slug.is_empty() {
        let stem = p
            .file
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        p.slug = slugify(&stem);
    }
    if p.kind.is_empty() {
        return None;
    }
    // Kept for the whole build: no spare capacity.
    p.cites.shrink_to_fit();
    p.relations.shrink_to_fit();
    p.aliases.shrink_to_fit();
    p.facts.shrink_to_fit();
    Some(p)
}

type ErrFn<'a> = dyn FnMut(&'static str, usize, String, Option<String>) + 'a;

fn fact(key: &str, value: &Value, is_date: bool, off: usize, err: &mut ErrFn<'_>) -> Option<Fact> {
    let (text, cite) = match value {
        Value::Str(s) | Value::Date(s) => (s.clone(), None),
        Value::Int(i) => (i.to_string(), None),
        Value::Table(t) => {
            for k in t.keys().filter(|k| *k != "value" && *k != "cite") {
                err(
                    "unknown-key",
                    off,
                    format!("unknown key `{k}` in fact `{key}`"),
                    Some("a fact takes `value` and `cite`".into()),
                );
            }
            let v = match t.get("value") {
                Some(Value::Str(s) | Value::Date(s)) => s.clone(),
                Some(Value::Int(i)) => i.to_string(),
                _ => {
                    err(
                        "invalid-value",
                        off,
                        format!("fact `{key}` needs a `value` string"),
                        Some(format!(
                            "write `{key} = {{ value = \"…\", cite = \"key\" }}`"
                        )),
                    );
                    return None;
                }
            };
            let c = match t.get("cite") {
                Some(Value::Str(c)) => Some(c.clone()),
                None => None,
                Some(_) => {
                    err(
                        "invalid-value",
                        off,
                        format!("`cite` of fact `{key}` must be a citation key string"),
                        None,
                    );
                    None
                }
            };
            (v, c)
        }
        other => {
            err(
                "invalid-value",
                off,
                format!(
                    "fact `{key}` must be a string or a table, found {}",
                    other.type_name()
                ),
                None,
            );
            return None;
        }
    };
    let date = if is_date {
        match PartialDate::parse(&text) {
            Some(d) => Some(d),
            None => {
                err(
                    "invalid-date",
                    off,
                    format!("`{key}` is not a date: `{text}`"),
                    Some("write YYYY, YYYY-MM or YYYY-MM-DD, e.g. `2017-03-02`".into()),
                );
                return None;
            }
        }
    } else {
        None
    };
    Some(Fact {
        key: key.to_string(),
        value: text,
        date,
        cite,
        offset: off,
    })
}

fn relations(
    value: &Value,
    config: &Config,
    fm: &str,
    fm_offset: usize,
    err: &mut ErrFn<'_>,
) -> Vec<RelationDecl> {
    let Value::Table(t) = value else {
        err(
            "invalid-value",
            fm_offset + locate(fm, &["relations"]),
            "`relations` must be a table of relation types".into(),
            Some("write `[relations]` then `leads = [\"slug\"]`".into()),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (rtype, list) in t {
        let off = fm_offset + locate(fm, &["relations", rtype]);
        if !config.relations.contains_key(rtype) {
            let hint = did_you_mean(rtype, config.relations.keys().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    "declare new relation types under [relations.<name>] in wiki.toml".into()
                });
            err(
                "unknown-relation-type",
                off,
                format!("unknown relation type `{rtype}`"),
                Some(hint),
            );
            continue;
        }
        let items: Vec<&Value> = match list {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        let mut from = off - fm_offset;
        for item in items {
            let mut r = RelationDecl {
                rtype: rtype.clone(),
                to: String::new(),
                since: None,
                until: None,
                role: None,
                cite: None,
                offset: off,
            };
            match item {
                Value::Str(s) => r.to = s.clone(),
                Value::Table(m) => {
                    for (k, v) in m {
                        let text = v.as_text().map(str::to_string);
                        match (k.as_str(), text) {
                            ("to", Some(s)) => r.to = s,
                            ("role", Some(s)) => r.role = Some(s),
                            ("cite", Some(s)) => r.cite = Some(s),
                            ("since" | "until", Some(s)) => match PartialDate::parse(&s) {
                                Some(d) if k == "since" => r.since = Some(d),
                                Some(d) => r.until = Some(d),
                                None => err(
                                    "invalid-date",
                                    off,
                                    format!("`{k}` of a `{rtype}` relation is not a date: `{s}`"),
                                    Some("write YYYY, YYYY-MM or YYYY-MM-DD".into()),
                                ),
                            },
                            ("to" | "role" | "cite" | "since" | "until", None) => err(
                                "invalid-value",
                                off,
                                format!(
                                    "`{k}` of a `{rtype}` relation must be a string, found {}",
                                    v.type_name()
                                ),
                                None,
                            ),
                            (k, _) => {
                                let hint =
                                    did_you_mean(k, ["to", "since", "until", "role", "cite"])
                                        .map(|s| format!("did you mean `{s}`?"));
                                err(
                                    "unknown-key",
                                    off,
                                    format!("unknown key `{k}` in a `{rtype}` relation"),
                                    hint.or(Some(
                                        "a relation takes to, since, until, role and cite".into(),
                                    )),
                                );
                            }
                        }
                    }
                }
                other => {
                    err(
                        "invalid-value",
                        off,
                        format!(
                            "a relation must be a slug string or a table, found {}",
                            other.type_name()
                        ),
                        None,
                    );
                    continue;
                }
            }
            if r.to.trim().is_empty() {
                err(
                    "invalid-value",
                    off,
                    format!("a `{rtype}` relation has no target"),
                    Some("add `to = \"slug\"`".into()),
                );
                continue;
            }
            if let Some(i) = fm.get(from..).and_then(|s| s.find(r.to.as_str())) {
                from += i;
                r.offset = fm_offset + from;
            }
            out.push(r);
        }
    }
    out
}

fn cites(value: &Value, fm: &str, fm_offset: usize, err: &mut ErrFn<'_>) -> Vec<CiteDecl> {
    let Value::Table(t) = value else {
        err(
            "invalid-value",
            fm_offset + locate(fm, &["cites"]),
            "`cites` must be a table of citations".into(),
            Some("write `[cites.key]` with `source` and `quote`".into()),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, c) in t {
        let off = fm_offset + locate(fm, &["cites", key]);
        let Value::Table(m) = c else {
            err(
                "invalid-value",
                off,
                format!("citation `{key}` must be a table"),
                Some(format!(
                    "write `[cites.{key}]` then `source = \"…\"` and `quote = \"…\"`"
                )),
            );
            continue;
        };
        let mut d = CiteDecl {
            key: key.clone(),
            source: String::new(),
            passage: None,
            quote: Arc::from(""),
            note: None,
            offset: off,
        };
        for (k, v) in m {
            match (k.as_str(), v) {
                ("source", Value::Str(s)) => d.source = s.clone(),
                ("quote", Value::Str(s)) => d.quote = Arc::from(s.as_str()),
                ("note", Value::Str(s)) => d.note = Some(Arc::from(s.as_str())),
                ("passage", Value::Int(n)) if *n >= 1 && *n <= u32::MAX as i64 => {
                    d.passage = Some(*n as u32)
                }
                ("passage", v) => err(
                    "invalid-value",
                    fm_offset + locate(fm, &["cites", key, "passage"]),
                    format!(
                        "`passage` must be a passage number (1 or more), found {}",
                        match v {
                            Value::Int(n) => n.to_string(),
                            v => v.type_name().to_string(),
                        }
                    ),
                    None,
                ),
                ("source" | "quote" | "note", v) => err(
                    "invalid-value",
                    fm_offset + locate(fm, &["cites", key, k]),
                    format!("`{k}` must be a string, found {}", v.type_name()),
                    None,
                ),
                (k, _) => {
                    let hint = did_you_mean(k, ["source", "passage", "quote", "note"])
                        .map(|s| format!("did you mean `{s}`?"));
                    err(
                        "unknown-key",
                        fm_offset + locate(fm, &["cites", key, k]),
                        format!("unknown key `{k}` in citation `{key}`"),
                        hint.or(Some(
                            "a citation takes source, passage, quote and note".into(),
                        )),
                    );
                }
            }
        }
        if d.source.is_empty() {
            err(
                "missing-key",
                off,
                format!("citation `{key}` has no `source`"),
                Some(
                    "add `source = \"<source id>\"` (the file name under content/sources/)".into(),
                ),
            );
            continue;
        }
        if d.quote.trim().is_empty() {
            err(
                "missing-key",
                off,
                format!("citation `{key}` has no `quote`"),
                Some("add `quote = \"…\"` with the exact words of the passage".into()),
            );
            continue;
        }
        out.push(d);
    }
    out
}
