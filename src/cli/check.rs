//! `refwiki check`: load and resolve (no rendering, no writing) and report every diagnostic;
//! the command editors and CI run on pull requests.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::diag::Format;
use crate::BuildOptions;

/// Arguments of `refwiki check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format: rustc-like text, JSON lines, or GitHub annotations.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

/// Checks; exits 1 on errors (or warnings with `--strict`).
pub fn run(root: &Path, args: Args) -> Result<ExitCode> {
    let report = crate::build(
        root,
        &BuildOptions {
            write: false,
            ..Default::default()
        },
    )?;
    let d = &report.diagnostics;
    print!("{}", d.render(args.format));
    let failed = d.errors() > 0 || (args.strict && d.warnings() > 0);
    if args.format == Format::Human && d.all().is_empty() {
        println!(
            "ok: {} entities, {} sources, {} verified citations, no problems",
            report.entities, report.sources, report.citations
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
