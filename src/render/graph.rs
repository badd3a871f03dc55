//! Relation graphs drawn as SVG at build time: an entity's neighbourhood (typed, labelled
//! edges) and a global overview. Pure functions from a small graph description to an SVG
//! string; every label is escaped, every node is a link, and nothing needs JavaScript.

use std::fmt::Write as _;

use crate::text::{escape_html, escape_html_into};

/// A node to draw.
#[derive(Debug, Clone)]
pub struct Node {
    /// Title.
    pub title: String,
    /// URL.
    pub url: String,
    /// Kind name (a CSS class).
    pub kind: String,
}

/// An edge from the centre (or between overview nodes).
#[derive(Debug, Clone)]
pub struct Edge {
    /// Index of the first node.
    pub from: usize,
    /// Index of the second node.
    pub to: usize,
    /// Label (relation label as seen from `from`).
    pub label: String,
}

/// A coordinate with one decimal, as `{:.1}` writes it but without float formatting's exact
/// decimal expansion (a tenth of entity-page render time went there).
#[derive(Clone, Copy)]
struct F1(f64);

impl std::fmt::Display for F1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = (self.0 * 10.0).round() as i64;
        let sign = if v < 0 { "-" } else { "" };
        let v = v.unsigned_abs();
        write!(f, "{sign}{}.{}", v / 10, v % 10)
    }
}

/// Appends each text followed by its number (as [`F1`] writes it).
fn push_numbers(out: &mut String, parts: &[(&str, f64)]) {
    for &(text, v) in parts {
        out.push_str(text);
        push_f1(out, v);
    }
}

/// Appends `v` as [`F1`] writes it, without the formatting machinery: the whole part through
/// itoa (as every other number a page pushes), then one decimal.
fn push_f1(out: &mut String, v: f64) {
    let v = (v * 10.0).round() as i64;
    if v < 0 {
        out.push('-');
    }
    let v = v.unsigned_abs();
    super::push_num(out, v / 10);
    out.push('.');
    out.push(char::from(b'0' + (v % 10) as u8));
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!(
            "{}…",
            s.chars().take(max - 1).collect::<String>().trim_end()
        )
    }
}

/// The neighbourhood of `center` (node 0 of `nodes`): the others on a circle around it, one
/// labelled edge each. At most `max` neighbours are drawn.
pub fn neighbourhood(nodes: &[Node], edges: &[Edge], max: usize) -> String {
    let n = (nodes.len().saturating_sub(1)).min(max);
    if n == 0 {
        return String::new();
    }
    let (w, h) = (720.0_f64, if n <= 6 { 360.0 } else { 520.0 });
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (rx, ry) = (w / 2.0 - 120.0, h / 2.0 - 40.0);
    let pos = |i: usize| -> (f64, f64) {
        if i == 0 {
            return (cx, cy);
        }
        let a = -std::f64::consts::FRAC_PI_2 + (i - 1) as f64 * std::f64::consts::TAU / n as f64;
        (cx + rx * a.cos(), cy + ry * a.sin())
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"graph\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"graph-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"graph-title\">Relations of {}</title>",
        escape_html(&nodes[0].title)
    );
    // Pushed piece by piece: `write!` with a dozen arguments per element was most of the cost
    // of this graph, which every entity page has.
    for e in edges.iter().filter(|e| e.from.max(e.to) <= n) {
        let ((x1, y1), (x2, y2)) = (pos(e.from), pos(e.to));
        // Labels sit nearer the neighbour than the centre, where spokes crowd together.
        let (mx, my) = (x1 + 0.6 * (x2 - x1), y1 + 0.6 * (y2 - y1) - 4.0);
        push_numbers(
            &mut s,
            &[
                ("<line class=\"edge\" x1=\"", x1),
                ("\" y1=\"", y1),
                ("\" x2=\"", x2),
                ("\" y2=\"", y2),
                ("\"/><text class=\"edge-label\" x=\"", mx),
                ("\" y=\"", my),
            ],
        );
        s.push_str("\">");
        escape_html_into(&mut s, &short(&e.label, 26));
        s.push_str("</text>");
    }
    for (i, node) in nodes.iter().enumerate().take(n + 1) {
        let (x, y) = pos(i);
        let ty = y + if i == 0 { 24.0 } else { 20.0 };
        s.push_str("<a href=\"");
        escape_html_into(&mut s, &node.url);
        s.push_str(if i == 0 {
            "\" class=\"node center kind-"
        } else {
            "\" class=\"node kind-"
        });
        escape_html_into(&mut s, &node.kind);
        let r = if i == 0 {
            "\" r=\"9\"/><text x=\""
        } else {
            "\" r=\"6\"/><text x=\""
        };
        push_numbers(
            &mut s,
            &[
                ("\"><circle cx=\"", x),
                ("\" cy=\"", y),
                (r, x),
                ("\" y=\"", ty),
            ],
        );
        s.push_str("\">");
        escape_html_into(&mut s, &short(&node.title, 28));
        s.push_str("</text></a>");
    }
    s.push_str("</svg>");
    s
}

/// The most entities the overview draws: those with the most relations (declared or
/// inverse). Beyond a few hundred, names on the circle overlap and the page only grows (at
/// 100,000 entities it was 57 MB, drawn in 0.6 s and held whole in memory while rendered);
/// every entity page still draws its own neighbourhood.
pub const OVERVIEW_MAX_NODES: usize = 400;

/// The overview: every node on a circle (grouped by the order given), edges as chords, labels
/// radiating outwards.
pub fn overview(nodes: &[Node], edges: &[Edge]) -> String {
    let n = nodes.len().max(1);
    let r = (n as f64 * 5.5).clamp(220.0, 1400.0);
    let size = 2.0 * (r + 230.0);
    let c = size / 2.0;
    let pos = |i: usize| {
        let a = i as f64 * std::f64::consts::TAU / n as f64;
        (c + r * a.cos(), c + r * a.sin(), a)
    };
    let mut s = String::new();
    let _ = write!(s, "<svg class=\"graph overview\" viewBox=\"0 0 {size:.0} {size:.0}\" role=\"img\" aria-label=\"Overview of all relations\" xmlns=\"http://www.w3.org/2000/svg\">");
    for e in edges {
        let ((x1, y1, _), (x2, y2, _)) = (pos(e.from), pos(e.to));
        let [x1, y1, x2, y2, c] = [x1, y1, x2, y2, c].map(F1);
        let _ = write!(
            s,
            "<path class=\"edge\" d=\"M{x1},{y1} Q{c},{c} {x2},{y2}\"><title>{}</title></path>",
            escape_html(&format!(
                "{} {} {}",
                nodes[e.from].title, e.label, nodes[e.to].title
            ))
        );
    }
    for (i, node) in nodes.iter().enumerate() {
        let (x, y, a) = pos(i);
        let deg = a.to_degrees();
        let (anchor, rot) = if (90.0..270.0).contains(&deg) {
            ("end", deg - 180.0)
        } else {
            ("start", deg)
        };
        let (tx, ty) = (x + 10.0 * a.cos(), y + 10.0 * a.sin());
        let [x, y, tx, ty, rot] = [x, y, tx, ty, rot].map(F1);
        let _ = write!(
            s,
            "<a href=\"{}\" class=\"node kind-{}\"><circle cx=\"{x}\" cy=\"{y}\" r=\"4\"/><text x=\"{tx}\" y=\"{ty}\" text-anchor=\"{anchor}\" dominant-baseline=\"middle\" transform=\"rotate({rot} {tx} {ty})\">{}</text></a>",
            escape_html(&node.url),
            escape_html(&node.kind),
            escape_html(&short(&node.title, 32))
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(t: &str) -> Node {
        Node {
            title: t.into(),
            url: format!("/x/{t}/"),
            kind: "person".into(),
        }
    }

    #[test]
    fn push_f1_writes_what_f1_displays() {
        for v in [
            0.0, -0.04, -0.06, 0.05, 9.95, 360.0, 123.456, -987.65, 1e9, -1e-9, 719.99,
        ] {
            let mut s = String::new();
            push_f1(&mut s, v);
            assert_eq!(s, F1(v).to_string(), "{v}");
        }
    }

    #[test]
    fn svg_escapes_labels_and_links_every_node() {
        let nodes = vec![node("A <script>"), node("B"), node("C")];
        let edges = vec![
            Edge {
                from: 0,
                to: 1,
                label: "leads \"x\"".into(),
            },
            Edge {
                from: 0,
                to: 2,
                label: "allied with".into(),
            },
        ];
        let svg = neighbourhood(&nodes, &edges, 24);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>") && svg.contains("A &lt;script&gt;"));
        assert_eq!(svg.matches("<a href=").count(), 3);
        assert!(svg.contains("leads &quot;x&quot;"));
        assert_eq!(neighbourhood(&nodes[..1], &[], 24), "");
        let o = overview(&nodes, &edges);
        assert_eq!(o.matches("<path").count(), 2);
    }
}
