//! `Site`: a fixture wiki in a fresh temporary folder, plus helpers to run `refwiki` on it and
//! read what it wrote. Modelled on mdBook's `BookTest`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Path of a folder under `tests/`.
pub fn tests_dir(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

/// The result of one `refwiki` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A wiki folder owned by one test.
pub struct Site {
    pub dir: PathBuf,
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

impl Site {
    /// An empty wiki folder named after `name`.
    pub fn empty(name: &str) -> Site {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("site-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Site { dir }
    }

    /// A copy of `tests/<fixture>`.
    pub fn fixture(fixture: &str) -> Site {
        let site = Site::empty(&fixture.replace('/', "-"));
        copy_tree(&tests_dir(fixture), &site.dir);
        site
    }

    /// A copy of the shipped wiki (content, templates, theme, wiki.toml).
    pub fn shipped(name: &str) -> Site {
        let site = Site::empty(name);
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["content", "templates", "theme"] {
            copy_tree(&repo.join(dir), &site.dir.join(dir));
        }
        std::fs::copy(repo.join("wiki.toml"), site.dir.join("wiki.toml")).unwrap();
        site
    }

    /// A copy of `tests/<base>` with `tests/<overlay>` copied over it.
    pub fn overlay(base: &str, overlay: &str) -> Site {
        let site = Site::fixture(base);
        copy_tree(&tests_dir(overlay), &site.dir);
        site
    }

    /// Writes a file (creating folders).
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    /// Reads an output or content file as text.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    /// Runs `refwiki --root <dir> <args>`.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_refwiki"))
            .arg("--root")
            .arg(&self.dir)
            .args(args)
            .output()
            .expect("refwiki runs");
        let root = self.dir.to_string_lossy().to_string();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).replace(&root, "[ROOT]"),
            stderr: String::from_utf8_lossy(&out.stderr).replace(&root, "[ROOT]"),
        }
    }

    /// Every file under `rel` with its bytes.
    pub fn tree(&self, rel: &str) -> BTreeMap<String, Vec<u8>> {
        let base = self.dir.join(rel);
        let mut m = BTreeMap::new();
        if !base.exists() {
            return m;
        }
        for entry in walkdir::WalkDir::new(&base).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let k = entry
                    .path()
                    .strip_prefix(&base)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                m.insert(k, std::fs::read(entry.path()).unwrap());
            }
        }
        m
    }

    /// The `<main>` region of an output page.
    pub fn main_of(&self, rel: &str) -> String {
        let html = self.read(rel);
        let start = html.find("<main").expect("page has <main>");
        let end = html.find("</main>").expect("page has </main>") + "</main>".len();
        html[start..end].to_string()
    }
}

/// Unescapes the few entities Tera and pulldown-cmark put into attribute values.
pub fn unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `href="…"` and `src="…"` value in `html`.
pub fn urls(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap();
            out.push(unescape(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

/// Checks that every internal link and fragment in the output under `out` (served at `base`)
/// resolves to a file and an `id`. Returns the broken ones.
pub fn broken_links(site: &Site, out: &str, base: &str) -> Vec<String> {
    let tree = site.tree(out);
    let mut broken = Vec::new();
    for (path, bytes) in &tree {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(bytes);
        for url in urls(&html) {
            if url.contains("://") || url.starts_with("mailto:") || url == "#" {
                continue;
            }
            let (p, frag) = match url.split_once('#') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (url.clone(), None),
            };
            let p = p.split('?').next().unwrap_or("").to_string();
            let target = if p.is_empty() {
                path.clone()
            } else {
                let Some(rel) = p.strip_prefix(base) else {
                    broken.push(format!("{path}: {url} (outside base {base})"));
                    continue;
                };
                if rel.is_empty() || rel.ends_with('/') {
                    format!("{rel}index.html")
                } else {
                    rel.to_string()
                }
            };
            let Some(t) = tree.get(&target) else {
                broken.push(format!("{path}: {url}"));
                continue;
            };
            if let Some(f) = frag {
                let t = String::from_utf8_lossy(t);
                if !t.contains(&format!("id=\"{f}\"")) {
                    broken.push(format!("{path}: {url} (no id {f})"));
                }
            }
        }
    }
    broken
}
