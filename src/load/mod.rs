//! Stage 1, **load**: the wiki folder on disk → a [`Corpus`] of parsed but unresolved files.
//!
//! This is the only stage that reads content. It walks `content/` in sorted order (never
//! following symlinks), reads and parses every file in parallel, and knows nothing about how
//! files refer to each other: a link to a missing page is not its business. Every problem with a
//! single file becomes a diagnostic; the stage itself only fails (`Err`) when the wiki folder
//! cannot be read at all.

pub mod entity;
pub mod front_matter;
pub mod source;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::text::LineIndex;

pub use entity::{CiteDecl, EntityPage, Fact, HomePage, RelationDecl};
pub use source::{Block, Passage, Source};

/// Files larger than this are refused without being read.
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

/// One content file's normalised text (BOM stripped, CRLF and CR as LF) and its line index.
#[derive(Debug, Clone)]
pub struct TextFile {
    /// Path relative to the wiki root, `/`-separated.
    pub path: PathBuf,
    /// Normalised text. An `Arc<String>` rather than an `Arc<str>`: the text read from disk
    /// moves in without a second copy (an `Arc<str>` copies it, 80 MB at 10,000 entities).
    pub text: Arc<String>,
    /// Line starts of `text`, computed the first time a diagnostic needs them (most files
    /// never do); shared by clones.
    lines: Arc<std::sync::OnceLock<LineIndex>>,
    /// Hash of `text`, computed once at load: incremental rebuilds compare files by it.
    pub hash: u64,
    /// Set when `text` is only the start of the file (an entity page whose body was let go):
    /// where the whole text is read again, once, when a diagnostic points past that start.
    whole: Option<Arc<Whole>>,
}

/// The whole text of a file kept only in part, read again the first time it is needed.
#[derive(Debug)]
struct Whole {
    /// The wiki folder the file is read from.
    root: Arc<Path>,
    /// The text and its line starts; `None` if the file could not be read or has changed.
    text: std::sync::OnceLock<Option<(String, LineIndex)>>,
}

impl TextFile {
    /// Wraps already-normalised text.
    pub fn new(path: PathBuf, text: String) -> TextFile {
        let lines = Arc::default();
        let hash = crate::hash::hash_of(text.as_str());
        TextFile {
            path,
            text: Arc::new(text),
            lines,
            hash,
            whole: None,
        }
    }

    /// This file with its text cut after the first line (same path and hash): what a source
    /// keeps once split into passages. The only diagnostic about a source made after that
    /// (`duplicate-slug`) points at line 1, and at 10,000 entities the sources' full texts
    /// were 35 MB of the build's peak, a second copy of their passages.
    pub fn first_line_only(&self) -> TextFile {
        self.truncated(self.text.find('\n').unwrap_or(self.text.len()))
    }

    /// This file with only its first `len` bytes of text (same path and hash). Diagnostics past
    /// `len` point at its end.
    fn truncated(&self, len: usize) -> TextFile {
        TextFile {
            path: self.path.clone(),
            text: Arc::new(self.text.get(..len).unwrap_or(&self.text).to_string()),
            lines: Arc::default(),
            hash: self.hash,
            whole: None,
        }
    }

    /// This file with only its first `len` bytes of text held (same path and hash): what an
    /// entity page keeps once its body is let go. A diagnostic past `len` (in the body) reads
    /// the file again from `root`, once, to locate itself and show its line; if the file can
    /// no longer be read or has changed, it points at the end of what is held.
    pub fn released(&self, len: usize, root: Arc<Path>) -> TextFile {
        TextFile {
            whole: Some(Arc::new(Whole {
                root,
                text: std::sync::OnceLock::new(),
            })),
            ..self.truncated(len)
        }
    }

    /// The text a position at byte `offset` is looked up in, with its line starts: the text
    /// held, or for a position past it the whole file's, read again once (if it still can be).
    fn located(&self, offset: usize) -> (&str, &LineIndex) {
        let whole = match &self.whole {
            Some(w) if offset >= self.text.len() => w.text.get_or_init(|| {
                let text = self.read_again(&w.root).ok()?;
                let lines = LineIndex::new(&text);
                Some((text, lines))
            }),
            _ => &None,
        };
        match whole {
            Some((text, lines)) => (text.as_str(), lines),
            None => (
                self.text.as_str(),
                self.lines.get_or_init(|| LineIndex::new(&self.text)),
            ),
        }
    }

    /// This file's whole text, read again from `root`; refused with an `unreadable-file`
    /// diagnostic if it can no longer be read or no longer has the text it was loaded with.
    pub fn read_again(&self, root: &Path) -> Result<String, Diagnostic> {
        let file = read_text(root, &self.path)?;
        if file.hash != self.hash {
            return Err(Diagnostic::error(
                "unreadable-file",
                self.path.clone(),
                0,
                0,
                "the file changed while the site was being built",
            )
            .hint("build again"));
        }
        Ok(Arc::try_unwrap(file.text).unwrap_or_else(|t| (*t).clone()))
    }

    /// The text from byte `start` to `end`: held, or read again as [`TextFile::diag`] does
    /// (empty if it can no longer be).
    pub fn slice(&self, start: usize, end: usize) -> &str {
        let (text, _) = self.located(end.saturating_sub(1).max(start));
        text.get(start..end).unwrap_or("")
    }

    /// A diagnostic of `severity` at byte `offset` of this file, with the line's text attached.
    pub fn diag(
        &self,
        error: bool,
        code: &'static str,
        offset: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (text, lines) = self.located(offset);
        let (line, col) = lines.pos(text, offset);
        let d = if error {
            Diagnostic::error(code, self.path.clone(), line, col, message)
        } else {
            Diagnostic::warning(code, self.path.clone(), line, col, message)
        };
        d.with_line_text(lines.line_text(text, line))
    }

    /// An error at byte `offset`.
    pub fn error(
        &self,
        code: &'static str,
        offset: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.diag(true, code, offset, message)
    }

    /// A warning at byte `offset`.
    pub fn warning(
        &self,
        code: &'static str,
        offset: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.diag(false, code, offset, message)
    }
}

/// Everything loaded from a wiki folder.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The configuration.
    pub config: Config,
    /// `content/index.md`, if present.
    pub home: Option<Arc<HomePage>>,
    /// Source documents, sorted by id.
    pub sources: Vec<Arc<Source>>,
    /// Entity pages, sorted by path (shared, so an incremental rebuild reuses unchanged ones).
    pub entities: Vec<Arc<EntityPage>>,
}

/// One loaded content file.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// `content/index.md`.
    Home(Arc<HomePage>),
    /// A source document.
    Source(Arc<Source>),
    /// An entity page.
    Entity(Arc<EntityPage>),
    /// A file that could not be used (its diagnostics say why).
    Nothing,
}

/// Reads `wiki.toml` (if any) over the defaults; `base_url` overrides its base URL.
pub fn load_config(root: &Path, base_url: Option<&str>) -> Result<(Config, Vec<Diagnostic>)> {
    let mut diags = Vec::new();
    let config_path = root.join("wiki.toml");
    let user_config = match std::fs::read(&config_path) {
        Ok(bytes) => match decode("wiki.toml".into(), bytes) {
            Ok(f) => Some(f.text.to_string()),
            Err(d) => {
                diags.push(d);
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("failed to read `{}`", config_path.display())))
        }
    };
    let (mut config, cd) = Config::parse(user_config.as_deref());
    diags.extend(cd);
    if let Some(url) = base_url {
        config = config.with_base_url(url);
    }
    Ok((config, diags))
}

/// Lists the content files (relative to `root`), with diagnostics for refused entries.
pub fn content_files(root: &Path) -> Result<(Vec<PathBuf>, Vec<Diagnostic>)> {
    let content = root.join("content");
    if !content.is_dir() {
        anyhow::bail!(
            "no `content` folder in `{}` (is this a refwiki wiki? try `--root`)",
            root.display()
        );
    }
    Ok(walk(root, &content))
}

/// Reads and parses one content file (`rel` is relative to `root`).
pub fn load_file(root: &Path, rel: &Path, config: &Config) -> (Loaded, Vec<Diagnostic>) {
    let mut d = Vec::new();
    let file = match read_text(root, rel) {
        Ok(f) => f,
        Err(e) => return (Loaded::Nothing, vec![e]),
    };
    let under = rel.strip_prefix("content").unwrap_or(rel);
    let loaded = if under == Path::new("index.md") {
        entity::parse_home(file, &mut d).map(|h| Loaded::Home(Arc::new(h)))
    } else if under.starts_with("sources") {
        source::parse_source(file, &mut d).map(|s| Loaded::Source(Arc::new(s)))
    } else {
        entity::parse_entity(file, config, &mut d).map(|e| Loaded::Entity(Arc::new(e)))
    };
    (loaded.unwrap_or(Loaded::Nothing), d)
}

/// Puts loaded files (in path order) together into a corpus, reporting duplicate source ids.
pub fn assemble<'a>(
    config: Config,
    loaded: impl IntoIterator<Item = &'a Loaded>,
    diags: &mut Vec<Diagnostic>,
) -> Corpus {
    let mut corpus = Corpus {
        config,
        home: None,
        sources: Vec::new(),
        entities: Vec::new(),
    };
    for l in loaded {
        match l {
            Loaded::Home(h) => corpus.home = Some(h.clone()),
            Loaded::Source(s) => corpus.sources.push(s.clone()),
            Loaded::Entity(e) => corpus.entities.push(e.clone()),
            Loaded::Nothing => {}
        }
    }
    corpus
        .sources
        .sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.file.path.cmp(&b.file.path)));
    // Two source files with one id (same stem in different folders) cannot both be cited.
    let mut kept: Vec<Arc<Source>> = Vec::with_capacity(corpus.sources.len());
    for s in std::mem::take(&mut corpus.sources) {
        match kept.last() {
            Some(prev) if prev.id == s.id => diags.push(
                s.file
                    .error(
                        "duplicate-slug",
                        0,
                        format!(
                            "source id `{}` is also used by `{}`",
                            s.id,
                            prev.file.path.display()
                        ),
                    )
                    .hint("rename one of the files: a source's id is its file name"),
            ),
            _ => kept.push(s),
        }
    }
    corpus.sources = kept;
    corpus
}

/// Reads `wiki.toml` (if any) and every file under `content/`, in parallel.
pub fn load(root: &Path, base_url: Option<&str>) -> Result<(Corpus, Vec<Diagnostic>)> {
    load_with(root, base_url, None)
}

/// [`load`], letting every entity body go if together they are more than `above` bytes: each
/// page then keeps its front matter and reads its body again when asked
/// ([`EntityPage::read_body`]), so no moment of a large build holds every body. Bodies are let
/// go as they are read once the running total passes `above`; those read before are let go
/// at the end, so the load holds at most `above` bytes of them.
pub fn load_releasing(
    root: &Path,
    base_url: Option<&str>,
    above: usize,
) -> Result<(Corpus, Vec<Diagnostic>)> {
    load_with(root, base_url, Some(above))
}

fn load_with(
    root: &Path,
    base_url: Option<&str>,
    release_above: Option<usize>,
) -> Result<(Corpus, Vec<Diagnostic>)> {
    let (config, mut diags) = load_config(root, base_url)?;
    let (files, walk_diags) = content_files(root)?;
    diags.extend(walk_diags);
    let shared_root: Arc<Path> = Arc::from(root);
    // A page not yet shared (all of them, during the load) lets its text go.
    let release = |e: &mut Arc<EntityPage>| {
        if let Some(page) = Arc::get_mut(e) {
            page.release_body(shared_root.clone());
        }
    };
    let read = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(Loaded, Vec<Diagnostic>)> = files
        .par_iter()
        .map(|rel| {
            let (mut loaded, d) = load_file(root, rel, &config);
            if let (Some(above), Loaded::Entity(e)) = (release_above, &mut loaded) {
                let len = e.body_len();
                let before = read.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
                if before + len > above {
                    release(e);
                }
            }
            (loaded, d)
        })
        .collect();
    let mut loaded = Vec::with_capacity(results.len());
    for (l, d) in results {
        diags.extend(d);
        loaded.push(l);
    }
    let mut corpus = assemble(config, &loaded, &mut diags);
    drop(loaded);
    if release_above.is_some_and(|above| read.into_inner() > above) {
        corpus.entities.par_iter_mut().for_each(release);
    }
    Ok((corpus, diags))
}

/// Lists the `.md` files under `content/` (relative to `root`), sorted, skipping hidden files and
/// folders; symlinks are refused with a diagnostic and never followed.
fn walk(root: &Path, content: &Path) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    let walker = walkdir::WalkDir::new(content)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| rel_path(root, p))
                    .unwrap_or_else(|| "content".into());
                diags.push(Diagnostic::error(
                    "unreadable-file",
                    path,
                    0,
                    0,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        let rel = rel_path(root, entry.path());
        if entry.path_is_symlink() {
            diags.push(
                Diagnostic::error("symlink", rel, 0, 0, "symbolic links are not allowed in content/")
                    .hint("replace the link with the file itself; links could read files outside the wiki"),
            );
            continue;
        }
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "md") {
            files.push(rel);
        }
    }
    (files, diags)
}

/// `path` relative to `root`, with `/` separators.
pub fn rel_path(root: &Path, path: &Path) -> PathBuf {
    let rel = path.strip_prefix(root).unwrap_or(path);
    PathBuf::from(rel.to_string_lossy().replace('\\', "/"))
}

/// Reads one content file, refusing oversize files and invalid UTF-8 with diagnostics.
pub fn read_text(root: &Path, rel: &Path) -> Result<TextFile, Diagnostic> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| {
        Diagnostic::error("unreadable-file", rel, 0, 0, format!("cannot read: {e}"))
            .hint("check the file's permissions")
    };
    // Opened once and measured through the handle: one path lookup per file, not three
    // (`metadata` and `fs::read` each look the path up again).
    let mut file = std::fs::File::open(root.join(rel)).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            "file-too-large",
            rel,
            0,
            0,
            format!("file is {len} bytes; the limit is {MAX_FILE_BYTES} bytes (5 MiB)"),
        )
        .hint("split the file; sources can be archived as several documents"));
    }
    // `take` keeps the limit even if the file grows after it was measured.
    let mut bytes = Vec::with_capacity(len as usize);
    (&mut file)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    decode(rel.to_path_buf(), bytes)
}

/// Decodes UTF-8 (reporting the first bad byte's position), strips a BOM and normalises line
/// endings to `\n`.
pub fn decode(rel: PathBuf, bytes: Vec<u8>) -> Result<TextFile, Diagnostic> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = std::str::from_utf8(&e.as_bytes()[..valid]).unwrap_or("");
            let li = LineIndex::new(prefix);
            let (line, col) = li.pos(prefix, valid);
            return Err(Diagnostic::error(
                "invalid-utf8",
                rel,
                line,
                col,
                format!("invalid UTF-8 (byte {valid})"),
            )
            .hint("save the file as UTF-8"));
        }
    };
    let mut text = text;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if text.contains('\r') {
        text = text.replace("\r\n", "\n").replace('\r', "\n");
    }
    Ok(TextFile::new(rel, text))
}
