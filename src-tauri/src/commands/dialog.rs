//! Native file dialogs, opened from Rust so the webview needs no dialog
//! permission: the person picks a path, the command gets it as text.

use std::path::PathBuf;

use tauri_plugin_dialog::{DialogExt, FileDialogBuilder};

use crate::error::{CommandError, CommandResult};

/// Shows the dialog and waits for the person: a path, or `None` when they
/// cancel. `save` asks for a new file's name instead of an existing file.
pub async fn pick<R: tauri::Runtime>(
    dialog: FileDialogBuilder<R>,
    save: bool,
) -> CommandResult<Option<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let answer = move |path| {
        let _ = tx.send(path);
    };
    if save {
        dialog.save_file(answer);
    } else {
        dialog.pick_file(answer);
    }
    let picked = rx
        .await
        .map_err(|_| CommandError::new("dialog", "the file dialog closed unexpectedly"))?;
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// Asks for a folder (a USB stick) and waits: the folder, or `None`.
pub async fn pick_folder(app: &tauri::AppHandle) -> CommandResult<Option<PathBuf>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().pick_folder(move |folder| {
        let _ = tx.send(folder);
    });
    Ok(rx
        .await
        .map_err(|_| CommandError::new("dialog", "the folder dialog closed unexpectedly"))?
        .and_then(|p| p.into_path().ok()))
}
