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
use crate::render::{Contents, OutputFile};

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
///
/// After a swap the staging folder holds the previous site, and the next build rewrites that
/// tree in place instead of deleting it and creating 30,000 files in 30,000 new folders: the
/// folders exist, only files this build did not write are removed at the end. (At 10,000
/// entities, removing the previous site and creating every folder was a sixth of a build's
/// CPU, all of it in the kernel; see BENCHMARKS.md.) The cost is disk space: between builds
/// the previous site stays in `.<out>.refwiki-staging`, which is always safe to delete.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    /// `dir`, opened once: files are opened relative to it.
    folder: Folder,
    count: std::sync::atomic::AtomicUsize,
    committed: bool,
    recycled: Option<Recycled>,
    keep_previous: bool,
}

/// The previous site found in the staging folder, to be rewritten in place.
struct Recycled {
    /// Its regular files (relative `/` paths).
    files: PathSet,
    /// A bit per file of `files`: set once this build has written it (the others are stale).
    written: Vec<std::sync::atomic::AtomicU64>,
    /// Its folders (relative `/` paths): writes into them need not create them.
    dirs: PathSet,
}

impl Recycled {
    /// Notes that this build wrote `rel` (if the previous site had it).
    fn mark_written(&self, rel: &str) {
        if let Some(i) = self.files.find(rel) {
            self.written[i / 64].fetch_or(1 << (i % 64), std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The previous site's files this build did not write, sorted.
    fn stale(&self) -> impl Iterator<Item = &str> {
        (0..self.files.len())
            .filter(|&i| {
                self.written[i / 64].load(std::sync::atomic::Ordering::Relaxed) & (1 << (i % 64))
                    == 0
            })
            .map(|i| self.files.get(i))
    }
}

/// A set of relative paths, sorted, in one buffer, found through a hash table of their
/// indexes (hashbrown's `HashTable`). At 100,000 entities the previous site has 308,000 files
/// and 305,000 folders: as two `HashSet<String>`s they took about 55 MB for the whole build,
/// at its peak too; as two of these, about 25 MB.
struct PathSet {
    /// The paths, one after another.
    text: String,
    /// Where each path ends in `text`.
    ends: Vec<u32>,
    /// The paths' indexes, by the hash of the path.
    index: hashbrown::HashTable<u32>,
}

impl PathSet {
    fn new(mut paths: Vec<String>) -> PathSet {
        paths.sort_unstable();
        paths.dedup();
        let mut set = PathSet {
            text: String::with_capacity(paths.iter().map(String::len).sum()),
            ends: Vec::with_capacity(paths.len()),
            index: hashbrown::HashTable::new(),
        };
        for p in &paths {
            set.text.push_str(p);
            set.ends.push(set.text.len() as u32);
        }
        let mut index = hashbrown::HashTable::with_capacity(paths.len());
        let hash = |i: u32| crate::hash::hash_of(set.get(i as usize));
        for i in 0..paths.len() as u32 {
            index.insert_unique(hash(i), i, |&j| hash(j));
        }
        set.index = index;
        set
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The path with index `i` (indexes follow the paths' order).
    fn get(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |j| self.ends[j] as usize);
        &self.text[start..self.ends[i] as usize]
    }

    /// The index of `path`, if the set has it.
    fn find(&self, path: &str) -> Option<usize> {
        self.index
            .find(crate::hash::hash_of(path), |&i| {
                self.get(i as usize) == path
            })
            .map(|&i| i as usize)
    }

    fn contains(&self, path: &str) -> bool {
        self.find(path).is_some()
    }
}

/// A look at the staging folder running on its own thread (beside load and resolve); see
/// [`Staging::prepare`].
pub struct Prepared {
    out: PathBuf,
    scan: std::thread::JoinHandle<Result<Option<Recycled>>>,
}

impl Prepared {
    /// Waits for the look at the staging folder and opens it for writing.
    pub fn begin(self) -> Result<Staging> {
        let recycled = self
            .scan
            .join()
            .map_err(|_| anyhow::anyhow!("internal error: the staging scan panicked"))??;
        let dir = sibling(&self.out, "staging");
        if recycled.is_none() {
            fsx::create_dir_all(&dir)?;
        }
        let folder = open_folder(&dir)?;
        Ok(Staging {
            out: self.out,
            dir,
            folder,
            count: std::sync::atomic::AtomicUsize::new(0),
            committed: false,
            recycled,
            keep_previous: true,
        })
    }
}

/// What the staging folder holds that can be rewritten in place: every folder and every
/// regular file. Anything else is removed first — symbolic links (a write must never follow
/// one out of the folder) and special files (opening a FIFO for writing would wait for a
/// reader). The types come from the folder listings (`d_type`), with no `stat` per entry: at
/// 100,000 entities that was 300,000 calls beside load. Files with other hard links (a copy
/// someone made with `cp -al`) are found when they are opened for writing ([`overwrite`]).
/// `None` when there is no staging folder (or it could not be read, in which case it is
/// removed).
fn scan_staging(dir: &Path) -> Result<Option<Recycled>> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", dir.display())),
    };
    if !meta.is_dir() {
        fsx::remove_file_if_exists(dir)?;
        return Ok(None);
    }
    if !cfg!(unix) {
        fsx::remove_dir_all_if_exists(dir)?;
        return Ok(None);
    }
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).follow_links(false) {
        let Ok(entry) = entry else {
            fsx::remove_dir_all_if_exists(dir)?;
            return Ok(None);
        };
        let ft = entry.file_type();
        let rel = entry
            .path()
            .strip_prefix(dir)
            .ok()
            .and_then(|p| p.to_str())
            .map(|p| p.replace(std::path::MAIN_SEPARATOR, "/"));
        let reusable = ft.is_dir() || ft.is_file();
        match rel {
            Some(rel) if reusable => {
                if ft.is_dir() {
                    dirs.push(rel);
                } else {
                    files.push(rel);
                }
            }
            // (A folder removed here makes the walk fail on it: then the whole staging
            // folder goes, above, and the build starts from an empty one.)
            _ if ft.is_dir() => fsx::remove_dir_all_if_exists(entry.path())?,
            _ => fsx::remove_file_if_exists(entry.path())?,
        }
    }
    let files = PathSet::new(files);
    let written = (0..files.len().div_ceil(64))
        .map(|_| std::sync::atomic::AtomicU64::new(0))
        .collect();
    Ok(Some(Recycled {
        files,
        written,
        dirs: PathSet::new(dirs),
    }))
}

/// The staging folder as an open descriptor: every output file is opened relative to it
/// (`openat`), so the kernel walks only the path inside the site (`people/x/index.html`), not
/// the folder's own path as well, for each of 30,000 files. (Path lookups by full path were 6%
/// of a 10k build's CPU profile; BENCHMARKS.md.) The descriptor follows the folder through the
/// swap, which happens after the last write. Elsewhere it is the folder's path.
#[cfg(unix)]
type Folder = std::os::fd::OwnedFd;
#[cfg(not(unix))]
type Folder = PathBuf;

#[cfg(unix)]
fn open_folder(dir: &Path) -> Result<Folder> {
    use rustix::fs::{Mode, OFlags};
    rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .with_context(|| format!("failed to open folder `{}`", dir.display()))
}

#[cfg(not(unix))]
fn open_folder(dir: &Path) -> Result<Folder> {
    Ok(dir.to_path_buf())
}

/// Overwrites the file of the previous site at `rel` in `folder` with what `contents` writes,
/// in place, then cuts it to the length written: its pages are reused instead of freed by a
/// truncation and allocated again (on tmpfs, 30,000 files are rewritten in two thirds of the
/// time). `Ok(false)` when `rel` is not a regular file
/// with one link — a symbolic link (never followed: `O_NOFOLLOW`), a folder, a file with other
/// hard links (rewriting it would change the other copy) — or is missing: the caller then
/// clears the way and writes a new file.
#[cfg(unix)]
fn overwrite(folder: &Folder, rel: &str, contents: Contents) -> std::io::Result<bool> {
    use rustix::fs::{Mode, OFlags};
    use std::io::Seek;
    use std::os::unix::fs::MetadataExt;
    let flags = OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let mut file = match rustix::fs::openat(folder, rel, flags, Mode::empty()) {
        Ok(fd) => std::fs::File::from(fd),
        Err(_) => return Ok(false),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.nlink() != 1 {
        return Ok(false);
    }
    contents(&mut file)?;
    let len = file.stream_position()?;
    if meta.len() > len {
        file.set_len(len)?;
    }
    Ok(true)
}

#[cfg(not(unix))]
fn overwrite(_: &Folder, _: &str, _: Contents) -> std::io::Result<bool> {
    Ok(false)
}

/// Creates (or truncates) the file at `rel` in `folder` and writes `contents` into it, making
/// its parent folders first.
#[cfg(unix)]
fn create(folder: &Folder, rel: &str, contents: Contents) -> std::io::Result<()> {
    use rustix::fs::{Mode, OFlags};
    make_parents(folder, rel)?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(folder, rel, flags, Mode::from_raw_mode(0o666))?;
    contents(&mut std::fs::File::from(fd))
}

/// Makes the folders above `rel` in `folder` (`mkdir -p` of its parent).
#[cfg(unix)]
fn make_parents(folder: &Folder, rel: &str) -> std::io::Result<()> {
    use rustix::io::Errno;
    let Some((parent, _)) = rel.rsplit_once('/') else {
        return Ok(());
    };
    let mkdir = || match rustix::fs::mkdirat(folder, parent, rustix::fs::Mode::from_raw_mode(0o777))
    {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(e),
    };
    match mkdir() {
        // Its own parent is missing too: make that first.
        Err(Errno::NOENT) => {
            make_parents(folder, parent)?;
            Ok(mkdir()?)
        }
        done => Ok(done?),
    }
}

#[cfg(not(unix))]
fn create(folder: &Folder, rel: &str, contents: Contents) -> std::io::Result<()> {
    let path = folder.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    contents(&mut std::fs::File::create(path)?)
}

impl Staging {
    /// Recovers an interrupted swap and looks at what a previous build left in the staging
    /// folder, on a thread; [`Prepared::begin`] waits for it. Call it before loading, so the
    /// look overlaps load and resolve (it competes with them for the cores: at 100,000
    /// entities, 300,000 entries slowed loading by a second; BENCHMARKS.md).
    pub fn prepare(out: &Path) -> Prepared {
        let out = out.to_path_buf();
        let scan = {
            let out = out.clone();
            std::thread::spawn(move || {
                recover(&out)?;
                scan_staging(&sibling(&out, "staging"))
            })
        };
        Prepared { out, scan }
    }

    /// [`Staging::prepare`] and [`Prepared::begin`] at once.
    pub fn begin(out: &Path) -> Result<Staging> {
        Staging::prepare(out).begin()
    }

    /// Whether `commit` leaves the previous site in the staging folder, to be rewritten in
    /// place by the next build (the default), or removes it.
    pub fn keep_previous(&mut self, keep: bool) {
        self.keep_previous = keep;
    }

    /// Writes one file into the staging folder.
    pub fn write(&self, f: &OutputFile) -> Result<()> {
        self.write_with(&f.path, &mut |out| out.write_all(&f.bytes))
    }

    /// Writes the file at `path` that `contents` writes, as it writes it (see
    /// [`crate::render::Sink::stream`]).
    pub fn write_with(&self, path: &str, contents: Contents) -> Result<()> {
        if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
            bail!("internal error: output path `{path}` is not a plain relative path");
        }
        injected_fault(&self.count)
            .and_then(|()| self.put(path, contents))
            .with_context(|| {
                format!(
                    "failed to write the site; `{}` was left as it was",
                    self.out.display()
                )
            })
    }

    /// Writes `rel` with `contents`, into the recycled tree where there is one.
    fn put(&self, rel: &str, contents: Contents) -> Result<()> {
        let failed = || format!("failed to write `{}`", self.dir.join(rel).display());
        let Some(r) = &self.recycled else {
            return create(&self.folder, rel, contents).with_context(failed);
        };
        r.mark_written(rel);
        let parent_exists = rel.rsplit_once('/').is_none_or(|(p, _)| r.dirs.contains(p));
        if parent_exists && overwrite(&self.folder, rel, contents).is_ok_and(|done| done) {
            return Ok(());
        }
        // A new file or folder, a file with other links, or the previous site had a file
        // where this one has a folder (or the other way round): clear the way, then write a
        // new file as into a fresh folder.
        let path = self.dir.join(rel);
        let mut prefix = self.dir.clone();
        for seg in rel.split('/') {
            prefix.push(seg);
            // Folders on the way stay; anything else in the way goes.
            match std::fs::symlink_metadata(&prefix) {
                Ok(m) if m.is_dir() && prefix != path => {}
                Ok(m) if m.is_dir() => fsx::remove_dir_all_if_exists(&prefix)?,
                Ok(_) => fsx::remove_file_if_exists(&prefix)?,
                Err(_) => {}
            }
        }
        create(&self.folder, rel, contents).with_context(failed)
    }

    /// Adds the marker, removes what the previous site had and this one has not, and swaps the
    /// staging folder in: atomically where the platform allows (so the output is at every
    /// instant either the whole old site or the whole new one), else with two renames and
    /// recovery on the next build.
    pub fn commit(mut self) -> Result<()> {
        self.put(MARKER, &mut |out| {
            out.write_all(
                b"This folder is written by refwiki build and replaced whole on every build.\n",
            )
        })?;
        if let Some(r) = &self.recycled {
            for rel in r.stale() {
                let path = self.dir.join(rel);
                // A folder there now was made by this build where the old site had a file.
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                    continue;
                }
                fsx::remove_file_if_exists(&path)?;
                // Folders left empty go too (a deleted page's folder).
                let mut dir = rel;
                while let Some((parent, _)) = dir.rsplit_once('/') {
                    if std::fs::remove_dir(self.dir.join(parent)).is_err() {
                        break;
                    }
                    dir = parent;
                }
            }
        }
        self.committed = true;
        let (out, staging) = (&self.out, &self.dir);
        let old = sibling(out, "old");
        if out.exists() && exchange(staging, out)? {
            // `staging` now holds the previous site: the next build rewrites it in place.
            if self.keep_previous {
                return Ok(());
            }
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

/// A build hands its pages straight to the staging folder, and `wiki.json` as it is
/// serialised.
impl crate::render::Sink for Staging {
    fn file(&self, f: OutputFile) -> Result<()> {
        self.write(&f)
    }

    fn stream(&self, path: &str, write: Contents) -> Result<()> {
        self.write_with(path, write)
    }
}

/// Writes `files` to a staging folder next to `out`, then swaps it in.
pub fn write_site(out: &Path, files: &[OutputFile]) -> Result<()> {
    let staging = Staging::begin(out)?;
    files.par_iter().try_for_each(|f| staging.write(f))?;
    staging.commit()
}

#[cfg(test)]
mod tests {
    use super::PathSet;

    #[test]
    fn a_path_set_finds_exactly_its_paths_in_sorted_order() {
        let paths: Vec<String> = (0..1000)
            .map(|i| format!("people/p-{}/index.html", i * 7 % 1000))
            .chain([
                "index.html".to_string(),
                "people/p-3/index.html".to_string(),
            ])
            .collect();
        let set = PathSet::new(paths.clone());
        assert_eq!(set.len(), 1001);
        let listed: Vec<&str> = (0..set.len()).map(|i| set.get(i)).collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
        for p in &paths {
            assert_eq!(set.find(p).map(|i| set.get(i)), Some(p.as_str()));
        }
        for p in [
            "",
            "people",
            "people/p-1000/index.html",
            "index.htm",
            "people/p-3/index.html/",
        ] {
            assert!(!set.contains(p), "{p}");
        }
        assert!(!PathSet::new(Vec::new()).contains("index.html"));
    }
}
