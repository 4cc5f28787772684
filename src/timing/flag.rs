//! What makes a capture need a person's look: a code the app and the
//! published files say in the reader's language, English on the CLI.

use crate::words::Language;

/// Why a capture needs a look. It is kept and counted; the flag only says
/// what to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The bib finished already.
    Duplicate,
    UnknownBib,
    UnknownChip,
    /// Its race has no start yet.
    RaceNotStarted,
    BeforeStart,
    /// Faster than the world record for the distance.
    TooFast,
    /// A checkpoint its race does not pass.
    NotOnItsRoute,
    /// Two-operator timing: a time whose bib has not been typed yet.
    WaitingForABib,
    /// Two-operator timing: a bib typed with no time tapped for it yet.
    WaitingForATime,
}

impl Flag {
    /// Every flag.
    pub const ALL: [Self; 9] = [
        Self::Duplicate,
        Self::UnknownBib,
        Self::UnknownChip,
        Self::RaceNotStarted,
        Self::BeforeStart,
        Self::TooFast,
        Self::NotOnItsRoute,
        Self::WaitingForABib,
        Self::WaitingForATime,
    ];

    /// The code, as serialized: `too_fast`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::UnknownBib => "unknown_bib",
            Self::UnknownChip => "unknown_chip",
            Self::RaceNotStarted => "race_not_started",
            Self::BeforeStart => "before_start",
            Self::TooFast => "too_fast",
            Self::NotOnItsRoute => "not_on_its_route",
            Self::WaitingForABib => "waiting_for_a_bib",
            Self::WaitingForATime => "waiting_for_a_time",
        }
    }

    /// What the flag says, in `language`.
    pub fn words(self, language: Language) -> &'static str {
        language.word(&format!("flag.{}", self.code()))
    }
}

impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.words(Language::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_is_said_in_both_languages() {
        for flag in Flag::ALL {
            let json = serde_json::to_string(&flag).unwrap();
            assert_eq!(json, format!("\"{}\"", flag.code()));
            assert_ne!(flag.words(Language::En), "?", "{flag:?} in en.json");
            assert_ne!(
                flag.words(Language::Ko),
                flag.words(Language::En),
                "{flag:?} in ko.json"
            );
        }
    }
}
