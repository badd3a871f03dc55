//! `refwiki init [DIR]`: a new wiki that builds at once on the embedded templates and theme,
//! with one sample source and two entity pages that cite it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

/// The files `init` writes (path, contents), from `defaults/init/`.
pub const FILES: &[(&str, &str)] = &[
    ("wiki.toml", include_str!("../../defaults/init/wiki.toml")),
    (".gitignore", include_str!("../../defaults/init/gitignore")),
    (
        "content/index.md",
        include_str!("../../defaults/init/content/index.md"),
    ),
    (
        "content/sources/harbour-gazette-1901.md",
        include_str!("../../defaults/init/content/sources/harbour-gazette-1901.md"),
    ),
    (
        "content/people/ada-marlow.md",
        include_str!("../../defaults/init/content/people/ada-marlow.md"),
    ),
    (
        "content/groups/northpoint-lighthouse-society.md",
        include_str!("../../defaults/init/content/groups/northpoint-lighthouse-society.md"),
    ),
];

/// Arguments of `refwiki init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder for the new wiki (created if missing; must be empty). Defaults to `--root`.
    pub dir: Option<PathBuf>,
}

/// Writes the sample wiki, refusing a folder that already has files.
pub fn run(root: &Path, args: Args) -> Result<ExitCode> {
    let dir = args.dir.unwrap_or_else(|| root.to_path_buf());
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!(
            "`{}` is not empty; refwiki init only writes into a new or empty folder",
            dir.display()
        );
    }
    for (rel, text) in FILES {
        crate::fsx::write(&dir.join(rel), text.as_bytes())?;
    }
    println!("created a new wiki in {}", dir.display());
    println!(
        "next: cd {} && refwiki serve   (or refwiki build)",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
