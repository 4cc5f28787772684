//! Plain types of the race day, each of which can only hold a valid value.
//!
//! Values from outside (files, the CLI, later the UI) enter through `parse`
//! functions that return a [`ParseError`] naming what was wrong; past that
//! point the rest of the core never checks them again.

mod age_groups;
mod bib;
mod country;
mod entrant;
mod event;
mod gender;
mod race;
pub mod roster_file;
mod station;
mod time;

pub use age_groups::{AgeBand, AgeGroups};
pub use bib::{Bib, BibRange, BibRanges};
pub use country::Country;
pub use entrant::{ANNOUNCER_NOTE, Age, Entrant, HIGHLIGHT, column, set_column};
pub use event::{Event, EventDate, TimeZone};
pub use gender::Gender;
pub use race::{Checkpoint, Race, RaceCode};
pub use station::Station;
pub use time::{
    day_of, format_duration, format_instant, format_instant_for, format_result_time, parse_instant,
    result_seconds,
};

/// Why a value could not be parsed: a sentence for the person who typed
/// it, as a dictionary key and its values (English by `Display`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub(crate) crate::words::Said);

impl ParseError {
    pub(crate) fn new(said: crate::words::Said) -> Self {
        Self(said)
    }

    /// The reason as a key of the dictionaries and its values.
    pub fn said(&self) -> &crate::words::Said {
        &self.0
    }
}

/// Refuses control characters (ESC, BEL, a tab, a stray newline...) in a
/// text field: they would clear a terminal, split a tab-separated line or
/// hide a name on screen. `newlines` lets a note keep its line breaks.
pub(crate) fn no_controls(text: &str, newlines: bool) -> Result<(), ParseError> {
    match text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !(newlines && *c == '\n'))
    {
        Some((at, c)) => Err(ParseError::new(crate::said!(
            "invalid.control_character",
            code = format!("{:04X}", u32::from(c)),
            at = at + 1
        ))),
        None => Ok(()),
    }
}

/// Cuts a long value down for a message.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Folds text for matching: lower case, accents removed (Müller = muller),
/// everything but letters and digits dropped. Hangul and other scripts keep
/// their letters.
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    if text.is_ascii() {
        // Most cells of most rosters: no accents to take off.
        return text
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ß' => 's',
            'ø' => 'o',
            'ł' => 'l',
            'đ' => 'd',
            'æ' => 'a',
            'ı' => 'i',
            c => c,
        })
        .filter(|c| c.is_alphanumeric())
        .nfc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn fold_drops_case_accents_and_punctuation() {
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("MULLER"), "muller");
        assert_eq!(fold("Gómez-Núñez"), "gomeznunez");
        assert_eq!(fold("Bib #"), "bib");
        assert_eq!(fold("Date of Birth"), "dateofbirth");
        assert_eq!(fold("Łódź"), "lodz");
    }

    #[test]
    fn fold_keeps_hangul_whole() {
        // NFD splits Hangul syllables into jamo; NFC must put them back.
        assert_eq!(fold("성 별"), "성별");
        assert_eq!(fold("박금동"), "박금동");
    }
}
