//! racedesk's words in English and Korean: the app's own dictionaries
//! (ui/src/i18n), compiled in, so a results file says "Gun time" or "건 타임"
//! exactly where the results screen does, and a message from the core
//! ([`Said`]) is one key the app shows in the volunteer's language and the
//! CLI prints in English.

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
    pub fn render(self, key: &str, values: &[(&str, String)]) -> String {
        values
            .iter()
            .fold(self.word(key).to_owned(), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), value)
            })
    }

    /// A runner's status as the results screen words it: finished, DNF, …
    pub fn status(self, status: &str) -> &'static str {
        self.word(&format!("status.{}", status.replace(' ', "_")))
    }
}

static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse(include_str!("../ui/src/i18n/en.json")));
static KO: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse(include_str!("../ui/src/i18n/ko.json")));

fn parse(json: &str) -> HashMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A message from the core as the dictionaries hold it: an `error.*` key
/// and its named values. Shown in English by `Display` (the CLI, logs);
/// the app shows the key in the volunteer's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub key: &'static str,
    pub params: Vec<(&'static str, String)>,
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&Language::En.render(self.key, &self.params))
    }
}

/// A [`Said`]: `said!("error.no_race", race = code)`.
#[macro_export]
macro_rules! said {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::words::Said {
            key: $key,
            params: vec![$((stringify!($name), $value.to_string())),*],
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `said!` key in src/, found by reading the sources.
    fn said_keys() -> Vec<String> {
        fn walk(dir: &std::path::Path, keys: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, keys);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // The key is the first literal after `said!(`, on
                    // its line or the next.
                    for part in text.split("said!(").skip(1) {
                        if let Some(rest) = part.trim_start().strip_prefix('"') {
                            let key = rest.split('"').next().unwrap_or_default();
                            let word = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_';
                            if key.contains('.') && key.chars().all(word) {
                                keys.push(key.to_owned());
                            }
                        }
                    }
                }
            }
        }
        let mut keys = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut keys,
        );
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn every_message_of_the_core_is_in_both_dictionaries() {
        assert!(
            EN.len() > 100 && KO.len() == EN.len(),
            "both dictionaries parse"
        );
        let keys = said_keys();
        assert!(keys.len() > 20, "the sources were read: {keys:?}");
        for key in keys
            .iter()
            .map(String::as_str)
            .chain(["error.disk_full", "error.damaged"])
        {
            assert!(EN.contains_key(key), "en.json lacks {key}");
            assert!(KO.contains_key(key), "ko.json lacks {key}");
        }
    }

    #[test]
    fn a_message_reads_in_english_with_its_values() {
        let said = said!("error.race_exists", code = "10K");
        assert_eq!(said.to_string(), "there is already a race 10K");
        assert_eq!(
            Language::Ko.render(said.key, &said.params),
            "10K 종목이 이미 있습니다"
        );
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
