//! What every command shares: failures and their exit status, opening
//! event files (and closing them at the end), this machine's station,
//! writing to standard output.

use std::io::Write;
use std::path::Path;

use clap::ValueEnum;
use racedesk::model::Station;
use racedesk::{Error, EventFile};

#[derive(Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Csv,
    Json,
}

/// What went wrong, and which exit status it earns.
pub enum Failure {
    BadInput(String),
    Other(String),
    /// Already printed (an import report).
    Reported,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if let Error::ImportRejected(report) = &e {
            crate::roster::print_problems(report);
            return Failure::Reported;
        }
        if e.is_bad_input() {
            Failure::BadInput(e.to_string())
        } else {
            Failure::Other(e.to_string())
        }
    }
}

pub fn bad(field: &str, e: impl std::fmt::Display) -> Failure {
    Failure::BadInput(format!("--{field}: {e}"))
}

/// The CLI's station for timing rows: this machine, under the name given.
pub fn station_of(name: String, operator: &str) -> Result<Station, Failure> {
    Ok(Station {
        id: station_id(),
        name: non_empty("station", name)?,
        operator: operator.to_owned(),
    })
}

pub fn json_to(out: &mut Vec<u8>, value: &impl serde::Serialize) -> Result<(), Failure> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| Failure::Other(e.to_string()))?;
    out.push(b'\n');
    Ok(())
}

/// This machine's station id for check-ins from the CLI: RACEDESK_STATION,
/// or "cli@" and the host name.
/// The station the opened file joined its hub as: what this run writes
/// as, whatever the machine is called (the hub knows the file by it).
static JOINED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Notes the station `file` joined its hub as, if it did.
pub async fn note_joined(file: &EventFile) {
    if let Ok(Some(station)) = racedesk::sync::joined_as(file).await {
        let _ = JOINED.set(station);
    }
}

pub fn station_id() -> String {
    if let Some(joined) = JOINED.get() {
        return joined.clone();
    }
    if let Ok(id) = std::env::var("RACEDESK_STATION")
        && !id.trim().is_empty()
    {
        return id.trim().to_owned();
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into());
    format!("cli@{host}")
}

/// The files this run opened, closed (and so checkpointed) when it ends,
/// whatever the command's outcome: the `.db` file alone is then the event.
static OPENED: std::sync::Mutex<Vec<EventFile>> = std::sync::Mutex::new(Vec::new());

pub async fn open(path: &Path) -> Result<EventFile, Failure> {
    let file = EventFile::open(path).await.map_err(Error::from)?;
    note_joined(&file).await;
    Ok(opened(path, file))
}

/// Says what `open` noticed about a file and keeps it to be closed.
pub fn opened(path: &Path, file: EventFile) -> EventFile {
    let file = file.writes_as(&station_id());
    if file.lost_wal() {
        eprintln!(
            "warning: {} was found without its -wal file (its -shm was there): changes made since its last checkpoint may be missing. If this is a copy, copy the -wal too, or use `racedesk backup`; if captures are missing, open the last backup.",
            path.display()
        );
    }
    if let Ok(mut opened) = OPENED.lock() {
        opened.push(file.clone());
    }
    file
}

/// Scratch folders of the copies `open_to_read` made, removed at the end.
static SCRATCH: std::sync::Mutex<Vec<tempfile::TempDir>> = std::sync::Mutex::new(Vec::new());

/// Opens a file for a command that only reads: a file racedesk cannot
/// write (a read-only stick) is read from a copy rather than refused.
pub async fn open_to_read(path: &Path) -> Result<EventFile, Failure> {
    match EventFile::open(path).await {
        Err(racedesk::OpenError::ReadOnly(_)) => {
            eprintln!(
                "note: {} cannot be written; reading a copy of it",
                path.display()
            );
            let scratch = tempfile::tempdir().map_err(|e| Failure::Other(e.to_string()))?;
            let file = EventFile::open_copy(path, scratch.path())
                .await
                .map_err(Error::from)?;
            if let Ok(mut kept) = SCRATCH.lock() {
                kept.push(scratch);
            }
            note_joined(&file).await;
            Ok(opened(path, file))
        }
        done => {
            let file = done.map_err(Error::from)?;
            note_joined(&file).await;
            Ok(opened(path, file))
        }
    }
}

pub async fn close_opened() {
    let opened = OPENED
        .lock()
        .map(|mut opened| std::mem::take(&mut *opened))
        .unwrap_or_default();
    for file in opened {
        file.close().await;
    }
    if let Ok(mut kept) = SCRATCH.lock() {
        kept.clear();
    }
}

/// Writes to standard output; a reader that stopped early (`| head`) is
/// not an error.
pub fn emit(bytes: &[u8]) -> Result<(), Failure> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Other(e.to_string())),
        _ => Ok(()),
    }
}

pub fn non_empty(field: &str, value: String) -> Result<String, Failure> {
    if value.trim().is_empty() {
        Err(bad(field, "must not be empty"))
    } else {
        Ok(value.trim().to_owned())
    }
}
