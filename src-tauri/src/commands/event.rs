//! The event file and the event's details: create, open, switch, edit.

use std::path::PathBuf;

use racedesk::EventFile;
use racedesk::setup::{self, EventForm};
use tauri::State;
use tauri_plugin_dialog::DialogExt;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

#[tauri::command]
pub async fn event_get(state: State<'_, AppState>) -> CommandResult<EventForm> {
    Ok(EventForm::from_event(
        &setup::event(&state.file().await).await?,
    ))
}

#[tauri::command]
pub async fn event_save(state: State<'_, AppState>, form: EventForm) -> CommandResult<()> {
    let event = form.parse()?;
    setup::update_event(&state.file().await, &event, &state.operator()).await?;
    Ok(())
}

/// Creates a new event file at `path` with the event in it, and opens it.
#[tauri::command]
pub async fn event_new(
    state: State<'_, AppState>,
    path: String,
    form: EventForm,
) -> CommandResult<()> {
    let event = form.parse()?;
    let path = event_path(&path)?;
    let file = EventFile::create(&path).await?;
    if let Err(e) = setup::init_event(&file, &event, &state.operator()).await {
        file.close().await;
        return Err(e.into());
    }
    state.switch_to(file).await
}

#[tauri::command]
pub async fn event_open(state: State<'_, AppState>, path: String) -> CommandResult<()> {
    let file = EventFile::open(&event_path(&path)?).await?;
    setup::event(&file).await?;
    state.switch_to(file).await
}

/// Opens a copy of a past event file, to look at and export again: the
/// file itself (on a read-only stick, from an older racedesk) is only
/// read; the copy lives in the app data's `copies/`. Returns its path.
#[tauri::command]
pub async fn event_open_copy(state: State<'_, AppState>, path: String) -> CommandResult<String> {
    let original = event_path(&path)?;
    let folder = state
        .data_dir()
        .join("copies")
        .join(state.session.clock().now_ms().to_string());
    std::fs::create_dir_all(&folder)
        .map_err(|e| CommandError::new("unwritable", format!("{}: {e}", folder.display())))?;
    let file = EventFile::open_copy(&original, &folder).await?;
    setup::event(&file).await?;
    let copy = file.path().display().to_string();
    state.switch_to(file).await?;
    Ok(copy)
}

/// Brings in every check-in, capture, correction, start and status that
/// another station's copy of this event (a file on a stick) holds and
/// this one lacks; that file is only read. Merging it again adds nothing.
#[tauri::command]
pub async fn event_merge(
    state: State<'_, AppState>,
    path: String,
) -> CommandResult<racedesk::sync::Merged> {
    let other = event_path(&path)?;
    Ok(racedesk::sync::merge_file(&state.file().await, &other, &state.operator()).await?)
}

#[tauri::command]
pub async fn pick_event_file(app: tauri::AppHandle, new: bool) -> CommandResult<Option<String>> {
    let dialog = app
        .dialog()
        .file()
        .add_filter("racedesk event", &["racedesk", "db", "sqlite"]);
    let dialog = if new {
        dialog.set_file_name("event.racedesk")
    } else {
        dialog
    };
    super::dialog::pick(dialog, new).await
}

/// A path typed or picked by the person: absolute, with the `.racedesk`
/// ending added to a bare name.
fn event_path(text: &str) -> CommandResult<PathBuf> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CommandError::new("invalid", "choose a file for the event"));
    }
    let mut path = PathBuf::from(text);
    if path.extension().is_none() {
        path.set_extension("racedesk");
    }
    if !path.is_absolute() {
        return Err(CommandError::new(
            "invalid",
            format!("{text} is not a full path (start it with /)"),
        ));
    }
    Ok(path)
}
