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

include!(concat!(env!("OUT_DIR"), "/command_names.rs"));

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
            changes_to_the_screens(app.handle().clone());
            Ok(())
        })
        // Every #[tauri::command] in commands/, listed by build.rs.
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/handlers.rs")))
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
            tauri::async_runtime::block_on(state.session.close());
        }
    });
}

/// Tells the screens when the open file changed, whoever changed it (this
/// app, the CLI in a terminal, another process on the file), and what kind
/// of data: they reload on it instead of polling.
fn changes_to_the_screens(app: tauri::AppHandle) {
    use tauri::Emitter;
    let mut changes = app.state::<AppState>().session.changes();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => {
                    if let Err(e) = app.emit("changed", &change) {
                        tracing::warn!(error = %e, "a change could not be told to the window");
                    }
                }
                // Behind by more changes than the channel holds: whatever
                // came next says everything moved.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::COMMAND_NAMES;

    fn read(path: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The commands the build found: each granted to the window, and no
    /// grant left for one that is gone.
    #[test]
    fn every_command_is_granted_and_every_grant_is_a_command() {
        let capability: serde_json::Value =
            serde_json::from_str(&read("capabilities/default.json")).expect("valid JSON");
        let granted: BTreeSet<String> = capability["permissions"]
            .as_array()
            .expect("a permissions list")
            .iter()
            .filter_map(|p| p.as_str())
            .filter_map(|p| p.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        let commands: BTreeSet<String> = COMMAND_NAMES.iter().map(|c| c.to_string()).collect();
        assert!(commands.len() > 40, "build.rs found {commands:?}");
        assert_eq!(granted, commands, "capabilities/default.json");
    }

    /// The TypeScript client calls each command, and only commands that
    /// exist.
    #[test]
    fn the_typescript_client_calls_every_command_and_no_other() {
        let client = read("../ui/src/lib/backend.ts");
        let called: BTreeSet<String> = client
            .split("invoke(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect();
        let commands: BTreeSet<String> = COMMAND_NAMES.iter().map(|c| c.to_string()).collect();
        assert_eq!(called, commands, "ui/src/lib/backend.ts");
    }
}
