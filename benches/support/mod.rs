//! What the benchmarks share: their arguments, percentiles, and the bare
//! SQLite file each one measures its baseline on, driven through SQLite's
//! own C API (the same bundled library sqlx links), so the baseline is the
//! real limit and not our driver stack.

#![allow(dead_code)] // each benchmark uses its own part

use std::ffi::{CStr, CString, c_int};
use std::marker::PhantomData;
use std::path::Path;
use std::time::Duration;

use libsqlite3_sys as ffi;

// The allocator the CLI and the app use, so the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The benchmark's arguments: `--bench` (a full run, from `cargo bench`;
/// without it the smaller smoke run of `cargo test`) and `--NAME N` sizes.
pub struct Args(Vec<String>);

impl Args {
    pub fn get() -> Self {
        Self(std::env::args().collect())
    }

    pub fn full(&self) -> bool {
        self.0.iter().any(|a| a == "--bench")
    }

    /// `--name N`, else `full` in a full run, else `smoke`.
    pub fn size(&self, name: &str, full: usize, smoke: usize) -> usize {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(if self.full() { full } else { smoke })
    }
}

/// A bare SQLite file through the C API: one connection, prepared
/// statements, no pool, no async runtime.
pub struct Bare {
    db: *mut ffi::sqlite3,
}

impl Bare {
    /// Opens (making it if missing) with the event file's durability
    /// settings: WAL, synchronous=FULL.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let bare = Self::open_with(path, ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE)?;
        bare.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL")?;
        Ok(bare)
    }

    pub fn open_read_only(path: &Path) -> anyhow::Result<Self> {
        Self::open_with(path, ffi::SQLITE_OPEN_READONLY)
    }

    fn open_with(path: &Path, flags: c_int) -> anyhow::Result<Self> {
        let name = CString::new(path.to_string_lossy().as_bytes())?;
        let mut db = std::ptr::null_mut();
        // SAFETY: a valid C string and out-pointer; the handle is closed in
        // Drop, even when opening failed (SQLite's rule).
        let rc = unsafe { ffi::sqlite3_open_v2(name.as_ptr(), &mut db, flags, std::ptr::null()) };
        let bare = Self { db };
        bare.check(rc)?;
        Ok(bare)
    }

    /// Runs statements that return nothing (`;`-separated).
    pub fn exec(&self, sql: &str) -> anyhow::Result<()> {
        let sql = CString::new(sql)?;
        // SAFETY: an open handle and a valid C string; no callback.
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.db,
                sql.as_ptr(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        self.check(rc)
    }

    pub fn prepare(&self, sql: &str) -> anyhow::Result<Statement<'_>> {
        let sql = CString::new(sql)?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: an open handle, a valid C string, an out-pointer.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(self.db, sql.as_ptr(), -1, &mut stmt, std::ptr::null_mut())
        };
        self.check(rc)?;
        Ok(Statement {
            stmt,
            bare: self,
            _db: PhantomData,
        })
    }

    fn check(&self, rc: c_int) -> anyhow::Result<()> {
        if rc == ffi::SQLITE_OK || rc == ffi::SQLITE_ROW || rc == ffi::SQLITE_DONE {
            return Ok(());
        }
        // SAFETY: sqlite3_errmsg accepts any handle SQLite gave, and a
        // null one; the text lives until the next call on it.
        let message = unsafe {
            let text = ffi::sqlite3_errmsg(self.db);
            if text.is_null() {
                String::from("unknown error")
            } else {
                CStr::from_ptr(text).to_string_lossy().into_owned()
            }
        };
        anyhow::bail!("sqlite error {rc}: {message}")
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        // SAFETY: every statement borrows the connection, so all are
        // finalized before it closes.
        unsafe { ffi::sqlite3_close(self.db) };
    }
}

/// A prepared statement of a [`Bare`] file.
pub struct Statement<'a> {
    stmt: *mut ffi::sqlite3_stmt,
    bare: &'a Bare,
    _db: PhantomData<&'a Bare>,
}

impl Statement<'_> {
    /// Binds `value` to parameter `i` (from 1), copied by SQLite.
    pub fn text(&mut self, i: c_int, value: &str) -> anyhow::Result<()> {
        // SAFETY: a live statement; SQLITE_TRANSIENT makes SQLite copy the
        // bytes, whose length is given.
        let rc = unsafe {
            ffi::sqlite3_bind_text(
                self.stmt,
                i,
                value.as_ptr().cast(),
                c_int::try_from(value.len())?,
                ffi::SQLITE_TRANSIENT(),
            )
        };
        self.bare.check(rc)
    }

    /// Binds bytes to parameter `i` (from 1), copied by SQLite.
    pub fn blob(&mut self, i: c_int, value: &[u8]) -> anyhow::Result<()> {
        // SAFETY: a live statement; SQLITE_TRANSIENT makes SQLite copy the
        // bytes, whose length is given.
        let rc = unsafe {
            ffi::sqlite3_bind_blob(
                self.stmt,
                i,
                value.as_ptr().cast(),
                c_int::try_from(value.len())?,
                ffi::SQLITE_TRANSIENT(),
            )
        };
        self.bare.check(rc)
    }

    /// Binds `value`, or NULL for an empty text.
    pub fn text_or_null(&mut self, i: c_int, value: &str) -> anyhow::Result<()> {
        if value.is_empty() {
            // SAFETY: a live statement.
            let rc = unsafe { ffi::sqlite3_bind_null(self.stmt, i) };
            return self.bare.check(rc);
        }
        self.text(i, value)
    }

    pub fn int(&mut self, i: c_int, value: i64) -> anyhow::Result<()> {
        // SAFETY: a live statement.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.stmt, i, value) };
        self.bare.check(rc)
    }

    /// Steps once: true when a row is there to read.
    pub fn step(&mut self) -> anyhow::Result<bool> {
        // SAFETY: a live statement.
        let rc = unsafe { ffi::sqlite3_step(self.stmt) };
        self.bare.check(rc)?;
        Ok(rc == ffi::SQLITE_ROW)
    }

    /// Runs it to the end and makes it ready to run again.
    pub fn run(&mut self) -> anyhow::Result<()> {
        while self.step()? {}
        // SAFETY: a live statement.
        let rc = unsafe { ffi::sqlite3_reset(self.stmt) };
        self.bare.check(rc)
    }

    pub fn column_int(&self, i: c_int) -> i64 {
        // SAFETY: a live statement on a row; SQLite converts any value.
        unsafe { ffi::sqlite3_column_int64(self.stmt, i) }
    }

    /// The column as owned text; None for NULL.
    pub fn column_text(&self, i: c_int) -> Option<String> {
        // SAFETY: a live statement on a row; the bytes stay valid until the
        // next step, and are copied before it.
        unsafe {
            let text = ffi::sqlite3_column_text(self.stmt, i);
            if text.is_null() {
                return None;
            }
            let len = usize::try_from(ffi::sqlite3_column_bytes(self.stmt, i)).unwrap_or(0);
            let bytes = std::slice::from_raw_parts(text, len);
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: finalized once, here.
        unsafe { ffi::sqlite3_finalize(self.stmt) };
    }
}

/// One row committed on its own, as a capture is: BEGIN IMMEDIATE, the
/// prepared INSERT, COMMIT.
pub fn commit_one(
    bare: &Bare,
    insert: &mut Statement<'_>,
    bind: impl FnOnce(&mut Statement<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    bare.exec("BEGIN IMMEDIATE")?;
    bind(insert)?;
    insert.run()?;
    bare.exec("COMMIT")
}

/// p50 and p99.
pub fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The same bare file through sqlx, the driver racedesk uses: one
/// connection, WAL+FULL. Beside the C API's figure it shows what the driver
/// itself costs per statement.
pub async fn sqlx_bare(path: &Path, create: &str) -> anyhow::Result<sqlx::SqlitePool> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(create.to_owned()))
        .execute(&pool)
        .await?;
    Ok(pool)
}

/// Both ratios of a figure: to the C API's and to sqlx's bare baseline.
pub fn ratios(ours: Duration, c_api: Duration, through_sqlx: Duration) -> String {
    format!(
        "{:.2}x SQLite's C API, {:.2}x the same through sqlx",
        ms(ours) / ms(c_api),
        ms(ours) / ms(through_sqlx)
    )
}
