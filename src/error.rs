//! The error every core operation returns.
//!
//! Each variant has a stable [`Error::code`] so the app can branch on it and
//! translate the message, and so the CLI can tell bad input (exit 2) from
//! other failures (exit 1). SQLite's own details are logged with `tracing`
//! and kept out of what a volunteer reads.

use std::path::PathBuf;

use crate::model::ParseError;
use crate::roster::ImportReport;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Open(#[from] OpenError),

    /// A value given for one field is not valid.
    #[error("{field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: ParseError,
    },

    /// A roster file has problems; nothing was written. The report lists
    /// each one by row and column.
    #[error("the roster was not imported: {} problem(s), nothing was written", .0.problems.len())]
    ImportRejected(Box<ImportReport>),

    /// The file to import cannot be read at all.
    #[error("{path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },

    /// An entrant's details have problems, each naming its field.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidEntrant(Vec<crate::roster::Problem>),

    /// The person stopped it; nothing was written.
    #[error("stopped; nothing was written")]
    Cancelled,

    #[error("{0}")]
    NotFound(String),

    /// The change would break a rule of the event (a taken bib, a race
    /// that already exists, a second event in one file).
    #[error("{0}")]
    Conflict(String),

    #[error("{}", storage_message(.0))]
    Storage(#[from] sqlx::Error),
}

impl Error {
    pub(crate) fn invalid(field: &'static str, reason: ParseError) -> Self {
        Self::Invalid { field, reason }
    }

    /// A short stable name for the kind of error, for the app to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Open(e) => e.code(),
            Self::Invalid { .. } => "invalid",
            Self::ImportRejected(_) => "import_rejected",
            Self::Unreadable { .. } => "unreadable",
            Self::InvalidEntrant(_) => "invalid_entrant",
            Self::Cancelled => "cancelled",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Storage(_) => "storage",
        }
    }

    /// Whether the person can fix it by changing what they gave: the CLI
    /// exits with 2 for these, 1 for the rest.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Open(e) => e.is_bad_input(),
            Self::Storage(_) => false,
            _ => true,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a volunteer should read when SQLite fails: a full disk says so
/// and what to do, since nothing else will help.
fn storage_message(e: &sqlx::Error) -> String {
    let full = e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "13");
    let damaged = e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "11" || code == "26");
    if full {
        "the disk holding the event file is full (or the file reached its size limit): nothing was written; free space or move the file, then go on".into()
    } else if damaged {
        "the event file is damaged: stop writing to it and open the last backup".into()
    } else {
        format!("the event file could not be read or written: {e}")
    }
}

/// Why an event file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "there is no event file at {0}; create one with `racedesk --db FILE event init` or `racedesk --db FILE demo`"
    )]
    Missing(PathBuf),

    #[error("{0} already exists and is not empty; choose a new file name")]
    Exists(PathBuf),

    #[error("{0} is not an SQLite file, so it cannot be a racedesk event file")]
    NotSqlite(PathBuf),

    #[error("{0} is an SQLite file of another program, not a racedesk event file")]
    NotRacedesk(PathBuf),

    #[error(
        "{path} was written by a newer racedesk (schema {found}; this one knows up to {known}); update racedesk to open it"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "{0} cannot be written (read-only file, folder or disk); copy it somewhere writable or open it read-only"
    )]
    ReadOnly(PathBuf),

    #[error(
        "{0} is damaged (SQLite's check of its pages failed): do not write to it; open the last backup (racedesk backup files, the backups folder) and keep this file for a specialist"
    )]
    Damaged(PathBuf),

    #[error("{path} cannot be put in a safe state: {setting}; move it to a local disk")]
    UnsafeSetting { path: PathBuf, setting: String },

    #[error("{path} cannot be opened: {reason}")]
    Io { path: PathBuf, reason: String },
}

impl OpenError {
    fn code(&self) -> &'static str {
        match self {
            Self::Missing(_) => "file_missing",
            Self::Exists(_) => "file_exists",
            Self::NotSqlite(_) | Self::NotRacedesk(_) => "not_an_event_file",
            Self::Newer { .. } => "file_too_new",
            Self::ReadOnly(_) => "file_read_only",
            Self::UnsafeSetting { .. } => "file_unsafe",
            Self::Damaged(_) => "file_damaged",
            Self::Io { .. } => "file_io",
        }
    }

    fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::Missing(_)
                | Self::Exists(_)
                | Self::NotSqlite(_)
                | Self::NotRacedesk(_)
                | Self::Newer { .. }
        )
    }
}
