//! Mentions: every occurrence of an entity's title or alias in a source passage.
//!
//! The names are matched on diacritic- and apostrophe-folded text that keeps case (so the
//! alias `IS` does not match the word "is"), only at word boundaries, longest first (so
//! "Katiba Macina" wins over "Macina").
//!
//! A name can only start at a word start (in the original text) whose first three bytes begin
//! some name: a small table turns most word starts away ("The", "According"). From a word
//! start that passes, every end up to the longest name with that beginning is a candidate;
//! the folded text up to it is hashed as it is read, and the candidates that end at a word end
//! are looked up in a hash table of the names, longest first. A bit set of the names' hashes
//! (128 KiB, in the second-level cache) answers most look-ups of candidates that are no
//! name without touching the table.
//!
//! Why not an Aho-Corasick automaton (this module's matcher until the fifteenth session):
//! at 100,000 entities its 300,000 names (4.5 MB) make an automaton of 22 MB, and each byte
//! of an anchored search is a cache miss into it. The tables here (the names' records and a
//! slot per two names, 15 MB at that size) are hardly smaller, but a name found costs two
//! cache misses (its slot and its record) rather than a walk of fifteen states.

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
    /// Whether some name starts with this byte.
    first_bytes: [bool; 256],
    /// The longest name beginning with these three bytes (see [`Prefixes`]).
    prefixes: Prefixes,
    /// The names and their owners, looked up by hash.
    table: NameTable,
}

impl Matcher {
    /// Builds the matcher over every title and alias (names shorter than 2 characters are
    /// skipped; the first entity claiming a pattern owns it).
    pub fn new(entities: &[&EntityPage]) -> Matcher {
        let names = entities.iter().enumerate().flat_map(|(id, e)| {
            std::iter::once(e.title.as_str())
                .chain(e.aliases.iter().map(|(a, _)| a.as_str()))
                .map(move |n| (n, id))
        });
        Matcher::from_names(names)
    }

    /// Builds the matcher from (name, entity id) pairs.
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
        let mut first_bytes = [false; 256];
        let mut prefixes = Prefixes::default();
        for (p, _) in &pats {
            first_bytes[usize::from(p.as_bytes()[0])] = true;
            prefixes.insert(p.as_bytes());
        }
        Matcher {
            first_bytes,
            prefixes,
            table: NameTable::new(pats.iter().map(|p| (p.0.as_str(), p.1 as u32))),
        }
    }

    /// The folded patterns and the entity owning each, sorted by pattern.
    pub fn patterns(&self) -> impl Iterator<Item = (&str, usize)> {
        self.table.iter().map(|(n, o)| (n, o as usize))
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
            // Folding would copy the text and map each byte to itself (the text is ASCII).
            record(text);
            return self.matches(text, text, |i| i as u32);
        }
        thread_local! {
            static BUFFERS: std::cell::RefCell<(String, Vec<u32>)> = Default::default();
        }
        BUFFERS.with_borrow_mut(|(folded, map)| {
            fold_keep_case_mapped_into(text, folded, map);
            record(folded);
            self.matches(text, folded, |i| map[i])
        })
    }

    /// The mentions in `text`, searched in `folded`, whose byte `i` came from byte `map(i)`
    /// of `text` (`map(folded.len())` is `text.len()`).
    fn matches(&self, text: &str, folded: &str, map: impl Fn(usize) -> u32) -> Vec<Mention> {
        let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        // Where a name ending before folded byte `e` ends in `text`, if that is a word end.
        let word_end = |e: usize| {
            let last = map(e - 1) as usize;
            let end = last + text[last..].chars().next().map_or(0, char::len_utf8);
            (!is_word(text[end..].chars().next())).then_some(end)
        };
        let bytes = folded.as_bytes();
        let mut found = Vec::new();
        // The candidate ends of one word start (folded byte, text byte, hash, first slot),
        // shortest first.
        let mut ends: Vec<(usize, usize, u64, u64)> = Vec::new();
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
            let longest = match self.prefixes.longest(&bytes[p..]) {
                0 => {
                    p += 1;
                    continue;
                }
                Prefixes::LONG => self.table.longest,
                n => usize::from(n),
            };
            // Every end up to the longest name with this beginning that is a word end and
            // whose hash may be a name's; then the longest of them that is a name.
            ends.clear();
            let mut h = NameTable::SEED;
            for (e, &b) in bytes[p..].iter().take(longest).enumerate() {
                h = NameTable::step(h, b);
                let e = p + e + 1;
                if let Some(end) = word_end(e) {
                    if self.table.may_hold(h) {
                        // The slot is read now, though only looked at below: its cache miss
                        // overlaps the reading of the rest of the candidate.
                        ends.push((e, end, h, self.table.first_slot(h)));
                    }
                }
            }
            let hit = ends.iter().rev().find_map(|&(e, end, h, slot)| {
                let owner = self.table.get(h, slot, &bytes[p..e])?;
                Some((owner, e, end))
            });
            let Some((owner, e, end)) = hit else {
                p += 1;
                continue;
            };
            found.push(Mention {
                start: map(p),
                end: end as u32,
                entity: owner,
            });
            p = e;
        }
        // Kept for the whole build, one list per passage: without the room left by growing.
        found.shrink_to_fit();
        found
    }
}

/// The names (folded) with their owners, one after another in one buffer, and an
/// open-addressing hash table of them with a bit set of their hashes in front of it. A look-up
/// that finds a name reads two cache lines: its slot, then its record (owner and bytes).
struct NameTable {
    /// Per name, in order: the owner (4 bytes), the length (2 bytes), the name's bytes.
    records: Vec<u8>,
    /// Per slot: the hash's high 16 bits, the name's length (16 bits) and its record's
    /// offset (32 bits); 0 for an empty slot (every name has two bytes at least).
    slots: Vec<u64>,
    /// A bit per hash (some of its bits): set for every name's.
    bits: Vec<u64>,
    /// How many names.
    len: usize,
    /// The longest name's length in bytes.
    longest: usize,
}

impl NameTable {
    const SEED: u64 = 0x243F_6A88_85A3_08D3;
    /// The bit set's size: 2^20 bits, 128 KiB (a 25% false "maybe" at 300,000 names, asked
    /// only at word ends). Smaller sets fell out of the caches less but let more through; 2^20
    /// matched 100,000 entities' passages fastest of 2^18, 2^20 and 2^22.
    const BITS: u32 = 20;
    /// A record's owner and length.
    const HEAD: usize = 6;

    /// The hash of a name one byte longer. Byte at a time, so every prefix of the text
    /// after a word start is hashed once while it is read.
    #[inline]
    fn step(h: u64, b: u8) -> u64 {
        (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517C_C1B7_2722_0A95)
    }

    fn bit(h: u64) -> usize {
        (h >> (64 - NameTable::BITS)) as usize
    }

    /// The table of (name, owner) pairs, in their order. Names longer than 65,535 bytes are
    /// left out.
    fn new<'a>(names: impl ExactSizeIterator<Item = (&'a str, u32)>) -> NameTable {
        let slots_len = (names.len() * 2).next_power_of_two().max(16);
        let mut t = NameTable {
            records: Vec::new(),
            slots: vec![0; slots_len],
            bits: vec![0; (1 << NameTable::BITS) / 64],
            len: 0,
            longest: 0,
        };
        for (name, owner) in names {
            let Ok(len) = u16::try_from(name.len()) else {
                continue;
            };
            let offset = t.records.len() as u64;
            t.records.extend_from_slice(&owner.to_le_bytes());
            t.records.extend_from_slice(&len.to_le_bytes());
            t.records.extend_from_slice(name.as_bytes());
            t.len += 1;
            t.longest = t.longest.max(name.len());
            let h = name.bytes().fold(NameTable::SEED, NameTable::step);
            let b = NameTable::bit(h);
            t.bits[b / 64] |= 1 << (b % 64);
            let mask = t.slots.len() - 1;
            let mut at = h as usize & mask;
            while t.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            t.slots[at] = (h >> 48) << 48 | u64::from(len) << 32 | offset;
        }
        t.records.shrink_to_fit();
        t
    }

    /// Every (name, owner), in the order they were added.
    fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        let mut at = 0;
        std::iter::from_fn(move || {
            let head = self.records.get(at..at + NameTable::HEAD)?;
            let owner = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            let len = usize::from(u16::from_le_bytes([head[4], head[5]]));
            let start = at + NameTable::HEAD;
            at = start + len;
            // Each record holds a whole `&str`'s bytes.
            let name = std::str::from_utf8(&self.records[start..at]).unwrap_or_default();
            Some((name, owner))
        })
    }

    /// Whether some name may have this hash (never "no" wrongly).
    #[inline]
    fn may_hold(&self, h: u64) -> bool {
        let b = NameTable::bit(h);
        self.bits[b / 64] & (1 << (b % 64)) != 0
    }

    /// The first slot a look-up of hash `h` reads.
    #[inline]
    fn first_slot(&self, h: u64) -> u64 {
        self.slots[h as usize & (self.slots.len() - 1)]
    }

    /// The owner of the name `text` (whose hash is `h` and first slot `first`), if it is one.
    fn get(&self, h: u64, first: u64, text: &[u8]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let want = (h >> 48) << 48 | (text.len() as u64) << 32;
        let mut at = h as usize & mask;
        let mut slot = first;
        loop {
            if slot == 0 {
                return None;
            }
            if slot & !0xFFFF_FFFF == want {
                let r = (slot & 0xFFFF_FFFF) as usize;
                let name = &self.records[r + NameTable::HEAD..][..text.len()];
                if name == text {
                    let o = &self.records[r..r + 4];
                    return Some(u32::from_le_bytes([o[0], o[1], o[2], o[3]]));
                }
            }
            at = (at + 1) & mask;
            slot = self.slots[at];
        }
    }
}

/// The three-byte beginnings of the names, as a table that may answer wrongly that a name
/// begins so, but never that none does: per hash of the three bytes, the length of the
/// longest name beginning with them (0 for none, [`Prefixes::LONG`] from 255 bytes on). At
/// 64 KiB it stays in the second-level cache; at 10,000 entities it turns away two thirds of
/// the word starts where no name is found, and it bounds how far a candidate is read. A
/// two-byte name stands for every three bytes that begin with it.
struct Prefixes(Box<[u8; Prefixes::SLOTS]>);

impl Default for Prefixes {
    fn default() -> Prefixes {
        Prefixes(Box::new([0; Prefixes::SLOTS]))
    }
}

impl Prefixes {
    const BITS: u32 = 16;
    const SLOTS: usize = 1 << Prefixes::BITS;
    /// Stands for "255 bytes or longer": the longest name of all bounds the candidate.
    const LONG: u8 = u8::MAX;

    fn slot(a: u8, b: u8, c: u8) -> usize {
        let v = u32::from(a) | u32::from(b) << 8 | u32::from(c) << 16;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - Prefixes::BITS)) as usize
    }

    fn set(&mut self, a: u8, b: u8, c: u8, len: usize) {
        let slot = &mut self.0[Prefixes::slot(a, b, c)];
        *slot = (*slot).max(len.min(usize::from(Prefixes::LONG)) as u8);
    }

    /// Adds a name (folded; at least two bytes).
    fn insert(&mut self, name: &[u8]) {
        match *name {
            [a, b, c, ..] => self.set(a, b, c, name.len()),
            [a, b] => (0..=255).for_each(|c| self.set(a, b, c, 2)),
            // Shorter names are never patterns.
            _ => {}
        }
    }

    /// The longest name that may begin `text` (0: none does). Every name has two bytes at
    /// least, so a text of two bytes is looked up with a third byte its two-byte names were
    /// added with.
    fn longest(&self, text: &[u8]) -> u8 {
        let (a, b, c) = match *text {
            [a, b, c, ..] => (a, b, c),
            [a, b] => (a, b, 0),
            _ => return 0,
        };
        self.0[Prefixes::slot(a, b, c)]
    }

    /// Whether a name may begin `text`.
    #[cfg(test)]
    fn may_start(&self, text: &[u8]) -> bool {
        self.longest(text) != 0
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
            open.prefixes.0.fill(Prefixes::LONG);
            proptest::prop_assert_eq!(m.find_in(&text), open.find_in(&text), "{:?} in {:?}", names, text);
        }
    }

    /// The mentions by their definition, slowly: at each word start of the folded text, the
    /// longest name it begins with that ends at a word end (both in the original text), the
    /// next looked for after it; a name claimed twice belongs to its first claimant.
    fn by_definition(names: &[String], text: &str) -> Vec<Mention> {
        let fold = |s: &str| {
            let (mut f, mut map) = (String::new(), Vec::new());
            fold_keep_case_mapped_into(s, &mut f, &mut map);
            (f, map)
        };
        let mut pats: Vec<(String, usize)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (fold(n).0, i))
            .filter(|(f, _)| f.chars().count() >= 2)
            .collect();
        pats.sort();
        pats.dedup_by(|a, b| a.0 == b.0);
        let (folded, map) = fold(text);
        let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let mut out = Vec::new();
        let mut p = 0;
        while p < folded.len() {
            let start = map[p] as usize;
            let hit = (folded.is_char_boundary(p) && !is_word(text[..start].chars().next_back()))
                .then(|| {
                    pats.iter()
                        .filter(|(f, _)| folded[p..].starts_with(f.as_str()))
                        .filter_map(|(f, owner)| {
                            let last = map[p + f.len() - 1] as usize;
                            let end = last + text[last..].chars().next().map_or(0, char::len_utf8);
                            (!is_word(text[end..].chars().next())).then_some((f.len(), end, *owner))
                        })
                        .max_by_key(|(len, _, _)| *len)
                })
                .flatten();
            match hit {
                Some((len, end, owner)) => {
                    out.push(Mention {
                        start: start as u32,
                        end: end as u32,
                        entity: owner as u32,
                    });
                    p += len;
                }
                None => p += 1,
            }
        }
        out
    }

    /// Words and separators that names and texts share, so that names begin one another,
    /// run into words, fold alike ("Ké" and "Ke", "al-" and "al ") and are claimed twice.
    const WORDS: &[&str] = &[
        "Ag", "Gao", "Ké", "Ke", "IS", "is", "Ma", "cina", "Ωm", "æ", "T.", "x",
    ];
    const SEPARATORS: &[&str] = &[" ", " ", ", ", "-", "’s ", "", "  ", ". "];

    fn joined(parts: &[(usize, usize)]) -> String {
        parts
            .iter()
            .enumerate()
            .fold(String::new(), |mut s, (i, &(w, sep))| {
                if i > 0 {
                    s.push_str(SEPARATORS[sep % SEPARATORS.len()]);
                }
                s.push_str(WORDS[w % WORDS.len()]);
                s
            })
    }

    proptest::proptest! {
        /// The hashed look-ups find exactly the mentions of the definition.
        #[test]
        fn the_matcher_finds_the_mentions_of_the_definition(
            names in proptest::collection::vec(proptest::collection::vec((0..64usize, 0..64usize), 1..4), 1..12),
            text in proptest::collection::vec((0..64usize, 0..64usize), 0..40),
        ) {
            let names: Vec<String> = names.iter().map(|n| joined(n)).collect();
            let text = joined(&text);
            let m = Matcher::from_names(names.iter().enumerate().map(|(i, n)| (n.as_str(), i)));
            proptest::prop_assert_eq!(m.find_in(&text), by_definition(&names, &text), "{:?} in {:?}", names, text);
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
