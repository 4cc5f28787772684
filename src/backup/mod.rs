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
        return Err(Error::Conflict(crate::said!(
            "error.backup_exists",
            path = target.display()
        )));
    }
    // A file that holds less than its own last backup lost writes (its
    // WAL, most likely): a new backup would bury the better copy.
    if let Some((better, _)) = behind_last_backup(file, folder).await? {
        return Err(Error::Conflict(crate::said!(
            "error.behind_backup",
            path = file.path().display(),
            backup = better.display()
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

/// What is wrong with an event file that can still be used, found when it
/// is opened: said on screen so the director can act before race day goes
/// on writing into a file that lost part of itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FileWarning {
    /// Its `-shm` was there but not its `-wal`: it was copied or moved
    /// alone while open, and may lack its latest writes.
    #[serde(rename_all = "camelCase")]
    LostWal { path: String },
    /// It holds fewer captured rows than its own newest backup.
    #[serde(rename_all = "camelCase")]
    BehindBackup {
        path: String,
        backup: String,
        missing_rows: i64,
    },
}

/// The warnings for a file just opened, against the backups in `folder`.
/// A backup folder that cannot be read says nothing about the file.
pub async fn check_file(file: &EventFile, folder: &Path) -> Vec<FileWarning> {
    let path = file.path().display().to_string();
    let mut warnings = Vec::new();
    if file.lost_wal() {
        warnings.push(FileWarning::LostWal { path: path.clone() });
    }
    if let Ok(Some((backup, missing_rows))) = behind_last_backup(file, folder).await {
        warnings.push(FileWarning::BehindBackup {
            path,
            backup: backup.display().to_string(),
            missing_rows,
        });
    }
    warnings
}

/// The newest backup of this event in `folder` (`<name>-*.racedesk`), and
/// how many more captured rows it holds, if it holds more than the file.
/// Captured facts and the audit trail only grow, so a file behind a backup
/// of its own has lost writes.
pub async fn behind_last_backup(file: &EventFile, folder: &Path) -> Result<Option<(PathBuf, i64)>> {
    let stem = file
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "event".into());
    let prefix = format!("{stem}-");
    let newest = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|e| e == "racedesk")
                && path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .max();
    let Some(newest) = newest else {
        return Ok(None);
    };
    let Ok(theirs) = crate::store::captured_rows_of(&newest).await else {
        // Not a backup racedesk can read: it says nothing about this file.
        return Ok(None);
    };
    let ours = crate::store::captured_rows(file).await?;
    Ok((theirs.0 == ours.0 && theirs.1 > ours.1).then(|| (newest, theirs.1 - ours.1)))
}

/// Something that changes whenever the file's data does: the latest row of
/// every table that grows, so a backup is skipped when nothing happened.
pub async fn fingerprint(file: &EventFile) -> Result<String> {
    Ok(crate::store::fingerprint(file).await?)
}
