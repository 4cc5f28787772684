//! A race of the event (marathon, half, 10 km, ...) and its short code.

use std::fmt;

use super::{AgeGroups, BibRanges, Gender, ParseError};

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
            Err(ParseError::new(crate::said!(
                "invalid.race_code",
                text = super::shorten(text)
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
    /// Timing points on the route, nearest the start first.
    pub checkpoints: Vec<Checkpoint>,
    /// Ranked by each runner's net time instead of the gun time.
    pub net_time: bool,
    /// A finish slower than this (official time, ms) is not ranked.
    pub cutoff_ms: Option<i64>,
    /// A runner this late (ms) at their next point, against their own
    /// pace, is overdue on the still-on-the-course list; `None`: 15 min.
    pub overdue_ms: Option<i64>,
    /// Course records, per gender (`None`: anyone's), in ms.
    pub records: Vec<(Option<Gender>, i64)>,
}

/// A timing point on a race's route, at its distance from the start.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// The timing point's name, lower case: 10k, half, 30k.
    pub point: String,
    pub distance_m: u32,
}

impl Checkpoint {
    /// Reads checkpoints as a race director writes them: `5k, 10k,
    /// half=21.0975, 30k` — a name, and its distance in km after `=` unless
    /// the name says it (5k, 21.1k). Sorted by distance; each must lie
    /// between the start and `race_m`, with its own name and distance.
    pub fn parse_list(text: &str, race_m: u32) -> Result<Vec<Self>, ParseError> {
        let mut list: Vec<Self> = Vec::new();
        for item in text
            .split([',', ';'])
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let (name, km) = match item.split_once('=') {
                Some((name, km)) => (name.trim(), km.trim()),
                None => (item, item.strip_suffix(['k', 'K']).unwrap_or("")),
            };
            let point = name.to_lowercase();
            if point.is_empty()
                || point.chars().count() > 24
                || point.chars().any(|c| c.is_control() || c == ',')
            {
                return Err(ParseError::new(crate::said!(
                    "invalid.checkpoint_name",
                    name = super::shorten(name)
                )));
            }
            if point == "start" || point == "finish" {
                return Err(ParseError::new(crate::said!(
                    "invalid.checkpoint_reserved",
                    point = point
                )));
            }
            let metres = km
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|km| km.is_finite() && *km > 0.0)
                .map(|km| (km * 1000.0).round() as u32)
                .ok_or_else(|| {
                    ParseError::new(crate::said!("invalid.checkpoint_distance", name = name))
                })?;
            if metres >= race_m {
                return Err(ParseError::new(crate::said!(
                    "invalid.checkpoint_past_finish",
                    name = name,
                    km = km_text(metres),
                    finish = km_text(race_m)
                )));
            }
            if let Some(other) = list
                .iter()
                .find(|c| c.point == point || c.distance_m == metres)
            {
                return Err(ParseError::new(crate::said!(
                    "invalid.checkpoint_twice",
                    other = other.point,
                    name = name
                )));
            }
            list.push(Self {
                point,
                distance_m: metres,
            });
        }
        list.sort_by_key(|c| c.distance_m);
        Ok(list)
    }

    /// The list as [`Checkpoint::parse_list`] reads it back.
    pub fn list_text(list: &[Self]) -> String {
        list.iter()
            .map(|c| {
                let km = km_text(c.distance_m);
                if c.point == format!("{km}k") {
                    c.point.clone()
                } else {
                    format!("{}={km}", c.point)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Metres as km without trailing zeros: 21097 → 21.097, 10000 → 10.
fn km_text(metres: u32) -> String {
    let text = format!("{:.3}", f64::from(metres) / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::{Checkpoint, RaceCode};

    #[test]
    fn checkpoints_read_as_written() {
        let list = Checkpoint::parse_list("10k, 5K; half=21.0975, 30k", 42_195).unwrap();
        let points: Vec<_> = list
            .iter()
            .map(|c| (c.point.as_str(), c.distance_m))
            .collect();
        assert_eq!(
            points,
            [
                ("5k", 5000),
                ("10k", 10_000),
                ("half", 21_098),
                ("30k", 30_000)
            ]
        );
        assert_eq!(Checkpoint::list_text(&list), "5k, 10k, half=21.098, 30k");
        assert_eq!(
            Checkpoint::parse_list(&Checkpoint::list_text(&list), 42_195).unwrap(),
            list
        );
        assert!(Checkpoint::parse_list("", 5000).unwrap().is_empty());
        for (bad, says) in [
            ("bridge", "needs its distance"),
            ("10k", "not before the finish"),
            ("2k, two=2", "same name or distance"),
            ("finish=4", "every race already"),
            ("x=-1", "needs its distance"),
        ] {
            let error = Checkpoint::parse_list(bad, 10_000).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn codes_are_short_upper_case() {
        assert_eq!(RaceCode::parse(" 10k ").unwrap().as_str(), "10K");
        assert_eq!(RaceCode::parse("half_m").unwrap().as_str(), "HALF_M");
        for bad in ["", "ten km", "MARATHON-FULL-42", "마라톤"] {
            assert!(RaceCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
