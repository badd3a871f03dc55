//! Content diagnostics: problems in the wiki an editor can fix, as values.
//!
//! Every stage returns its result *plus* a list of `Diagnostic`s instead of stopping at the
//! first problem. A diagnostic has a stable `code` (documented in `docs/diagnostics.md`), a
//! file relative to the wiki root, a 1-based line and column, a message and a hint. The list is
//! sorted and deduplicated once, by [`Diagnostics::finish`], so output is deterministic.
//!
//! Operational failures (IO, template syntax) are not diagnostics: they are `anyhow` errors.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

/// How bad a diagnostic is. Errors fail `build` and `check`; warnings fail only `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Must be fixed: the site would lie or break.
    Error,
    /// Worth fixing: the site is correct but incomplete.
    Warning,
}

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable kebab-case code, e.g. `broken-link`.
    pub code: &'static str,
    /// Path relative to the wiki root, with `/` separators.
    pub file: PathBuf,
    /// 1-based line in the file (0 when the problem concerns the whole file).
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The offending line's text, for the caret display.
    #[serde(skip)]
    pub line_text: Option<String>,
}

impl Diagnostic {
    /// An error at `file:line:column`.
    pub fn error(
        code: &'static str,
        file: impl Into<PathBuf>,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: file.into(),
            line,
            column,
            message: message.into(),
            hint: None,
            line_text: None,
        }
    }

    /// A warning at `file:line:column`.
    pub fn warning(
        code: &'static str,
        file: impl Into<PathBuf>,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, line, column, message)
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint when there is one.
    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Attaches the text of the offending line (for the caret display).
    pub fn with_line_text(mut self, text: &str) -> Self {
        self.line_text = Some(text.to_string());
        self
    }

    fn sort_key(&self) -> (&PathBuf, u32, u32, Severity, &'static str, &str) {
        (
            &self.file,
            self.line,
            self.column,
            self.severity,
            self.code,
            &self.message,
        )
    }
}

/// Output format of a diagnostics report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-like text with the offending line and a caret.
    Human,
    /// One JSON object per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=…`).
    Github,
}

/// A sorted, deduplicated list of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Sorts by file, line, column, severity, code and message, and drops exact duplicates.
    pub fn finish(mut list: Vec<Diagnostic>) -> Diagnostics {
        list.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        list.dedup_by(|a, b| a.sort_key() == b.sort_key());
        Diagnostics(list)
    }

    /// All diagnostics, in order.
    pub fn all(&self) -> &[Diagnostic] {
        &self.0
    }

    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.0.len() - self.errors()
    }

    /// Renders every diagnostic in `format`, plus (for `Human`) a summary line.
    pub fn render(&self, format: Format) -> String {
        let mut out = String::new();
        for d in &self.0 {
            match format {
                Format::Human => render_human(d, &mut out),
                Format::Json => {
                    out.push_str(&serde_json::to_string(d).expect("diagnostics serialise"));
                    out.push('\n');
                }
                Format::Github => render_github(d, &mut out),
            }
        }
        if format == Format::Human && !self.0.is_empty() {
            let _ = writeln!(
                out,
                "{} error(s), {} warning(s)",
                self.errors(),
                self.warnings()
            );
        }
        out
    }
}

fn file_str(d: &Diagnostic) -> String {
    d.file.to_string_lossy().replace('\\', "/")
}

fn render_human(d: &Diagnostic, out: &mut String) {
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(
        out,
        "{}:{}:{}: {sev}[{}]: {}",
        file_str(d),
        d.line,
        d.column,
        d.code,
        d.message
    );
    if let Some(text) = &d.line_text {
        let width = d.line.to_string().len();
        let shown: String = text.chars().take(200).collect();
        let _ = writeln!(out, "{:width$} |", "");
        let _ = writeln!(out, "{} | {}", d.line, shown);
        let pad: String = text
            .chars()
            .take(d.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .take(200)
            .collect();
        let _ = writeln!(out, "{:width$} | {pad}^", "");
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "  = hint: {h}");
    }
    out.push('\n');
}

/// GitHub workflow commands escape `%`, CR and LF in messages and also `,` and `:` in properties.
fn gh_escape(s: &str, property: bool) -> String {
    let mut o = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        o = o.replace(':', "%3A").replace(',', "%2C");
    }
    o
}

fn render_github(d: &Diagnostic, out: &mut String) {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut msg = format!("{} [{}]", d.message, d.code);
    if let Some(h) = &d.hint {
        msg.push_str(&format!("\nhint: {h}"));
    }
    let _ = writeln!(
        out,
        "::{level} file={},line={},col={},title={}::{}",
        gh_escape(&file_str(d), true),
        d.line.max(1),
        d.column.max(1),
        gh_escape(&format!("refwiki {}", d.code), true),
        gh_escape(&msg, false)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_deduplicated_and_rendered() {
        let a = Diagnostic::error("broken-link", "content/b.md", 3, 5, "no entity `X`")
            .hint("check the spelling")
            .with_line_text("see [[X]] here");
        let b = Diagnostic::warning("orphan-entity", "content/a.md", 1, 1, "nothing links here");
        let d = Diagnostics::finish(vec![a.clone(), b, a]);
        assert_eq!(d.all().len(), 2);
        assert_eq!(d.errors(), 1);
        let human = d.render(Format::Human);
        assert!(human.starts_with("content/a.md:1:1: warning[orphan-entity]"));
        assert!(human.contains("3 | see [[X]] here\n  |     ^\n"));
        let gh = d.render(Format::Github);
        assert!(gh.contains("::error file=content/b.md,line=3,col=5,title=refwiki broken-link::no entity `X` [broken-link]%0Ahint: check the spelling"));
        assert!(d.render(Format::Json).lines().all(|l| l.starts_with('{')));
    }
}
