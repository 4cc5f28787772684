//! A race of the event (marathon, half, 10 km, ...) and its short code.

use std::fmt;

use super::{AgeGroups, BibRanges, ParseError};

/// The short name a race goes by in files and on the command line:
/// MAR, HALF, 10K. Capital letters, digits, `-` and `_`, at most 12.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct RaceCode(String);

impl RaceCode {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let code = text.trim().to_ascii_uppercase();
        let valid = !code.is_empty()
            && code.len() <= 12
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(Self(code))
        } else {
            Err(ParseError::new(format!(
                "'{}' is not a race code: use up to 12 letters, digits, - or _, such as MAR or 10K",
                super::shorten(text)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RaceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Race {
    pub code: RaceCode,
    pub name: String,
    pub distance_m: u32,
    pub age_groups: AgeGroups,
    /// The bibs reserved for the race; `None` accepts any bib.
    pub bibs: Option<BibRanges>,
    /// Start waves in order; empty when the race has one start.
    pub waves: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::RaceCode;

    #[test]
    fn codes_are_short_upper_case() {
        assert_eq!(RaceCode::parse(" 10k ").unwrap().as_str(), "10K");
        assert_eq!(RaceCode::parse("half_m").unwrap().as_str(), "HALF_M");
        for bad in ["", "ten km", "MARATHON-FULL-42", "마라톤"] {
            assert!(RaceCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
