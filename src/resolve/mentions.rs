//! Mentions: every occurrence of an entity's title or alias in a source passage.
//!
//! One Aho-Corasick automaton over all names (leftmost-longest, so "Katiba Macina" wins over
//! "Macina"), matched on diacritic- and apostrophe-folded text that keeps case (so the alias
//! `IS` does not match the word "is"), accepted only at word boundaries.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::load::{EntityPage, Passage};
use crate::text::{fold_keep_case_mapped, fold_keep_case_mapped_into};

/// One mention in a passage: byte range in the passage's original text and the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    /// Start byte in the passage text.
    pub start: usize,
    /// End byte.
    pub end: usize,
    /// Entity id.
    pub entity: usize,
}

/// The compiled matcher.
pub struct Matcher {
    ac: Option<AhoCorasick>,
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
            .build(pats.iter().map(|p| p.0.as_str()))
            .ok();
        let patterns = pats.into_iter().map(|p| p.0).collect();
        Matcher {
            ac,
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
        let Some(ac) = &self.ac else {
            if let Some(out) = folded_out {
                let (f, _) = fold_keep_case_mapped(text);
                out.push_str(&f);
                out.push('\0');
            }
            return Vec::new();
        };
        thread_local! {
            static BUFFERS: std::cell::RefCell<(String, Vec<u32>)> = Default::default();
        }
        BUFFERS.with_borrow_mut(|(folded, map)| {
            fold_keep_case_mapped_into(text, folded, map);
            if let Some(out) = folded_out {
                out.push_str(folded);
                out.push('\0');
            }
            self.matches(ac, text, folded, map)
        })
    }

    fn matches(&self, ac: &AhoCorasick, text: &str, folded: &str, map: &[u32]) -> Vec<Mention> {
        let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        // Boundaries are checked in the original text, so "JNIM’s" mentions JNIM even though
        // folding removed the apostrophe.
        ac.find_iter(folded)
            .filter_map(|m| {
                let start = map[m.start()] as usize;
                let last = map[m.end() - 1] as usize;
                let end = last + text[last..].chars().next().map_or(0, char::len_utf8);
                let ok = !is_word(text[..start].chars().next_back())
                    && !is_word(text[end..].chars().next());
                ok.then(|| Mention {
                    start,
                    end,
                    entity: self.owners[m.pattern().as_usize()],
                })
            })
            .collect()
    }
}
