//! `refwiki new <kind> "Title"`: writes `content/<kind folder>/<slug>.md` with a front-matter
//! skeleton for that kind, and never overwrites an existing file.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::text::{did_you_mean, slugify};

/// Arguments of `refwiki new`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The kind of entity (`person`, `group`, `place`, `event`, `topic`, or one from wiki.toml).
    pub kind: String,
    /// The page title.
    pub title: String,
}

/// The skeleton for an entity of `kind`.
pub fn skeleton(kind: &crate::config::Kind, title: &str, source_hint: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "+++");
    let _ = writeln!(s, "title = {}", toml_string(title));
    let _ = writeln!(s, "kind = \"{}\"", kind.name);
    let _ = writeln!(s, "aliases = []");
    let _ = writeln!(s, "summary = \"\"");
    let _ = writeln!(s, "tags = []");
    for f in &kind.facts {
        let example = if kind.dates.contains(f) {
            "YYYY-MM-DD (or YYYY, YYYY-MM)"
        } else {
            "…"
        };
        let _ = writeln!(s, "# {f} = {{ value = \"{example}\", cite = \"key\" }}");
    }
    let _ = writeln!(s, "\n[relations]");
    let _ = writeln!(
        s,
        "# member_of = [{{ to = \"other-page-slug\", since = \"2017\", cite = \"key\" }}]"
    );
    let _ = writeln!(s, "\n# [cites.key]");
    let _ = writeln!(s, "# source = \"{source_hint}\"");
    let _ = writeln!(s, "# quote = \"the exact words of one passage\"");
    let _ = writeln!(s, "+++\n");
    let _ = writeln!(
        s,
        "Write about {title} here, in your own words, ending each factual sentence with a citation"
    );
    let _ = writeln!(
        s,
        "reference such as `[^key]`. Link other pages with `[[Their Title]]`."
    );
    s
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Writes the new page.
pub fn run(root: &Path, args: Args) -> Result<ExitCode> {
    let (config, _) = crate::load::load_config(root, None)?;
    let Some(kind) = config.kinds.get(&args.kind) else {
        let known: Vec<&str> = config.kinds.keys().map(String::as_str).collect();
        let hint = did_you_mean(&args.kind, known.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        bail!(
            "unknown kind `{}`{hint}; known kinds: {}",
            args.kind,
            known.join(", ")
        );
    };
    if args.title.trim().is_empty() {
        bail!("the title is empty");
    }
    let slug = slugify(&args.title);
    let rel = format!("content/{}/{slug}.md", kind.folder);
    let path = root.join(&rel);
    if path.exists() {
        bail!("`{rel}` already exists; refwiki new never overwrites a page");
    }
    let source_hint = std::fs::read_dir(root.join("content/sources"))
        .ok()
        .and_then(|d| {
            let mut names: Vec<String> = d
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.path()
                        .file_stem()
                        .map(|s| s.to_string_lossy().to_string())
                })
                .collect();
            names.sort();
            names.into_iter().next()
        })
        .unwrap_or_else(|| "source-id".into());
    crate::fsx::write(&path, skeleton(kind, &args.title, &source_hint).as_bytes())?;
    println!("created {rel}");
    Ok(ExitCode::SUCCESS)
}
