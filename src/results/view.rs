//! What a results screen or a results page shows of the scored results: one
//! race a page at a time, filtered and searched, and the latest finishers
//! for the announcer. Here rather than in the app, so the CLI and the
//! venue's web pages show the same.

use serde::{Deserialize, Serialize};

use super::{RaceResults, ResultRow};
use crate::error::{Error, Result};

/// What a results list is filtered by; empty strings filter nothing.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase", default)]
pub struct ResultsFilter {
    pub gender: String,
    pub category: String,
    pub group: String,
    pub nationality: String,
    /// Part of a name (Latin or Hangul), or a bib.
    pub search: String,
    /// The latest finishers first instead of by place.
    pub latest_first: bool,
}

/// A page of one race's results, with what the filters can choose from.
#[derive(Debug, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ResultsPage {
    /// Every race: code and name, in setup order.
    pub races: Vec<(String, String)>,
    pub code: String,
    pub distance_m: u32,
    pub net_time: bool,
    /// The checkpoints' names, one split column each.
    pub splits: Vec<String>,
    pub entrants: u32,
    pub finished: u32,
    /// Rows matching the filters.
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<ResultRow>,
    pub categories: Vec<String>,
    pub groups: Vec<String>,
    pub nationalities: Vec<String>,
}

/// A finisher, with the race they ran.
#[derive(Debug, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Finisher {
    pub race: String,
    pub row: ResultRow,
    /// What the finisher leads now: Overall, their gender, their category
    /// (where they are first); a finisher just in who leads is a new leader.
    pub leads: Vec<String>,
    /// For the announcer, from the roster (filled by [`announce`]): the
    /// runner's city, the director's line and a highlight ("100th
    /// marathon").
    pub city: Option<String>,
    pub note: Option<String>,
    pub highlight: Option<String>,
    /// Faster than the race's course record (for their gender, else
    /// anyone's).
    pub record: bool,
}

/// Most rows a page holds.
pub const PAGE_LIMIT: u32 = 500;

/// The race of `code` (any case), else the first race (a screen whose
/// race was renamed or removed under it shows the first).
fn race<'a>(all: &'a [RaceResults], code: Option<&str>) -> Result<&'a RaceResults> {
    let wanted = code.map(|r| r.trim().to_ascii_uppercase());
    all.iter()
        .find(|r| Some(&r.code) == wanted.as_ref())
        .or_else(|| all.first())
        .ok_or_else(|| Error::NotFound(crate::said!("error.no_races")))
}

/// `limit` rows (at most [`PAGE_LIMIT`]) from `offset` of one race's
/// results (the first race when `code` is none) as `filter` lets through.
pub fn page(
    all: &[RaceResults],
    code: Option<&str>,
    filter: &ResultsFilter,
    offset: u32,
    limit: u32,
) -> Result<ResultsPage> {
    let one = race(all, code)?;
    let distinct = |pick: fn(&ResultRow) -> Option<&String>| {
        let mut values: Vec<String> = one.rows.iter().filter_map(pick).cloned().collect();
        values.sort();
        values.dedup();
        values
    };
    let rows = matching(one, filter);
    Ok(ResultsPage {
        races: all
            .iter()
            .map(|r| (r.code.clone(), r.name.clone()))
            .collect(),
        code: one.code.clone(),
        distance_m: one.distance_m,
        net_time: one.net_time,
        splits: one.checkpoints.iter().map(|c| c.point.clone()).collect(),
        entrants: one.entrants,
        finished: one.rows.iter().filter(|r| r.place.is_some()).count() as u32,
        total: rows.len() as u32,
        offset,
        rows: rows
            .into_iter()
            .skip(offset as usize)
            .take(limit.min(PAGE_LIMIT) as usize)
            .cloned()
            .collect(),
        categories: distinct(|r| r.category.as_ref()),
        groups: distinct(|r| r.group.as_ref()),
        nationalities: distinct(|r| r.nationality.as_ref()),
    })
}

/// The rows of a race the filter lets through: in place order, or the
/// latest finish first when it asks.
pub fn matching<'a>(one: &'a RaceResults, filter: &ResultsFilter) -> Vec<&'a ResultRow> {
    let needle = crate::model::fold(&filter.search);
    let typed = filter.search.trim();
    let mut rows: Vec<&ResultRow> = one
        .rows
        .iter()
        .filter(|r| filter.gender.is_empty() || r.gender == filter.gender)
        .filter(|r| filter.category.is_empty() || r.category.as_ref() == Some(&filter.category))
        .filter(|r| filter.group.is_empty() || r.group.as_ref() == Some(&filter.group))
        .filter(|r| {
            filter.nationality.is_empty() || r.nationality.as_ref() == Some(&filter.nationality)
        })
        .filter(|r| {
            needle.is_empty()
                || r.bib == typed
                || crate::model::fold(&r.name).contains(&needle)
                || r.native_name.as_deref().is_some_and(|n| n.contains(typed))
        })
        .collect();
    if filter.latest_first {
        rows.sort_by_key(|r| std::cmp::Reverse(r.finished_at_ms));
    }
    rows
}

/// The last `limit` finishers (at most 100) over every race, the latest
/// first.
pub fn latest(all: &[RaceResults], limit: u32) -> Vec<Finisher> {
    let mut finishers: Vec<(&RaceResults, &ResultRow)> = all
        .iter()
        .flat_map(|race| {
            race.rows
                .iter()
                .filter(|r| r.place.is_some())
                .map(move |row| (race, row))
        })
        .collect();
    finishers.sort_by_key(|(_, row)| std::cmp::Reverse(row.finished_at_ms));
    finishers
        .into_iter()
        .take(limit.min(100) as usize)
        .map(|(race, row)| Finisher {
            race: race.code.clone(),
            row: row.clone(),
            leads: leads(row),
            city: None,
            note: None,
            highlight: None,
            record: false,
        })
        .collect()
}

/// The groups `row` is first in.
fn leads(row: &ResultRow) -> Vec<String> {
    let mut leads = Vec::new();
    if row.place == Some(1) {
        leads.push("Overall".to_owned());
    }
    if row.gender_place == Some(1) {
        leads.push(row.gender.clone());
    }
    if let (Some(1), Some(category)) = (row.category_place, &row.category) {
        leads.push(category.clone());
    }
    leads
}

/// Fills in what the announcer says of each finisher beyond the result:
/// city, the director's line and the highlight, from the roster, and
/// whether they beat the course record.
pub async fn announce(file: &crate::store::EventFile, finishers: &mut [Finisher]) -> Result<()> {
    let races = crate::setup::race_list(file).await?;
    for finisher in finishers {
        if let Some(race) = races.iter().find(|r| r.code.as_str() == finisher.race) {
            let row = &finisher.row;
            let official = if race.net_time {
                row.net_ms.or(row.gun_ms)
            } else {
                row.gun_ms
            };
            let gender = crate::model::Gender::parse(&row.gender).ok();
            let record = race
                .records
                .iter()
                .find(|(g, _)| g.is_some() && *g == gender)
                .or_else(|| race.records.iter().find(|(g, _)| g.is_none()));
            finisher.record =
                matches!((official, record), (Some(ms), Some((_, best))) if ms < *best);
        }
        if let Some(said) = said_of(file, &finisher.row.bib).await? {
            (finisher.city, finisher.note, finisher.highlight) = said;
        }
    }
    Ok(())
}

/// What the announcer says of a runner beyond the result, from the
/// roster: city, the director's line, the highlight.
type Said = (Option<String>, Option<String>, Option<String>);

pub(crate) async fn said_of(file: &crate::store::EventFile, bib: &str) -> Result<Option<Said>> {
    let Some((city, extra)) = crate::store::entrants::announced(file.reader(), bib).await? else {
        return Ok(None);
    };
    let extra: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&extra).unwrap_or_default();
    let column = |name| crate::model::column(&extra, name).map(str::to_owned);
    Ok(Some((
        city,
        column(crate::model::ANNOUNCER_NOTE),
        column(crate::model::HIGHLIGHT),
    )))
}
