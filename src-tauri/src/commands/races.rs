//! The races of the event.

use racedesk::model::{AgeGroups, RaceCode};
use racedesk::setup::{self, RaceForm};
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct RaceView {
    #[serde(flatten)]
    pub form: RaceForm,
    pub entrants: u64,
}

#[tauri::command]
pub async fn races_list(state: State<'_, AppState>) -> CommandResult<Vec<RaceView>> {
    let races = setup::races(&state.file().await).await?;
    Ok(races
        .iter()
        .map(|s| RaceView {
            form: RaceForm::from_race(&s.race),
            entrants: s.entrants,
        })
        .collect())
}

/// Adds a race (`code` is `None`) or changes the race with that code.
#[tauri::command]
pub async fn race_save(
    state: State<'_, AppState>,
    code: Option<String>,
    form: RaceForm,
) -> CommandResult<()> {
    let race = form.parse()?;
    let file = state.file().await;
    match code {
        None => setup::add_race(&file, &race, &state.operator()).await?,
        Some(code) => {
            setup::update_race(&file, &parse_code(&code)?, &race, &state.operator()).await?
        }
    }
    Ok(())
}

#[tauri::command]
pub async fn race_remove(state: State<'_, AppState>, code: String) -> CommandResult<()> {
    Ok(setup::remove_race(&state.file().await, &parse_code(&code)?, &state.operator()).await?)
}

/// The bands an age-group text gives, for the live preview.
#[tauri::command]
pub fn age_groups_preview(spec: String) -> CommandResult<Vec<String>> {
    let groups =
        AgeGroups::parse(&spec).map_err(|e| CommandError::new("invalid", e.to_string()))?;
    Ok(groups.bands().iter().map(ToString::to_string).collect())
}

fn parse_code(code: &str) -> CommandResult<RaceCode> {
    RaceCode::parse(code).map_err(|e| CommandError::new("invalid", e.to_string()))
}
