//! The gender a runner is ranked in: F, M or X (non-binary).

use std::fmt;

use super::{ParseError, fold};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub enum Gender {
    F,
    M,
    X,
}

impl Gender {
    /// Reads the ways rosters write it: F/M/X, female/male, women/men,
    /// 여/남 and the like, in any case.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        match fold(text).as_str() {
            "f" | "w" | "female" | "woman" | "women" | "girl" | "lady" | "여" | "여자" | "여성" => {
                Ok(Self::F)
            }
            "m" | "male" | "man" | "men" | "boy" | "남" | "남자" | "남성" => Ok(Self::M),
            "x" | "nb" | "nonbinary" | "other" | "diverse" | "d" => Ok(Self::X),
            "" => Err(ParseError::new(crate::said!("invalid.gender_required"))),
            _ => Err(ParseError::new(crate::said!(
                "invalid.gender",
                text = super::shorten(text)
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::F => "F",
            Self::M => "M",
            Self::X => "X",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Gender::{self, *};

    #[test]
    fn reads_common_spellings() {
        for (text, want) in [
            ("F", F),
            ("m", M),
            ("Female", F),
            ("MALE", M),
            ("x", X),
            ("Non-binary", X),
            ("여", F),
            ("남", M),
            ("여자", F),
            ("남성", M),
        ] {
            assert_eq!(Gender::parse(text), Ok(want), "{text}");
        }
        assert!(Gender::parse("").is_err());
        assert!(Gender::parse("Q").is_err());
    }
}
