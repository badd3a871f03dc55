//! `refwiki check`: load and resolve (no rendering, no writing) and report every diagnostic;
//! the command editors and CI run on pull requests.
//!
//! With `--changed FILE…` or `--since REV` it reports what a pull request is responsible for:
//! every problem in the changed files, plus every problem elsewhere that the baseline (the
//! wiki at `REV`, or at `HEAD` for `--changed`) did not have, such as links in untouched pages
//! broken by a renamed title. The baseline is checked out with `git worktree` into a temporary
//! folder and removed afterwards.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

use crate::diag::{Diagnostic, Diagnostics, Format};
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
    /// Print the time each stage took to stderr.
    #[arg(long)]
    pub timings: bool,
    /// Report only problems in these files and problems they cause elsewhere (compared to HEAD).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub changed: Vec<PathBuf>,
    /// Like --changed, with the files changed since this git revision (and it as the baseline).
    #[arg(long, value_name = "GIT_REV")]
    pub since: Option<String>,
}

fn diagnostics(root: &Path) -> Result<crate::BuildReport> {
    crate::build(
        root,
        &BuildOptions {
            write: false,
            ..Default::default()
        },
    )
}

/// Checks; exits 1 on errors (or warnings with `--strict`).
pub fn run(root: &Path, args: Args) -> Result<ExitCode> {
    let report = diagnostics(root)?;
    if args.timings {
        crate::print_timings(&report);
    }
    let mut d = report.diagnostics.clone();
    if !args.changed.is_empty() || args.since.is_some() {
        d = focus(root, &args, d)?;
    }
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

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("failed to run git")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// Keeps the diagnostics a change is responsible for.
fn focus(root: &Path, args: &Args, current: Diagnostics) -> Result<Diagnostics> {
    let root = crate::fsx::canonicalize(root)?;
    let in_git = git(&root, &["rev-parse", "--show-toplevel"]).is_ok();
    let prefix = if in_git {
        git(&root, &["rev-parse", "--show-prefix"])?
            .trim()
            .to_string()
    } else {
        String::new()
    };
    let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
    for f in &args.changed {
        let abs = if f.is_absolute() {
            f.clone()
        } else {
            std::env::current_dir()?.join(f)
        };
        let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
        let rel = abs
            .strip_prefix(&root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| f.clone());
        changed.insert(PathBuf::from(rel.to_string_lossy().replace('\\', "/")));
    }
    if let Some(rev) = &args.since {
        if !in_git {
            bail!("--since needs the wiki to be in a git repository");
        }
        let mut names = git(
            &root,
            &["diff", "--name-only", "--relative", rev, "--", "."],
        )?;
        names.push_str(&git(
            &root,
            &["ls-files", "--others", "--exclude-standard"],
        )?);
        changed.extend(names.lines().filter(|l| !l.is_empty()).map(PathBuf::from));
    }
    let baseline: Option<BTreeSet<(String, String, String)>> =
        match (in_git, args.since.as_deref().unwrap_or("HEAD")) {
            (true, rev) => Some(baseline_keys(&root, &prefix, rev)?),
            (false, _) => None,
        };
    let keep = |d: &Diagnostic| {
        changed.contains(&d.file)
            || match &baseline {
                Some(b) => !b.contains(&key(d)),
                None => false,
            }
    };
    Ok(Diagnostics::finish(
        current.all().iter().filter(|d| keep(d)).cloned().collect(),
    ))
}

/// A diagnostic's identity across edits that move lines.
fn key(d: &Diagnostic) -> (String, String, String) {
    (
        d.code.to_string(),
        d.file.to_string_lossy().to_string(),
        d.message.clone(),
    )
}

/// The diagnostics of the wiki as it was at `rev`.
fn baseline_keys(
    root: &Path,
    prefix: &str,
    rev: &str,
) -> Result<BTreeSet<(String, String, String)>> {
    let top = PathBuf::from(git(root, &["rev-parse", "--show-toplevel"])?.trim());
    let tmp = std::env::temp_dir().join(format!("refwiki-baseline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    git(
        &top,
        &[
            "worktree",
            "add",
            "--detach",
            "--force",
            tmp.to_str().context("temporary path is not UTF-8")?,
            rev,
        ],
    )?;
    let result = diagnostics(&tmp.join(prefix));
    let _ = git(
        &top,
        &[
            "worktree",
            "remove",
            "--force",
            tmp.to_str().unwrap_or_default(),
        ],
    );
    let _ = std::fs::remove_dir_all(&tmp);
    let report = result.with_context(|| format!("failed to check the baseline at `{rev}`"))?;
    Ok(report.diagnostics.all().iter().map(key).collect())
}
