//! Bib numbers and the bib ranges a race may reserve.
//!
//! A bib is a short code of digits and capital letters: 7, 1042, F1 (an elite
//! woman), W12 (a wheelchair racer). Leading zeros of an all-digit bib are
//! dropped, so `007` and `7` are the same bib: spreadsheets drop those zeros
//! on their own, and a scanner may add them, so keeping both would let one
//! runner appear as two.

use std::fmt;

use super::{ParseError, shorten};

const MAX_LEN: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Bib(String);

impl Bib {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ParseError::new(crate::said!("invalid.bib_required")));
        }
        if text.len() > MAX_LEN || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ParseError::new(crate::said!(
                "invalid.bib",
                text = shorten(text),
                max = MAX_LEN
            )));
        }
        let upper = text.to_ascii_uppercase();
        if upper.bytes().all(|b| b.is_ascii_digit()) {
            let trimmed = upper.trim_start_matches('0');
            return Ok(Self(if trimmed.is_empty() {
                "0".into()
            } else {
                trimmed.into()
            }));
        }
        Ok(Self(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The letters before the number and the number itself: `F12` is
    /// (`F`, 12); a bib with letters after digits has no number.
    fn split(&self) -> (&str, Option<u64>) {
        let digits_at = self
            .0
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(self.0.len());
        let (prefix, digits) = self.0.split_at(digits_at);
        (prefix, digits.parse().ok())
    }
}

impl fmt::Display for Bib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// A block of bibs: `1-4999` or `F1-F99` (the same letters at both ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BibRange {
    prefix: String,
    first: u64,
    last: u64,
}

impl BibRange {
    fn parse(text: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new(crate::said!("invalid.bib_range", text = shorten(text)));
        let (from, to) = text.split_once('-').ok_or_else(bad)?;
        let (from, to) = (
            Bib::parse(from).map_err(|_| bad())?,
            Bib::parse(to).map_err(|_| bad())?,
        );
        let ((p1, Some(first)), (p2, Some(last))) = (from.split(), to.split()) else {
            return Err(bad());
        };
        if p1 != p2 {
            return Err(ParseError::new(crate::said!(
                "invalid.bib_range_letters",
                text = text
            )));
        }
        if first > last {
            return Err(ParseError::new(crate::said!(
                "invalid.bib_range_backwards",
                text = text
            )));
        }
        Ok(Self {
            prefix: p1.to_string(),
            first,
            last,
        })
    }

    fn contains(&self, bib: &Bib) -> bool {
        match bib.split() {
            (prefix, Some(n)) => prefix == self.prefix && self.first <= n && n <= self.last,
            _ => false,
        }
    }

    fn bibs(&self) -> impl Iterator<Item = Bib> + '_ {
        (self.first..=self.last).map(|n| Bib(format!("{}{n}", self.prefix)))
    }

    fn overlaps(&self, other: &Self) -> bool {
        self.prefix == other.prefix && self.first <= other.last && other.first <= self.last
    }
}

impl fmt::Display for BibRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.prefix;
        write!(f, "{p}{}-{p}{}", self.first, self.last)
    }
}

/// The bibs a race reserves: one or more ranges, `1-4999,F1-F99,W1-W30`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BibRanges(Vec<BibRange>);

impl BibRanges {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let ranges = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(BibRange::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if ranges.is_empty() {
            return Err(ParseError::new(crate::said!("invalid.bib_ranges_empty")));
        }
        for (i, a) in ranges.iter().enumerate() {
            if let Some(b) = ranges[i + 1..].iter().find(|b| a.overlaps(b)) {
                return Err(ParseError::new(crate::said!(
                    "invalid.bib_ranges_overlap",
                    a = a,
                    b = b
                )));
            }
        }
        Ok(Self(ranges))
    }

    pub fn contains(&self, bib: &Bib) -> bool {
        self.0.iter().any(|range| range.contains(bib))
    }

    /// The first bib of the ranges, in order, that `taken` says is free.
    pub fn first_free(&self, taken: impl Fn(&Bib) -> bool) -> Option<Bib> {
        self.0
            .iter()
            .flat_map(BibRange::bibs)
            .find(|bib| !taken(bib))
    }

    /// Whether any bib could belong to both.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.0.iter().any(|a| other.0.iter().any(|b| a.overlaps(b)))
    }

    /// Whether every bib of these ranges belongs to `outer`.
    pub fn within(&self, outer: &Self) -> bool {
        self.0.iter().all(|r| {
            outer
                .0
                .iter()
                .any(|o| o.prefix == r.prefix && o.first <= r.first && r.last <= o.last)
        })
    }

    /// The last `count` bibs of the ranges that `taken` says are free, as
    /// ranges (consecutive bibs joined); `None` when none is free.
    pub fn last_free(&self, count: usize, taken: impl Fn(&Bib) -> bool) -> Option<Self> {
        let mut picked: Vec<(String, u64)> = Vec::new();
        'ranges: for range in self.0.iter().rev() {
            for n in (range.first..=range.last).rev() {
                if picked.len() == count {
                    break 'ranges;
                }
                let bib = Bib(format!("{}{n}", range.prefix));
                if !taken(&bib) {
                    picked.push((range.prefix.clone(), n));
                }
            }
        }
        picked.reverse();
        let mut ranges: Vec<BibRange> = Vec::new();
        for (prefix, n) in picked {
            match ranges.last_mut() {
                Some(last) if last.prefix == prefix && last.last + 1 == n => last.last = n,
                _ => ranges.push(BibRange {
                    prefix,
                    first: n,
                    last: n,
                }),
            }
        }
        (!ranges.is_empty()).then_some(Self(ranges))
    }
}

impl fmt::Display for BibRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, range) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{range}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bib(text: &str) -> Bib {
        Bib::parse(text).unwrap()
    }

    #[test]
    fn leading_zeros_of_digit_bibs_are_dropped() {
        assert_eq!(bib("007"), bib("7"));
        assert_eq!(bib("007").as_str(), "7");
        assert_eq!(bib("000").as_str(), "0");
        // Letters make it a code: its zeros are kept.
        assert_eq!(bib("F01").as_str(), "F01");
    }

    #[test]
    fn bibs_are_upper_case_codes() {
        assert_eq!(bib(" f1 ").as_str(), "F1");
        assert_eq!(bib("W12").as_str(), "W12");
        for bad in ["", "  ", "12 34", "1-2", "ü1", "123456789", "F1.0"] {
            assert!(Bib::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn ranges_hold_their_bibs() {
        let ranges = BibRanges::parse("1-4999, F1-F99").unwrap();
        assert!(ranges.contains(&bib("1")));
        assert!(ranges.contains(&bib("4999")));
        assert!(ranges.contains(&bib("F99")));
        assert!(!ranges.contains(&bib("5000")));
        assert!(!ranges.contains(&bib("W1")));
        assert!(!ranges.contains(&bib("0")));
        assert_eq!(ranges.to_string(), "1-4999,F1-F99");
    }

    #[test]
    fn bad_ranges_are_refused() {
        for bad in ["", "5", "10-1", "F1-W9", "1-10,5-20", "a-b", "1-"] {
            assert!(BibRanges::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
