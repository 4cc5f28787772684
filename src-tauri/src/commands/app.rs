//! The app itself: what is open, and the person's preferences.

use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::settings::Preferences;
use crate::state::AppState;

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub event_path: String,
    pub data_dir: String,
    pub preferences: Preferences,
    /// Why the last event file did not reopen, once.
    pub notice: Option<String>,
    /// What is wrong with the open file that still lets it be used (a lost
    /// WAL, fewer rows than its last backup), looked at on every ask.
    pub warnings: Vec<racedesk::backup::FileWarning>,
    /// The open file is the demo event made at first launch.
    pub is_demo: bool,
    pub version: String,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> CommandResult<AppInfo> {
    let notice = state.notice.lock().ok().and_then(|mut n| n.take());
    let file = state.file().await;
    let warnings = racedesk::backup::check_file(&file, &state.backup_folder()).await;
    Ok(AppInfo {
        event_path: file.path().display().to_string(),
        is_demo: file.path() == crate::state::demo_path(state.data_dir()),
        warnings,
        data_dir: state.data_dir().display().to_string(),
        preferences: state.preferences(),
        notice,
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

#[tauri::command]
pub fn set_preferences(state: State<'_, AppState>, preferences: Preferences) -> CommandResult<()> {
    let valid = ["en", "ko"].contains(&preferences.language.as_str())
        && ["light", "dark", "contrast"].contains(&preferences.theme.as_str())
        && preferences
            .role
            .as_deref()
            .is_none_or(|r| ["desk", "finish", "director"].contains(&r))
        && !preferences.desk.trim().is_empty()
        && preferences.desk.chars().count() <= 40;
    if !valid {
        return Err(CommandError::new(
            "invalid",
            "unknown language, theme or role, or a desk name empty or over 40 characters",
        ));
    }
    state.update_settings(|s| s.preferences = preferences)
}

#[tauri::command]
pub fn time_zones() -> Vec<&'static str> {
    racedesk::setup::time_zones()
}
