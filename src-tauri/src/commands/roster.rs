//! The roster: import with a preview, the list, one entrant's form.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use racedesk::roster::import::{ColumnUse, Progress};
use racedesk::roster::{
    self, EntrantForm, ImportOptions, ImportReport, RosterLine, TablePage, TableQuery,
};
use racedesk::setup;
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Channel;
use tauri_plugin_dialog::DialogExt;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// Which file to import, and how to read its columns.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    pub path: String,
    pub sheet: Option<String>,
    /// Column uses chosen by the person, by header.
    pub columns: Vec<(String, ColumnUse)>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct ImportProgress {
    pub checked: usize,
    pub total: usize,
}

impl ImportRequest {
    fn options(self, dry_run: bool) -> (std::path::PathBuf, ImportOptions) {
        let options = ImportOptions {
            dry_run,
            sheet: self.sheet,
            columns: self.columns,
            ..ImportOptions::default()
        };
        (self.path.into(), options)
    }
}

#[tauri::command]
pub async fn pick_roster_file(app: tauri::AppHandle) -> CommandResult<Option<String>> {
    let dialog = app.dialog().file().add_filter(
        "Roster (CSV, XLSX)",
        &["csv", "txt", "tsv", "xlsx", "xls", "ods"],
    );
    super::dialog::pick(dialog, false).await
}

/// A dry run: the guessed columns, a preview and every problem.
#[tauri::command]
pub async fn roster_check(
    state: State<'_, AppState>,
    request: ImportRequest,
) -> CommandResult<ImportReport> {
    let (path, options) = request.options(true);
    Ok(roster::import(&state.file().await, &path, &options, &state.operator()).await?)
}

/// The real import, all or nothing, reporting progress; `roster_cancel`
/// stops it before anything is written.
#[tauri::command]
pub async fn roster_import(
    state: State<'_, AppState>,
    request: ImportRequest,
    on_progress: Channel<ImportProgress>,
) -> CommandResult<ImportReport> {
    let cancel = Arc::new(AtomicBool::new(false));
    if let Ok(mut slot) = state.import_cancel.lock() {
        *slot = Some(cancel.clone());
    }
    let (path, mut options) = request.options(false);
    options.cancel = Some(cancel);
    options.progress = Some(Progress(Arc::new(move |checked, total| {
        let _ = on_progress.send(ImportProgress { checked, total });
    })));
    let result = roster::import(&state.file().await, &path, &options, &state.operator()).await;
    if let Ok(mut slot) = state.import_cancel.lock() {
        *slot = None;
    }
    Ok(result?)
}

#[tauri::command]
pub fn roster_cancel(state: State<'_, AppState>) {
    if let Ok(slot) = state.import_cancel.lock()
        && let Some(flag) = slot.as_ref()
    {
        flag.store(true, Ordering::Relaxed);
    }
}

/// One window of the roster table: filtered, sorted, paged in the core so
/// the webview holds only the rows on screen.
#[tauri::command]
pub async fn roster_page(
    state: State<'_, AppState>,
    query: TableQuery,
) -> CommandResult<TablePage> {
    Ok(state.roster().await?.page(&query))
}

#[tauri::command]
pub async fn entrant_get(state: State<'_, AppState>, bib: String) -> CommandResult<EntrantForm> {
    let file = state.file().await;
    let race_day = setup::event(&file).await?.date;
    let bib = racedesk::model::Bib::parse(&bib)
        .map_err(|e| CommandError::new("invalid", e.to_string()))?;
    let entrant = roster::entrant(&file, &bib).await?;
    Ok(EntrantForm::from_entrant(&entrant, race_day))
}

/// Adds an entrant (`bib` is `None`) or corrects the one with that bib.
#[tauri::command]
pub async fn entrant_save(
    state: State<'_, AppState>,
    bib: Option<String>,
    form: EntrantForm,
) -> CommandResult<RosterLine> {
    let file = state.file().await;
    let race_day = setup::event(&file).await?.date;
    let entrant = roster::save_entrant(&file, bib.as_deref(), &form, &state.operator()).await?;
    Ok(RosterLine::new(&entrant, race_day))
}
