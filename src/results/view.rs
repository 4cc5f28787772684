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
    let mut finishers: Vec<Finisher> = all
        .iter()
        .flat_map(|race| {
            race.rows
                .iter()
                .filter(|r| r.place.is_some())
                .map(|row| Finisher {
                    race: race.code.clone(),
                    row: row.clone(),
                })
        })
        .collect();
    finishers.sort_by_key(|f| std::cmp::Reverse(f.row.finished_at_ms));
    finishers.truncate(limit.min(100) as usize);
    finishers
}
