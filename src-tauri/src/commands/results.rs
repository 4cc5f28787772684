//! Live results: one race a page at a time, filtered and searched here so
//! the webview never holds 50,000 rows; the latest finishers for the
//! announcer; exports into the results folder (a USB stick).

use std::sync::Arc;

use racedesk::results::{self, Format, Heading, Language, RaceResults, ResultRow};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// What the results screen filters by; empty strings filter nothing.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase", default)]
pub struct ResultsFilter {
    pub gender: String,
    pub category: String,
    pub group: String,
    pub nationality: String,
    /// Part of a name, or a bib.
    pub search: String,
    /// The latest finishers first instead of by place.
    pub latest_first: bool,
}

/// A page of one race's results, with what the filters can choose from.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
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
    pub folder: String,
}

/// A finisher for the announcer.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Finisher {
    pub race: String,
    pub row: ResultRow,
}

#[tauri::command]
pub async fn results_page(
    state: State<'_, AppState>,
    race: Option<String>,
    filter: ResultsFilter,
    offset: u32,
    limit: u32,
) -> CommandResult<ResultsPage> {
    let all = scored(&state).await?;
    let wanted = race.map(|r| r.trim().to_ascii_uppercase());
    let Some(one) = all
        .iter()
        .find(|r| Some(&r.code) == wanted.as_ref())
        .or_else(|| all.first())
    else {
        return Err(CommandError::new("not_found", "the event has no races yet"));
    };
    let distinct = |pick: fn(&ResultRow) -> Option<&String>| {
        let mut values: Vec<String> = one.rows.iter().filter_map(pick).cloned().collect();
        values.sort();
        values.dedup();
        values
    };
    let mut rows = matching(one, &filter);
    if filter.latest_first {
        rows.sort_by_key(|r| std::cmp::Reverse(r.finished_at_ms));
    }
    let total = rows.len() as u32;
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
        total,
        offset,
        rows: rows
            .into_iter()
            .skip(offset as usize)
            .take(limit.min(500) as usize)
            .cloned()
            .collect(),
        categories: distinct(|r| r.category.as_ref()),
        groups: distinct(|r| r.group.as_ref()),
        nationalities: distinct(|r| r.nationality.as_ref()),
        folder: state.results_folder().display().to_string(),
    })
}

/// The rows of a race the filters let through, in place order.
fn matching<'a>(one: &'a RaceResults, filter: &ResultsFilter) -> Vec<&'a ResultRow> {
    let needle = racedesk::model::fold(&filter.search);
    one.rows
        .iter()
        .filter(|r| filter.gender.is_empty() || r.gender == filter.gender)
        .filter(|r| filter.category.is_empty() || r.category.as_ref() == Some(&filter.category))
        .filter(|r| filter.group.is_empty() || r.group.as_ref() == Some(&filter.group))
        .filter(|r| {
            filter.nationality.is_empty() || r.nationality.as_ref() == Some(&filter.nationality)
        })
        .filter(|r| {
            needle.is_empty()
                || r.bib == filter.search.trim()
                || racedesk::model::fold(&r.name).contains(&needle)
                || r.native_name
                    .as_deref()
                    .is_some_and(|n| n.contains(filter.search.trim()))
        })
        .collect()
}

/// What the webview prints: a race's full results (as filtered on
/// screen, in place order) and its award sheets.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct PrintOut {
    pub name: String,
    pub splits: Vec<String>,
    pub rows: Vec<ResultRow>,
    pub awards: Vec<results::Award>,
}

#[tauri::command]
pub async fn results_print(
    state: State<'_, AppState>,
    race: String,
    filter: ResultsFilter,
) -> CommandResult<PrintOut> {
    let all = scored(&state).await?;
    let one = all
        .iter()
        .find(|r| r.code == race)
        .ok_or_else(|| racedesk::Error::NotFound(racedesk::said!("error.no_race", race = race)))?;
    Ok(PrintOut {
        name: one.name.clone(),
        splits: one.checkpoints.iter().map(|c| c.point.clone()).collect(),
        rows: matching(one, &filter).into_iter().cloned().collect(),
        awards: results::awards(one),
    })
}

/// The last finishers over every race, the latest first.
#[tauri::command]
pub async fn results_latest(
    state: State<'_, AppState>,
    limit: u32,
) -> CommandResult<Vec<Finisher>> {
    let all = scored(&state).await?;
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
    Ok(finishers)
}

/// Writes results (one race, or all with `race` None) in `format` and
/// `language` (en or ko) into the results folder; returns the path(s)
/// written. A Korean file's name ends in -ko, so both can sit side by side.
#[tauri::command]
pub async fn results_export(
    state: State<'_, AppState>,
    race: Option<String>,
    format: String,
    language: String,
) -> CommandResult<Vec<String>> {
    let language = Language::parse(&language)
        .ok_or_else(|| CommandError::new("invalid", format!("no language {language}: en or ko")))?;
    let suffix = match language {
        Language::En => "",
        Language::Ko => "-ko",
    };
    let format = match format.as_str() {
        "csv" => Format::Csv,
        "json" => Format::Json,
        "xlsx" => Format::Xlsx,
        "html" => Format::Html,
        "awards" => Format::Awards,
        "certificates" => Format::Certificates,
        other => {
            return Err(CommandError::new(
                "invalid",
                format!("no results format {other}"),
            ));
        }
    };
    let all = scored(&state).await?;
    let races: Vec<RaceResults> = match &race {
        Some(code) => all.iter().filter(|r| &r.code == code).cloned().collect(),
        None => all.as_ref().clone(),
    };
    let heading = Heading::of(&state.file().await, language).await?;
    let folder = state.results_folder();
    std::fs::create_dir_all(&folder).map_err(|e| unwritable(&folder, e))?;
    let kind = match format {
        Format::Awards => "awards",
        Format::Certificates => "certificates",
        _ => "results",
    };
    let stem = match &race {
        Some(code) => format!("{kind}-{code}"),
        None => kind.to_owned(),
    };
    // CSV holds one race: all races are one file each.
    let files: Vec<(String, Vec<RaceResults>)> = match format {
        Format::Csv => races
            .iter()
            .map(|r| (format!("results-{}", r.code), vec![r.clone()]))
            .collect(),
        _ => vec![(stem, races)],
    };
    let mut written = Vec::new();
    for (stem, races) in files {
        let path = folder.join(format!("{stem}{suffix}.{}", format.extension()));
        let mut bytes = Vec::new();
        results::write(format, &heading, &races, &mut bytes)?;
        racedesk::files::write_atomic(&path, &bytes).map_err(|e| unwritable(&path, e))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

/// Chooses the results folder (a USB stick) with the native dialog.
#[tauri::command]
pub async fn pick_results_folder(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<String>> {
    let picked = super::dialog::pick_folder(&app).await?;
    if let Some(folder) = &picked {
        state.update_settings(|s| s.results_folder = Some(folder.clone()))?;
    }
    Ok(picked.map(|p| p.display().to_string()))
}

fn unwritable(path: &std::path::Path, e: std::io::Error) -> CommandError {
    CommandError::new("unwritable", format!("{}: {e}", path.display()))
}

/// The results as they stand: scored again only when the file changed.
async fn scored(state: &AppState) -> CommandResult<Arc<Vec<RaceResults>>> {
    let file = state.file().await;
    let print = format!(
        "{}|{}",
        file.path().display(),
        racedesk::backup::fingerprint(&file).await?
    );
    if let Ok(cache) = state.results.lock()
        && let Some((seen, results)) = cache.as_ref()
        && *seen == print
    {
        return Ok(results.clone());
    }
    let fresh = Arc::new(results::results(&file).await?);
    if let Ok(mut cache) = state.results.lock() {
        *cache = Some((print, fresh.clone()));
    }
    Ok(fresh)
}
