//! Backups of the event file while the race goes on: a consistent copy
//! made by SQLite itself (`VACUUM INTO`), safe to take while stations
//! write, into a folder of the director's choosing (a USB stick). Restoring
//! is opening the copy.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::store::EventFile;

/// Copies the event file into `folder` as `<name>-<YYYYMMDD-HHMMSS>.racedesk`
/// (UTC) and returns the copy's path. The folder is made if missing.
pub async fn backup(file: &EventFile, folder: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(folder).map_err(|e| Error::Unreadable {
        path: folder.to_owned(),
        reason: format!("the backup folder cannot be made: {e}"),
    })?;
    let stem = file
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "event".into());
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S%.3f");
    let target = folder.join(format!("{stem}-{stamp}.racedesk"));
    if target.exists() {
        return Err(Error::Conflict(format!(
            "{} exists already; try again in a moment",
            target.display()
        )));
    }
    // Written under a temporary name and renamed once whole: a full stick
    // leaves no half-made backup that looks like one.
    let partial = crate::files::partial_name(&target);
    let _ = std::fs::remove_file(&partial);
    if let Err(e) = file.vacuum_into(&partial).await {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    std::fs::rename(&partial, &target).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        Error::Unreadable {
            path: target.clone(),
            reason: format!("the backup cannot be written: {e}"),
        }
    })?;
    Ok(target)
}

/// Something that changes whenever the file's data does: the latest row of
/// every table that grows, so a backup is skipped when nothing happened.
pub async fn fingerprint(file: &EventFile) -> Result<String> {
    Ok(crate::store::fingerprint(file).await?)
}
