//! `refwiki build`: run the whole pipeline and write the site.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::diag::Format;
use crate::BuildOptions;

/// Arguments of `refwiki build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output folder (relative to the wiki root).
    #[arg(long, short, default_value = "public")]
    pub out: PathBuf,
    /// Base URL, e.g. `https://example.org/wiki/` (overrides `base_url` in wiki.toml).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Diagnostics format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Print the time each stage took (load, resolve, render, write) to stderr.
    #[arg(long)]
    pub timings: bool,
    /// Remove the previous site after the swap instead of keeping it beside the output folder
    /// (`.<out>.refwiki-staging`) for the next build to rewrite in place: saves disk space
    /// equal to the site's size; the next build is slower.
    #[arg(long, conflicts_with = "watch")]
    pub discard_previous: bool,
    /// Keep running: rebuild into the output folder after every change.
    #[arg(long)]
    pub watch: bool,
    /// With --watch: poll the filesystem instead of using native file events.
    #[arg(long, requires = "watch")]
    pub poll: bool,
}

/// Builds; exits 1 when content errors stopped the build.
pub fn run(root: &Path, args: Args) -> Result<ExitCode> {
    if args.watch {
        crate::serve::watch_build(root, &args.out, args.base_url, args.poll)?;
        return Ok(ExitCode::SUCCESS);
    }
    let opts = BuildOptions {
        out: Some(args.out.clone()),
        base_url: args.base_url,
        write: true,
        discard_previous: args.discard_previous,
    };
    let report = crate::build(root, &opts)?;
    if args.timings {
        crate::print_timings(&report);
    }
    eprint!("{}", report.diagnostics.render(args.format));
    if report.diagnostics.errors() > 0 {
        eprintln!(
            "build failed: {} error(s); the previous output was left as it was",
            report.diagnostics.errors()
        );
        return Ok(ExitCode::from(1));
    }
    eprintln!(
        "built {} files ({} entities, {} sources, {} verified citations) into {}",
        report.files,
        report.entities,
        report.sources,
        report.citations,
        root.join(&args.out).display()
    );
    Ok(ExitCode::SUCCESS)
}
