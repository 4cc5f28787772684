//! The error every core operation returns.
//!
//! Each variant has a stable [`Error::code`] so the app can branch on it and
//! translate the message, and so the CLI can tell bad input (exit 2) from
//! other failures (exit 1). SQLite's own details are logged with `tracing`
//! and kept out of what a volunteer reads.

use std::path::PathBuf;

use crate::model::ParseError;
use crate::model::roster_file::ImportReport;
use crate::words::{Language, Said};

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
    #[error("{}", Language::En.render("error.import_rejected", &[("count", .0.problems.len().to_string())]))]
    ImportRejected(Box<ImportReport>),

    /// The file to import cannot be read at all.
    #[error("{path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },

    /// An entrant's details have problems, each naming its field.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidEntrant(Vec<crate::model::roster_file::Problem>),

    /// The person stopped it; nothing was written.
    #[error("{}", Language::En.word("error.cancelled"))]
    Cancelled,

    #[error("{0}")]
    NotFound(Said),

    /// The change would break a rule of the event (a taken bib, a race
    /// that already exists, a second event in one file).
    #[error("{0}")]
    Conflict(Said),

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

    /// The message as a key of the dictionaries with its values, for the
    /// app to show in the volunteer's language; none where the message is
    /// not one yet (a field's reason, a file's).
    pub fn said(&self) -> Option<Said> {
        match self {
            Self::NotFound(said) | Self::Conflict(said) => Some(said.clone()),
            Self::Cancelled => Some(crate::said!("error.cancelled")),
            Self::ImportRejected(report) => Some(crate::said!(
                "error.import_rejected",
                count = report.problems.len()
            )),
            Self::Storage(e) => Some(match storage_kind(e) {
                StorageKind::Full => crate::said!("error.disk_full"),
                StorageKind::Damaged => crate::said!("error.damaged"),
                // SQLite's own words go to the log, not to the screen.
                StorageKind::Other => crate::said!("error.storage"),
            }),
            Self::Open(e) => Some(e.said()),
            Self::Unreadable { path, .. } => {
                Some(crate::said!("error.unreadable", path = path.display()))
            }
            Self::Invalid { reason, .. } => Some(reason.said().clone()),
            Self::InvalidEntrant(_) => None,
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
    match storage_kind(e) {
        StorageKind::Full => Language::En.word("error.disk_full").to_owned(),
        StorageKind::Damaged => Language::En.word("error.damaged").to_owned(),
        StorageKind::Other => format!("the event file could not be read or written: {e}"),
    }
}

enum StorageKind {
    Full,
    Damaged,
    Other,
}

fn storage_kind(e: &sqlx::Error) -> StorageKind {
    match e.as_database_error().and_then(|d| d.code()).as_deref() {
        Some("13") => StorageKind::Full,
        Some("11" | "26") => StorageKind::Damaged,
        _ => StorageKind::Other,
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
    /// The message as a key of the dictionaries (the app's words); what
    /// the system said (an I/O error, a setting) stays in the log.
    fn said(&self) -> Said {
        match self {
            Self::Missing(path) => crate::said!("open.missing", path = path.display()),
            Self::Exists(path) => crate::said!("open.exists", path = path.display()),
            Self::NotSqlite(path) => crate::said!("open.not_sqlite", path = path.display()),
            Self::NotRacedesk(path) => crate::said!("open.not_racedesk", path = path.display()),
            Self::Newer { path, found, known } => crate::said!(
                "open.newer",
                path = path.display(),
                found = found,
                known = known
            ),
            Self::ReadOnly(path) => crate::said!("open.read_only", path = path.display()),
            Self::Damaged(path) => crate::said!("open.damaged", path = path.display()),
            Self::UnsafeSetting { path, .. } => {
                crate::said!("open.unsafe", path = path.display())
            }
            Self::Io { path, .. } => crate::said!("open.io", path = path.display()),
        }
    }

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
