//! Loads Tera templates: the embedded defaults, overridden by same-named files in the wiki's
//! `templates/`. Autoescaping is on for every template whatever its extension.

use std::path::Path;

use anyhow::{Context, Result};
use tera::Tera;

/// The embedded default templates (the repository's `templates/` is their source).
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("entity.html", include_str!("../../templates/entity.html")),
    ("source.html", include_str!("../../templates/source.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("list.html", include_str!("../../templates/list.html")),
    (
        "redirect.html",
        include_str!("../../templates/redirect.html"),
    ),
    ("404.html", include_str!("../../templates/404.html")),
    ("search.html", include_str!("../../templates/search.html")),
    (
        "timeline.html",
        include_str!("../../templates/timeline.html"),
    ),
    ("graph.html", include_str!("../../templates/graph.html")),
];

/// Builds the template set for the wiki at `root`.
pub fn load(root: &Path) -> Result<Tera> {
    let mut list: Vec<(String, String)> = DEFAULT_TEMPLATES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let dir = root.join("templates");
    if dir.is_dir() {
        for entry in walkdir::WalkDir::new(&dir)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.with_context(|| format!("failed to read `{}`", dir.display()))?;
            if entry.path_is_symlink() {
                anyhow::bail!(
                    "symbolic links are not allowed in templates/: `{}`",
                    entry.path().display()
                );
            }
            if !entry.file_type().is_file() || entry.file_name().to_string_lossy().starts_with('.')
            {
                continue;
            }
            let name = entry
                .path()
                .strip_prefix(&dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            let text = String::from_utf8(crate::fsx::read(entry.path())?)
                .with_context(|| format!("template `{}` is not UTF-8", entry.path().display()))?;
            match list.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = text,
                None => list.push((name, text)),
            }
        }
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![""]);
    tera.add_raw_templates(list)
        .context("failed to parse templates")?;
    Ok(tera)
}
