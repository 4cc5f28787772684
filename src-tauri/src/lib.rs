//! The racedesk desktop app: a Tauri shell over the racedesk core.
//!
//! Each command parses its arguments, calls the same core function the CLI
//! calls, and maps the error to `{code, message, details}`
//! ([`error::CommandError`]). The webview may call these commands and
//! nothing else (capabilities/default.json); file dialogs are opened from
//! Rust; navigation away from the app is refused.

mod commands;
mod error;
mod settings;
mod state;

use tauri::Manager;

pub use state::AppState;

pub fn run() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RACEDESK_LOG"))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation_guard())
        .setup(|app| {
            let state = tauri::async_runtime::block_on(AppState::start(app.handle()))?;
            app.manage(state);
            backups_while_running(app.handle().clone());
            changes_to_the_screens(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::set_preferences,
            commands::app::time_zones,
            commands::event::event_get,
            commands::event::event_save,
            commands::event::event_new,
            commands::event::event_open,
            commands::event::pick_event_file,
            commands::races::races_list,
            commands::races::race_save,
            commands::races::race_remove,
            commands::races::age_groups_preview,
            commands::roster::pick_roster_file,
            commands::roster::roster_check,
            commands::roster::roster_import,
            commands::roster::roster_cancel,
            commands::roster::roster_page,
            commands::roster::entrant_get,
            commands::roster::entrant_save,
            commands::checkin::desk_search,
            commands::checkin::desk_check_in,
            commands::checkin::desk_undo,
            commands::checkin::desk_group,
            commands::checkin::desk_group_check_in,
            commands::checkin::desk_suggest_bib,
            commands::checkin::desk_walk_up,
            commands::checkin::desk_counts,
            commands::checkin::desk_missing,
            commands::checkin::desk_export_missing,
            commands::timing::timing_overview,
            commands::timing::timing_start,
            commands::timing::timing_undo_start,
            commands::timing::timing_rehearsal,
            commands::timing::timing_capture,
            commands::timing::timing_assign,
            commands::timing::timing_reads,
            commands::timing::timing_correct,
            commands::timing::timing_insert,
            commands::timing::timing_status,
            commands::timing::timing_history,
            commands::timing::backup_now,
            commands::timing::pick_backup_folder,
            commands::timing::backup_interval,
            commands::results::results_page,
            commands::results::results_latest,
            commands::results::results_export,
            commands::results::results_print,
            commands::event::event_open_copy,
            commands::results::pick_results_folder,
            commands::timing::timing_pairs,
            commands::timing::timing_cross,
            commands::timing::timing_insert_time,
            commands::timing::timing_insert_bib,
            commands::timing::timing_drop_bib,
        ])
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("racedesk could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        // A clean exit checkpoints the event file, so the `.db` alone
        // holds everything when the director copies it.
        if let tauri::RunEvent::Exit = event
            && let Some(state) = app.try_state::<AppState>()
        {
            tauri::async_runtime::block_on(async { state.file().await.close().await });
        }
    });
}

/// How often the backup loop looks at the clock and the interval setting.
const BACKUP_TICK: std::time::Duration = std::time::Duration::from_secs(15);

/// Backs the event file up every few minutes (the interval is a setting;
/// only when something changed), so a dead laptop or disk loses at most
/// those minutes of the copy on the stick.
fn backups_while_running(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut last_seen = String::new();
        let mut last_try = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(BACKUP_TICK).await;
            let state = app.state::<AppState>();
            let every = std::time::Duration::from_secs(u64::from(state.backup_minutes()) * 60);
            if last_try.elapsed() < every {
                continue;
            }
            last_try = tokio::time::Instant::now();
            let file = state.file().await;
            let Ok(now) = racedesk::backup::fingerprint(&file).await else {
                continue;
            };
            if now != last_seen {
                match state.backup_now().await {
                    Ok(_) => last_seen = now,
                    Err(e) => tracing::error!(error = %e.message, "automatic backup failed"),
                }
            }
        }
    });
}

/// Tells the screens when the open file changed, whoever changed it (this
/// app, the CLI in a terminal, another process on the file), and what kind
/// of data: they reload on it instead of polling. A file switched to is a
/// change of everything.
fn changes_to_the_screens(app: tauri::AppHandle) {
    use tauri::Emitter;
    tauri::async_runtime::spawn(async move {
        let mut watch = racedesk::changes::Watch::new();
        let mut path = std::path::PathBuf::new();
        loop {
            let state = app.state::<AppState>();
            let file = state.file().await;
            if file.path() != path {
                path = file.path().to_owned();
                watch.reset();
            }
            match watch.look(&file).await {
                Ok(Some(change)) => {
                    if let Err(e) = app.emit("changed", &change) {
                        tracing::warn!(error = %e, "a change could not be told to the window");
                    }
                }
                Ok(None) => {}
                // A file busy or damaged for a moment: the next look says.
                Err(e) => tracing::debug!(error = %e, "the file could not be looked at"),
            }
            tokio::time::sleep(racedesk::changes::EVERY).await;
        }
    });
}

/// Keeps the window on the app: a link or a script cannot navigate it to
/// another site (the app works offline; remote content has no place in it).
fn navigation_guard<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_, url| {
            let app = url.scheme() == "tauri" || url.host_str() == Some("tauri.localhost");
            let dev_server = tauri::is_dev() && url.host_str() == Some("localhost");
            if !(app || dev_server) {
                tracing::warn!(%url, "navigation away from the app refused");
            }
            app || dev_server
        })
        .build()
}
