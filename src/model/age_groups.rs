//! Age-group schemes: the bands a race ranks its runners in.
//!
//! Written as text, lowest band first: `18-39,40-44,...,80+`. A band is
//! `A-B` (both ages included), `A+` (A and older, last only) or `-B` (up to B,
//! first only). Bands may not overlap or leave a gap, so every age from the
//! first band up falls in exactly one. Named presets: `five-year`,
//! `ten-year`, `boston`, `open` (a single band for everyone).

use std::fmt;

use super::ParseError;

/// One band, ages `from..=to`; `to` is `None` for the open-ended last band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeBand {
    pub from: u8,
    pub to: Option<u8>,
}

impl AgeBand {
    pub fn contains(self, age: u8) -> bool {
        self.from <= age && self.to.is_none_or(|to| age <= to)
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.to) {
            (0, Some(to)) => write!(f, "-{to}"),
            (0, None) => f.write_str("open"),
            (from, Some(to)) => write!(f, "{from}-{to}"),
            (from, None) => write!(f, "{from}+"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeGroups(Vec<AgeBand>);

const FIVE_YEAR: &str =
    "-19,20-24,25-29,30-34,35-39,40-44,45-49,50-54,55-59,60-64,65-69,70-74,75-79,80+";
const TEN_YEAR: &str = "-19,20-29,30-39,40-49,50-59,60-69,70-79,80+";
const BOSTON: &str = "18-34,35-39,40-44,45-49,50-54,55-59,60-64,65-69,70-74,75-79,80+";

impl AgeGroups {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let spec = match text.trim().to_ascii_lowercase().as_str() {
            "five-year" | "5-year" => FIVE_YEAR,
            "ten-year" | "10-year" => TEN_YEAR,
            "boston" => BOSTON,
            "open" | "" => return Ok(Self::open()),
            _ => text,
        };
        let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
        let last = parts.len() - 1;
        let mut bands = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let band = parse_band(part)?;
            if band.from == 0 && i != 0 {
                return Err(ParseError::new(crate::said!(
                    "invalid.band_open_start",
                    part = part
                )));
            }
            if band.to.is_none() && i != last {
                return Err(ParseError::new(crate::said!(
                    "invalid.band_open_end",
                    part = part
                )));
            }
            if let Some(prev) = bands.last().copied() {
                let AgeBand {
                    to: Some(prev_to), ..
                } = prev
                else {
                    unreachable!("checked above")
                };
                if band.from != prev_to + 1 {
                    return Err(ParseError::new(if band.from <= prev_to {
                        crate::said!("invalid.bands_overlap", prev = prev, band = band)
                    } else {
                        crate::said!("invalid.bands_gap", prev = prev, band = band)
                    }));
                }
            }
            bands.push(band);
        }
        Ok(Self(bands))
    }

    /// A single band for every age.
    pub fn open() -> Self {
        Self(vec![AgeBand { from: 0, to: None }])
    }

    pub fn bands(&self) -> &[AgeBand] {
        &self.0
    }

    /// The band an age falls in; `None` when younger than the first band.
    pub fn band_for(&self, age: u8) -> Option<AgeBand> {
        self.0.iter().copied().find(|band| band.contains(age))
    }
}

fn parse_band(text: &str) -> Result<AgeBand, ParseError> {
    let bad = || ParseError::new(crate::said!("invalid.band", text = super::shorten(text)));
    let age = |s: &str| {
        s.trim()
            .parse::<u8>()
            .ok()
            .filter(|a| *a <= 120)
            .ok_or_else(bad)
    };
    let band = if let Some(from) = text.strip_suffix('+') {
        AgeBand {
            from: age(from)?,
            to: None,
        }
    } else if let Some(to) = text.strip_prefix('-') {
        AgeBand {
            from: 0,
            to: Some(age(to)?),
        }
    } else {
        let (from, to) = text.split_once('-').ok_or_else(bad)?;
        AgeBand {
            from: age(from)?,
            to: Some(age(to)?),
        }
    };
    match band.to {
        Some(to) if to < band.from => Err(ParseError::new(crate::said!(
            "invalid.band_backwards",
            text = text
        ))),
        _ => Ok(band),
    }
}

impl fmt::Display for AgeGroups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, band) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{band}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_issue_example_and_finds_bands() {
        let spec = "18-39,40-44,45-49,50-54,55-59,60-64,65-69,70-74,75-79,80+";
        let groups = AgeGroups::parse(spec).unwrap();
        assert_eq!(groups.to_string(), spec);
        assert_eq!(groups.band_for(17), None);
        assert_eq!(groups.band_for(18).unwrap().to_string(), "18-39");
        assert_eq!(groups.band_for(39).unwrap().to_string(), "18-39");
        assert_eq!(groups.band_for(40).unwrap().to_string(), "40-44");
        assert_eq!(groups.band_for(101).unwrap().to_string(), "80+");
    }

    #[test]
    fn presets_expand() {
        assert_eq!(AgeGroups::parse("boston").unwrap().to_string(), BOSTON);
        assert_eq!(
            AgeGroups::parse("Five-Year")
                .unwrap()
                .band_for(12)
                .unwrap()
                .to_string(),
            "-19"
        );
        assert_eq!(
            AgeGroups::parse("open")
                .unwrap()
                .band_for(50)
                .unwrap()
                .to_string(),
            "open"
        );
    }

    #[test]
    fn gaps_overlaps_and_nonsense_are_refused() {
        for bad in [
            "18-39,41-44",
            "18-40,40-44",
            "80+,18-39",
            "18-39,-44",
            "44-40",
            "x",
            "18-39,",
            "18-300",
        ] {
            assert!(AgeGroups::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
