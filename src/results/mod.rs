//! Official results: derived from the captured facts every time they are
//! asked for (never stored as the truth), and written out as CSV, XLSX,
//! JSON or a self-contained HTML page.
//!
//! Rules: gun time from the runner's race or wave start; net time from the
//! runner's own start passing; official time the gun time unless the race
//! is set to net time; times published rounded up to the whole second;
//! places by the full-precision official time, then crossing order;
//! places overall, by gender and by age category (gender + band of the
//! race's scheme, age on race day).

mod export;
mod score;

use std::collections::HashMap;

pub use export::{
    Format, write, write_awards, write_certificates, write_csv, write_html, write_json, write_xlsx,
};
pub use score::{RaceResults, ResultRow, Split};

use crate::error::Result;
use crate::model::EventDate;
use crate::store::EventFile;

/// The results of every race, in setup order.
pub async fn results(file: &EventFile) -> Result<Vec<RaceResults>> {
    let event = crate::setup::event(file).await?;
    let races = crate::setup::race_list(file).await?;
    let entrants = crate::roster::entrants(file).await?;
    let starts: Vec<(String, String, i64)> = crate::store::timing::current_starts(file.reader())
        .await?
        .into_iter()
        .map(|s| (s.race, s.wave, s.at_ms))
        .collect();
    let (captures, _) = crate::timing::effective(file, None).await?;
    let passings: Vec<(String, i64, String)> = captures
        .into_iter()
        .filter(|c| !c.view.voided)
        .filter_map(|c| Some((c.view.point, c.at_ms, c.bib?)))
        .collect();
    let statuses: HashMap<String, String> = crate::store::timing::statuses(file.reader())
        .await?
        .into_iter()
        .map(|s| (s.bib, s.status))
        .collect();
    Ok(score::score(&score::Facts {
        race_day: event.date,
        races: &races,
        entrants: &entrants,
        starts: &starts,
        passings: &passings,
        statuses: &statuses,
    }))
}

/// What an export says about the event above the tables.
#[derive(Debug, Clone)]
pub struct Heading {
    pub event: String,
    pub date: EventDate,
    pub place: Option<String>,
}

impl Heading {
    pub async fn of(file: &EventFile) -> Result<Self> {
        let event = crate::setup::event(file).await?;
        Ok(Self {
            event: event.name,
            date: event.date,
            place: event.place,
        })
    }
}
