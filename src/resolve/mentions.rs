//! Mentions: every occurrence of an entity's title or alias in a source passage.
//!
//! One Aho-Corasick automaton over all names (leftmost-longest, so "Katiba Macina" wins over
//! "Macina"), matched on diacritic- and apostrophe-folded text that keeps case (so the alias
//! `IS` does not match the word "is"), accepted only at word boundaries.
//!
//! The automaton runs *anchored*, only where a name can start: at a word start (in the
//! original text) whose first byte begins some name. A mention is the longest name starting
//! there that also ends at a word end; the next is looked for after it. Scanning every byte
//! unanchored cost several times more (most bytes continue some name's prefix, so the automaton
//! was rarely at rest), and a name found inside a word was thrown away only after it had
//! hidden any name overlapping it.

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};

use crate::load::{EntityPage, Passage};
use crate::text::{fold_keep_case_mapped_into, is_folded_keep_case};

/// One mention in a passage: byte range in the passage's original text and the entity. Kept
/// as `u32`s (a content file is at most 5 MiB): a 100,000-entity wiki holds 2.7 million.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    start: u32,
    end: u32,
    entity: u32,
}

impl Mention {
    /// Start byte in the passage text.
    pub fn start(&self) -> usize {
        self.start as usize
    }

    /// End byte.
    pub fn end(&self) -> usize {
        self.end as usize
    }

    /// Entity id.
    pub fn entity(&self) -> usize {
        self.entity as usize
    }
}

/// The compiled matcher.
pub struct Matcher {
    ac: Option<AhoCorasick>,
    /// Whether some name starts with this byte.
    first_bytes: [bool; 256],
    /// Whether some name may start with these three bytes (see [`Prefixes`]).
    prefixes: Prefixes,
    owners: Vec<usize>,
    /// The folded patterns, sorted, parallel to `owners`.
    patterns: Vec<String>,
}

impl Matcher {
    /// Builds the automaton over every title and alias (names shorter than 2 characters are
    /// skipped; the first entity claiming a pattern owns it).
    pub fn new(entities: &[&EntityPage]) -> Matcher {
        let names = entities.iter().enumerate().flat_map(|(id, e)| {
            std::iter::once(e.title.as_str())
                .chain(e.aliases.iter().map(|(a, _)| a.as_str()))
                .map(move |n| (n, id))
        });
        Matcher::from_names(names)
    }

    /// Builds the automaton from (name, entity id) pairs.
    pub fn from_names<'a>(names: impl IntoIterator<Item = (&'a str, usize)>) -> Matcher {
        let mut pats: Vec<(String, usize)> = Vec::new();
        let (mut f, mut map) = (String::new(), Vec::new());
        for (name, id) in names {
            fold_keep_case_mapped_into(name, &mut f, &mut map);
            if f.chars().nth(1).is_some() {
                pats.push((f.clone(), id));
            }
        }
        pats.sort();
        pats.dedup_by(|a, b| a.0 == b.0);
        let owners = pats.iter().map(|p| p.1).collect();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(pats.iter().map(|p| p.0.as_str()))
            .ok();
        let mut first_bytes = [false; 256];
        let mut prefixes = Prefixes::default();
        for (p, _) in &pats {
            first_bytes[usize::from(p.as_bytes()[0])] = true;
            prefixes.insert(p.as_bytes());
        }
        let patterns = pats.into_iter().map(|p| p.0).collect();
        Matcher {
            ac,
            first_bytes,
            prefixes,
            owners,
            patterns,
        }
    }

    /// The folded patterns and the entity owning each, sorted by pattern.
    pub fn patterns(&self) -> impl Iterator<Item = (&str, usize)> {
        self.patterns
            .iter()
            .map(String::as_str)
            .zip(self.owners.iter().copied())
    }

    /// The mentions in one passage, in order.
    pub fn find(&self, p: &Passage) -> Vec<Mention> {
        self.find_in(&p.text)
    }

    /// The mentions in any text, in order (byte ranges of `text`).
    pub fn find_in(&self, text: &str) -> Vec<Mention> {
        self.find_in_recording(text, None)
    }

    /// [`Matcher::find_in`], also appending the folded text and a `\0` to `folded` when given
    /// (`serve` keeps it to decide, when names change, whether the text can contain them).
    pub fn find_in_recording(&self, text: &str, folded_out: Option<&mut String>) -> Vec<Mention> {
        let record = |folded: &str| {
            if let Some(out) = folded_out {
                out.push_str(folded);
                out.push('\0');
            }
        };
        if is_folded_keep_case(text) {
            // Folding would copy the text and map each byte to itself.
            record(text);
            return self
                .ac
                .as_ref()
                .map_or_else(Vec::new, |ac| self.matches(ac, text, text, |i| i as u32));
        }
        thread_local! {
            static BUFFERS: std::cell::RefCell<(String, Vec<u32>)> = Default::default();
        }
        BUFFERS.with_borrow_mut(|(folded, map)| {
            fold_keep_case_mapped_into(text, folded, map);
            record(folded);
            self.ac
                .as_ref()
                .map_or_else(Vec::new, |ac| self.matches(ac, text, folded, |i| map[i]))
        })
    }

    /// The mentions in `text`, searched in `folded`, whose byte `i` came from byte `map(i)`
    /// of `text` (`map(folded.len())` is `text.len()`).
    fn matches(
        &self,
        ac: &AhoCorasick,
        text: &str,
        folded: &str,
        map: impl Fn(usize) -> u32,
    ) -> Vec<Mention> {
        let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let bytes = folded.as_bytes();
        let mut found = Vec::new();
        let mut p = 0;
        while p < bytes.len() {
            if !self.first_bytes[usize::from(bytes[p])] {
                p += 1;
                continue;
            }
            // Boundaries are checked in the original text, so "JNIM’s" mentions JNIM even
            // though folding removed the apostrophe. An ASCII letter or digit copied right
            // before `p`'s character decides alone (the common case, and cheap).
            let inside_word =
                p > 0 && bytes[p - 1].is_ascii_alphanumeric() && map(p - 1) + 1 == map(p);
            if inside_word || is_word(text[..map(p) as usize].chars().next_back()) {
                p += 1;
                continue;
            }
            // Half the word starts that begin with a name's first byte begin no name ("The",
            // "According"): a look-up in a small table turns most of those away before the
            // automaton is asked.
            if !self.prefixes.may_start(&bytes[p..]) {
                p += 1;
                continue;
            }
            // The longest name here that ends at a word end: when the longest found runs
            // into a word, look again in the text before its last byte.
            let mut limit = bytes.len();
            let mut hit = None;
            while let Some(m) = ac.find(Input::new(folded).span(p..limit).anchored(Anchored::Yes)) {
                let last = map(m.end() - 1) as usize;
                let end = last + text[last..].chars().next().map_or(0, char::len_utf8);
                if !is_word(text[end..].chars().next()) {
                    hit = Some((m, end));
                    break;
                }
                limit = m.end() - 1;
            }
            let Some((m, end)) = hit else {
                p += 1;
                continue;
            };
            found.push(Mention {
                start: map(p),
                end: end as u32,
                entity: self.owners[m.pattern().as_usize()] as u32,
            });
            p = m.end();
        }
        // Kept for the whole build, one list per passage: without the room left by growing.
        found.shrink_to_fit();
        found
    }
}

/// The three-byte beginnings of the names, as a set that may answer "yes" wrongly but never
/// "no" wrongly: a bit per hash of the three bytes (8 KiB, so it stays in the first-level
/// cache; at 10,000 entities it turns away two thirds of the word starts where no name is
/// found). A two-byte name stands for every three bytes that begin with it.
struct Prefixes(Box<[u64; Prefixes::WORDS]>);

impl Default for Prefixes {
    fn default() -> Prefixes {
        Prefixes(Box::new([0; Prefixes::WORDS]))
    }
}

impl Prefixes {
    const BITS: u32 = 16;
    const WORDS: usize = (1 << Prefixes::BITS) / 64;

    fn slot(a: u8, b: u8, c: u8) -> usize {
        let v = u32::from(a) | u32::from(b) << 8 | u32::from(c) << 16;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - Prefixes::BITS)) as usize
    }

    fn set(&mut self, a: u8, b: u8, c: u8) {
        let i = Prefixes::slot(a, b, c);
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Adds a name (folded; at least two bytes).
    fn insert(&mut self, name: &[u8]) {
        match *name {
            [a, b, c, ..] => self.set(a, b, c),
            [a, b] => (0..=255).for_each(|c| self.set(a, b, c)),
            // Shorter names are never patterns.
            _ => {}
        }
    }

    /// Whether a name may begin `text`. Every name has two bytes at least, so a text of two
    /// bytes is looked up with a third byte its two-byte names were added with.
    fn may_start(&self, text: &[u8]) -> bool {
        let (a, b, c) = match *text {
            [a, b, c, ..] => (a, b, c),
            [a, b] => (a, b, 0),
            _ => return false,
        };
        let i = Prefixes::slot(a, b, c);
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(names: &[&str], text: &str) -> Vec<String> {
        let m = Matcher::from_names(names.iter().enumerate().map(|(i, n)| (*n, i)));
        m.find_in(text)
            .into_iter()
            .map(|x| format!("{}={}", &text[x.start()..x.end()], names[x.entity()]))
            .collect()
    }

    #[test]
    fn longest_names_at_word_boundaries_in_folded_text() {
        let names = [
            "Macina",
            "Katiba Macina",
            "IS",
            "Keïta",
            "JNIM",
            "Daw",
            "Bamako",
        ];
        assert_eq!(
            found(
                &names,
                "The Katiba Macina and Macina; IS is not is. Keita, JNIM’s N’Daw."
            ),
            [
                "Katiba Macina=Katiba Macina",
                "Macina=Macina",
                "IS=IS",
                "Keita=Keïta",
                "JNIM=JNIM",
                "Daw=Daw"
            ]
        );
        // Inside a word is no mention.
        assert!(found(&names, "Bamakois ISIS xJNIM JNIMx").is_empty());
    }

    #[test]
    fn two_byte_names_and_names_at_the_end_of_the_text_pass_the_prefix_table() {
        let names = ["IS", "Ag", "Gao", "Kidal"];
        assert_eq!(found(&names, "IS"), ["IS=IS"]);
        assert_eq!(found(&names, "x Ag"), ["Ag=Ag"]);
        assert_eq!(found(&names, "Gao"), ["Gao=Gao"]);
        assert_eq!(
            found(&names, "IS, Ag; Gao. Kidal"),
            ["IS=IS", "Ag=Ag", "Gao=Gao", "Kidal=Kidal"]
        );
        let m = Matcher::from_names(names.iter().enumerate().map(|(i, n)| (*n, i)));
        // Every name passes, alone and followed by more text; a single byte never does.
        for n in names {
            assert!(m.prefixes.may_start(n.as_bytes()), "{n}");
            assert!(m.prefixes.may_start(format!("{n}’s").as_bytes()), "{n}");
        }
        assert!(!m.prefixes.may_start(b"G"));
    }

    proptest::proptest! {
        /// The prefix table only saves work: with every bit set (every beginning let
        /// through) the mentions found are the same, for names and texts built from pieces
        /// that share beginnings, two-byte names, folding and word boundaries.
        #[test]
        fn the_prefix_table_changes_no_mention(
            names in proptest::collection::vec("(Ag|Gao|Ga|Ké|Kidal|IS|al-|Ma|cina| )(Ag|Gao|Ga|ké|idal|IS|o|cina| ){0,3}", 1..12),
            text in r"(Ag|Gao|Ga|Ke|Ké|Kidal|IS|is|al-|Ma|cina|’s|, | |\.){0,40}",
        ) {
            let m = Matcher::from_names(names.iter().enumerate().map(|(i, n)| (n.as_str(), i)));
            let mut open = Matcher::from_names(names.iter().enumerate().map(|(i, n)| (n.as_str(), i)));
            open.prefixes.0.fill(u64::MAX);
            proptest::prop_assert_eq!(m.find_in(&text), open.find_in(&text), "{:?} in {:?}", names, text);
        }
    }

    #[test]
    fn a_name_inside_a_word_hides_nothing_and_a_failed_longest_falls_back() {
        // "B C" starts inside "AB": it must not swallow "CD".
        assert_eq!(found(&["B C", "CD"], "AB CD"), ["CD=CD"]);
        // The longest name fails its end boundary; the shorter one at the same start counts.
        assert_eq!(
            found(&["Ansar", "Ansar Dine"], "Ansar Dinea and Ansar Dine."),
            ["Ansar=Ansar", "Ansar Dine=Ansar Dine"]
        );
    }
}
