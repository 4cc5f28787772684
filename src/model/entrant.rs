//! An entrant: a runner registered in one race of the event.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::{Bib, Country, EventDate, Gender, ParseError, RaceCode};

/// Youngest and oldest ages accepted for a runner on race day.
pub const MIN_AGE: u8 = 3;
pub const MAX_AGE: u8 = 110;

/// How old a runner is on race day: from a birth date, or as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    Born(NaiveDate),
    Given(u8),
}

impl Age {
    /// A birth date, checked to give a plausible age on race day.
    pub fn born(date: NaiveDate, race_day: EventDate) -> Result<Self, ParseError> {
        if date > race_day.0 {
            return Err(ParseError::new(crate::said!(
                "invalid.born_after_race_day",
                date = date,
                race_day = race_day
            )));
        }
        let age = Self::Born(date);
        check_range(age.on(race_day))?;
        Ok(age)
    }

    /// An age on race day, checked to be plausible.
    pub fn given(years: i64) -> Result<Self, ParseError> {
        check_range(years)?;
        Ok(Self::Given(years as u8))
    }

    /// Whole years on race day.
    pub fn on(self, race_day: EventDate) -> i64 {
        match self {
            Self::Given(years) => i64::from(years),
            Self::Born(born) => {
                let day = race_day.0;
                let had_birthday = (day.month(), day.day()) >= (born.month(), born.day());
                i64::from(day.year() - born.year()) - i64::from(!had_birthday)
            }
        }
    }
}

fn check_range(years: i64) -> Result<(), ParseError> {
    if (i64::from(MIN_AGE)..=i64::from(MAX_AGE)).contains(&years) {
        Ok(())
    } else {
        Err(ParseError::new(crate::said!(
            "invalid.age",
            years = years,
            min = MIN_AGE,
            max = MAX_AGE
        )))
    }
}

/// One runner. Setup data: edited in place, each change audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entrant {
    pub bib: Bib,
    pub race: RaceCode,
    pub given_name: String,
    pub family_name: String,
    /// The name in its own script (Hangul, Hanzi, Cyrillic) where the
    /// roster has one; given and family name are then its romanisation.
    pub native_name: Option<String>,
    pub gender: Gender,
    pub age: Option<Age>,
    pub nationality: Option<Country>,
    pub city: Option<String>,
    /// Tour group, club or team.
    pub group: Option<String>,
    pub chip: Option<String>,
    pub phone: Option<String>,
    pub emergency_contact: Option<String>,
    pub medical_note: Option<String>,
    /// Columns of the roster that have no field of their own.
    pub extra: BTreeMap<String, String>,
}

/// The roster column of a line the director adds for the announcer ("first
/// marathon at 70"); matched in any case.
pub const ANNOUNCER_NOTE: &str = "announcer note";
/// The roster column of a free field the announcer's screen highlights
/// ("100th marathon"); matched in any case.
pub const HIGHLIGHT: &str = "highlight";

/// A roster column with no field of its own, by name in any case; none
/// when empty.
pub fn column<'a>(extra: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    extra
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Sets a roster column (whatever case it was imported in); empty removes it.
pub fn set_column(extra: &mut BTreeMap<String, String>, name: &str, value: &str) {
    extra.retain(|k, _| !k.trim().eq_ignore_ascii_case(name));
    if !value.trim().is_empty() {
        extra.insert(name.to_owned(), value.trim().to_owned());
    }
}

impl Entrant {
    /// "Given Family", or the native name when there is no other.
    pub fn display_name(&self) -> String {
        let latin = format!("{} {}", self.given_name, self.family_name);
        match (latin.trim(), &self.native_name) {
            ("", Some(native)) => native.clone(),
            (latin, _) => latin.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> EventDate {
        EventDate::parse("2027-04-11").unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn age_counts_whole_years_on_race_day() {
        assert_eq!(Age::born(date("1987-04-11"), day()).unwrap().on(day()), 40);
        assert_eq!(Age::born(date("1987-04-12"), day()).unwrap().on(day()), 39);
        // A leap-day birthday has not come yet on 11 April... of a year
        // with no 29 February, it counts from 1 March.
        assert_eq!(Age::born(date("2000-02-29"), day()).unwrap().on(day()), 27);
    }

    #[test]
    fn impossible_ages_are_refused() {
        assert!(Age::given(0).is_err());
        assert!(Age::given(130).is_err());
        assert!(Age::given(-1).is_err());
        assert!(Age::given(3).is_ok());
        assert!(Age::given(110).is_ok());
        assert!(
            Age::born(date("2030-01-01"), day()).is_err(),
            "born after race day"
        );
        assert!(
            Age::born(date("1890-01-01"), day()).is_err(),
            "137 years old"
        );
    }
}
