//! The event file: one SQLite file per event, and the only place with SQL.
//!
//! A file is opened with WAL, synchronous=FULL, foreign keys on and a busy
//! timeout, and each of these is read back: a file that cannot be put in
//! that state (a network drive without WAL, a read-only stick) is refused
//! rather than used unsafely. Writes go through one connection so they queue
//! instead of failing with SQLITE_BUSY; reads use a small pool beside it.
//! The schema is migrated forward on open; a file from a newer racedesk is
//! refused before anything touches it.

pub(crate) mod audit;
mod bulk;
pub(crate) mod checkins;
pub(crate) mod crossings;
pub(crate) mod edits;
pub(crate) mod entrants;
pub(crate) mod races;
pub(crate) mod setup;
pub(crate) mod timing;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::OpenError;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// `PRAGMA application_id` of every racedesk file ("RACE"), so another
/// program's SQLite file is recognised and left alone.
const APPLICATION_ID: i64 = 0x5241_4345;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READERS: u32 = 4;

/// An open event file.
#[derive(Debug, Clone)]
pub struct EventFile {
    path: PathBuf,
    writer: SqlitePool,
    readers: SqlitePool,
    lost_wal: bool,
    /// The station this handle edits setup as (see [`EventFile::writes_as`]).
    station: Option<std::sync::Arc<str>>,
    /// Moved each time the writer is handed back after a write in this
    /// process (see [`EventFile::written`]).
    written: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl EventFile {
    /// Creates a new event file; refuses a file that already holds data.
    pub async fn create(path: &Path) -> Result<Self, OpenError> {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(folder) = folder.filter(|f| !f.is_dir()) {
            return Err(OpenError::Io {
                path: path.to_owned(),
                reason: format!("the folder {} does not exist", folder.display()),
            });
        }
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => return Err(OpenError::NotSqlite(path.to_owned())),
            Ok(meta) if meta.len() > 0 => return Err(OpenError::Exists(path.to_owned())),
            _ => {}
        }
        Self::connect(path, true).await
    }

    /// Opens an existing event file, migrating it if it is older.
    pub async fn open(path: &Path) -> Result<Self, OpenError> {
        match std::fs::metadata(path) {
            Err(_) => return Err(OpenError::Missing(path.to_owned())),
            // Only `event init` and `demo` may turn an empty file into an
            // event file; a pipe or a device is never one.
            Ok(meta) if !meta.is_file() || meta.len() == 0 => {
                return Err(OpenError::NotSqlite(path.to_owned()));
            }
            Ok(_) => {}
        }
        let lost_wal = wal_lost(path);
        let file = Self::connect(path, false).await?;
        if lost_wal {
            tracing::warn!(path = %path.display(), "the event file's -wal was missing at open");
        }
        Ok(Self { lost_wal, ..file })
    }

    /// Whether the file was found without the `-wal` file that belongs
    /// beside it (its `-shm` was there): it was copied or moved alone
    /// while open, and the changes since its last checkpoint are not in it.
    pub fn lost_wal(&self) -> bool {
        self.lost_wal
    }

    /// Opens a copy of a past event file, to read and export from: the file
    /// itself is only read (it may sit on a read-only stick, or come from
    /// an older racedesk); the copy, made in `scratch`, is migrated.
    pub async fn open_copy(path: &Path, scratch: &Path) -> Result<Self, OpenError> {
        if !path.exists() {
            return Err(OpenError::Missing(path.to_owned()));
        }
        check_header(path)?;
        let copy = scratch.join("copy.racedesk");
        // Through SQLite first, read-only, so a WAL left by a crash is read
        // too and a station still writing is no harm (VACUUM INTO copies
        // one consistent state).
        let options = SqliteConnectOptions::new().filename(path).read_only(true);
        let copied = async {
            let original = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?;
            let done = sqlx::query("VACUUM INTO ?")
                .bind(copy.display().to_string())
                .execute(&original)
                .await;
            original.close().await;
            done
        }
        .await;
        if let Err(e) = copied {
            // A read-only stick cannot hold SQLite's shared-memory file, so
            // SQLite cannot read the WAL there. Nobody writes to such a
            // stick: the file and its WAL are copied as they are, and
            // SQLite reads the WAL from the copy.
            let _ = std::fs::remove_file(&copy);
            tracing::info!(error = %e, "reading through SQLite failed; copying the file and its WAL");
            std::fs::copy(path, &copy).map_err(|e| io_error(path, e))?;
            let [wal, _] = companions(path);
            if wal.exists() {
                let [copy_wal, _] = companions(&copy);
                std::fs::copy(&wal, &copy_wal).map_err(|e| io_error(&wal, e))?;
            }
        }
        Self::connect(&copy, false).await
    }

    /// This handle, editing setup as `station`: its setup changes travel to
    /// other copies of the event under that name, and are audited with it.
    pub fn writes_as(self, station: &str) -> Self {
        Self {
            station: Some(station.into()),
            ..self
        }
    }

    /// Changes each time this process wrote to the file (the writer handed
    /// back): what a link or a hub waits on to send or announce at once.
    /// Another process's writes do not move it; those are found by looking.
    pub(crate) fn written(&self) -> tokio::sync::watch::Receiver<u64> {
        self.written.subscribe()
    }

    /// The station setup edits through this handle are made at.
    pub(crate) fn station(&self) -> &str {
        self.station.as_deref().unwrap_or("local")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The one connection that writes. Begin a transaction on it for any
    /// change of more than one row.
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.readers
    }

    /// Writes a consistent copy of the whole file to `target` (which must
    /// not exist), from a reader so stations go on writing meanwhile.
    pub(crate) async fn vacuum_into(&self, target: &Path) -> sqlx::Result<()> {
        sqlx::query("VACUUM INTO ?")
            .bind(target.display().to_string())
            .execute(&self.readers)
            .await?;
        Ok(())
    }

    /// Closes every connection, first copying what the WAL holds into the
    /// main file and emptying the WAL, so the `.db` file alone is the
    /// whole event once racedesk has closed it.
    pub async fn close(self) {
        self.readers.close().await;
        // Another process may still be reading (the app beside the CLI):
        // then the WAL stays, complete, and the last one out empties it.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
        {
            tracing::warn!(error = %e, "checkpoint at close failed; the WAL stays beside the file");
        }
        self.writer.close().await;
    }

    async fn connect(path: &Path, create: bool) -> Result<Self, OpenError> {
        check_header(path)?;
        if !create && !writable(path) {
            return Err(OpenError::ReadOnly(path.to_owned()));
        }
        let io = |e: sqlx::Error| open_error(path, e);
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // 64 MiB of page cache (the default is 2 MiB): a 100,000-entrant
            // import then stays in memory until its commit instead of
            // spilling pages to the WAL and writing them again.
            .pragma("cache_size", "-65536");
        // A cap on the file's size in pages, for a stick shared with other
        // files and for the disk-full tests: writes past it fail as on a
        // full disk.
        let options = match std::env::var("RACEDESK_MAX_PAGES")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            Some(pages) => options.pragma("max_page_count", pages.to_string()),
            None => options,
        };
        let written = std::sync::Arc::new(tokio::sync::watch::Sender::new(0u64));
        let signal = written.clone();
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(move |conn, _| {
                let signal = signal.clone();
                Box::pin(async move {
                    let kept = leaves_no_transaction(conn).await;
                    signal.send_modify(|n| *n = n.wrapping_add(1));
                    kept
                })
            })
            .connect_with(options.clone())
            .await
            .map_err(io)?;
        // SQLite opens a file it may not write read-only without a word; a
        // write lock taken and released finds out now rather than mid-race.
        sqlx::raw_sql("BEGIN IMMEDIATE; ROLLBACK;")
            .execute(&writer)
            .await
            .map_err(io)?;
        check_settings(path, &writer).await?;
        check_intact(path, &writer).await?;
        claim_and_migrate(path, &writer).await?;

        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options.create_if_missing(false).read_only(true))
            .await
            .map_err(io)?;
        Ok(Self {
            path: path.to_owned(),
            writer,
            readers,
            lost_wal: false,
            station: None,
            written,
        })
    }
}

/// The `-wal` and `-shm` files SQLite keeps beside an open event file.
pub fn companions(path: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("-wal"), with("-shm")]
}

/// Whether racedesk can write the file and, beside it, the `-wal` and
/// `-shm` files SQLite needs: a read-only file, folder or mount is refused
/// at open with a clear message instead of failing at the first write.
fn writable(path: &Path) -> bool {
    let file = std::fs::OpenOptions::new().write(true).open(path).is_ok();
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let probe = folder.join(format!(".racedesk-probe-{}", std::process::id()));
    let beside = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .is_ok();
    if beside {
        let _ = std::fs::remove_file(&probe);
    }
    file && beside
}

/// An `-shm` without its `-wal`: SQLite leaves both while a file is open
/// (or after a crash) and removes both at a clean close, so one alone
/// means the WAL, and what it held, went missing.
fn wal_lost(path: &Path) -> bool {
    let [wal, shm] = companions(path);
    shm.exists() && !wal.exists()
}

/// Whether a writer connection given back to the pool may be used again.
///
/// A write that fails on a full disk makes SQLite roll the transaction
/// back by itself; sqlx's own ROLLBACK then fails and it still counts the
/// connection as inside a transaction, so every later `BEGIN` would be
/// refused until a restart. Such a connection is closed instead, and the
/// pool opens a fresh one (with every setting) for the next write.
async fn leaves_no_transaction(conn: &mut sqlx::SqliteConnection) -> sqlx::Result<bool> {
    use sqlx::Connection;
    // The ping waits for the rollback queued by a dropped transaction.
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!("a failed write left the writer inside a transaction; reconnecting");
        return Ok(false);
    }
    Ok(true)
}

/// Refuses a file that is not SQLite before SQLite is asked to change it.
fn check_header(path: &Path) -> Result<(), OpenError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let read = match std::fs::File::open(path) {
        Ok(mut file) => file.read(&mut header).map_err(|e| io_error(path, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(path, e)),
    };
    if read == 0 || header == *b"SQLite format 3\0" {
        Ok(())
    } else {
        Err(OpenError::NotSqlite(path.to_owned()))
    }
}

async fn check_settings(path: &Path, db: &SqlitePool) -> Result<(), OpenError> {
    let unsafe_setting = |setting: String| OpenError::UnsafeSetting {
        path: path.to_owned(),
        setting,
    };
    let io = |e: sqlx::Error| open_error(path, e);

    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(db)
        .await
        .map_err(io)?;
    if !journal.eq_ignore_ascii_case("wal") {
        return Err(unsafe_setting(format!(
            "journal_mode is '{journal}', not 'wal'"
        )));
    }
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(db)
        .await
        .map_err(io)?;
    if synchronous != 2 {
        return Err(unsafe_setting(format!(
            "synchronous is {synchronous}, not 2 (FULL)"
        )));
    }
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(db)
        .await
        .map_err(io)?;
    if foreign_keys != 1 {
        return Err(unsafe_setting("foreign keys are off".into()));
    }
    let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(db)
        .await
        .map_err(io)?;
    if timeout != BUSY_TIMEOUT.as_millis() as i64 {
        return Err(unsafe_setting(format!("busy_timeout is {timeout} ms")));
    }
    Ok(())
}

/// Refuses a damaged file before anything reads or writes it: SQLite's
/// `quick_check` reads every page once (see the README for its cost).
async fn check_intact(path: &Path, db: &SqlitePool) -> Result<(), OpenError> {
    let found: Vec<String> = match sqlx::query_scalar("PRAGMA quick_check(5)")
        .fetch_all(db)
        .await
    {
        Ok(found) => found,
        Err(e) => vec![e.to_string()],
    };
    if found.len() == 1 && found[0] == "ok" {
        return Ok(());
    }
    tracing::error!(path = %path.display(), problems = ?found, "the event file is damaged");
    Err(OpenError::Damaged(path.to_owned()))
}

/// Marks a new file as racedesk's, refuses other programs' files and files
/// from a newer racedesk, then applies the migrations this build has.
async fn claim_and_migrate(path: &Path, db: &SqlitePool) -> Result<(), OpenError> {
    let io = |e: sqlx::Error| open_error(path, e);
    let application_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(db)
        .await
        .map_err(io)?;
    if application_id != APPLICATION_ID {
        let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_schema")
            .fetch_one(db)
            .await
            .map_err(io)?;
        if application_id != 0 || tables > 0 {
            return Err(OpenError::NotRacedesk(path.to_owned()));
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "PRAGMA application_id = {APPLICATION_ID}"
        )))
        .execute(db)
        .await
        .map_err(io)?;
    }

    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let has_table: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE name = '_sqlx_migrations'")
            .fetch_one(db)
            .await
            .map_err(io)?;
    if has_table > 0 {
        let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
            .fetch_one(db)
            .await
            .map_err(io)?;
        if let Some(found) = found.filter(|found| *found > known) {
            return Err(OpenError::Newer {
                path: path.to_owned(),
                found,
                known,
            });
        }
    }
    // Foreign keys off while the schema moves, as SQLite's procedure for
    // rebuilding a table says (a dropped table's implicit delete would
    // cascade or fail), then every key checked before the file is used.
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(db)
        .await
        .map_err(io)?;
    let migrated = MIGRATOR.run(db).await.map_err(|e| OpenError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    });
    let broken: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
            .fetch_all(db)
            .await
            .map_err(io)?;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(db)
        .await
        .map_err(io)?;
    migrated?;
    if !broken.is_empty() {
        tracing::error!(path = %path.display(), ?broken, "rows point at rows that are not there");
        return Err(OpenError::Damaged(path.to_owned()));
    }
    Ok(())
}

fn io_error(path: &Path, e: std::io::Error) -> OpenError {
    OpenError::Io {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// Turns SQLite's result codes into the reasons a person can act on.
fn open_error(path: &Path, e: sqlx::Error) -> OpenError {
    let primary = e
        .as_database_error()
        .and_then(|db| db.code())
        .and_then(|code| code.parse::<i64>().ok())
        .map(|code| code & 0xff);
    match primary {
        Some(8) => OpenError::ReadOnly(path.to_owned()), // SQLITE_READONLY
        Some(26) => OpenError::NotSqlite(path.to_owned()), // SQLITE_NOTADB
        Some(14) if !path.exists() => OpenError::Missing(path.to_owned()), // SQLITE_CANTOPEN
        _ => {
            tracing::error!(path = %path.display(), error = %e, "opening the event file failed");
            OpenError::Io {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        }
    }
}

/// The next number in a station's one sequence over every fact it
/// captured, whatever its kind: (station, seq) is one cursor over what a
/// station captured. Called inside the write transaction, so numbers are
/// gap-free and never given twice.
pub(crate) async fn next_seq(
    db: impl sqlx::SqliteExecutor<'_>,
    station: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT max(coalesce((SELECT max(seq) FROM checkin WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM passing WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM correction WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM race_start WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM runner_status WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM crossing WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM start_undo WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM setup_change WHERE station = ?1), 0)) + 1
           AS "seq!: i64""#,
        station
    )
    .fetch_one(db)
    .await
}

/// The newest row of each table that grows: its rowid, which SQLite gives
/// in insertion order whatever the row's own id. A row merged later with an
/// earlier UUID time still moves its table's mark. Setup edits move the
/// audit table's, for every setup change writes an audit row in its
/// transaction. In the order of [`MARKED`].
pub(crate) async fn marks(file: &EventFile) -> sqlx::Result<Vec<i64>> {
    let row: sqlx::sqlite::SqliteRow = sqlx::query(MARKS).fetch_one(file.reader()).await?;
    (0..MARKED.len())
        .map(|i| sqlx::Row::try_get::<Option<i64>, _>(&row, i).map(Option::unwrap_or_default))
        .collect()
}

/// The tables whose newest row says the file changed, with what they hold.
pub(crate) const MARKED: [(&str, Kind); 9] = [
    ("audit", Kind::Setup),
    ("checkin", Kind::Checkins),
    ("passing", Kind::Timing),
    ("correction", Kind::Timing),
    ("race_start", Kind::Timing),
    ("runner_status", Kind::Timing),
    ("crossing", Kind::Timing),
    ("start_undo", Kind::Timing),
    // A decoder's re-reads make no passing, yet its panel counts them.
    ("chip_read", Kind::Timing),
];

/// What a table holds, for saying what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Setup,
    Checkins,
    Timing,
}

const MARKS: &str = "SELECT (SELECT max(rowid) FROM audit), (SELECT max(rowid) FROM checkin),
    (SELECT max(rowid) FROM passing), (SELECT max(rowid) FROM correction),
    (SELECT max(rowid) FROM race_start), (SELECT max(rowid) FROM runner_status),
    (SELECT max(rowid) FROM crossing), (SELECT max(rowid) FROM start_undo),
    (SELECT max(rowid) FROM chip_read)";

/// The file's marks as one string: what backups and scored results are
/// keyed by.
pub(crate) async fn fingerprint(file: &EventFile) -> sqlx::Result<String> {
    Ok(marks(file)
        .await?
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join("|"))
}

/// Which event a file holds (its name and the instant its first audit row
/// was written, so two files of one name are told apart) and how many rows
/// the append-only tables hold.
const CAPTURED_ROWS: &str =
    "SELECT (SELECT name FROM event LIMIT 1) || '@' || (SELECT min(at_ms) FROM audit),
    (SELECT count(*) FROM audit) + (SELECT count(*) FROM checkin) + (SELECT count(*) FROM passing)
    + (SELECT count(*) FROM correction) + (SELECT count(*) FROM race_start)
    + (SELECT count(*) FROM runner_status) + (SELECT count(*) FROM crossing)
    + (SELECT count(*) FROM start_undo)";

pub(crate) async fn captured_rows(file: &EventFile) -> sqlx::Result<(Option<String>, i64)> {
    sqlx::query_as(CAPTURED_ROWS).fetch_one(file.reader()).await
}

/// The same of a backup file, read as immutable (nothing beside it made).
pub(crate) async fn captured_rows_of(path: &Path) -> sqlx::Result<(Option<String>, i64)> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let rows = sqlx::query_as(CAPTURED_ROWS).fetch_one(&pool).await;
    pool.close().await;
    rows
}

pub(crate) fn now_ms() -> i64 {
    crate::timing::wall_ms()
}
