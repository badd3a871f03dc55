//! Splits a Markdown file into its front-matter block and body, and parses the block (TOML
//! between `+++` lines or YAML between `---` lines) into a format-neutral [`Value`] tree.
//!
//! Positions matter more than anything here: every later diagnostic about a key points at the
//! key's line in the *file*, not in the block, so the block's byte offset travels with it and
//! [`locate`] finds keys again in the raw text. Input is already BOM-stripped and LF-normalised
//! by `load::read_text`, so a CRLF file reports the same positions as its LF twin.

use std::collections::BTreeMap;

/// Which front-matter syntax a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FmFormat {
    /// `+++` … `+++`
    Toml,
    /// `---` … `---`
    Yaml,
}

/// A file split into front matter and body. Offsets are byte offsets into the file text.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The syntax, or `None` when the file has no front matter.
    pub format: Option<FmFormat>,
    /// The text between the delimiter lines.
    pub fm: &'a str,
    /// Where `fm` starts in the file.
    pub fm_offset: usize,
    /// The text after the closing delimiter line.
    pub body: &'a str,
    /// Where `body` starts in the file.
    pub body_offset: usize,
}

/// An opening front-matter delimiter without a closing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unterminated;

/// Splits `text`. `Err(Unterminated)` means an opening delimiter without a closing one
/// (reported at line 1 by the caller).
pub fn split(text: &str) -> Result<Split<'_>, Unterminated> {
    let first_end = text.find('\n').unwrap_or(text.len());
    let first = text[..first_end].trim_end();
    let format = match first {
        "+++" => FmFormat::Toml,
        "---" => FmFormat::Yaml,
        _ => {
            return Ok(Split {
                format: None,
                fm: "",
                fm_offset: 0,
                body: text,
                body_offset: 0,
            })
        }
    };
    let fm_offset = (first_end + 1).min(text.len());
    let mut pos = fm_offset;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        if text[pos..end].trim_end() == first {
            let body_offset = (end + 1).min(text.len());
            return Ok(Split {
                format: Some(format),
                fm: &text[fm_offset..pos],
                fm_offset,
                body: &text[body_offset..],
                body_offset,
            });
        }
        pos = end + 1;
    }
    Err(Unterminated)
}

/// A front-matter value, independent of the syntax it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A TOML date or datetime, in its text form.
    Date(String),
    /// An array.
    Array(Vec<Value>),
    /// A table (sorted by key).
    Table(BTreeMap<String, Value>),
}

impl Value {
    /// The name of this value's type, for "expected a string, found an integer" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Date(_) => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }

    /// Text of a string or date value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Date(s) => Some(s),
            _ => None,
        }
    }
}

/// serde-saphyr's options with budgets sized for front matter, which never needs more than a
/// few hundred nodes: alias bombs and huge documents stop early (and fast, even under a fuzzer's
/// instrumentation, where the library's generous defaults took seconds).
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 20_000;
    budget.max_events = 100_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_depth = MAX_DEPTH;
    budget.max_total_scalar_bytes = 4 * 1024 * 1024;
    let mut limits = serde_saphyr::options::AliasLimits::default();
    limits.max_total_replayed_events = 20_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits = limits;
    options
}

/// Nesting deeper than this is refused before parsing: no parser recursion can overflow.
pub const MAX_DEPTH: usize = 64;

/// A parse failure: message, byte offset inside the front-matter text, and a code.
#[derive(Debug, Clone)]
pub struct ParseError {
    /// Diagnostic code.
    pub code: &'static str,
    /// Human message.
    pub message: String,
    /// Byte offset in the front-matter text.
    pub offset: usize,
}

/// Parses the front-matter text into a table.
pub fn parse(format: FmFormat, fm: &str) -> Result<BTreeMap<String, Value>, ParseError> {
    if let Some(offset) = too_deep(fm) {
        return Err(ParseError {
            code: "nesting-too-deep",
            message: format!(
                "front matter nests arrays or tables more than {MAX_DEPTH} levels deep"
            ),
            offset,
        });
    }
    match format {
        FmFormat::Toml => {
            // toml-spanner parses into an arena, borrowing unescaped strings from `fm`: on the
            // 10,000 front matters of the synthetic wiki it is 7× faster than `toml`'s serde
            // path into a `toml::Table` (BENCHMARKS.md), with the same TOML 1.1 acceptance.
            let arena = toml_spanner::Arena::new();
            let doc = toml_spanner::parse(fm, &arena).map_err(|e| ParseError {
                code: match e.kind() {
                    toml_spanner::ErrorKind::DuplicateKey { .. }
                    | toml_spanner::ErrorKind::DuplicateTable { .. } => "duplicate-key",
                    _ => "front-matter-syntax",
                },
                message: e.message_with_path(fm),
                offset: e.span().start as usize,
            })?;
            table_from_toml(doc.table())
        }
        FmFormat::Yaml => {
            if fm.trim().is_empty() {
                return Ok(BTreeMap::new());
            }
            match serde_saphyr::from_str_with_options::<serde_json::Value>(fm, yaml_options()) {
                Ok(serde_json::Value::Object(m)) => {
                    Ok(m.into_iter().map(|(k, v)| (k, from_json(v))).collect())
                }
                Ok(serde_json::Value::Null) => Ok(BTreeMap::new()),
                Ok(other) => Err(ParseError {
                    code: "front-matter-syntax",
                    message: format!(
                        "front matter must be a mapping of keys to values, found {}",
                        json_type(&other)
                    ),
                    offset: 0,
                }),
                Err(e) => {
                    let offset = e
                        .location()
                        .map_or(0, |l| offset_of(fm, l.line() as usize, l.column() as usize));
                    let mut message = e.without_snippet().to_string();
                    if let Some(i) = message.find(" at line ") {
                        message.truncate(i);
                    }
                    let code = if message.contains("budget")
                        || message.contains("alias") && message.contains("limit")
                    {
                        "yaml-budget"
                    } else if message.contains("duplicate") {
                        "duplicate-key"
                    } else {
                        "front-matter-syntax"
                    };
                    Err(ParseError {
                        code,
                        message,
                        offset,
                    })
                }
            }
        }
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::String(_) => "a string",
        _ => "a scalar",
    }
}

fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return off
                + l.char_indices()
                    .nth(col.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b);
        }
        off += l.len();
    }
    off.min(text.len())
}

/// Offset of the first bracket nested deeper than [`MAX_DEPTH`], ignoring brackets in quotes.
fn too_deep(fm: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in fm.char_indices() {
        match quote {
            Some(q) if c == q && prev != '\\' => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(i);
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                '\n' => {}
                _ => {}
            },
        }
        if c == '\n' && quote == Some('\'') {
            quote = None;
        }
        prev = c;
    }
    None
}

fn table_from_toml(t: &toml_spanner::Table<'_>) -> Result<BTreeMap<String, Value>, ParseError> {
    t.iter()
        .map(|(k, v)| Ok((k.name.to_string(), from_toml(v)?)))
        .collect()
}

fn from_toml(item: &toml_spanner::Item<'_>) -> Result<Value, ParseError> {
    use toml_spanner::Value as T;
    Ok(match item.value() {
        T::String(s) => Value::Str(s.to_string()),
        T::Integer(i) => Value::Int(i.as_i64().ok_or_else(|| ParseError {
            code: "front-matter-syntax",
            message: "integer out of range for a 64-bit number".into(),
            offset: item.span().start as usize,
        })?),
        T::Float(f) => Value::Float(*f),
        T::Boolean(b) => Value::Bool(*b),
        T::DateTime(d) => Value::Date(d.format(&mut std::mem::MaybeUninit::uninit()).to_string()),
        T::Array(a) => Value::Array(a.iter().map(from_toml).collect::<Result<_, _>>()?),
        T::Table(t) => Value::Table(table_from_toml(t)?),
    })
}

fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Str(String::new()),
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(a) => Value::Array(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(m) => {
            Value::Table(m.into_iter().map(|(k, v)| (k, from_json(v))).collect())
        }
    }
}

/// Finds the byte offset (in `fm`) of the key path `path` (e.g. `["cites", "leads", "quote"]`),
/// searching each segment after the previous one. Falls back to the deepest segment found.
pub fn locate(fm: &str, path: &[&str]) -> usize {
    let mut pos = 0;
    let mut found = 0;
    for seg in path {
        if let Some(i) = find_key(fm, pos, seg) {
            pos = i + seg.len();
            found = i;
        }
    }
    found
}

/// Offset of the next occurrence of `key` at or after `from` that looks like a key: not part of
/// a longer word, and followed (after an optional closing quote and spaces) by `=`, `:`, `.` or `]`.
pub fn find_key(fm: &str, from: usize, key: &str) -> Option<usize> {
    if key.is_empty() || from >= fm.len() {
        return None;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut start = from;
    while let Some(rel) = memchr::memmem::find(fm.get(start..)?.as_bytes(), key.as_bytes()) {
        let i = start + rel;
        let before_ok = fm[..i].chars().next_back().is_none_or(|c| !word(c));
        let after = fm[i + key.len()..]
            .trim_start_matches(['"', '\''])
            .trim_start_matches([' ', '\t']);
        let after_ok = after.starts_with(['=', ':', '.', ']']);
        let after_word = fm[i + key.len()..].chars().next().is_some_and(word);
        if before_ok && after_ok && !after_word {
            return Some(i);
        }
        start = i + key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_toml_yaml_and_plain() {
        let s = split("+++\ntitle = \"a\"\n+++  \nbody").unwrap();
        assert_eq!(s.format, Some(FmFormat::Toml));
        assert_eq!(s.fm, "title = \"a\"\n");
        assert_eq!(s.body, "body");
        let s = split("---\ntitle: a\n---\n").unwrap();
        assert_eq!(s.format, Some(FmFormat::Yaml));
        assert_eq!(s.body, "");
        assert!(split("+++\ntitle = 1\n").is_err());
        assert_eq!(split("just text").unwrap().format, None);
        assert_eq!(split("").unwrap().format, None);
    }

    #[test]
    fn parses_both_formats_to_the_same_tree() {
        let t = parse(
            FmFormat::Toml,
            "title = \"A\"\naliases = [\"B\"]\n[cites.x]\nquote = \"q\"\n",
        )
        .unwrap();
        let y = parse(
            FmFormat::Yaml,
            "title: A\naliases: [B]\ncites:\n  x:\n    quote: q\n",
        )
        .unwrap();
        assert_eq!(t, y);
    }

    /// The `toml` crate's reading, as front matter was parsed before toml-spanner (the crate
    /// stays a dependency for `wiki.toml`): both must give the same tree.
    fn via_toml_crate(fm: &str) -> Option<BTreeMap<String, Value>> {
        fn conv(v: toml::Value) -> Value {
            match v {
                toml::Value::String(s) => Value::Str(s),
                toml::Value::Integer(i) => Value::Int(i),
                toml::Value::Float(f) => Value::Float(f),
                toml::Value::Boolean(b) => Value::Bool(b),
                toml::Value::Datetime(d) => Value::Date(d.to_string()),
                toml::Value::Array(a) => Value::Array(a.into_iter().map(conv).collect()),
                toml::Value::Table(t) => {
                    Value::Table(t.into_iter().map(|(k, v)| (k, conv(v))).collect())
                }
            }
        }
        let t: toml::Table = toml::from_str(fm).ok()?;
        Some(t.into_iter().map(|(k, v)| (k, conv(v))).collect())
    }

    #[test]
    fn toml_front_matter_reads_as_the_toml_crate_reads_it() {
        let cases = [
            r#"title = "A"
kind = "person"
aliases = ["B", 'C', """D"""]
"#,
            r#"s = "tab\there \u00e9 \"q\""
m = """
line one
line \
   two"""
l = '''raw\n'''
"#,
            "i = 42\nn = -7\nh = 0xff\no = 0o17\nb = 0b101\nu = 1_000\nf = 3.5\ne = 1e3\nt = true\n",
            "d = 1996-08-02\ndt = 1979-05-27T07:32:00Z\nsp = 1979-05-27 07:32:00Z\n\
             off = 1979-05-27T00:32:00.999999-07:00\nlocal = 1979-05-27T07:32:00\ntime = 07:32:00\n",
            "[cites.a]\nsource = \"s\"\npassage = 3\nquote = \"q\"\n[cites.b]\nsource = \"t\"\n",
            "relations.member_of = [\"x\", { target = \"y\", since = 2012, role = \"r\" }]\n",
            "[[events]]\ndate = \"2012\"\n[[events]]\ndate = \"2013\"\nnested = [[1, 2], [\"a\"]]\n",
            "\"quoted key\" = 1\n'lit key' = 2\nbare-key_1 = 3\n# comment\n\n",
            "",
            "a = 1\nb = = 2\n",
            "a = 99999999999999999999\n",
            "a = [1,]\nb = { x = 1 }\n",
        ];
        let mut read = 0;
        for fm in cases {
            let ours = parse(FmFormat::Toml, fm).ok();
            assert_eq!(ours, via_toml_crate(fm), "{fm}");
            read += usize::from(ours.is_some());
        }
        assert_eq!(read, cases.len() - 2, "all but the two broken cases parse");
    }

    #[test]
    fn refuses_deep_nesting_and_reports_positions() {
        let deep = format!("a = {}", "[".repeat(100_000));
        assert_eq!(
            parse(FmFormat::Toml, &deep).unwrap_err().code,
            "nesting-too-deep"
        );
        let deep = format!("a: {}", "[".repeat(100_000));
        assert_eq!(
            parse(FmFormat::Yaml, &deep).unwrap_err().code,
            "nesting-too-deep"
        );
        let e = parse(FmFormat::Toml, "a = 1\nb = = 2\n").unwrap_err();
        assert!(e.offset >= 6, "{e:?}");
        let e = parse(FmFormat::Yaml, "a: 1\nb: [\n").unwrap_err();
        assert_eq!(e.code, "front-matter-syntax");
        let e = parse(FmFormat::Toml, "a = 1\na = 2\n").unwrap_err();
        assert_eq!(e.code, "duplicate-key", "{e:?}");
        let e = parse(FmFormat::Toml, "[t]\na = 1\n[t]\nb = 2\n").unwrap_err();
        assert_eq!(e.code, "duplicate-key", "{e:?}");
        let e = parse(FmFormat::Yaml, "a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.code, "duplicate-key", "{e:?}");
    }

    #[test]
    fn yaml_alias_bomb_is_refused() {
        let mut y = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, c) in ('b'..='i').enumerate() {
            let p = (b'a' + i as u8) as char;
            y.push_str(&format!(
                "{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
            ));
        }
        let t = std::time::Instant::now();
        assert!(parse(FmFormat::Yaml, &y).is_err());
        assert!(t.elapsed().as_secs() < 2);
    }

    /// Regression (fuzz target `front_matter`, timeout-433e6dfc…): a malformed alias bomb took
    /// seconds under instrumentation with the library's default budget.
    #[test]
    fn fuzz_timeout_alias_bomb_variant_is_refused_fast() {
        let input = include_bytes!("../../fuzz/regressions/front_matter-timeout-433e6dfc");
        let text = String::from_utf8_lossy(input);
        let t = std::time::Instant::now();
        if let Ok(s) = split(&text) {
            if let Some(f) = s.format {
                assert!(parse(f, s.fm).is_err());
            }
        }
        let _ = parse(FmFormat::Yaml, &text);
        assert!(
            t.elapsed() < std::time::Duration::from_millis(500),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn locates_keys() {
        let fm = "title = \"x\"\n[cites.leads]\nsource = \"s\"\nquote = \"q\"\n[cites.other]\nquote = \"r\"\n";
        assert_eq!(
            &fm[locate(fm, &["cites", "other", "quote"])..][..5],
            "quote"
        );
        assert!(
            locate(fm, &["cites", "other", "quote"]) > locate(fm, &["cites", "leads", "quote"])
        );
        assert_eq!(find_key("subtitle = 1\ntitle = 2", 0, "title"), Some(13));
    }
}
