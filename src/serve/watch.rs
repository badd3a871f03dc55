//! Watching the wiki folder: notify plus notify-debouncer-full, turned into [`Changes`].
//!
//! Editors save in many ways (write in place, write-temp + rename-over, vim's rename-away +
//! write, JetBrains' `___jb_tmp___` dance); all of them end with the real file holding the new
//! text, so the watcher only needs to say *which* paths were touched and the session re-reads
//! them. Swap, lock and backup files are ignored by [`classify`], a pure function. A rescan flag
//! or a watcher error becomes `Changes::rescan`; a watcher that cannot start falls back to
//! polling.

use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use anyhow::Result;
use notify::RecursiveMode;
use notify_debouncer_full::{
    new_debouncer, new_debouncer_opt, DebounceEventResult, Debouncer, NoCache,
};

use crate::session::Changes;

/// What a touched path means for the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// `wiki.toml`.
    Config,
    /// Something under `templates/`.
    Template,
    /// Something under `theme/`.
    Theme,
    /// A content file (path relative to the root).
    Content(PathBuf),
    /// A folder (or extension-less path) under `content/`: re-read the whole tree.
    ContentTree,
}

/// Editor droppings that must never trigger a rebuild or be read as pages.
pub fn is_noise(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.ends_with(".orig")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.starts_with('#') && name.ends_with('#')
        || name == "4913"
}

/// Classifies one touched path (absolute, under `root`), or `None` when it does not matter.
pub fn classify(root: &Path, path: &Path) -> Option<ChangeKind> {
    let rel = path.strip_prefix(root).ok()?;
    let name = rel.file_name()?.to_string_lossy().to_string();
    if rel
        .components()
        .any(|c| matches!(c, Component::Normal(s) if s.to_string_lossy().starts_with('.')))
        || is_noise(&name)
    {
        return None;
    }
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_string_lossy().to_string();
    let rest = parts.next().is_some();
    match (first.as_str(), rest) {
        ("wiki.toml", false) => Some(ChangeKind::Config),
        ("templates", _) => Some(ChangeKind::Template),
        ("theme", _) => Some(ChangeKind::Theme),
        ("content", false) => Some(ChangeKind::ContentTree),
        ("content", true) if rel.extension().is_some_and(|e| e == "md") => {
            Some(ChangeKind::Content(rel.to_path_buf()))
        }
        ("content", true) if rel.extension().is_none() => Some(ChangeKind::ContentTree),
        _ => None,
    }
}

/// Whether an event kind can change a file's contents or existence (opens and reads cannot).
pub fn is_write(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// Folds touched paths into a change set.
pub fn changes_for<'a>(root: &Path, paths: impl IntoIterator<Item = &'a PathBuf>) -> Changes {
    let mut c = Changes::default();
    for p in paths {
        match classify(root, p) {
            Some(ChangeKind::Config) => c.config = true,
            Some(ChangeKind::Template) => c.templates = true,
            Some(ChangeKind::Theme) => c.theme = true,
            Some(ChangeKind::Content(rel)) => {
                c.content
                    .insert(PathBuf::from(rel.to_string_lossy().replace('\\', "/")));
            }
            Some(ChangeKind::ContentTree) => c.rescan = true,
            None => {}
        }
    }
    c
}

/// A running watcher; dropping it stops watching.
pub enum Handle {
    /// Native events.
    Native(Debouncer<notify::RecommendedWatcher, notify_debouncer_full::RecommendedCache>),
    /// Polling.
    Poll(Debouncer<notify::PollWatcher, NoCache>),
}

/// Starts watching `root` (canonical) and sends change batches to `tx`.
pub fn start(root: &Path, poll: bool, tx: Sender<Changes>) -> Result<Handle> {
    let root_buf = root.to_path_buf();
    let handler = move |res: DebounceEventResult| {
        let changes = match res {
            Ok(events) => {
                // Reading a file (ours included) is an access event: only writes matter.
                let writes = events.iter().filter(|e| is_write(&e.kind));
                let mut c = changes_for(&root_buf, writes.flat_map(|e| e.paths.iter()));
                if events.iter().any(|e| e.need_rescan()) {
                    c.rescan = true;
                }
                c
            }
            Err(_) => Changes {
                rescan: true,
                ..Changes::default()
            },
        };
        if !changes.is_empty() {
            let _ = tx.send(changes);
        }
    };
    let delay = Duration::from_millis(10);
    if !poll {
        match new_debouncer(delay, None, handler.clone()) {
            Ok(mut d) => match watch_all(root, |p, m| d.watch(p, m)) {
                Ok(()) => return Ok(Handle::Native(d)),
                Err(e) => eprintln!("warning: file watching failed ({e}); falling back to polling"),
            },
            Err(e) => {
                eprintln!("warning: file watching unavailable ({e}); falling back to polling")
            }
        }
    }
    let config = notify::Config::default().with_poll_interval(Duration::from_millis(300));
    let mut d = new_debouncer_opt::<_, notify::PollWatcher, NoCache>(
        delay, None, handler, NoCache, config,
    )?;
    watch_all(root, |p, m| d.watch(p, m))?;
    Ok(Handle::Poll(d))
}

fn watch_all(
    root: &Path,
    mut watch: impl FnMut(&Path, RecursiveMode) -> notify::Result<()>,
) -> notify::Result<()> {
    watch(root, RecursiveMode::NonRecursive)?;
    for dir in ["content", "templates", "theme"] {
        let p = root.join(dir);
        if p.is_dir() {
            watch(&p, RecursiveMode::Recursive)?;
        }
    }
    Ok(())
}

/// Waits for the next batch, then keeps collecting until `quiet` passes without an event, so a
/// `git checkout` of hundreds of files becomes one rebuild.
pub fn next_batch(rx: &Receiver<Changes>, quiet: Duration) -> Option<Changes> {
    let mut c = rx.recv().ok()?;
    while let Ok(more) = rx.recv_timeout(quiet) {
        c.merge(more);
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths_and_ignores_editor_droppings() {
        let root = Path::new("/w");
        let c = |p: &str| classify(root, &root.join(p));
        assert_eq!(c("wiki.toml"), Some(ChangeKind::Config));
        assert_eq!(c("templates/base.html"), Some(ChangeKind::Template));
        assert_eq!(c("theme/style.css"), Some(ChangeKind::Theme));
        assert_eq!(
            c("content/people/x.md"),
            Some(ChangeKind::Content("content/people/x.md".into()))
        );
        assert_eq!(c("content/people"), Some(ChangeKind::ContentTree));
        assert_eq!(
            c("content/new-folder/deeper"),
            Some(ChangeKind::ContentTree)
        );
        for noise in [
            "content/people/.x.md.swp",
            "content/people/x.md~",
            "content/people/.#x.md",
            "content/people/4913",
            "content/people/x.md___jb_tmp___",
            "content/people/x.md___jb_old___",
            "content/.git/x",
            "public/index.html",
            ".public.refwiki-staging/x",
            "target/debug/x",
            "content/people/image.png",
        ] {
            assert_eq!(c(noise), None, "{noise}");
        }
        assert_eq!(classify(root, Path::new("/elsewhere/x.md")), None);
    }

    #[test]
    fn batches_merge() {
        let root = Path::new("/w");
        let paths = [
            root.join("content/a.md"),
            root.join("content/b.md"),
            root.join("content/a.md"),
            root.join("x.swp"),
        ];
        let c = changes_for(root, paths.iter());
        assert_eq!(c.content.len(), 2);
        assert!(!c.rescan && !c.config);
    }
}
