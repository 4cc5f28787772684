//! Turning one roster row into an entrant, or into problems that name the
//! row, the column, the value and why.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::Problem;
use super::columns::{Column, ColumnUse, Field};
use super::read::Row;
use crate::model::{
    Age, Bib, Country, Entrant, EventDate, Gender, ParseError, Race, RaceCode, fold,
};
use crate::words::Said;

const NAME_MAX: usize = 100;
const TEXT_MAX: usize = 200;
const NOTE_MAX: usize = 1000;

/// Reads rows with one column layout, for one event.
pub(crate) struct RowReader<'a> {
    columns: &'a [Column],
    fields: HashMap<Field, usize>,
    race_day: EventDate,
    races: RaceFinder<'a>,
    day_first: bool,
    /// The file only updates entrants already in the event: the name,
    /// gender and race may have no column (they keep their values).
    updates_only: bool,
    /// The race of each entrant the event has, by bib, for such a file.
    known: Option<&'a HashMap<String, String>>,
}

/// The fields a new entrant needs that an update may leave out.
pub(crate) const NEEDED_FOR_NEW: [Field; 3] = [Field::Name, Field::Gender, Field::Race];

impl<'a> RowReader<'a> {
    /// Checks the layout: a bib and a name column are required, and no
    /// field may come from two columns.
    pub fn new(
        columns: &'a [Column],
        rows: &[Row],
        race_day: EventDate,
        races: &'a [Race],
        problems: &mut Vec<Problem>,
    ) -> Self {
        Self::with_updates(columns, rows, race_day, races, None, problems)
    }

    /// Whether a/b/yyyy birth dates are read day first (decided once for
    /// the whole column, from the values that can only be read one way).
    pub fn day_first(&self) -> bool {
        self.day_first
    }

    /// As [`RowReader::new`]; given the entrants the event has (bib →
    /// race), a file may lack the name, gender and race columns, for
    /// rows that update one of them.
    pub fn with_updates(
        columns: &'a [Column],
        rows: &[Row],
        race_day: EventDate,
        races: &'a [Race],
        known: Option<&'a HashMap<String, String>>,
        problems: &mut Vec<Problem>,
    ) -> Self {
        let updates_only = known.is_some_and(|k| !k.is_empty());
        let mut fields = HashMap::new();
        for (i, column) in columns.iter().enumerate() {
            if let ColumnUse::Field(field) = column.used_as
                && let Some(first) = fields.insert(field, i)
            {
                problems.push(Problem::header(crate::said!(
                    "problem.columns_same_field",
                    first = columns[first].label(),
                    second = column.label(),
                    field = field
                )));
            }
        }
        if !fields.contains_key(&Field::Bib) {
            problems.push(Problem::header(crate::said!("problem.no_bib_column")));
        }
        if !updates_only
            && ![
                Field::Name,
                Field::FirstName,
                Field::LastName,
                Field::NativeName,
            ]
            .iter()
            .any(|f| fields.contains_key(f))
        {
            problems.push(Problem::header(crate::said!("problem.no_name_column")));
        }
        if !updates_only && !fields.contains_key(&Field::Gender) {
            problems.push(Problem::header(crate::said!("problem.no_gender_column")));
        }
        if !updates_only && !fields.contains_key(&Field::Race) && races.len() != 1 {
            problems.push(Problem::header(crate::said!(
                "problem.no_race_column",
                races = races.len()
            )));
        }
        let day_first = match fields.get(&Field::BirthDate) {
            Some(&i) => {
                date_order(rows.iter().map(|row| row.cells[i].as_str())).unwrap_or_else(|()| {
                    problems.push(Problem::header(crate::said!(
                        "problem.dates_mixed",
                        column = columns[i].label()
                    )));
                    true
                })
            }
            None => true,
        };
        Self {
            columns,
            fields,
            race_day,
            races: RaceFinder { races },
            day_first,
            updates_only,
            known,
        }
    }

    /// The entrant a row describes, or `None` with its problems recorded.
    pub fn read(&self, row: &Row, problems: &mut Vec<Problem>) -> Option<Entrant> {
        let cell = |field| {
            self.fields
                .get(&field)
                .map(|&i| row.cells[i].as_str())
                .filter(|v| !v.is_empty())
        };
        let mut found = Found {
            reader: self,
            row,
            problems,
            count: 0,
        };
        // No control character in any cell: an ESC in a name would clear
        // the desk's terminal, a tab split a list. Notes keep line breaks.
        for (i, column) in self.columns.iter().enumerate() {
            let notes = matches!(
                column.used_as,
                ColumnUse::Extra | ColumnUse::Field(Field::MedicalNote | Field::EmergencyContact)
            );
            if column.used_as == ColumnUse::Skip {
                continue;
            }
            if let Err(e) = crate::model::no_controls(&row.cells[i], notes) {
                found.problems.push(Problem::new(
                    Some(row.number),
                    match column.used_as {
                        ColumnUse::Field(field) => Some(field),
                        _ => None,
                    },
                    Some(column.label()),
                    Some(crate::model::shorten(
                        &row.cells[i].escape_debug().to_string(),
                    )),
                    e.0,
                ));
                found.count += 1;
            }
        }

        let bib = found.check(Field::Bib, Bib::parse(cell(Field::Bib).unwrap_or_default()));
        let (given_name, family_name, native_name) = self.names(&cell);
        let lacks = |field| self.updates_only && !self.has(field);
        if given_name.is_empty()
            && family_name.is_empty()
            && native_name.is_none()
            && !lacks(Field::Name)
        {
            found.fail(Field::Name, crate::said!("problem.name_required"));
        } else {
            // Named by the column it came from, with its length.
            for (field, name) in [
                (Field::FirstName, Some(&given_name)),
                (Field::LastName, Some(&family_name)),
                (Field::NativeName, native_name.as_ref()),
            ] {
                let length = name.map_or(0, |n| n.chars().count());
                if length > NAME_MAX {
                    let field = if self.fields.contains_key(&field) {
                        field
                    } else {
                        Field::Name
                    };
                    found.fail(
                        field,
                        crate::said!("problem.too_long", max = NAME_MAX, length = length),
                    );
                }
            }
        }
        // Without the column the entrant keeps the value it has; the
        // stand-in here is replaced when the update is planned.
        let gender = found.check(
            Field::Gender,
            Gender::parse(cell(Field::Gender).unwrap_or(if lacks(Field::Gender) {
                "X"
            } else {
                ""
            })),
        );
        let age = match (cell(Field::BirthDate), cell(Field::Age)) {
            (Some(text), given) => {
                let born = found.check(
                    Field::BirthDate,
                    parse_date(text, self.day_first)
                        .and_then(|date| Age::born(date, self.race_day)),
                );
                // Both given: they must agree, or one of them is wrong.
                if let (Some(born), Some(given)) = (born, given.map(parse_age))
                    && let Ok(given) = given
                    && given.on(self.race_day) != born.on(self.race_day)
                {
                    found.fail(
                        Field::Age,
                        crate::said!(
                            "problem.age_disagrees",
                            born = born.on(self.race_day),
                            given = given.on(self.race_day)
                        ),
                    );
                }
                born.map(Some)
            }
            (None, Some(text)) => found.check(Field::Age, parse_age(text)).map(Some),
            (None, None) => Some(None),
        };
        let nationality = match cell(Field::Country) {
            Some(text) => found.check(Field::Country, Country::parse(text)).map(Some),
            None => Some(None),
        };
        if let Some(bib) = &bib
            && self.updates_only
            && NEEDED_FOR_NEW.iter().any(|f| !self.has(*f))
            && !self.known.is_some_and(|k| k.contains_key(&bib.to_string()))
        {
            let lacking: Vec<&str> = NEEDED_FOR_NEW
                .iter()
                .filter(|f| !self.has(**f))
                .map(|f| f.name())
                .collect();
            found.fail(
                Field::Bib,
                crate::said!(
                    "problem.new_entrant_needs",
                    bib = bib,
                    columns = lacking.join(", ")
                ),
            );
        }
        let race = if lacks(Field::Race) {
            // The entrant's own race, for its bib range and waves.
            bib.as_ref()
                .and_then(|b| self.known.and_then(|k| k.get(&b.to_string())))
                .and_then(|code| self.races.races.iter().find(|r| r.code.as_str() == code))
                .or(self.races.races.first())
        } else {
            found.check(Field::Race, self.races.find(cell(Field::Race)))
        };
        if let (Some(bib), Some(race)) = (&bib, race)
            && !lacks(Field::Race)
            && let Some(ranges) = &race.bibs
            && !ranges.contains(bib)
        {
            found.fail(
                Field::Bib,
                crate::said!(
                    "problem.bib_outside_race",
                    bib = bib,
                    race = race.code,
                    ranges = ranges
                ),
            );
        }
        let city = found.text(Field::City, TEXT_MAX);
        let group = found.text(Field::Group, TEXT_MAX);
        let chip = found.text(Field::Chip, 32);
        let phone = found.text(Field::Phone, 40);
        let emergency_contact = found.text(Field::EmergencyContact, TEXT_MAX);
        let medical_note = found.text(Field::MedicalNote, NOTE_MAX);
        let mut extra = BTreeMap::new();
        if let (Some(wave), Some(race)) = (cell(Field::Wave), race) {
            match race.waves.iter().find(|w| w.eq_ignore_ascii_case(wave)) {
                Some(known) => {
                    extra.insert(WAVE_KEY.to_owned(), known.clone());
                }
                None if race.waves.is_empty() => found.fail(
                    Field::Wave,
                    crate::said!("problem.no_waves", race = race.code),
                ),
                None => found.fail(
                    Field::Wave,
                    crate::said!(
                        "problem.not_a_wave",
                        wave = crate::model::shorten(wave),
                        race = race.code,
                        waves = race.waves.join(", ")
                    ),
                ),
            }
        }
        for (i, column) in self.columns.iter().enumerate() {
            let value = &row.cells[i];
            if column.used_as != ColumnUse::Extra || value.is_empty() {
                continue;
            }
            if value.chars().count() > NOTE_MAX {
                found.problems.push(Problem::new(
                    Some(row.number),
                    None,
                    Some(column.label()),
                    Some(crate::model::shorten(value)),
                    crate::said!(
                        "problem.too_long",
                        max = NOTE_MAX,
                        length = value.chars().count()
                    ),
                ));
                found.count += 1;
            } else {
                extra.insert(column.header.clone(), value.clone());
            }
        }
        if found.count > 0 {
            return None;
        }
        Some(Entrant {
            bib: bib?,
            race: race?.code.clone(),
            given_name,
            family_name,
            native_name,
            gender: gender?,
            age: age?,
            nationality: nationality?,
            city,
            group,
            chip,
            phone,
            emergency_contact,
            medical_note,
            extra,
        })
    }

    /// Whether a column holds `field` (any name column for `Name`).
    fn has(&self, field: Field) -> bool {
        match field {
            Field::Name => [
                Field::Name,
                Field::FirstName,
                Field::LastName,
                Field::NativeName,
            ]
            .iter()
            .any(|f| self.fields.contains_key(f)),
            _ => self.fields.contains_key(&field),
        }
    }

    /// Given, family and native name from whichever name columns there are.
    fn names<'c>(
        &self,
        cell: &impl Fn(Field) -> Option<&'c str>,
    ) -> (String, String, Option<String>) {
        let mut given = cell(Field::FirstName).unwrap_or_default().to_owned();
        let mut family = cell(Field::LastName).unwrap_or_default().to_owned();
        let mut native = cell(Field::NativeName).map(str::to_owned);
        if let Some(whole) = cell(Field::Name) {
            let (g, f) = split_name(whole);
            if given.is_empty() && family.is_empty() {
                (given, family) = (g, f);
            }
        }
        // A name written only in Hangul is also the native name, family first.
        if native.is_none() && (is_hangul(&given) || is_hangul(&family)) {
            native = Some(format!("{family}{given}"));
        }
        (given, family, native)
    }
}

/// The extra field the start wave is kept under (scoring reads it).
pub(crate) const WAVE_KEY: &str = "wave";

/// Collects the problems of one row, each with its column and value.
struct Found<'r, 'a> {
    reader: &'r RowReader<'a>,
    row: &'r Row,
    problems: &'r mut Vec<Problem>,
    count: usize,
}

impl Found<'_, '_> {
    fn fail(&mut self, field: Field, message: Said) {
        let index = self.reader.fields.get(&field).copied();
        self.problems.push(Problem::new(
            Some(self.row.number),
            Some(field),
            index.map(|i| self.reader.columns[i].label()),
            index
                .map(|i| crate::model::shorten(&self.row.cells[i]))
                .filter(|v| !v.is_empty()),
            message,
        ));
        self.count += 1;
    }

    fn check<T>(&mut self, field: Field, result: Result<T, ParseError>) -> Option<T> {
        result.map_err(|e| self.fail(field, e.0)).ok()
    }

    /// A free-text field, refused when longer than `max` characters.
    fn text(&mut self, field: Field, max: usize) -> Option<String> {
        let value = self
            .reader
            .fields
            .get(&field)
            .map(|&i| self.row.cells[i].as_str())
            .filter(|v| !v.is_empty())?;
        let length = value.chars().count();
        if length > max {
            self.fail(
                field,
                crate::said!("problem.too_long", max = max, length = length),
            );
            return None;
        }
        Some(value.to_owned())
    }
}

/// `Last, First`, a Hangul name (family name first, no space), or
/// `First Middle Last`.
fn split_name(whole: &str) -> (String, String) {
    if let Some((family, given)) = whole.split_once(',') {
        return (given.trim().to_owned(), family.trim().to_owned());
    }
    let whole = whole.trim();
    if is_hangul(whole) && !whole.contains(' ') {
        let family_len = if TWO_SYLLABLE_SURNAMES.iter().any(|s| whole.starts_with(s))
            && whole.chars().count() > 3
        {
            2
        } else {
            1
        };
        let split = whole
            .char_indices()
            .nth(family_len)
            .map_or(whole.len(), |(i, _)| i);
        return (whole[split..].to_owned(), whole[..split].to_owned());
    }
    match whole.rsplit_once(char::is_whitespace) {
        Some((given, family)) => (given.trim().to_owned(), family.to_owned()),
        None => (whole.to_owned(), String::new()),
    }
}

const TWO_SYLLABLE_SURNAMES: &[&str] = &[
    "남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방",
];

fn is_hangul(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

fn parse_age(text: &str) -> Result<Age, ParseError> {
    let years: f64 = text.trim().parse().map_err(|_| {
        ParseError::new(crate::said!(
            "invalid.age_years",
            text = crate::model::shorten(text)
        ))
    })?;
    if years.fract() != 0.0 {
        return Err(ParseError::new(crate::said!(
            "invalid.age_years",
            text = text
        )));
    }
    Age::given(years as i64)
}

/// The numbers of a date written with separators, such as 11/04/1987.
fn date_parts(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Decides day/month or month/day for a column of `a/b/yyyy` dates from
/// the values that can only be read one way; day first when none can tell.
fn date_order<'a>(values: impl Iterator<Item = &'a str>) -> Result<bool, ()> {
    let (mut day_first, mut month_first) = (false, false);
    for value in values {
        let parts = date_parts(value.split(['T', ' ']).next().unwrap_or(value));
        if let [a, b, y] = parts[..]
            && y.len() == 4
            && a.len() <= 2
        {
            let (a, b) = (a.parse::<u32>().unwrap_or(0), b.parse::<u32>().unwrap_or(0));
            day_first |= a > 12;
            month_first |= b > 12;
        }
    }
    if day_first && month_first {
        Err(())
    } else {
        Ok(!month_first)
    }
}

/// A birth date as rosters write it: 1987-04-11, 1987/4/11, 11/04/1987,
/// 11.04.1987, 19870411, 1987년 4월 11일, or an XLSX date.
fn parse_date(text: &str, day_first: bool) -> Result<NaiveDate, ParseError> {
    let bad = || {
        ParseError::new(crate::said!(
            "invalid.date_in_file",
            text = crate::model::shorten(text)
        ))
    };
    // A date cell from a spreadsheet may carry a midnight time.
    let date_only = text.trim().split(['T', ' ']).next().unwrap_or_default();
    let korean = text.contains('년');
    let source = if korean { text } else { date_only };
    let parts = date_parts(source);
    let (y, m, d) = match parts[..] {
        [ymd] if ymd.len() == 8 => (&ymd[..4], &ymd[4..6], &ymd[6..]),
        [y, m, d] if y.len() == 4 => (y, m, d),
        [a, b, y] if y.len() == 4 && a.len() <= 2 && b.len() <= 2 => {
            if day_first {
                (y, b, a)
            } else {
                (y, a, b)
            }
        }
        _ => return Err(bad()),
    };
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    NaiveDate::from_ymd_opt(num(y)? as i32, num(m)?, num(d)?).ok_or_else(bad)
}

/// Finds the race a roster cell names: by code, by name, or by distance
/// ("10K", "10 km", "Marathon", "하프").
struct RaceFinder<'a> {
    races: &'a [Race],
}

impl<'a> RaceFinder<'a> {
    fn find(&self, text: Option<&str>) -> Result<&'a Race, ParseError> {
        let Some(text) = text else {
            return match self.races {
                [only] => Ok(only),
                _ => Err(ParseError::new(crate::said!("invalid.race_required"))),
            };
        };
        let codes = || {
            self.races
                .iter()
                .map(|r| r.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Ok(code) = RaceCode::parse(text)
            && let Some(race) = self.races.iter().find(|r| r.code == code)
        {
            return Ok(race);
        }
        let folded = fold(text);
        if let Some(race) = self.races.iter().find(|r| fold(&r.name) == folded) {
            return Ok(race);
        }
        if let Some(metres) = distance_m(text) {
            let near: Vec<&Race> = self
                .races
                .iter()
                .filter(|r| (f64::from(r.distance_m) - metres).abs() <= metres * 0.01)
                .collect();
            match near[..] {
                [race] => return Ok(race),
                [_, _, ..] => {
                    return Err(ParseError::new(crate::said!(
                        "invalid.race_ambiguous",
                        text = text,
                        codes = codes()
                    )));
                }
                [] => {}
            }
        }
        Err(ParseError::new(crate::said!(
            "invalid.race_unknown",
            text = crate::model::shorten(text),
            codes = codes()
        )))
    }
}

/// Metres in a distance as people write it.
fn distance_m(text: &str) -> Option<f64> {
    let t: String = text
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    match t.as_str() {
        "marathon" | "full" | "fullmarathon" | "마라톤" | "풀" | "풀코스" | "풀마라톤" =>
        {
            return Some(42_195.0);
        }
        "half" | "halfmarathon" | "하프" | "하프마라톤" => return Some(21_097.5),
        _ => {}
    }
    let number_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let value: f64 = t[..number_end].replace(',', ".").parse().ok()?;
    let factor = match &t[number_end..] {
        "k" | "km" | "킬로" => 1000.0,
        "m" | "" if value >= 100.0 => 1.0,
        "mi" | "mile" | "miles" => 1609.344,
        _ => return None,
    };
    Some(value * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str, day_first: bool) -> Option<String> {
        parse_date(text, day_first).ok().map(|d| d.to_string())
    }

    #[test]
    fn reads_dates_in_common_orders() {
        assert_eq!(date("1987-04-11", true).as_deref(), Some("1987-04-11"));
        assert_eq!(date("1987/4/11", true).as_deref(), Some("1987-04-11"));
        assert_eq!(date("11/04/1987", true).as_deref(), Some("1987-04-11"));
        assert_eq!(date("04/11/1987", false).as_deref(), Some("1987-04-11"));
        assert_eq!(date("11.04.1987", true).as_deref(), Some("1987-04-11"));
        assert_eq!(date("19870411", true).as_deref(), Some("1987-04-11"));
        assert_eq!(date("1987년 4월 11일", true).as_deref(), Some("1987-04-11"));
        assert_eq!(
            date("1987-04-11T00:00:00", true).as_deref(),
            Some("1987-04-11")
        );
        for bad in ["1987-13-01", "31/02/1987", "yesterday", "87-04-11", ""] {
            assert_eq!(date(bad, true), None, "{bad}");
        }
    }

    #[test]
    fn a_column_decides_its_date_order() {
        assert_eq!(
            date_order(["01/02/1990", "25/12/1980"].into_iter()),
            Ok(true)
        );
        assert_eq!(
            date_order(["01/02/1990", "12/25/1980"].into_iter()),
            Ok(false)
        );
        assert_eq!(date_order(["01/02/1990"].into_iter()), Ok(true));
        assert!(date_order(["25/12/1980", "12/25/1980"].into_iter()).is_err());
    }

    #[test]
    fn splits_names() {
        assert_eq!(
            split_name("Van Dyk, Ernst F."),
            ("Ernst F.".into(), "Van Dyk".into())
        );
        assert_eq!(
            split_name("Hiroyuki Yamamoto"),
            ("Hiroyuki".into(), "Yamamoto".into())
        );
        assert_eq!(split_name("박금동"), ("금동".into(), "박".into()));
        assert_eq!(split_name("남궁민수"), ("민수".into(), "남궁".into()));
        assert_eq!(split_name("Madonna"), ("Madonna".into(), "".into()));
    }

    #[test]
    fn reads_distances() {
        assert_eq!(distance_m("10K"), Some(10_000.0));
        assert_eq!(distance_m("10 km"), Some(10_000.0));
        assert_eq!(distance_m("21,1 km"), Some(21_100.0));
        assert_eq!(distance_m("Half Marathon"), Some(21_097.5));
        assert_eq!(distance_m("5000m"), Some(5000.0));
        assert_eq!(distance_m("하프"), Some(21_097.5));
        assert_eq!(distance_m("fun run"), None);
    }
}
