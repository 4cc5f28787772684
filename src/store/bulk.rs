//! Many rows through one prepared statement on the connection's own
//! SQLite handle: a roster import's 100,000 inserts, the 120,000 passings
//! scoring reads. Through sqlx, each statement crosses to the driver's
//! worker thread and back with its arguments boxed, and each row comes
//! back boxed; here the rows are bound, stepped and read where they are,
//! inside the caller's transaction, as SQLite's C API is meant to be used.
//!
//! This is the crate's only `unsafe` code. sqlx hands out the handle for
//! exactly this (`lock_handle`): while the lock is held its worker makes no
//! call on the connection. The `libsqlite3-sys` version is the one sqlx
//! links (Cargo.toml pins both).

use std::borrow::Cow;
use std::ffi::{CStr, CString, c_int};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;
use sqlx::error::{DatabaseError, ErrorKind};

/// A value bound to one parameter of a row.
pub(crate) enum Value<'a> {
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
    Null,
}

impl<'a> From<&'a Option<String>> for Value<'a> {
    fn from(value: &'a Option<String>) -> Self {
        value.as_deref().map_or(Value::Null, Value::Text)
    }
}

/// Runs `sql` (one statement with `N` parameters) once for each row, on
/// `db` as it is: inside the caller's transaction, which commits or rolls
/// back the lot. Returns how many rows the runs changed (an `INSERT … ON
/// CONFLICT DO NOTHING` counts what it added). Stops at the first error,
/// which is SQLite's own (its extended code, so a full disk is told as
/// one).
pub(crate) async fn run_rows<'r, const N: usize>(
    db: &mut SqliteConnection,
    sql: &str,
    rows: impl IntoIterator<Item = [Value<'r>; N]>,
) -> sqlx::Result<u64> {
    let mut handle = db.lock_handle().await?;
    let statement = Statement::prepare(handle.as_raw_handle(), sql, N)?;
    let mut changed = 0;
    for row in rows {
        changed += statement.run(&row)?;
    }
    Ok(changed)
}

/// Runs the query `sql` with its `N` parameters and makes one value of
/// each row it returns with `read`, inside the caller's transaction (one
/// snapshot with what else it reads).
pub(crate) async fn select<T, const N: usize>(
    db: &mut SqliteConnection,
    sql: &str,
    parameters: [Value<'_>; N],
    mut read: impl FnMut(&Row<'_>) -> T,
) -> sqlx::Result<Vec<T>> {
    let mut handle = db.lock_handle().await?;
    let statement = Statement::prepare(handle.as_raw_handle(), sql, N)?;
    statement.bind(&parameters)?;
    let mut rows = Vec::new();
    loop {
        // SAFETY: a live statement with every parameter bound, whose
        // values (`parameters`) live until it is finalized below.
        match unsafe { ffi::sqlite3_step(statement.stmt.as_ptr()) } {
            ffi::SQLITE_ROW => rows.push(read(&Row {
                statement: &statement,
            })),
            ffi::SQLITE_DONE => return Ok(rows),
            _ => return Err(RawError::from_handle(statement.db).into()),
        }
    }
}

/// The current row of a [`select`]; a column's value is copied out.
pub(crate) struct Row<'s> {
    statement: &'s Statement,
}

impl Row<'_> {
    /// The column as an integer (0 for NULL).
    pub fn int(&self, column: c_int) -> i64 {
        // SAFETY: a live statement on a row; SQLite converts any value.
        unsafe { ffi::sqlite3_column_int64(self.statement.stmt.as_ptr(), column) }
    }

    /// The column as an integer; None for NULL.
    pub fn int_or_null(&self, column: c_int) -> Option<i64> {
        (!self.is_null(column)).then(|| self.int(column))
    }

    /// The column as text; None for NULL. Bytes that are not UTF-8
    /// (written by another program) are replaced, never trusted.
    pub fn text(&self, column: c_int) -> Option<String> {
        let stmt = self.statement.stmt.as_ptr();
        // SAFETY: a live statement on a row. The pointer is asked first
        // and the length after, as SQLite says; the bytes are copied
        // before the next step.
        unsafe {
            let text = ffi::sqlite3_column_text(stmt, column);
            if text.is_null() {
                return None;
            }
            let len = usize::try_from(ffi::sqlite3_column_bytes(stmt, column)).unwrap_or(0);
            let bytes = std::slice::from_raw_parts(text, len);
            Some(match std::str::from_utf8(bytes) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(bytes).into_owned(),
            })
        }
    }

    fn is_null(&self, column: c_int) -> bool {
        // SAFETY: a live statement on a row.
        unsafe {
            ffi::sqlite3_column_type(self.statement.stmt.as_ptr(), column) == ffi::SQLITE_NULL
        }
    }
}

struct Statement {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl Statement {
    /// Prepares `sql`, which must have `parameters` parameters: a row of
    /// another width is refused before anything runs.
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &str, parameters: usize) -> Result<Self, RawError> {
        let sql = CString::new(sql).map_err(|_| RawError::generic("a NUL in the statement"))?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: a handle locked for us, a NUL-terminated statement, an
        // out-pointer; on failure nothing is allocated.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr(),
                -1,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(RawError::from_handle(db));
        }
        let stmt = NonNull::new(stmt).ok_or_else(|| RawError::generic("an empty statement"))?;
        let statement = Self { db, stmt };
        if statement.parameters() != parameters {
            return Err(RawError::generic(
                "the values do not fit the statement's parameters",
            ));
        }
        Ok(statement)
    }

    fn parameters(&self) -> usize {
        // SAFETY: a live statement.
        let count = unsafe { ffi::sqlite3_bind_parameter_count(self.stmt.as_ptr()) };
        usize::try_from(count).unwrap_or(0)
    }

    /// Binds `values` to the parameters, in order.
    fn bind(&self, values: &[Value<'_>]) -> Result<(), RawError> {
        let stmt = self.stmt.as_ptr();
        for (i, value) in values.iter().enumerate() {
            let i = c_int::try_from(i + 1).map_err(|_| RawError::generic("too many parameters"))?;
            let length = |len: usize| {
                c_int::try_from(len).map_err(|_| RawError::generic("a value too long"))
            };
            // SAFETY: a live statement and a parameter it has (counted at
            // prepare). SQLITE_STATIC: the bytes outlive the steps that
            // read them, and every parameter is bound again before the
            // next row's step, so SQLite never reads a value that is gone.
            let rc = unsafe {
                match value {
                    Value::Int(n) => ffi::sqlite3_bind_int64(stmt, i, *n),
                    Value::Text(text) => ffi::sqlite3_bind_text(
                        stmt,
                        i,
                        text.as_ptr().cast(),
                        length(text.len())?,
                        ffi::SQLITE_STATIC(),
                    ),
                    Value::Blob(bytes) => ffi::sqlite3_bind_blob(
                        stmt,
                        i,
                        bytes.as_ptr().cast(),
                        length(bytes.len())?,
                        ffi::SQLITE_STATIC(),
                    ),
                    Value::Null => ffi::sqlite3_bind_null(stmt, i),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(RawError::from_handle(self.db));
            }
        }
        Ok(())
    }

    /// Binds every parameter and steps the statement to its end; returns
    /// the rows it changed.
    fn run(&self, row: &[Value<'_>]) -> Result<u64, RawError> {
        self.bind(row)?;
        let stmt = self.stmt.as_ptr();
        // SAFETY: a live statement with every parameter bound.
        let stepped = unsafe { ffi::sqlite3_step(stmt) };
        if stepped != ffi::SQLITE_DONE && stepped != ffi::SQLITE_ROW {
            let error = RawError::from_handle(self.db);
            // SAFETY: a live statement; the step's error is the one told.
            unsafe { ffi::sqlite3_reset(stmt) };
            return Err(error);
        }
        // SAFETY: a live handle and statement; reset keeps the statement
        // for the next row.
        let changed = unsafe {
            let changed = ffi::sqlite3_changes64(self.db.as_ptr());
            ffi::sqlite3_reset(stmt);
            changed
        };
        Ok(u64::try_from(changed).unwrap_or(0))
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: finalized once, here, while the handle is still locked
        // (the statement lives inside `run_rows`, under the lock).
        unsafe { ffi::sqlite3_finalize(self.stmt.as_ptr()) };
    }
}

/// SQLite's error on the raw handle, as sqlx tells its own: the extended
/// result code and SQLite's message.
#[derive(Debug)]
struct RawError {
    code: c_int,
    message: String,
}

impl RawError {
    fn from_handle(db: NonNull<ffi::sqlite3>) -> Self {
        // SAFETY: a live handle; the message is copied before any other
        // call on it.
        unsafe {
            let code = ffi::sqlite3_extended_errcode(db.as_ptr());
            let text = ffi::sqlite3_errmsg(db.as_ptr());
            let message = if text.is_null() {
                String::new()
            } else {
                CStr::from_ptr(text).to_string_lossy().into_owned()
            };
            Self { code, message }
        }
    }

    fn generic(message: &str) -> Self {
        Self {
            code: ffi::SQLITE_ERROR,
            message: message.to_owned(),
        }
    }
}

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for RawError {}

impl DatabaseError for RawError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    async fn connection(dir: &std::path::Path) -> SqliteConnection {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.join("bulk.db"))
            .create_if_missing(true);
        let mut db = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, word TEXT UNIQUE, raw BLOB)")
            .execute(&mut db)
            .await
            .unwrap();
        db
    }

    #[tokio::test]
    async fn rows_go_in_and_come_back_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = connection(dir.path()).await;
        let words = [Some("one".to_owned()), None, Some("세".to_owned())];
        let added = run_rows(
            &mut db,
            "INSERT INTO t (n, word, raw) VALUES (?, ?, ?)",
            words
                .iter()
                .zip(1..)
                .map(|(word, n)| [Value::Int(n), word.into(), Value::Blob(b"\xff\xfe")]),
        )
        .await
        .unwrap();
        assert_eq!(added, 3);
        let rows = select(
            &mut db,
            "SELECT n, word, CAST(raw AS TEXT), word IS NULL FROM t WHERE n >= ? ORDER BY n",
            [Value::Int(2)],
            |r| (r.int(0), r.text(1), r.text(2), r.int_or_null(3)),
        )
        .await
        .unwrap();
        assert_eq!(
            rows,
            [
                (2, None, Some("\u{FFFD}\u{FFFD}".to_owned()), Some(1)),
                (
                    3,
                    Some("세".to_owned()),
                    Some("\u{FFFD}\u{FFFD}".to_owned()),
                    Some(0)
                ),
            ]
        );
    }

    #[tokio::test]
    async fn a_refused_row_is_sqlites_error_and_the_transaction_rolls_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = connection(dir.path()).await;
        let mut tx = db.begin().await.unwrap();
        let e = run_rows(
            &mut tx,
            "INSERT INTO t (word) VALUES (?)",
            ["a", "b", "a"].map(|w| [Value::Text(w)]),
        )
        .await
        .unwrap_err();
        let database = e.as_database_error().unwrap();
        assert_eq!(database.kind(), ErrorKind::UniqueViolation);
        assert_eq!(database.code().as_deref(), Some("2067"));
        assert!(database.message().contains("UNIQUE"), "{e}");
        tx.rollback().await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(count, 0);

        // A row that does not fit the statement is refused before any runs.
        let e = run_rows(
            &mut db,
            "INSERT INTO t (word) VALUES (?)",
            [[Value::Null, Value::Null]],
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("parameters"), "{e}");
        let e = select(&mut db, "SELECT missing FROM t", [], |r| r.int(0))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no such column"), "{e}");
    }
}
