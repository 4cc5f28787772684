//! The results as the public site shows them: scored once per change of
//! the file (at most once a second), kept in memory, and read by every page
//! a phone asks for. Only what a published result list prints is kept here:
//! the search index is built from entrants whose phone, chip, contacts,
//! medical note, birth date and other columns were blanked first, so a
//! search by a phone number or a chip finds nobody.

use std::collections::HashMap;

use crate::checkin::SearchIndex;
use crate::error::Result;
use crate::model::{Entrant, EventDate};
use crate::results::{Heading, Language, RaceResults, ResultRow};
use crate::store::EventFile;

pub(super) struct Board {
    /// Counted from the site's start; a page reloads when it moves.
    pub revision: u64,
    pub event: String,
    pub date: EventDate,
    pub place: Option<String>,
    pub races: Vec<RaceResults>,
    /// Where each bib's row is: (race, row).
    rows: HashMap<String, (usize, usize)>,
    search: SearchIndex,
    /// Every entrant, with only the published fields (see [`published`]),
    /// as the index was built from them.
    entrants: Vec<Entrant>,
    by_bib: HashMap<String, usize>,
}

impl Board {
    pub async fn read(file: &EventFile, revision: u64) -> Result<Self> {
        let (event, races, entrants) = tokio::try_join!(
            crate::setup::event(file),
            crate::results::results(file),
            crate::roster::entrants(file),
        )?;
        let public: Vec<Entrant> = entrants.into_iter().map(published).collect();
        let rows = races
            .iter()
            .enumerate()
            .flat_map(|(r, race)| {
                race.rows
                    .iter()
                    .enumerate()
                    .map(move |(i, row)| (row.bib.clone(), (r, i)))
            })
            .collect();
        Ok(Self {
            revision,
            event: event.name,
            date: event.date,
            place: event.place,
            races,
            rows,
            search: SearchIndex::new(&public),
            by_bib: public
                .iter()
                .enumerate()
                .map(|(i, e)| (e.bib.to_string(), i))
                .collect(),
            entrants: public,
        })
    }

    pub fn heading(&self, language: Language) -> Heading {
        Heading {
            event: self.event.clone(),
            date: self.date,
            place: self.place.clone(),
            language,
        }
    }

    pub fn race(&self, code: &str) -> Option<&RaceResults> {
        self.races
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(code))
    }

    /// A runner's row and race, by bib.
    pub fn runner(&self, bib: &str) -> Option<(&RaceResults, &ResultRow)> {
        let &(race, row) = self.rows.get(bib.trim())?;
        let race = self.races.get(race)?;
        Some((race, race.rows.get(row)?))
    }

    /// An entrant without a result yet (still out, or not started).
    pub fn entrant(&self, bib: &str) -> Option<&Entrant> {
        self.entrants.get(*self.by_bib.get(bib.trim())?)
    }

    /// The desk's search (bib, names in any order, Hangul, romanisations,
    /// one typo) over the published fields: the entrants found, best
    /// first, with their result where they have one.
    pub fn find(&self, query: &str, limit: usize) -> Vec<Found<'_>> {
        self.search
            .search(query, limit)
            .into_iter()
            .filter_map(|hit| {
                let entrant = self.entrants.get(hit.entrant)?;
                Some(match self.runner(entrant.bib.as_str()) {
                    Some((race, row)) => Found::Result(race, row),
                    None => Found::Entrant(entrant),
                })
            })
            .collect()
    }

    /// The name of the race of `code`.
    pub fn race_name(&self, code: &str) -> String {
        self.race(code)
            .map_or_else(|| code.to_owned(), |r| r.name.clone())
    }
}

/// An entrant a search found.
pub(super) enum Found<'a> {
    Result(&'a RaceResults, &'a ResultRow),
    Entrant(&'a Entrant),
}

/// An entrant with only what a results list publishes: a search can match
/// on nothing else.
fn published(entrant: Entrant) -> Entrant {
    Entrant {
        chip: None,
        phone: None,
        emergency_contact: None,
        medical_note: None,
        age: None,
        city: None,
        extra: Default::default(),
        ..entrant
    }
}
