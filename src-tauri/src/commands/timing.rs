//! The finish line: race clocks and starts, captures in each mode,
//! corrections, and backups. A capture returns only after its COMMIT, so
//! what the timer sees acknowledged is on disk.

use racedesk::model::{Station, parse_instant};
use racedesk::timing::{self, Capture, Correction, Crossing, Pair, Read, Start, Status};
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// What the timing screen shows above the captures.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct TimingOverview {
    /// The capture clock now, Unix epoch ms: the screen runs its clocks
    /// from it, not from the laptop's clock.
    pub now_ms: i64,
    pub starts: Vec<Start>,
    /// Race codes with their waves, in setup order.
    pub races: Vec<(String, Vec<String>)>,
    /// Timing points to capture at: finish, start, then every race's
    /// checkpoints, nearest the start first.
    pub points: Vec<String>,
    pub last_backup: Option<(String, i64)>,
    pub backup_folder: String,
    /// Minutes between automatic backups, and the choices offered.
    pub backup_minutes: u32,
    pub backup_choices: Vec<u32>,
    /// Race day and today in the event's time zone (YYYY-MM-DD): when they
    /// differ the screen says so, for clocks and flags are then off.
    pub race_day: String,
    pub today: String,
    /// Typed times are read on today's date instead of race day.
    pub rehearsal: bool,
}

#[tauri::command]
pub async fn timing_overview(state: State<'_, AppState>) -> CommandResult<TimingOverview> {
    let file = state.file().await;
    let races = racedesk::setup::races(&file).await?;
    let points = timing::points(&races.iter().map(|r| r.race.clone()).collect::<Vec<_>>());
    let event = racedesk::setup::event(&file).await?;
    let now_ms = state.session.clock().now_ms();
    Ok(TimingOverview {
        now_ms,
        race_day: event.date.0.to_string(),
        today: today(now_ms, &event).0.to_string(),
        rehearsal: state.session.rehearsal(),
        starts: timing::starts(&file).await?,
        races: races
            .into_iter()
            .map(|r| (r.race.code.to_string(), r.race.waves))
            .collect(),
        points,
        last_backup: state
            .session
            .last_backup()
            .map(|(path, at)| (path.display().to_string(), at)),
        backup_folder: state.backup_folder().display().to_string(),
        backup_minutes: state.backup_minutes(),
        backup_choices: crate::state::BACKUP_MINUTES.to_vec(),
    })
}

/// Starts a race (or wave) now, or at `at` (a time typed in the event's zone).
#[tauri::command]
pub async fn timing_start(
    state: State<'_, AppState>,
    race: String,
    wave: Option<String>,
    at: Option<String>,
    reason: Option<String>,
    pressed_ago_ms: Option<i64>,
) -> CommandResult<()> {
    let now = state.session.clock().now_ms();
    let file = state.file().await;
    let at_ms = match at.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(text) => instant(&state, "at", text).await?,
        // The gun is when Start was pressed, not when it was confirmed:
        // the page measures the time between on its monotonic clock.
        None => match pressed_ago_ms {
            None => now,
            Some(ago @ 0..=GUN_CONFIRM_MAX_MS) => now - ago,
            Some(_) => {
                return Err(CommandError::new(
                    "invalid",
                    "the start was confirmed too long after Start was pressed: press Start again",
                ));
            }
        },
    };
    let wave = wave.filter(|w| !w.is_empty());
    timing::start_race(
        &file,
        &race,
        wave.as_deref(),
        at_ms,
        at.is_some(),
        reason.as_deref(),
        &station(&state),
    )
    .await?;
    Ok(())
}

/// How long a Start may wait for its confirmation.
const GUN_CONFIRM_MAX_MS: i64 = 120_000;

/// Takes back the standing start of a race or wave (a new row).
#[tauri::command]
pub async fn timing_undo_start(
    state: State<'_, AppState>,
    race: String,
    wave: Option<String>,
) -> CommandResult<()> {
    let wave = wave.filter(|w| !w.is_empty());
    timing::undo_start(
        &state.file().await,
        &race,
        wave.as_deref(),
        None,
        &station(&state),
    )
    .await?;
    Ok(())
}

/// A capture at `point` now: with a bib, or none (a tap).
#[tauri::command]
pub async fn timing_capture(
    state: State<'_, AppState>,
    point: String,
    bib: Option<String>,
) -> CommandResult<Capture> {
    // The instant is taken first, before anything can wait.
    let now = state.session.clock().now_ms();
    let bib = bib.filter(|b| !b.trim().is_empty());
    let file = state.file().await;
    Ok(timing::capture(&file, &point, now, bib.as_deref(), &station(&state)).await?)
}

/// Time then bib: the bib goes to the oldest capture at `point` without
/// one; `None` when no capture waits for a bib.
#[tauri::command]
pub async fn timing_assign(
    state: State<'_, AppState>,
    point: String,
    bib: String,
) -> CommandResult<Option<String>> {
    let file = state.file().await;
    Ok(timing::assign_next(&file, &point, &bib, &station(&state)).await?)
}

/// The latest captures at `point`, newest first.
#[tauri::command]
pub async fn timing_reads(
    state: State<'_, AppState>,
    point: String,
    limit: usize,
) -> CommandResult<Vec<Read>> {
    Ok(timing::latest_at(&state.file().await, &point, limit.min(500)).await?)
}

/// A correction of one capture: `kind` is bib, time or void.
#[tauri::command]
pub async fn timing_correct(
    state: State<'_, AppState>,
    id: String,
    kind: String,
    value: String,
    reason: Option<String>,
) -> CommandResult<()> {
    let correction = match kind.as_str() {
        "bib" => Correction::Bib(value),
        "time" => Correction::Time(instant(&state, "time", &value).await?),
        "void" => Correction::Void,
        _ => {
            return Err(CommandError::new(
                "invalid",
                format!("no correction {kind}"),
            ));
        }
    };
    let file = state.file().await;
    timing::correct(&file, &id, correction, reason.as_deref(), &station(&state)).await?;
    Ok(())
}

/// The clock offset each joined station's captures at `point` were made
/// with (its clock minus the hub's).
#[tauri::command]
pub async fn timing_offsets(
    state: State<'_, AppState>,
    point: String,
) -> CommandResult<Vec<timing::StationOffset>> {
    let mut offsets = timing::station_offsets(&state.file().await).await?;
    offsets.retain(|o| o.point == point);
    Ok(offsets)
}

/// Corrects the captures `of` made at `point` by the clock offset each
/// was made with, on the timer's say-so; how many it corrected.
#[tauri::command]
pub async fn timing_apply_offset(
    state: State<'_, AppState>,
    of: String,
    point: String,
) -> CommandResult<u64> {
    let file = state.file().await;
    Ok(timing::apply_offset(&file, &of, &point, &station(&state)).await?)
}

/// A finisher the timers missed, at the time given.
#[tauri::command]
pub async fn timing_insert(
    state: State<'_, AppState>,
    point: String,
    bib: String,
    time: String,
    reason: String,
) -> CommandResult<Capture> {
    let at_ms = instant(&state, "time", &time).await?;
    let file = state.file().await;
    Ok(timing::insert_missed(&file, &point, &bib, at_ms, &reason, &station(&state)).await?)
}

#[tauri::command]
pub async fn timing_status(
    state: State<'_, AppState>,
    bib: String,
    status: String,
    reason: String,
) -> CommandResult<()> {
    let status = Status::parse(&status).map_err(|e| racedesk::Error::Invalid {
        field: "status",
        reason: e,
    })?;
    let file = state.file().await;
    timing::set_status(&file, &bib, status, &reason, &station(&state)).await?;
    Ok(())
}

#[tauri::command]
pub async fn timing_history(
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<Vec<timing::HistoryEntry>> {
    Ok(timing::history(&state.file().await, &id).await?)
}

/// Backs the event file up now: (path, when).
#[tauri::command]
pub async fn backup_now(state: State<'_, AppState>) -> CommandResult<(String, i64)> {
    state.backup_now().await
}

/// Chooses the backup folder (a USB stick) with the native dialog.
#[tauri::command]
pub async fn pick_backup_folder(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<String>> {
    let picked = super::dialog::pick_folder(&app).await?;
    if let Some(folder) = &picked {
        state.update_settings(|s| s.backup_folder = Some(folder.clone()))?;
        state.session.set_backups(Some(state.backups()));
    }
    Ok(picked.map(|p| p.display().to_string()))
}

/// Sets the minutes between automatic backups.
#[tauri::command]
pub fn backup_interval(state: State<'_, AppState>, minutes: u32) -> CommandResult<()> {
    if !crate::state::BACKUP_MINUTES.contains(&minutes) {
        return Err(CommandError::new(
            "invalid",
            format!("back up every {minutes} minutes is not offered"),
        ));
    }
    state.update_settings(|s| s.backup_minutes = Some(minutes))?;
    state.session.set_backups(Some(state.backups()));
    Ok(())
}

/// Two operators: the pairs at `point`, the latest first.
#[tauri::command]
pub async fn timing_pairs(
    state: State<'_, AppState>,
    point: String,
    limit: usize,
) -> CommandResult<Vec<Pair>> {
    let mut pairs = timing::pairing(&state.file().await, &point).await?;
    pairs.reverse();
    pairs.truncate(limit.min(1000));
    Ok(pairs)
}

/// Two operators: the next bib in crossing order (`None`: uncaught).
#[tauri::command]
pub async fn timing_cross(
    state: State<'_, AppState>,
    point: String,
    bib: Option<String>,
) -> CommandResult<Crossing> {
    let bib = bib.filter(|b| !b.trim().is_empty());
    let file = state.file().await;
    Ok(timing::enter_crossing(&file, &point, bib.as_deref(), &station(&state)).await?)
}

/// Two operators: a time the tapping operator missed.
#[tauri::command]
pub async fn timing_insert_time(
    state: State<'_, AppState>,
    point: String,
    time: String,
    reason: String,
) -> CommandResult<Capture> {
    let at_ms = instant(&state, "time", &time).await?;
    let file = state.file().await;
    Ok(timing::insert_time(&file, &point, at_ms, &reason, &station(&state)).await?)
}

/// Two operators: a bib (or an uncaught one) before the crossing row `before`.
#[tauri::command]
pub async fn timing_insert_bib(
    state: State<'_, AppState>,
    before: String,
    bib: Option<String>,
    reason: String,
) -> CommandResult<Crossing> {
    let bib = bib.filter(|b| !b.trim().is_empty());
    let file = state.file().await;
    Ok(timing::insert_crossing(&file, &before, bib.as_deref(), &reason, &station(&state)).await?)
}

/// Two operators: takes a bib out of the crossing order.
#[tauri::command]
pub async fn timing_drop_bib(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> CommandResult<()> {
    let file = state.file().await;
    timing::drop_crossing(&file, &id, &reason, &station(&state)).await?;
    Ok(())
}

/// A rehearsal on another day than race day: typed times are read on
/// today's date, so gun times and captures entered by hand fit the taps.
#[tauri::command]
pub fn timing_rehearsal(state: State<'_, AppState>, on: bool) {
    state.session.set_rehearsal(on);
}

/// The date of `now_ms` in the event's time zone.
fn today(now_ms: i64, event: &racedesk::model::Event) -> racedesk::model::EventDate {
    racedesk::model::day_of(now_ms, event.time_zone).unwrap_or(event.date)
}

async fn instant(state: &AppState, field: &'static str, text: &str) -> CommandResult<i64> {
    let event = racedesk::setup::event(&state.file().await).await?;
    let day = if state.session.rehearsal() {
        today(state.session.clock().now_ms(), &event)
    } else {
        event.date
    };
    parse_instant(text, day, event.time_zone)
        .map_err(|reason| racedesk::Error::Invalid { field, reason }.into())
}

fn station(state: &AppState) -> Station {
    let name = state.preferences().desk;
    Station {
        id: state.session.station(),
        name: if name.trim().is_empty() {
            "Finish".into()
        } else {
            name
        },
        operator: state.operator(),
    }
}
