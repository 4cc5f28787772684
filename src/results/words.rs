//! The words of published files, in English or Korean. They are the app's
//! own dictionaries (ui/src/i18n), compiled in, so a results file says
//! "Gun time" or "건 타임" exactly where the results screen does.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The language a file is published in, chosen at export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    En,
    Ko,
}

impl Language {
    /// `en` or `ko` (also `english`, `korean`, `한국어`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_lowercase().as_str() {
            "en" | "english" => Some(Self::En),
            "ko" | "korean" | "한국어" => Some(Self::Ko),
            _ => None,
        }
    }

    /// The BCP 47 tag, for an HTML page's `lang`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ko => "ko",
        }
    }

    /// The dictionary's word for `key`: the English one where the Korean
    /// dictionary lacks it, `?` where both do (a unit test keeps every key
    /// used here in both).
    pub fn word(self, key: &str) -> &'static str {
        let dictionary = match self {
            Self::En => &*EN,
            Self::Ko => &*KO,
        };
        dictionary
            .get(key)
            .or_else(|| EN.get(key))
            .map_or("?", String::as_str)
    }

    /// The word for `key` with its `{name}` slots filled.
    pub fn fill(self, key: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        values
            .iter()
            .fold(self.word(key).to_owned(), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), &value.to_string())
            })
    }

    /// A runner's status as the results screen words it: finished, DNF, …
    pub fn status(self, status: &str) -> &'static str {
        self.word(&format!("status.{}", status.replace(' ', "_")))
    }
}

static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse(include_str!("../../ui/src/i18n/en.json")));
static KO: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse(include_str!("../../ui/src/i18n/ko.json")));

fn parse(json: &str) -> HashMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The column heads of a results table, before one per checkpoint.
pub(crate) const COLUMNS: [&str; 13] = [
    "results.place",
    "field.bib",
    "results.name",
    "results.nativeName",
    "roster.gender",
    "roster.age",
    "roster.country",
    "results.category",
    "results.genderPlace",
    "results.categoryPlace",
    "results.gun",
    "results.net",
    "results.status",
];

/// Every key a published file uses.
#[cfg(test)]
pub(crate) const KEYS: &[&str] = &[
    "results.title",
    "results.ranked",
    "results.byNet",
    "results.search",
    "results.awards",
    "results.overall",
    "event.place",
    "roster.country",
    "results.time",
    "status.finished",
    "status.over_cutoff",
    "status.no_start",
    "status.before_start",
    "status.DNF",
    "status.DNS",
    "status.DQ",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dictionaries_have_every_word_a_file_uses() {
        assert!(
            EN.len() > 100 && KO.len() == EN.len(),
            "both dictionaries parse"
        );
        for key in COLUMNS.iter().chain(KEYS) {
            assert!(EN.contains_key(*key), "en.json lacks {key}");
            assert!(KO.contains_key(*key), "ko.json lacks {key}");
        }
        assert_eq!(Language::Ko.word("results.gun"), "건 타임");
        assert_eq!(Language::En.status("over cutoff"), "Over the cutoff");
    }

    #[test]
    fn languages_parse_by_code_or_name() {
        assert_eq!(Language::parse(" KO "), Some(Language::Ko));
        assert_eq!(Language::parse("english"), Some(Language::En));
        assert_eq!(Language::parse("fr"), None);
    }
}
