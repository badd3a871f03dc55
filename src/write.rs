//! Stage 4, **write**: output files and theme assets into a staging folder beside the output
//! folder, then swapped into place, so a failed or killed build never leaves a half-written site.
//!
//! Safety rules: the output folder may not be the wiki root or contain it, and an existing
//! non-empty output folder is only replaced if it carries our marker file (we never delete a
//! folder refwiki did not create).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use rayon::prelude::*;

use crate::fsx;
use crate::render::OutputFile;

/// Name of the marker file written into every output folder.
pub const MARKER: &str = ".refwiki-output";

/// Resolves and checks the output folder for the wiki at `root`.
pub fn check_out_dir(root: &Path, out: &Path) -> Result<PathBuf> {
    let root = fsx::canonicalize(root)?;
    let out = if out.is_absolute() {
        out.to_path_buf()
    } else {
        root.join(out)
    };
    let name = match out.file_name() {
        Some(n) if n != ".." => n.to_os_string(),
        _ => bail!("output folder `{}` must name a folder", out.display()),
    };
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fsx::create_dir_all(parent)?;
    let out = fsx::canonicalize(parent)?.join(name);
    if root.starts_with(&out) {
        bail!(
            "refusing to write the site to `{}`: it is the wiki folder or contains it",
            out.display()
        );
    }
    if out.exists() {
        if !out.is_dir() {
            bail!("output path `{}` exists and is not a folder", out.display());
        }
        let non_empty = std::fs::read_dir(&out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true);
        if non_empty && !out.join(MARKER).exists() {
            bail!("refusing to replace `{}`: it is not empty and was not created by refwiki (no `{MARKER}` file); remove it or choose another --out", out.display());
        }
    }
    Ok(out)
}

/// The theme files: embedded defaults overridden by the wiki's `theme/` folder.
pub fn theme_files(root: &Path) -> Result<Vec<OutputFile>> {
    let mut files: Vec<OutputFile> = crate::render::DEFAULT_THEME
        .iter()
        .map(|(p, b)| OutputFile {
            path: p.to_string(),
            bytes: b.to_vec(),
        })
        .collect();
    let dir = root.join("theme");
    if dir.is_dir() {
        for entry in walkdir::WalkDir::new(&dir)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry =
                entry.map_err(|e| anyhow::anyhow!("failed to read `{}`: {e}", dir.display()))?;
            if entry.path_is_symlink() {
                bail!(
                    "symbolic links are not allowed in theme/: `{}`",
                    entry.path().display()
                );
            }
            if !entry.file_type().is_file() || entry.file_name().to_string_lossy().starts_with('.')
            {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(&dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = fsx::read(entry.path())?;
            match files.iter_mut().find(|f| f.path == rel) {
                Some(f) => f.bytes = bytes,
                None => files.push(OutputFile { path: rel, bytes }),
            }
        }
    }
    Ok(files)
}

/// Writes `files` to a staging folder next to `out`, then swaps it in.
pub fn write_site(out: &Path, files: &[OutputFile]) -> Result<()> {
    let parent = out.parent().expect("checked output folder has a parent");
    let name = out
        .file_name()
        .expect("checked")
        .to_string_lossy()
        .to_string();
    let staging = parent.join(format!(".{name}.refwiki-staging"));
    let old = parent.join(format!(".{name}.refwiki-old"));
    fsx::remove_dir_all_if_exists(&staging)?;
    fsx::create_dir_all(&staging)?;
    let result = (|| -> Result<()> {
        files.par_iter().try_for_each(|f| {
            if f.path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
                bail!(
                    "internal error: output path `{}` is not a plain relative path",
                    f.path
                );
            }
            fsx::write(&staging.join(&f.path), &f.bytes)
        })?;
        fsx::write(
            &staging.join(MARKER),
            b"This folder is written by refwiki build and replaced whole on every build.\n",
        )?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    fsx::remove_dir_all_if_exists(&old)?;
    if out.exists() {
        fsx::rename(out, &old)?;
    }
    if let Err(e) = fsx::rename(&staging, out) {
        // Put the previous site back.
        let _ = std::fs::rename(&old, out);
        return Err(e);
    }
    fsx::remove_dir_all_if_exists(&old)?;
    Ok(())
}
