//! Nationality as an ISO 3166-1 alpha-3 code.
//!
//! Rosters write countries in many ways: alpha-3 (KOR), alpha-2 (KR), the
//! IOC codes race results use (GER, RSA, NED), and English names ("South
//! Korea", "United Kingdom"). All of them are read; alpha-3 is kept.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use super::{ParseError, fold};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 3]);

impl Country {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let trimmed = text.trim();
        if let Some(country) = codes().get(trimmed.to_ascii_uppercase().as_str()) {
            return Ok(*country);
        }
        match names().get(&fold(trimmed)) {
            Some(Some(alpha3)) => Ok(Self::from_alpha3(*alpha3)),
            Some(None) => Err(ParseError::new(crate::said!(
                "invalid.country_ambiguous",
                text = super::shorten(trimmed)
            ))),
            None => Err(ParseError::new(crate::said!(
                "invalid.country",
                text = super::shorten(trimmed)
            ))),
        }
    }

    fn from_alpha3(alpha3: keshvar::Alpha3) -> Self {
        let code = alpha3.to_string();
        let mut bytes = [b'?'; 3];
        for (slot, byte) in bytes.iter_mut().zip(code.bytes()) {
            *slot = byte;
        }
        Self(bytes)
    }

    /// The ISO 3166-1 alpha-3 code.
    pub fn code(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.code())
    }
}

/// Names not in the ISO data that runners and tour operators write,
/// including the Korean names a local volunteer would type.
const ALIASES: &[(&str, &str)] = &[
    ("Korea", "KOR"),
    ("South Korea", "KOR"),
    ("Republic of Korea", "KOR"),
    ("한국", "KOR"),
    ("대한민국", "KOR"),
    ("DPRK", "PRK"),
    ("DPR Korea", "PRK"),
    ("Korea DPR", "PRK"),
    ("North Korea", "PRK"),
    ("조선", "PRK"),
    ("조선민주주의인민공화국", "PRK"),
    ("UK", "GBR"),
    ("Great Britain", "GBR"),
    ("England", "GBR"),
    ("Scotland", "GBR"),
    ("Wales", "GBR"),
    ("영국", "GBR"),
    ("United States", "USA"),
    ("America", "USA"),
    ("미국", "USA"),
    ("중국", "CHN"),
    ("일본", "JPN"),
    ("러시아", "RUS"),
    ("Russia", "RUS"),
    ("Holland", "NLD"),
    ("Czech Republic", "CZE"),
    ("Vietnam", "VNM"),
    ("Taiwan", "TWN"),
    // Olympic codes that race results still use but keshvar's IOC list lacks.
    ("SIN", "SGP"),
    ("ROC", "RUS"),
];

/// Codes in upper case → country: alpha-3, then IOC for three letters
/// (alpha-3 wins where both exist), alpha-2 for two. Built once: keshvar
/// makes a whole country record, subdivisions and all, on every lookup.
fn codes() -> &'static HashMap<String, Country> {
    static CODES: OnceLock<HashMap<String, Country>> = OnceLock::new();
    CODES.get_or_init(|| {
        let mut codes = HashMap::new();
        for country in keshvar::CountryIterator::new() {
            let ours = Country::from_alpha3(country.alpha3());
            if let Some(ioc) = country.maybe_ioc() {
                codes.insert(ioc.to_string(), ours);
            }
            codes.insert(country.alpha2().to_string(), ours);
        }
        for country in keshvar::CountryIterator::new() {
            let ours = Country::from_alpha3(country.alpha3());
            codes.insert(ours.code(), ours);
        }
        codes
    })
}

/// Folded name → alpha-3, or `None` where one name means two countries.
fn names() -> &'static HashMap<String, Option<keshvar::Alpha3>> {
    static NAMES: OnceLock<HashMap<String, Option<keshvar::Alpha3>>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: HashMap<String, Option<keshvar::Alpha3>> = HashMap::new();
        let mut add = |name: &str, alpha3: keshvar::Alpha3| {
            let key = fold(name);
            if key.is_empty() {
                return;
            }
            names
                .entry(key)
                .and_modify(|seen| {
                    if *seen != Some(alpha3) {
                        *seen = None;
                    }
                })
                .or_insert(Some(alpha3));
        };
        for country in keshvar::CountryIterator::new() {
            let alpha3 = country.alpha3();
            add(country.iso_short_name(), alpha3);
            add(country.iso_long_name(), alpha3);
            for name in country.unofficial_name_list() {
                add(name, alpha3);
            }
        }
        // Aliases decide: they override any ambiguity the data had.
        for (name, code) in ALIASES {
            if let Ok(country) = keshvar::Country::try_from(*code) {
                names.insert(fold(name), Some(country.alpha3()));
            }
        }
        names
    })
}

#[cfg(test)]
mod tests {
    use super::Country;

    fn code(text: &str) -> String {
        Country::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .code()
    }

    #[test]
    fn reads_codes_and_names() {
        assert_eq!(code("KOR"), "KOR");
        assert_eq!(code("kr"), "KOR");
        assert_eq!(code("PRK"), "PRK");
        assert_eq!(code("KP"), "PRK");
        assert_eq!(code("South Korea"), "KOR");
        assert_eq!(code("North Korea"), "PRK");
        assert_eq!(code("United Kingdom"), "GBR");
        assert_eq!(code("germany"), "DEU");
        assert_eq!(code("조선"), "PRK");
    }

    #[test]
    fn reads_ioc_codes_as_race_results_write_them() {
        assert_eq!(code("GER"), "DEU");
        assert_eq!(code("RSA"), "ZAF");
        assert_eq!(code("NED"), "NLD");
        assert_eq!(code("SUI"), "CHE");
    }

    #[test]
    fn refuses_what_is_not_a_country() {
        assert!(Country::parse("Atlantis").is_err());
        assert!(Country::parse("QQQ").is_err());
        assert!(Country::parse("").is_err());
    }
}
