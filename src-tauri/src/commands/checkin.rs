//! The check-in desk: search, check in, undo, groups, walk-ups, counts.
//! Each check-in returns only after its COMMIT, so what the desk shows as
//! checked in is on disk.

use racedesk::checkin::{self, Counts, Desk, Found, GroupOutcome, MissingLine, Outcome};
use racedesk::roster::EntrantForm;
use serde::Serialize;
use tauri::State;
use tauri_plugin_dialog::DialogExt;

use crate::error::CommandResult;
use crate::state::AppState;

/// Runners shown for one search: enough to choose from, few enough to read.
const MAX_FOUND: usize = 50;

/// Who-has-not-come rows sent to the screen; the CSV export has them all.
const MAX_MISSING: usize = 500;

#[tauri::command]
pub async fn desk_search(
    state: State<'_, AppState>,
    query: String,
    limit: usize,
) -> CommandResult<Vec<Found>> {
    let file = state.file().await;
    let finder = state.finder().await?;
    Ok(finder.find(&file, &query, limit.min(MAX_FOUND)).await?)
}

#[tauri::command]
pub async fn desk_check_in(
    state: State<'_, AppState>,
    bib: String,
    note: Option<String>,
) -> CommandResult<Outcome> {
    Ok(checkin::check_in(&state.file().await, &bib, &desk(&state), note.as_deref()).await?)
}

#[tauri::command]
pub async fn desk_undo(state: State<'_, AppState>, bib: String) -> CommandResult<Outcome> {
    Ok(checkin::undo(&state.file().await, &bib, &desk(&state)).await?)
}

#[tauri::command]
pub async fn desk_group(state: State<'_, AppState>, name: String) -> CommandResult<Vec<Found>> {
    Ok(checkin::group_members(&state.file().await, &name).await?)
}

#[tauri::command]
pub async fn desk_group_check_in(
    state: State<'_, AppState>,
    name: String,
    bibs: Vec<String>,
    note: Option<String>,
) -> CommandResult<GroupOutcome> {
    let file = state.file().await;
    Ok(checkin::check_in_group(&file, &name, &bibs, &desk(&state), note.as_deref()).await?)
}

#[tauri::command]
pub async fn desk_suggest_bib(
    state: State<'_, AppState>,
    race: String,
) -> CommandResult<Option<String>> {
    Ok(checkin::suggest_bib(&state.file().await, &race).await?)
}

/// Registers a walk-up runner and checks them in, in one transaction.
#[tauri::command]
pub async fn desk_walk_up(
    state: State<'_, AppState>,
    form: EntrantForm,
    note: Option<String>,
) -> CommandResult<Outcome> {
    let file = state.file().await;
    let outcome = checkin::register_walk_up(&file, &form, &desk(&state), note.as_deref()).await?;
    Ok(outcome)
}

#[tauri::command]
pub async fn desk_counts(state: State<'_, AppState>) -> CommandResult<Counts> {
    Ok(checkin::counts(&state.file().await).await?)
}

/// The first rows of who has not checked in, and how many there are.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct MissingPage {
    pub total: usize,
    pub lines: Vec<MissingLine>,
}

#[tauri::command]
pub async fn desk_missing(
    state: State<'_, AppState>,
    race: Option<String>,
    group: Option<String>,
) -> CommandResult<MissingPage> {
    let mut lines =
        checkin::missing(&state.file().await, race.as_deref(), group.as_deref()).await?;
    let total = lines.len();
    lines.truncate(MAX_MISSING);
    Ok(MissingPage { total, lines })
}

/// Saves the whole not-checked-in list as CSV where the person chooses;
/// `None` when they cancelled.
#[tauri::command]
pub async fn desk_export_missing(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    race: Option<String>,
    group: Option<String>,
) -> CommandResult<Option<String>> {
    let lines = checkin::missing(&state.file().await, race.as_deref(), group.as_deref()).await?;
    let dialog = app
        .dialog()
        .file()
        .set_file_name("not-checked-in.csv")
        .add_filter("CSV", &["csv"]);
    let Some(path) = super::dialog::pick(dialog, true).await? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    checkin::write_missing_csv(&lines, &mut out)?;
    racedesk::files::write_atomic(std::path::Path::new(&path), &out)
        .map_err(|e| crate::error::CommandError::new("unwritable", format!("{path}: {e}")))?;
    Ok(Some(path))
}

fn desk(state: &AppState) -> Desk {
    let preferences = state.preferences();
    Desk {
        id: state.session.station(),
        name: if preferences.desk.trim().is_empty() {
            "Desk 1".into()
        } else {
            preferences.desk
        },
        operator: state.operator(),
    }
}
