//! Stage 4, **write**: output files and theme assets into a staging folder beside the output
//! folder, then swapped into place, so a failed or killed build never leaves a half-written site.
//!
//! Safety rules: the output folder may not be the wiki root or contain it, and an existing
//! non-empty output folder is only replaced if it carries our marker file (we never delete a
//! folder refwiki did not create).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
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

/// Exchanges two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`). `Ok(false)` when the
/// platform or filesystem cannot, so the caller falls back to two renames.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both pointers are valid NUL-terminated paths for the duration of the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) => Ok(false),
        _ => Err(anyhow::Error::new(err).context(format!(
            "failed to swap `{}` and `{}`",
            a.display(),
            b.display()
        ))),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> Result<bool> {
    Ok(false)
}

/// Test hook for fault injection (catalogue E5): with `REFWIKI_FAIL_WRITE_AFTER=N` in the
/// environment, the (N+1)th file write fails as a full disk would.
fn injected_fault(count: &std::sync::atomic::AtomicUsize) -> Result<()> {
    if let Some(n) = std::env::var("REFWIKI_FAIL_WRITE_AFTER")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= n {
            bail!("No space left on device (os error 28) [injected by REFWIKI_FAIL_WRITE_AFTER]");
        }
    }
    Ok(())
}

/// The hidden sibling `.<out name>.refwiki-<what>` of a checked output folder.
fn sibling(out: &Path, what: &str) -> PathBuf {
    let parent = out.parent().expect("checked output folder has a parent");
    let name = out
        .file_name()
        .expect("checked output folder has a name")
        .to_string_lossy();
    parent.join(format!(".{name}.refwiki-{what}"))
}

/// Puts back a previous site left aside by a build killed between the two renames of the
/// non-atomic fallback swap.
pub fn recover(out: &Path) -> Result<()> {
    let old = sibling(out, "old");
    if !out.exists() && old.is_dir() {
        fsx::rename(&old, out)?;
    }
    Ok(())
}

/// A staging folder beside the output folder, filled file by file (from many threads) and
/// then swapped in whole. Dropping it without `commit` removes it.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    count: std::sync::atomic::AtomicUsize,
    committed: bool,
}

impl Staging {
    /// Creates an empty staging folder for `out` (recovering an interrupted swap first).
    pub fn begin(out: &Path) -> Result<Staging> {
        recover(out)?;
        let dir = sibling(out, "staging");
        fsx::remove_dir_all_if_exists(&dir)?;
        fsx::create_dir_all(&dir)?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            count: std::sync::atomic::AtomicUsize::new(0),
            committed: false,
        })
    }

    /// Writes one file into the staging folder.
    pub fn write(&self, f: &OutputFile) -> Result<()> {
        if f.path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
            bail!(
                "internal error: output path `{}` is not a plain relative path",
                f.path
            );
        }
        injected_fault(&self.count)
            .and_then(|()| fsx::write(&self.dir.join(&f.path), &f.bytes))
            .with_context(|| {
                format!(
                    "failed to write the site; `{}` was left as it was",
                    self.out.display()
                )
            })
    }

    /// Adds the marker and swaps the staging folder in: atomically where the platform allows
    /// (so the output is at every instant either the whole old site or the whole new one), else
    /// with two renames and recovery on the next build.
    pub fn commit(mut self) -> Result<()> {
        fsx::write(
            &self.dir.join(MARKER),
            b"This folder is written by refwiki build and replaced whole on every build.\n",
        )?;
        self.committed = true;
        let (out, staging) = (&self.out, &self.dir);
        let old = sibling(out, "old");
        if out.exists() && exchange(staging, out)? {
            // `staging` now holds the previous site.
            return fsx::remove_dir_all_if_exists(staging);
        }
        fsx::remove_dir_all_if_exists(&old)?;
        if out.exists() {
            fsx::rename(out, &old)?;
        }
        if let Err(e) = fsx::rename(staging, out) {
            // Put the previous site back.
            let _ = std::fs::rename(&old, out);
            return Err(e);
        }
        fsx::remove_dir_all_if_exists(&old)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes `files` to a staging folder next to `out`, then swaps it in.
pub fn write_site(out: &Path, files: &[OutputFile]) -> Result<()> {
    let staging = Staging::begin(out)?;
    files.par_iter().try_for_each(|f| staging.write(f))?;
    staging.commit()
}
