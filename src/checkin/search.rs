//! Finding a runner as the volunteer types: by bib, by name in any order,
//! case and accents (Müller = muller = MULLER), by Hangul or either Korean
//! romanisation, by group, chip or phone, and with one typo in a name of
//! five letters or more.
//!
//! Everything is worked out when the index is built; a query is a few hash
//! lookups and binary searches over sorted keys, so it answers in well under
//! a millisecond on 100,000 entrants (`cargo bench --bench search`).

use std::collections::{HashMap, HashSet};

use super::romanise::{hangul_to_latin, has_hangul, skeleton, with_family_aliases};
use crate::model::{Bib, Entrant, fold};

/// How well a hit matches, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub enum Rank {
    ExactBib,
    ExactName,
    Prefix,
    /// Group, chip or phone.
    Other,
    /// A name one typo away.
    Close,
}

/// An entrant found: its position in the entrants the index was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub entrant: usize,
    pub rank: Rank,
}

/// Names shorter than this need to be typed exactly (or as a prefix).
const TYPO_MIN_LEN: usize = 5;

/// Characters a code from another roster column needs to be searchable.
const CODE_MIN_LEN: usize = 5;

/// Digits a phone search needs, so a bib is not taken for a phone number.
const PHONE_MIN_DIGITS: usize = 6;

pub struct SearchIndex {
    bibs: HashMap<String, u32>,
    /// (bib, entrant) sorted by bib text, for bib prefixes.
    bib_prefixes: Vec<(String, u32)>,
    /// Every way a name may be typed, folded: both orders, Hangul, skeletons.
    names: Vec<(String, u32)>,
    /// Group, chip: folded, sorted for prefixes.
    others: Vec<(String, u32)>,
    /// Every tail of six digits or more of each phone number, sorted: a
    /// number typed in part is a prefix of one of them.
    phones: Vec<(String, u32)>,
    /// Name words (five letters or more) and each with one letter deleted.
    deletions: HashMap<String, Vec<u32>>,
    /// The entrants of each name word, by word id.
    words: Vec<Vec<u32>>,
    /// Each name word of each entrant (folded, and its skeleton), sorted:
    /// the start of one typed word finds the entrants to check the others on.
    name_words: Vec<(String, u32)>,
    /// The same words by entrant.
    entrant_words: Vec<Vec<String>>,
}

impl SearchIndex {
    pub fn new(entrants: &[Entrant]) -> Self {
        let mut index = Self {
            bibs: HashMap::with_capacity(entrants.len()),
            bib_prefixes: Vec::with_capacity(entrants.len()),
            names: Vec::with_capacity(entrants.len() * 6),
            others: Vec::new(),
            phones: Vec::new(),
            deletions: HashMap::new(),
            words: Vec::new(),
            name_words: Vec::with_capacity(entrants.len() * 4),
            entrant_words: Vec::with_capacity(entrants.len()),
        };
        let mut word_ids: HashMap<String, u32> = HashMap::new();
        for (i, entrant) in entrants.iter().enumerate() {
            let i = i as u32;
            index.bibs.insert(entrant.bib.to_string(), i);
            index.bib_prefixes.push((entrant.bib.to_string(), i));
            let words = name_words(entrant);
            for word in &words {
                index.name_words.push((word.clone(), i));
            }
            index.entrant_words.push(words);
            for name in name_keys(entrant) {
                index.names.push((name, i));
            }
            for other in [&entrant.group, &entrant.chip].into_iter().flatten() {
                index.others.push((fold(other), i));
            }
            // Codes among the roster's other columns (a registration or
            // order number that a QR code on the runner's email carries):
            // values with a digit, long enough not to match by accident.
            for value in entrant.extra.values() {
                if value.chars().count() >= CODE_MIN_LEN
                    && value.chars().any(|c| c.is_ascii_digit())
                {
                    index.others.push((fold(value), i));
                }
            }
            if let Some(phone) = &entrant.phone {
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                for start in 0..digits.len().saturating_sub(PHONE_MIN_DIGITS - 1) {
                    index.phones.push((digits[start..].to_owned(), i));
                }
            }
            for word in entrant
                .given_name
                .split_whitespace()
                .chain(entrant.family_name.split_whitespace())
                .map(fold)
            {
                if word.chars().count() < TYPO_MIN_LEN {
                    continue;
                }
                let next = word_ids.len() as u32;
                let id = *word_ids.entry(word.clone()).or_insert(next);
                if id == next {
                    index.words.push(Vec::new());
                    for variant in deletions(&word) {
                        index.deletions.entry(variant).or_default().push(id);
                    }
                }
                index.words[id as usize].push(i);
            }
        }
        index.bib_prefixes.sort();
        index.names.sort();
        index.names.dedup();
        index.name_words.sort();
        index.others.sort();
        index.phones.sort();
        index
    }

    /// The best `limit` hits for what the volunteer typed, best first, then
    /// in bib order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let folded = fold(query);
        if folded.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut best: HashMap<u32, Rank> = HashMap::new();
        // Enough candidates of each kind to fill the list after ranking.
        let want = limit.saturating_mul(4).max(50);

        if let Ok(bib) = Bib::parse(query) {
            if let Some(&i) = self.bibs.get(bib.as_str()) {
                add(&mut best, i, Rank::ExactBib);
            }
            for &(_, i) in prefixed(&self.bib_prefixes, bib.as_str()).iter().take(want) {
                add(&mut best, i, Rank::Prefix);
            }
        }
        let mut keys = vec![folded.clone()];
        if has_hangul(&folded) {
            keys.push(skeleton(&hangul_to_latin(&folded)));
        } else {
            keys.push(skeleton(&folded));
            if let Some(aliased) = with_family_aliases(query) {
                keys.push(skeleton(&aliased));
            }
        }
        for key in &keys {
            for &(ref name, i) in prefixed(&self.names, key).iter().take(want) {
                add(
                    &mut best,
                    i,
                    if name == key {
                        Rank::ExactName
                    } else {
                        Rank::Prefix
                    },
                );
            }
        }
        if best.len() < limit {
            self.by_word_starts(query, &mut best);
        }
        for &(_, i) in prefixed(&self.others, &folded).iter().take(want) {
            add(&mut best, i, Rank::Other);
        }
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= PHONE_MIN_DIGITS && digits.len() == folded.len() {
            for &(_, i) in prefixed(&self.phones, &digits).iter().take(want) {
                add(&mut best, i, Rank::Other);
            }
        }
        if best.len() < limit && folded.chars().count() >= TYPO_MIN_LEN {
            let mut seen = HashSet::new();
            for variant in std::iter::once(folded.clone()).chain(deletions(&folded)) {
                for &word in self.deletions.get(&variant).into_iter().flatten() {
                    if seen.insert(word) {
                        for &i in &self.words[word as usize] {
                            add(&mut best, i, Rank::Close);
                        }
                    }
                }
            }
        }
        let mut hits: Vec<Hit> = best
            .into_iter()
            .map(|(i, rank)| Hit {
                entrant: i as usize,
                rank,
            })
            .collect();
        hits.sort_by_key(|h| (h.rank, h.entrant));
        hits.truncate(limit);
        hits
    }
}

impl SearchIndex {
    /// Two words or more, each the start of a word of the name, in any
    /// order: "lind er" finds Erik Lindqvist, "bak geum" finds 박금동.
    fn by_word_starts(&self, query: &str, best: &mut HashMap<u32, Rank>) {
        let typed: Vec<Vec<String>> = query
            .split(|c: char| c.is_whitespace() || c == '-' || c == ',')
            .map(word_forms)
            .filter(|forms| !forms.is_empty())
            .collect();
        if typed.len() < 2 {
            return;
        }
        // Words that start few enough name words give sorted sets of
        // entrants to intersect; the rest (one letter, say) filter what is left.
        let mut sets: Vec<Vec<u32>> = Vec::new();
        let mut filters: Vec<&Vec<String>> = Vec::new();
        for forms in &typed {
            let ranges: Vec<&[(String, u32)]> = forms
                .iter()
                .map(|form| prefixed(&self.name_words, form))
                .collect();
            if ranges.iter().map(|r| r.len()).sum::<usize>() > MAX_WORD_CANDIDATES {
                filters.push(forms);
                continue;
            }
            let mut set: Vec<u32> = ranges
                .iter()
                .flat_map(|r| r.iter().map(|&(_, i)| i))
                .collect();
            set.sort_unstable();
            set.dedup();
            sets.push(set);
        }
        sets.sort_by_key(Vec::len);
        let Some((first, others)) = sets.split_first() else {
            return;
        };
        for &i in first {
            if !others.iter().all(|set| set.binary_search(&i).is_ok()) {
                continue;
            }
            let words = &self.entrant_words[i as usize];
            let rest = filters.iter().all(|forms| {
                forms
                    .iter()
                    .any(|f| words.iter().any(|w| w.starts_with(f.as_str())))
            });
            if rest {
                add(best, i, Rank::Prefix);
            }
        }
    }
}

/// Entrants looked at for one typed word, so a one-letter word among
/// others stays quick.
const MAX_WORD_CANDIDATES: usize = 20_000;

/// A typed word folded, with its skeleton and the skeleton of its family
/// name alias (Park for 박); empty for a word with no letters or digits.
fn word_forms(word: &str) -> Vec<String> {
    let folded = fold(word);
    if folded.is_empty() {
        return Vec::new();
    }
    let latin = if has_hangul(&folded) {
        hangul_to_latin(&folded)
    } else {
        folded.clone()
    };
    let mut forms = vec![folded, skeleton(&latin)];
    if let Some(alias) = with_family_aliases(word) {
        forms.push(skeleton(&alias));
    }
    forms.dedup();
    forms
}

/// The words of an entrant's names, each folded and as a skeleton; a
/// Hangul name is also split after its first syllable (the family name).
fn name_words(entrant: &Entrant) -> Vec<String> {
    let mut words = Vec::new();
    let latin = entrant
        .given_name
        .split_whitespace()
        .chain(entrant.family_name.split_whitespace());
    let native = entrant
        .native_name
        .iter()
        .flat_map(|n| n.split_whitespace());
    for word in latin.chain(native) {
        let folded = fold(word);
        if has_hangul(&folded) {
            let split = folded
                .char_indices()
                .nth(1)
                .map_or(folded.len(), |(at, _)| at);
            let (family, given) = folded.split_at(split);
            for part in [family, given, folded.as_str()] {
                if !part.is_empty() {
                    words.push(part.to_owned());
                    words.push(skeleton(&hangul_to_latin(part)));
                }
            }
        } else if !folded.is_empty() {
            words.push(skeleton(&folded));
            words.push(folded);
        }
    }
    words.sort();
    words.dedup();
    words
}

/// Keeps the best rank each entrant was found with.
fn add(best: &mut HashMap<u32, Rank>, i: u32, rank: Rank) {
    best.entry(i)
        .and_modify(|r| *r = (*r).min(rank))
        .or_insert(rank);
}

/// Every way the entrant's name may be typed, folded: given and family in
/// both orders, the native name, and the skeletons of all of them (Hangul
/// romanised first), so the Korean romanisations meet.
fn name_keys(entrant: &Entrant) -> Vec<String> {
    let (given, family) = (fold(&entrant.given_name), fold(&entrant.family_name));
    let mut keys = vec![format!("{given}{family}"), format!("{family}{given}")];
    if let Some(native) = &entrant.native_name {
        let native = fold(native);
        if has_hangul(&native) {
            // Family name first in Hangul; the given name first too, as
            // foreign forms put it.
            let split = native
                .char_indices()
                .nth(1)
                .map_or(native.len(), |(at, _)| at);
            let (f, g) = native.split_at(split);
            keys.push(skeleton(&hangul_to_latin(&native)));
            keys.push(skeleton(&hangul_to_latin(&format!("{g}{f}"))));
        }
        keys.push(native);
    }
    let mut latin_skeletons: Vec<String> = keys[..2].iter().map(|k| skeleton(k)).collect();
    let (given, family) = (&entrant.given_name, &entrant.family_name);
    for order in [format!("{given} {family}"), format!("{family} {given}")] {
        if let Some(aliased) = with_family_aliases(&order) {
            latin_skeletons.push(skeleton(&aliased));
        }
    }
    keys.extend(latin_skeletons);
    keys.retain(|k| !k.is_empty());
    keys
}

/// The entries whose key starts with `prefix`.
fn prefixed<'a>(sorted: &'a [(String, u32)], prefix: &str) -> &'a [(String, u32)] {
    let start = sorted.partition_point(|(key, _)| key.as_str() < prefix);
    let end = start + sorted[start..].partition_point(|(key, _)| key.starts_with(prefix));
    &sorted[start..end]
}

/// The word with each one of its letters left out.
fn deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    word.char_indices().map(move |(at, c)| {
        let mut variant = String::with_capacity(word.len());
        variant.push_str(&word[..at]);
        variant.push_str(&word[at + c.len_utf8()..]);
        variant
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Gender, RaceCode};

    fn entrant(bib: &str, given: &str, family: &str, native: Option<&str>) -> Entrant {
        Entrant {
            bib: Bib::parse(bib).unwrap(),
            race: RaceCode::parse("MAR").unwrap(),
            given_name: given.into(),
            family_name: family.into(),
            native_name: native.map(Into::into),
            gender: Gender::M,
            age: None,
            nationality: None,
            city: None,
            group: None,
            chip: None,
            phone: None,
            emergency_contact: None,
            medical_note: None,
            extra: Default::default(),
        }
    }

    fn field() -> Vec<Entrant> {
        let mut anna = entrant("7", "Anna", "Müller", None);
        anna.group = Some("Koryo Tours".into());
        anna.chip = Some("E2001234".into());
        let mut pak = entrant("1042", "Kum Dong", "Pak", Some("박금동"));
        pak.phone = Some("+850 2 381 4455".into());
        vec![
            anna,
            pak,
            entrant("70", "Lars", "Lindqvist", None),
            entrant("F1", "Rita", "Jeptoo", None),
            entrant("712", "Jong Hyok", "Choe", Some("최정혁")),
        ]
    }

    fn bibs(index: &SearchIndex, entrants: &[Entrant], query: &str) -> Vec<String> {
        index
            .search(query, 10)
            .iter()
            .map(|h| entrants[h.entrant].bib.to_string())
            .collect()
    }

    #[test]
    fn an_exact_bib_comes_first_then_bib_prefixes() {
        let entrants = field();
        let index = SearchIndex::new(&entrants);
        assert_eq!(bibs(&index, &entrants, "7"), ["7", "70", "712"]);
        assert_eq!(index.search("7", 10)[0].rank, Rank::ExactBib);
        assert_eq!(bibs(&index, &entrants, "f1"), ["F1"]);
        assert_eq!(bibs(&index, &entrants, "007"), ["7", "70", "712"]);
    }

    #[test]
    fn names_match_in_any_order_case_and_accent() {
        let entrants = field();
        let index = SearchIndex::new(&entrants);
        for query in [
            "Müller",
            "muller",
            "MULLER",
            "anna muller",
            "Muller Anna",
            "mull",
            "mull an",
            "an mul",
        ] {
            assert_eq!(bibs(&index, &entrants, query), ["7"], "{query}");
        }
        assert_eq!(index.search("anna müller", 10)[0].rank, Rank::ExactName);
    }

    #[test]
    fn hangul_and_both_romanisations_find_the_runner() {
        let entrants = field();
        let index = SearchIndex::new(&entrants);
        for query in [
            "박금동",
            "박금",
            "Pak Kum Dong",
            "pakkumdong",
            "Kum Dong Pak",
            "Bak Geum-dong",
            "bak geum dong",
            "Geum-dong Bak",
            "bak geum",
            "dong pak",
            "Pak Kŭm Tong",
            "Park Geum-dong",
            "Park Kum Dong",
        ] {
            assert_eq!(bibs(&index, &entrants, query), ["1042"], "{query}");
        }
        for query in [
            "최정혁",
            "Choe Jong Hyok",
            "Choe Jeong-hyeok",
            "Jeonghyeok Choe",
            "Choi Jeong-hyeok",
            "Jong Hyok Choi",
        ] {
            assert!(
                bibs(&index, &entrants, query).contains(&"712".to_string()),
                "{query}"
            );
        }
    }

    #[test]
    fn a_registration_code_from_another_column_finds_the_runner() {
        let mut entrants = field();
        entrants[2]
            .extra
            .insert("Registration code".into(), "KT-2027-0042".into());
        entrants[2].extra.insert("T-shirt".into(), "M".into());
        let index = SearchIndex::new(&entrants);
        assert_eq!(bibs(&index, &entrants, "KT-2027-0042"), ["70"]);
        assert_eq!(bibs(&index, &entrants, "kt20270042"), ["70"]);
        assert!(bibs(&index, &entrants, "m").iter().all(|b| b != "70"));
    }

    #[test]
    fn groups_chips_and_phones_find_runners() {
        let entrants = field();
        let index = SearchIndex::new(&entrants);
        assert_eq!(bibs(&index, &entrants, "koryo"), ["7"]);
        assert_eq!(bibs(&index, &entrants, "E2001234"), ["7"]);
        assert_eq!(bibs(&index, &entrants, "3814455"), ["1042"]);
    }

    #[test]
    fn one_typo_in_a_long_name_still_finds_the_runner() {
        let entrants = field();
        let index = SearchIndex::new(&entrants);
        assert_eq!(
            bibs(&index, &entrants, "lundkvist"),
            Vec::<String>::new(),
            "two edits are too many"
        );
        assert_eq!(
            bibs(&index, &entrants, "lindqvsit"),
            ["70"],
            "two letters swapped"
        );
        assert_eq!(
            bibs(&index, &entrants, "lindqvst"),
            ["70"],
            "a letter missing"
        );
        assert_eq!(
            bibs(&index, &entrants, "lindkvist"),
            ["70"],
            "a letter wrong"
        );
        assert_eq!(bibs(&index, &entrants, "jeptoo"), ["F1"]);
        assert_eq!(bibs(&index, &entrants, "jeptop"), ["F1"]);
        assert_eq!(index.search("jeptop", 10)[0].rank, Rank::Close);
        // Four letters must be right: "Rita" with a typo finds no one.
        assert!(bibs(&index, &entrants, "rota").is_empty());
    }

    #[test]
    fn nothing_typed_finds_nothing() {
        let entrants = field();
        let index = SearchIndex::new(&entrants);
        assert!(index.search("", 10).is_empty());
        assert!(index.search("  -- ", 10).is_empty());
        assert!(index.search("zzzzzz", 10).is_empty());
    }
}
