//! The app's commands are written once, as `#[tauri::command]` functions in
//! src/commands/. This script finds them and (1) declares them to Tauri's
//! ACL, so each must be granted to a window by a capability
//! (capabilities/default.json) before the webview can call it, and (2)
//! writes the handler list the app registers (`$OUT_DIR/handlers.rs`) and
//! their names (`$OUT_DIR/command_names.rs`), which a test checks against
//! the capability and the TypeScript client. Adding a command is writing
//! it, granting it and calling it from ui/src/lib/backend.ts.

use std::path::Path;

/// (module, function) of every command, in file order.
fn commands() -> Vec<(String, String)> {
    let dir = Path::new("src/commands");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let Some(module) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut marked = false;
        for line in text.lines().map(str::trim) {
            if line == "#[tauri::command]" {
                marked = true;
            } else if marked && let Some((_, rest)) = line.split_once("fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push((module.to_owned(), name));
                marked = false;
            }
        }
    }
    found
}

fn main() {
    println!("cargo:rerun-if-changed=src/commands");
    let commands = commands();
    // Tauri keeps the names for the whole build: leaked, once.
    let names: &'static [&'static str] = Vec::leak(
        commands
            .iter()
            .map(|(_, name)| &*String::leak(name.clone()))
            .collect(),
    );
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let handlers = format!(
        "tauri::generate_handler![{}]",
        commands
            .iter()
            .map(|(module, name)| format!("crate::commands::{module}::{name}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let list = format!(
        "/// Every command's name, found by build.rs.\npub const COMMAND_NAMES: &[&str] = &[{}];\n",
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (file, text) in [("handlers.rs", handlers), ("command_names.rs", list)] {
        if let Err(e) = std::fs::write(Path::new(&out).join(file), text) {
            panic!("build.rs could not write {file}: {e}");
        }
    }
    let manifest = tauri_build::AppManifest::new().commands(names);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build step failed: {e:#}");
    }
}
