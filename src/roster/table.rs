//! The roster as a table to page through: filter by words, sort by a
//! column, and hand out one window of rows at a time, so the app's list
//! stays small in the webview however large the event is.
//!
//! Built once from the entrants (about 20 MB for 100,000) and asked many
//! times; the last filter and sort are remembered, so scrolling a result
//! costs only the copying of the rows on screen.

use crate::error::Result;
use crate::model::{Entrant, EventDate, Gender, fold};
use crate::setup;
use crate::store::EventFile;
use crate::store::entrants as store;

/// The column a table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub enum SortKey {
    #[default]
    Bib,
    Name,
    Gender,
    Age,
    Country,
    Race,
    Group,
}

/// Which rows to show: those holding every word of `text`, in `sort`
/// order, from `offset`, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase", default)]
pub struct TableQuery {
    pub text: String,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// One row of the table as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct TableRow {
    pub bib: String,
    pub first_name: String,
    pub last_name: String,
    pub native_name: Option<String>,
    pub gender: Gender,
    pub age: Option<u8>,
    pub country: Option<String>,
    pub race: String,
    pub group: Option<String>,
}

/// A row packed into one string (its text fields end to end) and a search
/// key: a few dozen bytes an entrant, where separate strings would take
/// several hundred.
struct Packed {
    text: Box<str>,
    /// Where each of bib, first, last, native, country, race, group ends.
    ends: [u32; 7],
    gender: Gender,
    age: Option<u8>,
    key: Box<str>,
}

impl Packed {
    fn new(entrant: &Entrant, race_day: EventDate) -> Self {
        let country = entrant.nationality.map(|c| c.code()).unwrap_or_default();
        let race = entrant.race.to_string();
        let fields = [
            entrant.bib.as_str(),
            &entrant.given_name,
            &entrant.family_name,
            entrant.native_name.as_deref().unwrap_or(""),
            &country,
            &race,
            entrant.group.as_deref().unwrap_or(""),
        ];
        let mut text = String::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0u32; 7];
        for (end, field) in ends.iter_mut().zip(fields) {
            text.push_str(field);
            *end = text.len() as u32;
        }
        let key = [
            entrant.bib.as_str(),
            &entrant.given_name,
            &entrant.family_name,
            &format!("{}{}", entrant.family_name, entrant.given_name),
            entrant.native_name.as_deref().unwrap_or(""),
            entrant.group.as_deref().unwrap_or(""),
            &country,
            entrant.chip.as_deref().unwrap_or(""),
        ]
        .iter()
        .map(|p| fold(p))
        .collect::<Vec<_>>()
        .join("|");
        Self {
            text: text.into_boxed_str(),
            ends,
            gender: entrant.gender,
            age: entrant.age.and_then(|a| u8::try_from(a.on(race_day)).ok()),
            key: key.into_boxed_str(),
        }
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn optional(&self, i: usize) -> Option<String> {
        Some(self.field(i))
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
    }

    fn row(&self) -> TableRow {
        TableRow {
            bib: self.field(0).to_owned(),
            first_name: self.field(1).to_owned(),
            last_name: self.field(2).to_owned(),
            native_name: self.optional(3),
            gender: self.gender,
            age: self.age,
            country: self.optional(4),
            race: self.field(5).to_owned(),
            group: self.optional(6),
        }
    }
}

/// One window of the table.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct TablePage {
    /// Entrants in the event.
    pub total: usize,
    /// Entrants that hold every word of the query.
    pub matched: usize,
    pub offset: usize,
    pub rows: Vec<TableRow>,
}

/// The most rows one page may ask for.
const MAX_LIMIT: usize = 500;

pub struct RosterTable {
    rows: Vec<Packed>,
    /// Every row in the last order asked for: sorted once per order, so a
    /// keystroke only filters.
    sorted: Option<((SortKey, bool), Vec<u32>)>,
    /// The last query's matches in order, and what they answered.
    last: Option<((String, SortKey, bool), Vec<u32>)>,
}

/// Entrants read per slice when building a table from the event file.
const SLICE: i64 = 5_000;

impl RosterTable {
    pub fn new(entrants: &[Entrant], race_day: EventDate) -> Self {
        Self {
            rows: entrants.iter().map(|e| Packed::new(e, race_day)).collect(),
            sorted: None,
            last: None,
        }
    }

    /// The table of an event file's roster, read a slice at a time so the
    /// entrants are never all in memory at once, only their packed rows.
    pub async fn load(file: &EventFile) -> Result<Self> {
        let race_day = setup::event(file).await?.date;
        let mut rows = Vec::new();
        let mut after = 0;
        loop {
            let slice = store::slice_after(file.reader(), after, SLICE).await?;
            let Some(last) = slice.last() else { break };
            after = last.id;
            for row in slice {
                rows.push(Packed::new(&super::to_entrant(row)?, race_day));
            }
        }
        Ok(Self {
            rows,
            sorted: None,
            last: None,
        })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn page(&mut self, query: &TableQuery) -> TablePage {
        let words: Vec<String> = query
            .text
            .split_whitespace()
            .map(fold)
            .filter(|w| !w.is_empty())
            .collect();
        let asked = (words.join(" "), query.sort, query.descending);
        let matches = match &self.last {
            Some((answered, matches)) if *answered == asked => matches,
            _ => {
                let rows = &self.rows;
                let by = (query.sort, query.descending);
                let sorted = match &self.sorted {
                    Some((order, sorted)) if *order == by => sorted,
                    _ => {
                        let mut all: Vec<u32> = (0..rows.len() as u32).collect();
                        sort(rows, &mut all, query.sort, query.descending);
                        &self.sorted.insert((by, all)).1
                    }
                };
                // Test the rows in storage order (kind to the cache), then
                // keep the hits in sorted order.
                let hit: Vec<bool> = rows
                    .iter()
                    .map(|r| words.iter().all(|w| r.key.contains(w.as_str())))
                    .collect();
                let matches = sorted
                    .iter()
                    .copied()
                    .filter(|&i| hit[i as usize])
                    .collect();
                &self.last.insert((asked, matches)).1
            }
        };
        let limit = query.limit.min(MAX_LIMIT);
        let offset = query.offset.min(matches.len());
        let rows = matches[offset..(offset + limit).min(matches.len())]
            .iter()
            .map(|&i| self.rows[i as usize].row())
            .collect();
        TablePage {
            total: self.rows.len(),
            matched: matches.len(),
            offset,
            rows,
        }
    }
}

/// Natural bib order: shorter first (bibs have no leading zeros), then by text.
fn bib_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn sort(rows: &[Packed], order: &mut [u32], key: SortKey, descending: bool) {
    let row = |i: &u32| &rows[*i as usize];
    match key {
        SortKey::Bib => order.sort_by(|a, b| bib_order(row(a).field(0), row(b).field(0))),
        SortKey::Name => {
            order.sort_by_cached_key(|i| (fold(row(i).field(2)), fold(row(i).field(1))))
        }
        SortKey::Gender => order.sort_by_key(|i| row(i).gender),
        SortKey::Age => order.sort_by_key(|i| row(i).age),
        SortKey::Country => order.sort_by(|a, b| row(a).field(4).cmp(row(b).field(4))),
        SortKey::Race => order.sort_by(|a, b| row(a).field(5).cmp(row(b).field(5))),
        SortKey::Group => order.sort_by_cached_key(|i| fold(row(i).field(6))),
    }
    if descending {
        order.reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Age, Bib, Country, Gender, RaceCode};

    fn entrant(bib: &str, given: &str, family: &str, native: Option<&str>, age: u8) -> Entrant {
        Entrant {
            bib: Bib::parse(bib).unwrap(),
            race: RaceCode::parse("MAR").unwrap(),
            given_name: given.into(),
            family_name: family.into(),
            native_name: native.map(Into::into),
            gender: Gender::F,
            age: Some(Age::Given(age)),
            nationality: Country::parse("PRK").ok(),
            city: None,
            group: Some("Koryo Tours".into()),
            chip: None,
            phone: None,
            emergency_contact: None,
            medical_note: None,
            extra: Default::default(),
        }
    }

    fn table() -> RosterTable {
        let day = EventDate::parse("2027-04-11").unwrap();
        RosterTable::new(
            &[
                entrant("10", "Anna", "Müller", None, 50),
                entrant("2", "Kum Dong", "Pak", Some("박금동"), 41),
                entrant("F1", "Rita", "Jeptoo", None, 33),
            ],
            day,
        )
    }

    fn bibs(page: &TablePage) -> Vec<&str> {
        page.rows.iter().map(|r| r.bib.as_str()).collect()
    }

    #[test]
    fn filters_by_every_word_without_accents_or_case() {
        let mut table = table();
        let mut query = TableQuery {
            limit: 10,
            ..TableQuery::default()
        };
        assert_eq!(bibs(&table.page(&query)), ["2", "10", "F1"]);
        query.text = "MULLER anna".into();
        assert_eq!(bibs(&table.page(&query)), ["10"]);
        query.text = "pak kum".into();
        assert_eq!(bibs(&table.page(&query)), ["2"]);
        query.text = "박금동".into();
        assert_eq!(bibs(&table.page(&query)), ["2"]);
        query.text = "koryo nobody".into();
        let page = table.page(&query);
        assert_eq!((page.total, page.matched, page.rows.len()), (3, 0, 0));
    }

    #[test]
    fn sorts_and_pages() {
        let mut table = table();
        let query = TableQuery {
            sort: SortKey::Age,
            descending: true,
            offset: 1,
            limit: 1,
            ..TableQuery::default()
        };
        let page = table.page(&query);
        assert_eq!((page.matched, page.offset, bibs(&page)), (3, 1, vec!["2"]));
        let beyond = table.page(&TableQuery {
            offset: 99,
            limit: 5,
            ..query
        });
        assert!(beyond.rows.is_empty());
        let names = table.page(&TableQuery {
            sort: SortKey::Name,
            limit: 5,
            ..TableQuery::default()
        });
        assert_eq!(bibs(&names), ["F1", "10", "2"]);
    }
}
