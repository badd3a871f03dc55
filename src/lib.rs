//! # refwiki
//!
//! A static site generator for *reference wikis*: every claim on an entity page cites a passage
//! of an archived source, and the build proves each quote and each link before it publishes.
//!
//! ## Bird's-eye view
//!
//! A build is a pipeline of four stages, each a function from one type to the next:
//!
//! ```text
//! wiki folder ──load──▶ Corpus ──resolve──▶ Wiki ──render──▶ Vec<OutputFile> ──write──▶ public/
//!                 │                 │                                   │
//!            Diagnostics      Diagnostics                      staging dir + swap
//! ```
//!
//! `check` runs `load` and `resolve` only (and resolution leaves out what only pages show).
//! See `ARCHITECTURE.md` for the code map and the invariants; the short version:
//!
//! - Only `load`, `render::templates`, `write` and the CLI do IO. `resolve`, `markdown` and
//!   `render` (apart from reading templates) are pure.
//! - `resolve` never returns `Err`: content problems are `Diagnostic`s.
//! - Output is byte-identical for identical input: sorted walks, `BTreeMap`s, no clocks.
//! - Templates only see `render::view` types.
//! - There is no global mutable state.

#![warn(missing_docs)]
// Diagnostics travel in `Err` on cold, per-file paths; boxing them would buy nothing.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod config;
pub mod date;
pub mod diag;
pub mod fsx;
pub mod hash;
pub mod load;
pub mod markdown;
pub mod render;
pub mod resolve;
pub mod serve;
pub mod session;
pub mod testing;
pub mod text;
pub mod write;

use std::path::{Path, PathBuf};

use anyhow::Result;

use diag::Diagnostics;

/// What a build should do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Output folder (relative to the wiki root unless absolute); `public` by default.
    pub out: Option<PathBuf>,
    /// Base URL overriding `wiki.toml`.
    pub base_url: Option<String>,
    /// Render and write the site (false for `check`).
    pub write: bool,
    /// Remove the previous site after the swap instead of keeping it in the staging folder
    /// for the next build to rewrite in place (`build --discard-previous`).
    pub discard_previous: bool,
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// Every content diagnostic, sorted.
    pub diagnostics: Diagnostics,
    /// Files written (0 when nothing was written).
    pub files: usize,
    /// Entities and sources seen.
    pub entities: usize,
    /// Sources seen.
    pub sources: usize,
    /// Verified citations.
    pub citations: usize,
    /// Wall time per stage (load, resolve, render, write, free), for `--timings`.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Prints `report.timings` to stderr, one stage a line.
pub fn print_timings(report: &BuildReport) {
    for (stage, d) in &report.timings {
        eprintln!("{stage:>8}: {:>8.1} ms", d.as_secs_f64() * 1000.0);
    }
}

/// Runs the pipeline on the wiki at `root`. Writes only when `opts.write` and no
/// error-severity diagnostic was found; the previous output is untouched otherwise.
pub fn build(root: &Path, opts: &BuildOptions) -> Result<BuildReport> {
    let out_dir = match opts.write {
        true => Some(write::check_out_dir(
            root,
            opts.out.as_deref().unwrap_or(Path::new("public")),
        )?),
        false => None,
    };
    let mut timings = Vec::new();
    let mut t = std::time::Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, std::time::Duration)>| {
        timings.push((name, t.elapsed()));
        t = std::time::Instant::now();
    };
    // The staging folder is looked at on a thread while the wiki loads and resolves.
    let staging = out_dir.as_deref().map(write::Staging::prepare);
    let tera = render::templates::load(root)?;
    // A large wiki's bodies are let go as they are loaded and read again when each is scanned
    // and rendered (`resolve::COMPILE_AHEAD_MAX_BYTES`): no moment holds every body.
    let (corpus, mut diags) = load::load_releasing(
        root,
        opts.base_url.as_deref(),
        resolve::COMPILE_AHEAD_MAX_BYTES,
    )?;
    lap("load", &mut timings);
    let Some(staging) = staging else {
        // `check`: the diagnostics alone, without what only the pages show.
        let (checked, rd) = resolve::check(corpus);
        diags.extend(rd);
        let diagnostics = Diagnostics::finish(diags);
        lap("resolve", &mut timings);
        return Ok(BuildReport {
            files: 0,
            entities: checked.entities,
            sources: checked.sources,
            citations: checked.citations,
            diagnostics,
            timings,
        });
    };
    // A build that writes renders every page: bodies are compiled to HTML as they are scanned,
    // or, at scale, let go after resolution and read again for their pages.
    let (wiki, rd) = resolve::resolve_to_render(corpus, root);
    diags.extend(rd);
    let diagnostics = Diagnostics::finish(diags);
    lap("resolve", &mut timings);
    let counts = resolve::Checked::of(&wiki);
    let mut report = BuildReport {
        files: 0,
        entities: counts.entities,
        sources: counts.sources,
        citations: counts.citations,
        diagnostics,
        timings: Vec::new(),
    };
    if report.diagnostics.errors() == 0 {
        let mut staging = staging.begin()?;
        staging.keep_previous(!opts.discard_previous);
        let theme = write::theme_files(root)?;
        let paths = render::render_each(&wiki, &tera, &staging)?;
        // Theme files never replace generated pages.
        let generated: std::collections::BTreeSet<&str> =
            paths.iter().map(String::as_str).collect();
        let theme: Vec<&render::OutputFile> = theme
            .iter()
            .filter(|f| !generated.contains(f.path.as_str()))
            .collect();
        for f in &theme {
            staging.write(f)?;
        }
        lap("render", &mut timings);
        staging.commit()?;
        lap("write", &mut timings);
        report.files = paths.len() + theme.len();
    }
    // Freeing the resolved wiki takes tens of milliseconds at scale: a thread does it, which
    // the process does not wait for when it exits.
    drop_in_background(wiki);
    lap("free", &mut timings);
    report.timings = timings;
    Ok(report)
}

/// Drops `value` on a thread of its own (the process does not wait for it when it exits): for
/// large structures whose freeing would otherwise sit on the critical path. When no thread can
/// be started, the refused closure, and `value` with it, is dropped here.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("refwiki-free".into())
        .spawn(move || drop(value));
}
