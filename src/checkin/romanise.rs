//! Korean names typed in Latin letters, matched whatever the romanisation.
//!
//! The DPRK writes 박금동 as Pak Kum Dong (McCune–Reischauer, breves
//! dropped), the South as Bak Geum-dong (Revised Romanisation). Both, and
//! the Hangul itself, are reduced to one "skeleton": consonants that the two
//! systems spell differently merge (b/p, g/k, d/t, j/ch, l/r), vowel
//! spellings merge (eo/ŏ → o, eu/ŭ → u, ae → e), doubled letters collapse.
//! Hangul is first romanised syllable by syllable (RR), which is enough once
//! the skeleton has erased what the systems disagree on.

/// The skeleton of folded Latin text (lower case, letters and digits),
/// in one pass: it runs for every name of the roster when the index is built.
pub(crate) fn skeleton(folded: &str) -> String {
    let chars: Vec<char> = folded.chars().collect();
    let mut out = String::with_capacity(folded.len());
    let mut i = 0;
    while i < chars.len() {
        let next = chars.get(i + 1).copied();
        let (c, used) = match (chars[i], next, chars.get(i + 2).copied()) {
            ('e', Some('o'), _) => ('o', 2),
            ('e', Some('u'), _) => ('u', 2),
            ('a' | 'o', Some('e'), _) => ('e', 2),
            ('t', Some('c'), Some('h')) => ('c', 3),
            ('c', Some('h'), _) => ('c', 2),
            ('s', Some('h'), _) => ('s', 2),
            ('p', Some('h'), _) => ('p', 2),
            ('t', Some('h'), _) => ('t', 2),
            ('k', Some('h'), _) => ('k', 2),
            ('g', _, _) => ('k', 1),
            ('d', _, _) => ('t', 1),
            ('b', _, _) => ('p', 1),
            ('j', _, _) => ('c', 1),
            ('l', _, _) => ('r', 1),
            (c, _, _) => (c, 1),
        };
        if !out.ends_with(c) {
            out.push(c);
        }
        i += used;
    }
    out
}

const INITIALS: [&str; 19] = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p",
    "h",
];
const MEDIALS: [&str; 21] = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
];
const FINALS: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
];

/// Hangul romanised syllable by syllable (RR, lower case); other
/// characters are kept as they are.
pub(crate) fn hangul_to_latin(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        let code = c as u32;
        if (0xAC00..=0xD7A3).contains(&code) {
            let index = (code - 0xAC00) as usize;
            out.push_str(INITIALS[index / (21 * 28)]);
            out.push_str(MEDIALS[(index % (21 * 28)) / 28]);
            out.push_str(FINALS[index % 28]);
        } else {
            out.push(c);
        }
    }
    out
}

/// Korean family names as South Koreans and passports usually spell them,
/// against the Revised Romanisation the skeleton starts from: Park is 박
/// (bak), Lee and Yi are 이 (i), Choi is 최 (choe).
const FAMILY_ALIASES: &[(&str, &str)] = &[
    ("park", "bak"),
    ("lee", "i"),
    ("yi", "i"),
    ("rhee", "i"),
    ("choi", "choe"),
    ("shin", "sin"),
    ("yoon", "yun"),
    ("yoo", "yu"),
    ("jung", "jeong"),
    ("chung", "jeong"),
    ("oh", "o"),
    ("noh", "no"),
    ("roh", "no"),
    ("ahn", "an"),
    ("moon", "mun"),
    ("woo", "u"),
    ("suh", "seo"),
    ("lim", "im"),
];

/// The words of `text` folded, with the common spellings of Korean family
/// names replaced by their Revised Romanisation; `None` when no word is one.
pub(crate) fn with_family_aliases(text: &str) -> Option<String> {
    let mut changed = false;
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(|word| {
            let folded = crate::model::fold(word);
            match FAMILY_ALIASES.iter().find(|(alias, _)| *alias == folded) {
                Some((_, rr)) => {
                    changed = true;
                    (*rr).to_owned()
                }
                None => folded,
            }
        })
        .collect();
    changed.then(|| words.concat())
}

/// A Hangul name romanised for display beside it: 박금동 is "Bak Geumdong"
/// (family name first, as Koreans write it).
pub(crate) fn romanised_name(text: &str) -> String {
    let capital = |word: String| {
        let mut chars = word.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let parts: Vec<String> = match words.as_slice() {
        [one] if one.chars().count() >= 2 && has_hangul(one) => {
            let split = one.char_indices().nth(1).map_or(one.len(), |(at, _)| at);
            let (family, given) = one.split_at(split);
            vec![hangul_to_latin(family), hangul_to_latin(given)]
        }
        _ => words.iter().map(|w| hangul_to_latin(w)).collect(),
    };
    parts
        .into_iter()
        .map(capital)
        .collect::<Vec<String>>()
        .join(" ")
}

pub(crate) fn has_hangul(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fold;

    fn skel(text: &str) -> String {
        skeleton(&fold(text))
    }

    #[test]
    fn korean_family_names_meet_their_common_spellings() {
        assert_eq!(
            with_family_aliases("Park Jong-su").as_deref(),
            Some("bakjongsu")
        );
        assert_eq!(with_family_aliases("Lee Min"), Some("imin".into()));
        assert_eq!(with_family_aliases("Kim Chol"), None);
        assert_eq!(
            skel(&with_family_aliases("Choi Song").unwrap()),
            skeleton(&hangul_to_latin("최송"))
        );
    }

    #[test]
    fn hangul_names_are_romanised_for_display() {
        assert_eq!(romanised_name("박금동"), "Bak Geumdong");
        assert_eq!(romanised_name("김 정은"), "Gim Jeongeun");
    }

    #[test]
    fn romanises_hangul_by_syllable() {
        assert_eq!(hangul_to_latin("박금동"), "bakgeumdong");
        assert_eq!(hangul_to_latin("리순희"), "risunhui");
        assert_eq!(hangul_to_latin("최정혁"), "choejeonghyeok");
    }

    #[test]
    fn both_romanisations_and_hangul_meet() {
        let hangul = skeleton(&hangul_to_latin("박금동"));
        assert_eq!(skel("Pak Kum Dong"), hangul);
        assert_eq!(skel("Pak Kŭm Tong"), hangul);
        assert_eq!(skel("Bak Geum-dong"), hangul);
        assert_eq!(skel("bakgeumdong"), hangul);
        assert_eq!(skel("Jong Hyok"), skeleton(&hangul_to_latin("정혁")));
        assert_eq!(skel("Chol"), skel("Cheol"));
        assert_ne!(skel("Pak"), skel("Park Ji"));
    }
}
