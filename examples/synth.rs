//! `synth`: a deterministic generator of synthetic reference wikis, to benchmark and stress
//! refwiki at scale (and, with `--hugo` / `--mdbook`, Hugo and mdBook on the same text).
//!
//! ```text
//! cargo run --release --example synth -- --entities N [--sources M] [--seed S]
//!                                         [--hugo DIR] [--mdbook DIR] OUT
//! ```
//!
//! **What it writes.** At `OUT`, a wiki of `N` entity pages `content/<folder>/e-XXXXX.md` over
//! the five built-in kinds and `M` sources `content/sources/src-XXXX.md` (50–300 passages of
//! word-list prose that keeps mentioning entity names), with `wiki.toml` and `content/index.md`.
//! Each page has 1–3 aliases, a summary, a dated kind fact (`born`, `founded`, `date`), 1–4
//! relations, 3–10 citations quoting 8–20 words of a passage exactly, and a 400–800-word body
//! with `##` sections, wikilinks and a `[^cN]` for every citation. `--hugo` and `--mdbook` write
//! the same pages as a minimal Hugo site and an mdBook book (plain links, no references).
//! `M` defaults to `max(1, N/20)`, the seed to 42; a one-line summary goes to stderr.
//!
//! **Why.** Questions of scale (time, memory, output size at 10,000 pages) need big wikis that
//! are *valid*, so that timings measure the normal path. `refwiki check --strict` finds nothing
//! (for N ≥ 2): every name holds its entity's *token*, a word that encodes the index (`Kobari`),
//! so names never collide after folding (an assert checks it); quotes are cut out of the source
//! text kept in memory, with `passage` given; every page links to the next one and has
//! relations (no orphans); every citation key is referenced from the body; every source is
//! cited by an entity that it mentions.
//!
//! **Determinism.** One splitmix64 stream consumed in a fixed order, no hash-map iteration: the
//! same arguments give byte-identical output. `OUT` (like the `--hugo`/`--mdbook` folders) is
//! replaced wholesale, but only if it is empty or was written by synth (it holds a marker).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::{env, fs, io, process};
use Seg::{C, L, W};

/// splitmix64: tiny, fast, statistically fine for synthetic text, fully determined by the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    /// One of the `|`-separated items of `s`.
    fn part<'a>(&mut self, s: &'a str) -> &'a str {
        let n = s.split('|').count();
        s.split('|').nth(self.below(n)).unwrap_or(s)
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }
}

/// A built-in refwiki kind, with what the generator needs to write pages of it. `title` and
/// `aliases` are name patterns: `{T}` token, `{F}` first name, `{I}` its initial and a dot, `{H}`
/// an honorific, `{N}` one of `names`, `{A}` a group adjective, `{X}` the initials of `{A} {N}`.
struct Kind {
    name: &'static str,
    folder: &'static str,
    /// The date fact that pages of this kind carry, if any.
    fact: Option<&'static str>,
    title: &'static str,
    aliases: &'static str,
    names: &'static str,
    /// Nouns for summaries and for "the <noun>" in prose.
    nouns: &'static str,
    headings: &'static str,
}

// Every name pattern holds `{T}` once, so names of different entities differ (see `token`).
#[rustfmt::skip]
const KINDS: [Kind; 5] = [
    Kind { name: "person", folder: "people", fact: Some("born"), title: "{F} {T}",
        aliases: "{I} {T}|{T}|{H} {T}", names: "",
        nouns: "commander|journalist|trader|cleric|diplomat|organiser",
        headings: "Early life|Career|Political activity|Later years|Associates|Assessment" },
    Kind { name: "group", folder: "groups", fact: Some("founded"), title: "{A} {N} of {T}",
        aliases: "{N} of {T}|{T} {N}|{X} {T}",
        names: "Front|Movement|Brigade|Council|League|Union|Brotherhood|Coalition|Assembly",
        nouns: "organisation|movement|militia|network|party",
        headings: "Origins|Organisation|Operations|Alliances|Decline|Assessment" },
    Kind { name: "place", folder: "places", fact: None, title: "{T} {N}",
        aliases: "{T}|{N} of {T}|Upper {T}",
        names: "Valley|River|Plateau|Oasis|Province|Hills|Harbour|District|Crossing|Lake",
        nouns: "town|region|district|valley|crossing",
        headings: "Geography|History|Economy|Conflict|Population" },
    Kind { name: "event", folder: "events", fact: Some("date"), title: "{N} of {T}",
        aliases: "{T} {N}|{N} at {T}|{T} affair",
        names: "Siege|Battle|Accord|Conference|Uprising|Ceasefire|Summit|Raid|Strike|Treaty",
        nouns: "confrontation|meeting|episode|campaign|crisis",
        headings: "Background|Course of events|Aftermath|Participants|Legacy" },
    Kind { name: "topic", folder: "topics", fact: None, title: "{T} {N}",
        aliases: "{N} of {T}|{T} question|{T} debate",
        names: "Doctrine|Reforms|Trade|Crisis|Dispute|Tradition|Economy|Dialect|Schism|Law",
        nouns: "subject|debate|policy|practice|controversy",
        headings: "Overview|Origins|Debate|Influence|Interpretations" },
];
/// Cumulative share of each kind among the entities, in percent (35/20/20/15/10).
const KIND_SHARE: [usize; 5] = [35, 55, 75, 90, 100];
const OPENERS: &str = "throughout the period|according to local accounts|shortly afterwards|\
    in the following months|during the dry season|at the same time|by most estimates|in retrospect";

/// Declares word lists, each written as one string and split on whitespace on first use.
macro_rules! lists {
    ($($name:ident = $text:literal;)*) => {$(
        static $name: LazyLock<Vec<&str>> = LazyLock::new(|| $text.split_whitespace().collect());
    )*};
}

lists! {
    SYL = "ba ko ri ma tu se la no di ga ve zu ha mi ro ta ne pa lu ke sa do fi yo";
    FIRST = "Amina Yusuf Clara Tomas Fatou Ibrahim Lena Moussa Ines Karim Sofia Omar Mariam
        Pavel Aissata Daniel Nadia Hamid Elena Samuel Zeynep Malik Irene Bakary";
    SURNAMES = "Okafor Lindqvist Moreau Haddad Kowalski Tanaka Mensah Ferreira Novak Castillo
        Berg Diallo Rossi Petrov Osei Farah";
    HONORIFICS = "Colonel Doctor Commander Minister Professor Captain";
    GROUP_ADJ = "United Popular Revolutionary National Free Democratic Patriotic Northern Federal";
    VERBS = "negotiated opposed supported documented organised reported challenged expanded
        financed recruited attacked defended described criticised established abandoned
        coordinated investigated mediated announced controlled influenced rebuilt questioned";
    ADJS = "regional local armed rural northern southern informal political economic fragile
        rival provisional lengthy secret public disputed new former early coastal military
        civilian seasonal uneasy";
    NOUNS = "council network agreement market convoy ceasefire settlement campaign alliance
        garrison delegation committee treaty militia border province harvest archive election
        truce rebellion administration mission route trade dispute reform leadership district";
    DETS = "the the the its their this that";
    PREPS = "in near across against with along around beyond through under after before";
    DOCS = "Report Survey Chronicle Review Notes Study Account";
    MONTHS = "January March May July September November";
}

/// A piece of prose: words (`W`, maybe several; one starting with `.` or `,` is glued to the
/// word before), a link to an entity under one of its names with an optional label (`L`), or a
/// reference to the page's citation number `C` (0-based).
enum Seg {
    W(String),
    L(usize, String, Option<String>),
    C(usize),
}
enum Block {
    H(String),
    P(Vec<Seg>),
}

/// A citation: source, passage (0-based; written 1-based) and quote.
struct Cite(usize, usize, String);

struct Entity {
    kind: usize,
    slug: String,
    /// The title, then the aliases.
    names: Vec<String>,
    summary: String,
    fact: Option<String>,
    cites: Vec<Cite>,
    /// (relation type, target entity, 0-based citation number)
    rels: Vec<(&'static str, usize, usize)>,
}

/// A source: id, title, author, date, and its passages as lists of sentences.
struct Source(String, String, String, String, Vec<Vec<String>>);

/// Everything that is written, in every output format.
struct Wiki {
    ents: Vec<Entity>,
    bodies: Vec<Vec<Block>>,
    sources: Vec<Source>,
    home: Vec<Block>,
    words: usize,
}

/// The token of entity `i`: `24² + perm(i)` in base 24 with two-letter syllables, least
/// significant first. `perm` (multiplication by a unit modulo 24³ − 24², identity above) makes
/// neighbours look unrelated. It is a bijection; syllables are distinct and two letters long and
/// the number has no leading zero, so distinct indices give distinct tokens.
fn token(i: usize) -> String {
    let k = SYL.len();
    let block = k * k * k - k * k; // 13248 = 2^6 · 3^2 · 23, coprime with 7919
    let mut n = k * k + if i < block { i * 7919 % block } else { i };
    let mut s = String::new();
    while n > 0 {
        s.push_str(SYL[n % k]);
        n /= k;
    }
    cap(&s)
}

fn cap(s: &str) -> String {
    s[..1].to_uppercase() + &s[1..]
}

/// The title and 1–3 aliases of entity `i`, from the patterns of its kind.
fn names(r: &mut Rng, k: &Kind, i: usize) -> Vec<String> {
    let (t, f, h) = (token(i), r.pick(&FIRST), r.pick(&HONORIFICS));
    let (a, n) = (r.pick(&GROUP_ADJ), r.part(k.names));
    let initial = format!("{}.", &f[..1]);
    let x = format!("{}{}", &a[..1], n.get(..1).unwrap_or_default());
    let fill = |p: &str| {
        let word = |w| match w {
            "{T}" => t.as_str(),
            "{F}" => f,
            "{I}" => &initial,
            "{H}" => h,
            "{N}" => n,
            "{A}" => a,
            "{X}" => &x,
            _ => w,
        };
        p.split(' ').map(word).collect::<Vec<_>>().join(" ")
    };
    let mut aliases: Vec<String> = k.aliases.split('|').map(fill).collect();
    r.shuffle(&mut aliases);
    aliases.truncate(r.range(1, 3));
    aliases.insert(0, fill(k.title));
    aliases
}

/// A noun phrase of 2–5 words: "the armed convoy", "its council of the market".
fn np(r: &mut Rng) -> String {
    let (d, n) = (r.pick(&DETS), r.pick(&NOUNS));
    match r.below(3) {
        0 => format!("{d} {n}"),
        1 => format!("{d} {} {n}", r.pick(&ADJS)),
        _ => format!("{d} {n} of the {}", r.pick(&NOUNS)),
    }
}

/// Appends one sentence of 5–19 words about `subj` and `obj` (a noun phrase if `None`).
fn sentence(r: &mut Rng, subj: Seg, obj: Option<Seg>, out: &mut Vec<Seg>) {
    let obj = obj.unwrap_or_else(|| W(np(r)));
    let (start, v) = (out.len(), W(r.pick(&VERBS).to_string()));
    let tail = W(format!("{} {}", r.pick(&PREPS), np(r)));
    let opener = match r.below(3) {
        0 => format!("in {},", r.range(1950, 2023)),
        1 => format!("by {} {},", r.pick(&MONTHS), r.range(1950, 2023)),
        _ => format!("{},", r.part(OPENERS)),
    };
    match r.below(5) {
        0 => out.extend([subj, v, obj, tail]),
        1 => out.extend([W(opener), subj, v, obj]),
        2 => out.extend([W(format!("according to {},", np(r))), subj, v, obj]),
        3 => {
            let which = format!(", which {} {}, later", r.pick(&VERBS), np(r));
            out.extend([subj, W(which), v, obj]);
        }
        _ => out.extend([obj, W(format!("was {} by", r.pick(&VERBS))), subj, tail]),
    }
    out.push(W(".".into()));
    if let W(s) = &mut out[start] {
        *s = cap(s);
    }
}

/// A quote of sentence `k` of a passage: the sentence if it has 8 words or more, else the first
/// 20 words from it on, else (the last sentence) the last 20 words up to its end. Sentences have
/// 5–19 words and passages at least two, so the quote has 8–20 words and holds sentence `k`.
fn quote(passage: &[String], k: usize) -> String {
    let joined;
    let words: Vec<&str> = match passage[k].split(' ').count() {
        8.. => passage[k].split(' ').collect(),
        _ if k + 1 < passage.len() => {
            joined = format!("{} {}", passage[k], passage[k + 1]);
            joined.split(' ').take(20).collect()
        }
        _ => {
            joined = format!("{} {}", passage[k - 1], passage[k]);
            let all: Vec<&str> = joined.split(' ').collect();
            all[all.len().saturating_sub(20)..].to_vec()
        }
    };
    words.join(" ").trim_end_matches(['.', ',']).to_string()
}

/// A link to entity `e` under a random name, sometimes with a label.
fn link(r: &mut Rng, e: usize, ents: &[Entity]) -> Seg {
    let x = &ents[e];
    let name = x.names[r.below(x.names.len())].clone();
    let noun = r.part(KINDS[x.kind].nouns);
    L(e, name, r.chance(15).then(|| format!("this {noun}")))
}

/// The body of entity `e`: a lead paragraph, then `##` sections of 2–3 paragraphs, until
/// 400–720 words are written and every link of `links` and a reference to every citation are
/// placed (spread over the expected length). Returns the blocks and the number of words.
fn body(r: &mut Rng, e: &Entity, ents: &[Entity], links: &[usize]) -> (Vec<Block>, usize) {
    let (kind, ncites) = (&KINDS[e.kind], e.cites.len());
    let mut heads: Vec<&str> = kind.headings.split('|').collect();
    r.shuffle(&mut heads);
    let target = r.range(400, 720);
    let est = target / 14; // expected number of sentences (about 14 words each)
    let (mut blocks, mut para) = (Vec::new(), Vec::new());
    let (mut words, mut s, mut nl, mut nc, mut in_para, mut in_sec) = (0, 0, 0, 0, 0, 0);
    let (mut para_len, mut sec_len, mut next_head) = (r.range(2, 4), 1, 0);
    while words < target || nl < links.len() || nc < ncites {
        if in_para == para_len {
            blocks.push(Block::P(std::mem::take(&mut para)));
            (in_para, para_len, in_sec) = (0, r.range(3, 5), in_sec + 1);
        }
        if in_para == 0 && in_sec == sec_len {
            blocks.push(Block::H(heads[next_head % heads.len()].to_string()));
            (next_head, in_sec, sec_len) = (next_head + 1, 0, r.range(2, 3));
        }
        let subj = match (s, r.below(4)) {
            (0, _) | (_, 0) => e.names[0].clone(),
            (_, 1) => format!("the {}", r.part(kind.nouns)),
            _ => e.names[r.below(e.names.len())].clone(),
        };
        let due = nl < links.len() && s > nl * est / links.len();
        let obj = due.then(|| link(r, links[nl], ents));
        nl += usize::from(due);
        let (from, mut plain) = (para.len(), String::new());
        sentence(r, W(subj), obj, &mut para);
        prose(&mut plain, &para[from..], ents, &Flavor::Plain);
        words += plain.split(' ').count();
        while nc < ncites && s >= nc * est / ncites {
            para.push(C(nc));
            nc += 1;
        }
        (s, in_para) = (s + 1, in_para + 1);
    }
    blocks.push(Block::P(para));
    (blocks, words)
}

/// How links and references are written: as refwiki wikilinks and `[^cN]`; as plain names (in
/// sources); as site-absolute links (Hugo); as relative `.md` links from a page at the given
/// depth (mdBook).
enum Flavor {
    Wiki,
    Plain,
    Hugo,
    Book(&'static str),
}

/// Appends prose to `out`, separating words with one space.
fn prose(out: &mut String, segs: &[Seg], ents: &[Entity], fl: &Flavor) {
    for seg in segs {
        let glued = matches!(seg, C(_)) || matches!(seg, W(w) if w.starts_with(['.', ',']));
        if !glued && !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        let _ = match (seg, fl) {
            (W(w), _) | (L(_, w, _), Flavor::Plain) => write!(out, "{w}"),
            (L(_, name, None), Flavor::Wiki) => write!(out, "[[{name}]]"),
            (L(_, name, Some(l)), Flavor::Wiki) => write!(out, "[[{name}|{l}]]"),
            (L(e, name, label), _) => {
                let (x, text) = (&ents[*e], label.as_ref().unwrap_or(name));
                let folder = KINDS[x.kind].folder;
                match fl {
                    Flavor::Book(up) => write!(out, "[{text}]({up}{folder}/{}.md)", x.slug),
                    _ => write!(out, "[{text}](/{folder}/{}/)", x.slug),
                }
            }
            (C(k), Flavor::Wiki) => write!(out, "[^c{}]", k + 1),
            (C(_), _) => Ok(()),
        };
    }
}

fn render(blocks: &[Block], ents: &[Entity], fl: &Flavor) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::H(h) => out += &format!("## {h}\n\n"),
            Block::P(segs) => {
                prose(&mut out, segs, ents, fl);
                out += "\n\n";
            }
        }
    }
    out
}

/// Entity `i` without citations and relations: kind, slug, names, summary and date fact.
fn entity(r: &mut Rng, i: usize, width: usize) -> Entity {
    let roll = r.below(100);
    let kind = KIND_SHARE.iter().position(|&s| roll < s).unwrap_or(0);
    let names = names(r, &KINDS[kind], i);
    let (adj, noun) = (r.pick(&ADJS), r.part(KINDS[kind].nouns));
    let an = ["A", "An"][usize::from(adj.starts_with(['a', 'e', 'i', 'o', 'u']))];
    let (adj2, noun2) = (r.pick(&ADJS), r.pick(&NOUNS));
    let summary = format!("{an} {adj} {noun} associated with the {adj2} {noun2}.");
    let (year, month, day) = (r.range(1900, 1995), r.range(1, 12), r.range(1, 28));
    let (date, len) = (format!("{year}-{month:02}-{day:02}"), [4, 10][r.below(2)]);
    let fact = KINDS[kind].fact.map(|_| date[..len].to_string()); // YYYY or YYYY-MM-DD
    let (slug, cites, rels) = (format!("e-{i:0width$}"), Vec::new(), Vec::new());
    Entity {
        kind,
        slug,
        names,
        summary,
        fact,
        cites,
        rels,
    }
}

/// Generates the entities, the sources and their mentions, the citations, then the relations
/// and the bodies, in this order.
fn generate(n: usize, m: usize, seed: u64) -> Wiki {
    let mut r = Rng(seed);
    let width = 5.max(n.to_string().len());
    let mut ents: Vec<Entity> = (0..n).map(|i| entity(&mut r, i, width)).collect();
    // Names must be unique after folding. Lower case is the only folding that applies here (the
    // word lists have no diacritics, apostrophes or hyphens), and no page repeats a name.
    let mut seen = HashSet::new();
    for name in ents.iter().flat_map(|e| &e.names) {
        assert!(seen.insert(name.to_lowercase()), "name collision: {name}");
    }

    // Sources: passages of 2–6 sentences whose subjects and objects are often entity names,
    // drawn from a shuffled deck so that mentions spread evenly over the entities. The first
    // mention in each source is its anchor: that entity cites it, so every source is cited.
    let (mut deck, mut anchors, mut mentions) = (Vec::new(), Vec::new(), vec![Vec::new(); n]);
    let (mut sources, mut segs) = (Vec::with_capacity(m), Vec::new());
    for s in 0..m {
        let mut passages = Vec::new();
        for p in 0..r.range(50, 300) {
            let mut sentences = Vec::new();
            for k in 0..r.range(2, 6) {
                let mut name = |r: &mut Rng, percent: usize| {
                    r.chance(percent).then(|| {
                        if deck.is_empty() {
                            deck.extend(0..n);
                            r.shuffle(&mut deck);
                        }
                        link(r, deck.pop().expect("refilled"), &ents)
                    })
                };
                let subj = name(&mut r, 45).unwrap_or_else(|| W(np(&mut r)));
                let obj = name(&mut r, 20);
                segs.clear();
                sentence(&mut r, subj, obj, &mut segs);
                for seg in &segs {
                    if let L(e, ..) = seg {
                        mentions[*e].push((s, p, k));
                        anchors.extend((anchors.len() == s).then_some((*e, s, p, k)));
                    }
                }
                let mut text = String::new();
                prose(&mut text, &segs, &ents, &Flavor::Plain);
                sentences.push(text);
            }
            passages.push(sentences);
        }
        let (doc, adj, noun) = (r.pick(&DOCS), r.pick(&ADJS), r.pick(&NOUNS));
        let title = format!("{doc} on the {adj} {noun}");
        let author = format!("{} {}", r.pick(&FIRST), r.pick(&SURNAMES));
        let (year, month, day) = (r.range(1990, 2024), r.range(1, 12), r.range(1, 28));
        let date = format!("{year}-{month:02}-{day:02}");
        let id = format!("src-{:04}", s + 1);
        sources.push(Source(id, title, author, date, passages));
    }

    // Citations: the anchors first, then 3–10 in all per entity, quoting passages that mention
    // the entity (random passages when there are too few).
    let mut uncited = m - anchors.len(); // sources that mention nobody (none in practice)
    for (e, s, p, k) in anchors {
        if ents[e].cites.len() < 10 {
            ents[e].cites.push(Cite(s, p, quote(&sources[s].4[p], k)));
        } else {
            uncited += 1;
        }
    }
    if uncited > 0 {
        eprintln!("synth: warning: {uncited} sources left uncited: too few entities");
    }
    for (e, mut cand) in ents.iter_mut().zip(mentions) {
        let want = r.range(3, 10).max(e.cites.len());
        r.shuffle(&mut cand);
        for (s, p, k) in cand {
            if e.cites.len() < want && e.cites.iter().all(|c| (c.0, c.1) != (s, p)) {
                e.cites.push(Cite(s, p, quote(&sources[s].4[p], k)));
            }
        }
        while e.cites.len() < want {
            let s = r.below(m);
            let p = r.below(sources[s].4.len());
            let k = r.below(sources[s].4[p].len());
            e.cites.push(Cite(s, p, quote(&sources[s].4[p], k)));
        }
    }

    // Relations (1–4 distinct other entities, typed by the two kinds) and bodies, which link
    // every relation target, the next entity (so that none is an orphan) and 1–2 others.
    let (mut bodies, mut words) = (Vec::with_capacity(n), 0);
    for i in 0..n {
        let mut links: Vec<usize> = Vec::new();
        let want = if n > 1 { r.range(1, 4).min(n - 1) } else { 0 };
        while links.len() < want {
            let t = r.below(n);
            if t != i && !links.contains(&t) {
                links.push(t);
            }
        }
        let rels = links.iter().enumerate().map(|(k, &t)| {
            let ty = match (KINDS[ents[i].kind].name, KINDS[ents[t].kind].name) {
                ("person", "group") => "member_of",
                ("person" | "group", "event") => "participant_in",
                ("group", "group") => "allied_with",
                ("group" | "event" | "place", "place") => "located_in",
                _ => "related_to",
            };
            (ty, t, (k + 1) % ents[i].cites.len())
        });
        ents[i].rels = rels.collect();
        if n > 1 {
            links.push((i + 1) % n);
            for _ in 0..r.range(1, 2) {
                links.push((i + 1 + r.below(n - 1)) % n);
            }
        }
        r.shuffle(&mut links);
        let (blocks, count) = body(&mut r, &ents[i], &ents, &links);
        bodies.push(blocks);
        words += count;
    }

    // Home page: what the wiki holds, and a link to the first entity of each kind.
    let intro = format!("This synthetic wiki has {n} entity pages and {m} sources (seed {seed}).");
    let mut segs = vec![W(intro), W("Start with".into())];
    for k in 0..KINDS.len() {
        if let Some(e) = ents.iter().position(|e| e.kind == k) {
            segs.extend([L(e, ents[e].names[0].clone(), None), W(",".into())]);
        }
    }
    segs.pop(); // the last comma
    segs.push(W(".".into()));
    let home = vec![Block::P(segs)];
    Wiki {
        ents,
        bodies,
        sources,
        home,
        words,
    }
}

/// A TOML basic string, which is also a YAML double-quoted string.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Replaces `dir` with an empty folder holding only the synth marker; refuses to touch a
/// non-empty folder that synth did not write.
fn prepare(dir: &Path) -> io::Result<()> {
    const MARK: &str = ".refwiki-synth";
    if dir.exists() {
        if fs::read_dir(dir)?.next().is_some() && !dir.join(MARK).exists() {
            let msg = format!("{}: not empty, not written by synth", dir.display());
            return Err(io::Error::other(msg));
        }
        fs::remove_dir_all(dir)?;
    }
    put(dir, MARK, "written by synth, replaced on its next run\n")
}

/// Writes `text` to `dir/rel`, creating folders as needed.
fn put(dir: &Path, rel: &str, text: &str) -> io::Result<()> {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().expect("files are written below a folder"))?;
    fs::write(path, text)
}

/// A source's passages, one per line, separated by blank lines.
fn source_text(src: &Source) -> String {
    let passages: Vec<String> = src.4.iter().map(|p| p.join(" ")).collect();
    passages.join("\n\n") + "\n"
}

fn write_wiki(w: &Wiki, out: &Path) -> io::Result<()> {
    prepare(out)?;
    put(out, "wiki.toml", "title = \"Synthetic wiki\"\n")?;
    let home = render(&w.home, &w.ents, &Flavor::Wiki);
    put(
        out,
        "content/index.md",
        &format!("+++\ntitle = \"Synthetic wiki\"\n+++\n\n{home}"),
    )?;
    for src in &w.sources {
        let Source(id, title, author, date, _) = src;
        let (title, author) = (q(title), q(author));
        let fm = format!("+++\ntitle = {title}\nauthor = {author}\ndate = \"{date}\"\n+++\n\n");
        put(
            out,
            &format!("content/sources/{id}.md"),
            &(fm + &source_text(src)),
        )?;
    }
    for (e, blocks) in w.ents.iter().zip(&w.bodies) {
        let kind = &KINDS[e.kind];
        let (title, summary) = (q(&e.names[0]), q(&e.summary));
        let aliases: Vec<String> = e.names[1..].iter().map(|a| q(a)).collect();
        let mut f = format!("+++\ntitle = {title}\nkind = \"{}\"\n", kind.name);
        f += &format!("aliases = [{}]\nsummary = {summary}\n", aliases.join(", "));
        if let (Some(key), Some(v)) = (kind.fact, &e.fact) {
            f += &format!("{key} = {{ value = \"{v}\", cite = \"c1\" }}\n");
        }
        let mut by_type: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for &(ty, t, c) in &e.rels {
            let rel = format!("{{ to = \"{}\", cite = \"c{}\" }}", w.ents[t].slug, c + 1);
            by_type.entry(ty).or_default().push(rel);
        }
        f += "\n[relations]\n";
        for (ty, list) in by_type {
            f += &format!("{ty} = [{}]\n", list.join(", "));
        }
        for (k, Cite(s, p, quote)) in e.cites.iter().enumerate() {
            let (key, id, p, quote) = (k + 1, &w.sources[*s].0, p + 1, q(quote));
            f += &format!("\n[cites.c{key}]\nsource = \"{id}\"\npassage = {p}\nquote = {quote}\n");
        }
        f += "+++\n\n";
        f += &render(blocks, &w.ents, &Flavor::Wiki);
        put(out, &format!("content/{}/{}.md", kind.folder, e.slug), &f)?;
    }
    Ok(())
}

/// The pages of the Hugo and mdBook outputs, entities by kind then sources, as (section,
/// slug, title, summary, Markdown body).
fn pages<'a>(w: &'a Wiki, fl: &Flavor) -> Vec<(&'a str, &'a str, &'a str, String, String)> {
    let mut out = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        for (e, blocks) in w.ents.iter().zip(&w.bodies).filter(|(e, _)| e.kind == k) {
            let (summary, body) = (e.summary.clone(), render(blocks, &w.ents, fl));
            out.push((kind.folder, &*e.slug, &*e.names[0], summary, body));
        }
    }
    for src in &w.sources {
        let Source(id, title, author, date, _) = src;
        let (by, text) = (format!("{author}, {date}"), source_text(src));
        out.push(("sources", id, title, by, text));
    }
    out
}

const HUGO_CONFIG: &str = "baseURL = \"/\"\ntitle = \"Synthetic wiki\"\n\
    disableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\"]\n";

/// Minimal Hugo templates (base, single page, section list, home), each after a `== path` line.
const HUGO_LAYOUTS: &str = r#"== _default/baseof.html
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title></head>
<body><header><a href="/">{{ site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main></body>
</html>
== _default/single.html
{{ define "main" }}<h1>{{ .Title }}</h1>
{{ with .Params.summary }}<p><em>{{ . }}</em></p>{{ end }}
{{ .Content }}{{ end }}
== _default/list.html
{{ define "main" }}<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
== index.html
{{ define "main" }}<h1>{{ .Title }}</h1>
{{ .Content }}
{{ range .Sections }}<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}{{ end }}
"#;

/// A minimal Hugo site: the same bodies with site-absolute links and YAML front matter.
fn write_hugo(w: &Wiki, dir: &Path) -> io::Result<()> {
    prepare(dir)?;
    put(dir, "hugo.toml", HUGO_CONFIG)?;
    for layout in HUGO_LAYOUTS.split("== ").skip(1) {
        let (path, text) = layout.split_once('\n').expect("a path, then a template");
        put(dir, &format!("layouts/{path}"), text)?;
    }
    let home = render(&w.home, &w.ents, &Flavor::Hugo);
    put(
        dir,
        "content/_index.md",
        &format!("---\ntitle: \"Synthetic wiki\"\n---\n\n{home}"),
    )?;
    for folder in KINDS.iter().map(|k| k.folder).chain(["sources"]) {
        let index = format!("---\ntitle: {}\n---\n", cap(folder));
        put(dir, &format!("content/{folder}/_index.md"), &index)?;
    }
    for (folder, slug, title, summary, body) in pages(w, &Flavor::Hugo) {
        let (title, summary) = (q(title), q(&summary));
        let text = format!("---\ntitle: {title}\nsummary: {summary}\n---\n\n{body}");
        put(dir, &format!("content/{folder}/{slug}.md"), &text)?;
    }
    Ok(())
}

/// An mdBook book: the same bodies with relative `.md` links, a SUMMARY.md listing every page.
fn write_book(w: &Wiki, dir: &Path) -> io::Result<()> {
    prepare(dir)?;
    let config = "[book]\ntitle = \"Synthetic wiki\"\nauthors = [\"synth\"]\nlanguage = \"en\"\n";
    put(dir, "book.toml", config)?;
    let home = render(&w.home, &w.ents, &Flavor::Book(""));
    put(dir, "src/index.md", &format!("# Synthetic wiki\n\n{home}"))?;
    let mut summary = String::from("# Summary\n\n[Synthetic wiki](index.md)\n");
    let mut section = "";
    for (folder, slug, title, by, body) in pages(w, &Flavor::Book("../")) {
        if folder != section {
            section = folder;
            summary += &format!("\n# {}\n\n", cap(folder));
        }
        summary += &format!("- [{title}]({folder}/{slug}.md)\n");
        let text = format!("# {title}\n\n*{by}*\n\n{body}");
        put(dir, &format!("src/{folder}/{slug}.md"), &text)?;
    }
    put(dir, "src/SUMMARY.md", &summary)
}

fn usage(msg: &str) -> ! {
    eprintln!("synth: {msg}");
    eprintln!("usage: synth --entities N [--sources M] [--seed S] [--hugo DIR] [--mdbook DIR] OUT");
    process::exit(2)
}

fn fail(err: io::Error) -> ! {
    eprintln!("synth: {err}");
    process::exit(1)
}

fn main() {
    let (mut n, mut m, mut seed) = (0u64, None, 42u64);
    let (mut out, mut hugo, mut book) = (None, None, None);
    let mut args = env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage("missing value"));
        let num = |v: String| v.parse().unwrap_or_else(|_| usage("not a number"));
        match a.as_str() {
            "--entities" => n = num(val()),
            "--sources" => m = Some(num(val()) as usize),
            "--seed" => seed = num(val()),
            "--hugo" => hugo = Some(PathBuf::from(val())),
            "--mdbook" => book = Some(PathBuf::from(val())),
            _ if a.starts_with('-') => usage(&format!("unknown option {a}")),
            _ if out.is_none() => out = Some(PathBuf::from(a)),
            _ => usage("only one OUT folder"),
        }
    }
    let n = n as usize;
    if n == 0 {
        usage("--entities N (N >= 1) is required");
    }
    let m = m.unwrap_or(n / 20).max(1);
    let out = out.unwrap_or_else(|| usage("OUT is required"));

    let w = generate(n, m, seed);
    write_wiki(&w, &out).unwrap_or_else(|e| fail(e));
    if let Some(dir) = &hugo {
        write_hugo(&w, dir).unwrap_or_else(|e| fail(e));
    }
    if let Some(dir) = &book {
        write_book(&w, dir).unwrap_or_else(|e| fail(e));
    }
    let all: Vec<&Vec<String>> = w.sources.iter().flat_map(|s| &s.4).collect();
    let count = |p: &&Vec<String>| p.iter().map(|s| s.split(' ').count()).sum::<usize>();
    let src_words: usize = all.iter().map(count).sum();
    let cites: usize = w.ents.iter().map(|e| e.cites.len()).sum();
    let passages = all.len();
    let what = format!("{n} entities, {m} sources, {passages} passages, {cites} citations");
    let words = format!("{} words ({src_words} in sources)", src_words + w.words);
    eprintln!("synth: {what}, {words} -> {}", out.display());
}
