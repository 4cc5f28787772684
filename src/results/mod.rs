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

mod course;
mod export;
mod score;
mod view;

use std::collections::HashMap;

pub use crate::words::Language;
pub use course::{
    Coming, OVERDUE_MS, OnCourse, RaceOnCourse, coming_next, expected_next, on_course, time_of_day,
    write_course_csv,
};
pub use export::{
    Award, Format, Winner, awards, write, write_awards, write_certificates, write_csv, write_html,
    write_json, write_xlsx,
};
pub(crate) use export::{cells, header, official, ranked};
pub use score::{RaceResults, ResultRow, Split};
pub use view::{
    Finisher, PAGE_LIMIT, ResultsFilter, ResultsPage, announce, latest, matching, page,
};

use crate::error::Result;
use crate::model::EventDate;
use crate::store::EventFile;

/// The results of every race, in setup order.
pub async fn results(file: &EventFile) -> Result<Vec<RaceResults>> {
    let loaded = Loaded::read(file).await?;
    let results = score::score(&loaded.facts());
    // Hundreds of thousands of small strings: freed on another thread
    // rather than before the results can be shown.
    std::thread::spawn(move || drop(loaded));
    Ok(results)
}

/// The facts scoring reads, loaded from the file.
struct Loaded {
    runners: Vec<score::Runner>,
    races: Vec<crate::model::Race>,
    starts: Vec<(String, String, i64)>,
    passings: Vec<(String, i64, String)>,
    statuses: HashMap<String, String>,
}

impl Loaded {
    async fn read(file: &EventFile) -> Result<Loaded> {
        let event = crate::setup::event(file).await?;
        // The roster and the captures are read side by side, on two
        // readers, with the races, starts and statuses.
        let (runners, (captures, _), races, starts, statuses) = tokio::try_join!(
            runners(file, event.date),
            crate::timing::effective(file, None, true),
            crate::setup::race_list(file),
            async { Ok(crate::store::timing::current_starts(file.reader()).await?) },
            async { Ok(crate::store::timing::statuses(file.reader()).await?) },
        )?;
        Ok(Loaded {
            runners,
            races,
            starts: starts
                .into_iter()
                .map(|s| (s.race, s.wave, s.at_ms))
                .collect(),
            passings: captures
                .into_iter()
                .filter(|c| !c.view.voided)
                .filter_map(|c| Some((c.view.point, c.at_ms, c.bib?)))
                .collect(),
            statuses: statuses.into_iter().map(|s| (s.bib, s.status)).collect(),
        })
    }

    fn facts(&self) -> score::Facts<'_> {
        score::Facts {
            races: &self.races,
            runners: &self.runners,
            starts: &self.starts,
            passings: &self.passings,
            statuses: &self.statuses,
        }
    }
}

/// Every entrant as scoring needs them: the display name, the age on race
/// day, the wave from the roster's `wave` column.
async fn runners(file: &EventFile, race_day: EventDate) -> Result<Vec<score::Runner>> {
    let mut reader = file.reader().acquire().await?;
    let rows = crate::store::entrants::runners(&mut reader).await?;
    drop(reader);
    Ok(rows
        .into_iter()
        .map(
            |(
                bib,
                race,
                given,
                family,
                native_name,
                gender,
                born,
                age,
                nationality,
                group,
                extra,
            )| {
                let latin = format!("{given} {family}").trim().to_owned();
                let age = born
                    .and_then(|b| chrono::NaiveDate::parse_from_str(&b, "%Y-%m-%d").ok())
                    .map(|b| crate::model::Age::Born(b).on(race_day))
                    .or(age);
                let wave = extra
                    .and_then(|json| serde_json::from_str::<HashMap<String, String>>(&json).ok())
                    .and_then(|extra| {
                        extra
                            .into_iter()
                            .find(|(k, _)| k.trim().eq_ignore_ascii_case("wave"))
                            .map(|(_, v)| v.trim().to_owned())
                    })
                    .filter(|w| !w.is_empty());
                score::Runner {
                    name: match (latin.is_empty(), &native_name) {
                        (true, Some(native)) => native.clone(),
                        _ => latin,
                    },
                    bib,
                    race,
                    native_name,
                    gender,
                    age,
                    nationality,
                    group,
                    wave,
                }
            },
        )
        .collect())
}

/// What an export says about the event above the tables.
#[derive(Debug, Clone)]
pub struct Heading {
    pub event: String,
    pub date: EventDate,
    pub place: Option<String>,
    /// The language of the file's words.
    pub language: Language,
}

impl Heading {
    /// The event's heading, in `language`.
    pub async fn of(file: &EventFile, language: Language) -> Result<Self> {
        let event = crate::setup::event(file).await?;
        Ok(Self {
            event: event.name,
            date: event.date,
            place: event.place,
            language,
        })
    }

    /// The word for `key` in the file's language (for the templates).
    pub fn word(&self, key: &str) -> &'static str {
        self.language.word(key)
    }
}
