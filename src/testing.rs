//! Support shared by the property tests and the fuzz targets: an inertness checker for the
//! HTML refwiki produces, and a resolver that resolves any name. Not used by the pipeline.

use crate::markdown::{LinkInfo, Resolver};

/// Elements refwiki may emit from content. Anything else (script, style, iframe, svg, math,
/// form, base, meta, object, …) fails the check.
const ALLOWED_TAGS: &[&str] = &[
    "a",
    "p",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "br",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
    "span",
    "mark",
    "div",
    "section",
    "input",
];

/// Checks that `html` cannot execute anything: only allow-listed elements, no `on*` or
/// `style` attributes, and every `href`/`src` either relative or http, https or mailto.
pub fn check_inert(html: &str) -> Result<(), String> {
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off;
        i = start + 1;
        let rest = &html[i..];
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let name_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .count();
        if name_len == 0 {
            // A literal `<` in text must have been escaped.
            return Err(format!("unescaped `<` at byte {start}"));
        }
        let name = rest[..name_len].to_ascii_lowercase();
        if !ALLOWED_TAGS.contains(&name.as_str()) {
            return Err(format!("element <{name}> at byte {start}"));
        }
        // Attributes up to the closing `>` (values are quoted by our renderer).
        let mut j = i + name_len;
        loop {
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= bytes.len() {
                return Err(format!("unterminated tag <{name}>"));
            }
            if bytes[j] == b'>' || bytes[j] == b'/' {
                break;
            }
            let an_len = html[j..]
                .bytes()
                .take_while(|b| !b.is_ascii_whitespace() && *b != b'=' && *b != b'>')
                .count();
            let attr = html[j..j + an_len].to_ascii_lowercase();
            if attr.starts_with("on") || attr == "style" || attr == "srcdoc" || attr == "formaction"
            {
                return Err(format!("attribute {attr} on <{name}>"));
            }
            j += an_len;
            if html[j..].starts_with("=\"") {
                let vstart = j + 2;
                let vend = html[vstart..]
                    .find('"')
                    .map(|e| vstart + e)
                    .ok_or("unterminated attribute")?;
                let value = unescape(&html[vstart..vend]);
                if (attr == "href" || attr == "src") && !crate::markdown::url_is_safe(&value) {
                    return Err(format!("{attr}=\"{value}\" on <{name}>"));
                }
                j = vend + 1;
            } else if html[j..].starts_with('=') {
                return Err(format!("unquoted attribute {attr} on <{name}>"));
            }
        }
    }
    Ok(())
}

/// Decodes the entities refwiki's escapers and pulldown-cmark emit in attribute values:
/// the named five and numeric `&#…;` / `&#x…;` references.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let decoded = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .or_else(|| ent.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A resolver for tests: every name resolves (to `/x/<slug>/`, with the name as summary, so
/// hostile names reach the attributes), every citation key renders a mark.
pub struct AnyResolver;

impl Resolver for AnyResolver {
    fn entity(&self, target: &str) -> Option<LinkInfo> {
        Some(LinkInfo {
            url: format!("/x/{}/", crate::text::slugify(target)).into(),
            title: target.into(),
            kind: target.into(),
            summary: target.into(),
        })
    }
    fn md_file(&self, stem: &str) -> Option<LinkInfo> {
        self.entity(stem)
    }
    fn cite(&self, key: &str) -> String {
        format!(
            "<sup class=\"cite\"><a href=\"/s/#p1\" title=\"{}\">[1]</a></sup>",
            crate::text::escape_html(key)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzz target `page`, crash-9894b456…): pulldown-cmark writes `'` in an href as
    /// `&#x27;`; the checker must decode it before judging the URL.
    #[test]
    fn fuzz_crash_apostrophe_in_a_relative_link_is_fine() {
        let input = "Xavier Doe met [[Jane Row]] and [sooeenm](nobody'md).\n";
        let (html, _) = crate::markdown::render(input, &AnyResolver);
        assert!(html.contains("href=\"nobody&#x27;md\""), "{html}");
        check_inert(&html).unwrap();
        assert!(check_inert("<a href=\"javascript&#x3A;alert(1)\">x</a>").is_err());
    }

    #[test]
    fn the_checker_catches_what_it_must() {
        assert!(check_inert("<p>ok <a href=\"/x/\" title=\"t\">x</a></p>").is_ok());
        for bad in [
            "<script>alert(1)</script>",
            "<img src=\"x\" onerror=\"alert(1)\">",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<svg><a><set attributeName=\"href\" to=\"javascript:alert(1)\"></set></a></svg>",
            "<math><annotation-xml encoding=\"text/html\"></annotation-xml></math>",
            "<p style=\"x\">",
            "a < b",
            "<iframe src=\"/\">",
        ] {
            assert!(check_inert(bad).is_err(), "{bad}");
        }
    }
}
