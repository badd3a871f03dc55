//! Files for publishers: `sitemap.xml`, `robots.txt`, the Atom feed of recently updated
//! entities, and per-entity JSON-LD. Dates come only from content (`updated` in front matter,
//! sources' dates), never from the clock, so the output stays reproducible.

use std::fmt::Write as _;

use serde::Serialize;

use super::OutputFile;
use crate::resolve::Wiki;
use crate::text::escape_html;

/// How many entities the feed lists.
pub const FEED_ENTRIES: usize = 50;

fn xml_escape(s: &str) -> String {
    escape_html(s)
}

/// Absolute URL of a site path (the base URL may be a bare path: then URLs are root-relative).
fn abs(w: &Wiki, path: &str) -> String {
    format!("{}{}", w.config.base_url, path)
}

/// `sitemap.xml` listing `pages` (site paths of HTML pages, redirects excluded).
pub fn sitemap(w: &Wiki, pages: &[String]) -> OutputFile {
    let lastmod: std::collections::BTreeMap<String, String> = w
        .entities
        .iter()
        .filter_map(|e| {
            e.page
                .updated
                .filter(|d| d.day != 0)
                .map(|d| (e.path.clone(), d.to_string()))
        })
        .collect();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for p in pages {
        let dir = p.strip_suffix("index.html").unwrap_or(p);
        let _ = write!(s, "  <url><loc>{}</loc>", xml_escape(&abs(w, dir)));
        if let Some(d) = lastmod.get(dir) {
            let _ = write!(s, "<lastmod>{d}</lastmod>");
        }
        s.push_str("</url>\n");
    }
    s.push_str("</urlset>\n");
    OutputFile {
        path: "sitemap.xml".into(),
        bytes: s.into_bytes(),
    }
}

/// `robots.txt` pointing at the sitemap.
pub fn robots(w: &Wiki) -> OutputFile {
    OutputFile {
        path: "robots.txt".into(),
        bytes: format!(
            "User-agent: *\nAllow: /\nSitemap: {}\n",
            abs(w, "sitemap.xml")
        )
        .into_bytes(),
    }
}

/// `feed.xml`: an Atom feed of the entities with an `updated` date, newest first.
pub fn feed(w: &Wiki) -> OutputFile {
    let mut ids: Vec<usize> = (0..w.entities.len())
        .filter(|&i| w.entities[i].page.updated.is_some())
        .collect();
    ids.sort_by(|&a, &b| {
        w.entities[b]
            .page
            .updated
            .cmp(&w.entities[a].page.updated)
            .then_with(|| w.entities[a].path.cmp(&w.entities[b].path))
    });
    ids.truncate(FEED_ENTRIES);
    let rfc = |d: crate::date::PartialDate| {
        format!(
            "{:04}-{:02}-{:02}T00:00:00Z",
            d.year,
            d.month.max(1),
            d.day.max(1)
        )
    };
    let newest = ids
        .first()
        .and_then(|&i| w.entities[i].page.updated)
        .map(rfc)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(s, "  <title>{}</title>", xml_escape(&w.config.title));
    let _ = writeln!(s, "  <subtitle>Recently updated entities</subtitle>");
    let _ = writeln!(s, "  <link href=\"{}\"/>", xml_escape(&abs(w, "")));
    let _ = writeln!(
        s,
        "  <link rel=\"self\" href=\"{}\"/>",
        xml_escape(&abs(w, "feed.xml"))
    );
    let _ = writeln!(s, "  <id>{}</id>", xml_escape(&abs(w, "")));
    let _ = writeln!(s, "  <updated>{newest}</updated>");
    for i in ids {
        let e = &w.entities[i];
        let url = abs(w, &e.path);
        let _ = writeln!(
            s,
            "  <entry><title>{}</title><link href=\"{}\"/><id>{}</id><updated>{}</updated><summary>{}</summary></entry>",
            xml_escape(&e.page.title),
            xml_escape(&url),
            xml_escape(&url),
            rfc(e.page.updated.expect("filtered")),
            xml_escape(&e.page.summary)
        );
    }
    s.push_str("</feed>\n");
    OutputFile {
        path: "feed.xml".into(),
        bytes: s.into_bytes(),
    }
}

#[derive(Serialize)]
struct JsonLd<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'a str,
    name: &'a str,
    #[serde(rename = "alternateName", skip_serializing_if = "Vec::is_empty")]
    alternate: Vec<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    url: String,
    #[serde(rename = "birthDate", skip_serializing_if = "Option::is_none")]
    birth: Option<String>,
    #[serde(rename = "deathDate", skip_serializing_if = "Option::is_none")]
    death: Option<String>,
    #[serde(rename = "foundingDate", skip_serializing_if = "Option::is_none")]
    founding: Option<String>,
    #[serde(rename = "dissolutionDate", skip_serializing_if = "Option::is_none")]
    dissolution: Option<String>,
    #[serde(rename = "startDate", skip_serializing_if = "Option::is_none")]
    start: Option<String>,
    #[serde(rename = "endDate", skip_serializing_if = "Option::is_none")]
    end: Option<String>,
    #[serde(rename = "citation")]
    citations: Vec<String>,
}

/// JSON-LD for entity `id`, safe to inline in a `<script>` element (`<`, `>` and `&` escaped).
pub fn json_ld(w: &Wiki, id: usize) -> String {
    let e = &w.entities[id];
    let schema = w
        .config
        .kinds
        .get(&e.page.kind)
        .map_or("Thing", |k| k.schema.as_str());
    let fact = |k: &str| {
        e.page
            .facts
            .iter()
            .find(|f| f.key == k)
            .and_then(|f| f.date)
            .map(|d| d.to_string())
    };
    // One URL per cited source (an entity cites a source several times), sorted by URL.
    let sources: std::collections::BTreeSet<usize> = e.citations.iter().map(|c| c.source).collect();
    let mut cites: Vec<String> = sources
        .into_iter()
        .map(|s| abs(w, &format!("sources/{}/", w.sources[s].source.id)))
        .collect();
    cites.sort();
    let ld = JsonLd {
        context: "https://schema.org",
        kind: schema,
        name: &e.page.title,
        alternate: e.page.aliases.iter().map(|(a, _)| a.as_str()).collect(),
        description: &e.page.summary,
        url: abs(w, &e.path),
        birth: fact("born"),
        death: fact("died"),
        founding: fact("founded"),
        dissolution: fact("dissolved"),
        start: fact("date"),
        end: fact("end"),
        citations: cites,
    };
    script_safe_json(&serde_json::to_string(&ld).expect("json-ld serialises"))
}

/// Makes JSON safe inside an HTML `<script>` element: `<`, `>` and `&` as `\u` escapes (valid
/// JSON, and no `</script>` can appear).
pub fn script_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(i) = rest.find(['<', '>', '&']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            _ => "\\u0026",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::script_safe_json;

    #[test]
    fn inline_json_cannot_close_a_script() {
        let s = script_safe_json(r#"{"t":"</script><script>alert(1)</script>&"}"#);
        assert!(!s.contains("</script") && !s.contains('<') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["t"], "</script><script>alert(1)</script>&");
        assert_eq!(
            script_safe_json(r#"{"a":"<&>x","b":"plain"}"#),
            r#"{"a":"\u003c\u0026\u003ex","b":"plain"}"#
        );
    }
}
