//! Live results: one race a page at a time, filtered and searched here so
//! the webview never holds 50,000 rows; the latest finishers for the
//! announcer; exports into the results folder (a USB stick).

use racedesk::results::{self, Format, Heading, Language, RaceResults, ResultRow, ResultsFilter};
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// A page of one race's results, and the folder exports go to.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ResultsView {
    #[serde(flatten)]
    pub page: results::ResultsPage,
    pub folder: String,
}

#[tauri::command]
pub async fn results_page(
    state: State<'_, AppState>,
    race: Option<String>,
    filter: ResultsFilter,
    offset: u32,
    limit: u32,
) -> CommandResult<ResultsView> {
    let all = state.session.results().await?;
    Ok(ResultsView {
        page: results::page(&all, race.as_deref(), &filter, offset, limit)?,
        folder: state.results_folder().display().to_string(),
    })
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
    let all = state.session.results().await?;
    let one = all
        .iter()
        .find(|r| r.code == race)
        .ok_or_else(|| racedesk::Error::NotFound(racedesk::said!("error.no_race", race = race)))?;
    Ok(PrintOut {
        name: one.name.clone(),
        splits: one.checkpoints.iter().map(|c| c.point.clone()).collect(),
        rows: results::matching(one, &filter)
            .into_iter()
            .cloned()
            .collect(),
        awards: results::awards(one),
    })
}

/// The last finishers over every race, the latest first.
#[tauri::command]
pub async fn results_latest(
    state: State<'_, AppState>,
    limit: u32,
) -> CommandResult<Vec<results::Finisher>> {
    let mut latest = results::latest(&state.session.results().await?, limit);
    results::announce(&state.file().await, &mut latest).await?;
    Ok(latest)
}

/// Opens the announcer's screen in a window of its own (for a second
/// screen at the announcer's desk), or brings it forward. The window may
/// only read (capabilities/announcer.json).
#[tauri::command]
pub async fn results_announcer_window(app: tauri::AppHandle) -> CommandResult<()> {
    use tauri::Manager;
    if let Some(window) = app.get_webview_window("announcer") {
        let _ = window.set_focus();
        return Ok(());
    }
    tauri::WebviewWindowBuilder::new(
        &app,
        "announcer",
        tauri::WebviewUrl::App("index.html?view=announcer".into()),
    )
    .title("racedesk · announcer")
    .inner_size(1280.0, 800.0)
    .build()
    .map_err(|e| CommandError::new("window", e.to_string()))?;
    Ok(())
}

/// One race's leaders, in each group (overall, each gender, each
/// category): the announcer's screen.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct RaceLeaders {
    pub code: String,
    pub name: String,
    pub groups: Vec<results::Award>,
}

/// The leaders of every race as the results stand.
#[tauri::command]
pub async fn results_leaders(state: State<'_, AppState>) -> CommandResult<Vec<RaceLeaders>> {
    let races = state.session.results().await?;
    Ok(races
        .iter()
        .map(|race| RaceLeaders {
            code: race.code.clone(),
            name: race.name.clone(),
            groups: results::awards(race)
                .into_iter()
                .map(|mut group| {
                    group.winners.retain(|w| w.place == 1);
                    group
                })
                .filter(|group| !group.winners.is_empty())
                .collect(),
        })
        .filter(|race| !race.groups.is_empty())
        .collect())
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
    let all = state.session.results().await?;
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

/// Who is still out on the course now, per race, the latest first.
#[tauri::command]
pub async fn results_course(
    state: State<'_, AppState>,
) -> CommandResult<Vec<results::RaceOnCourse>> {
    let now = state.session.clock().now_ms();
    let file = state.file().await;
    Ok(results::on_course(&file, now, &|_| None).await?)
}

/// The runners expected at the finish next, soonest first: the
/// announcer's screen.
#[tauri::command]
pub async fn results_coming(
    state: State<'_, AppState>,
    limit: u32,
) -> CommandResult<Vec<results::Coming>> {
    let now = state.session.clock().now_ms();
    Ok(results::coming_next(&state.file().await, now, limit.min(50) as usize).await?)
}

/// Writes who is still out on the course as CSV into the results folder
/// (for the sweep vehicle and the medical tent); the file's path.
#[tauri::command]
pub async fn results_course_export(state: State<'_, AppState>) -> CommandResult<String> {
    let now = state.session.clock().now_ms();
    let file = state.file().await;
    let event = racedesk::setup::event(&file).await?;
    let races = results::on_course(&file, now, &|_| None).await?;
    let mut bytes = Vec::new();
    results::write_course_csv(&races, event.date, event.time_zone, &mut bytes)?;
    let folder = state.results_folder();
    std::fs::create_dir_all(&folder).map_err(|e| unwritable(&folder, e))?;
    let at = racedesk::model::format_instant(now, event.time_zone);
    let stamp: String = at.chars().filter(char::is_ascii_digit).take(4).collect();
    let path = folder.join(format!("still-on-course-{stamp}.csv"));
    racedesk::files::write_atomic(&path, &bytes).map_err(|e| unwritable(&path, e))?;
    Ok(path.display().to_string())
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

/// Where the results site for phones is served; none when it is not.
#[tauri::command]
pub async fn results_site(
    state: State<'_, AppState>,
) -> CommandResult<Option<racedesk::publish::Site>> {
    Ok(state.session.published().await)
}

/// Serves the results to phones at `listen` (an address and a port; 0.0.0.0
/// for every network this laptop is on), and again after a restart.
#[tauri::command]
pub async fn results_site_start(
    state: State<'_, AppState>,
    listen: String,
) -> CommandResult<Option<racedesk::publish::Site>> {
    let address: std::net::SocketAddr = listen.trim().parse().map_err(|_| {
        CommandError::new(
            "invalid",
            format!("{listen}: an address and a port, such as 0.0.0.0:8080"),
        )
        .with_field("listen")
    })?;
    let site = state.session.publish(address).await?;
    state.update_settings(|s| s.site = Some(address.to_string()))?;
    Ok(Some(site))
}

#[tauri::command]
pub async fn results_site_stop(
    state: State<'_, AppState>,
) -> CommandResult<Option<racedesk::publish::Site>> {
    state.session.stop_publishing().await;
    state.update_settings(|s| s.site = None)?;
    Ok(None)
}
