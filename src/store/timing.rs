//! Rows of the timing tables: race starts, passings, corrections, runner
//! statuses. Insert and read only: triggers refuse updates and deletes.

use sqlx::{SqliteConnection, SqliteExecutor};

/// Who captured a row, and when (wall clock of capture).
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub id: String,
    pub station: String,
    pub seq: i64,
    pub operator: String,
    pub captured_ms: i64,
}

/// The next sequence number of a station, over all its timing rows.
pub(crate) async fn next_seq(db: impl SqliteExecutor<'_>, station: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT max(coalesce((SELECT max(seq) FROM passing WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM correction WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM race_start WHERE station = ?1), 0),
                      coalesce((SELECT max(seq) FROM runner_status WHERE station = ?1), 0)) + 1
           AS "seq!: i64""#,
        station
    )
    .fetch_one(db)
    .await
}

pub(crate) struct StartRow {
    pub race_id: i64,
    pub wave: String,
    pub at_ms: i64,
    pub source: &'static str,
    pub replaces: Option<String>,
    pub reason: Option<String>,
}

pub(crate) async fn insert_start(
    db: &mut SqliteConnection,
    row: &StartRow,
    by: &Captured,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO race_start (id, race_id, wave, at_ms, source, replaces, reason, station, seq, operator, captured_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        by.id,
        row.race_id,
        row.wave,
        row.at_ms,
        row.source,
        row.replaces,
        row.reason,
        by.station,
        by.seq,
        by.operator,
        by.captured_ms,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The standing start of each race and wave: (race code, wave, id, at_ms).
pub(crate) struct CurrentStart {
    pub race: String,
    pub wave: String,
    pub id: String,
    pub at_ms: i64,
}

pub(crate) async fn current_starts(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<CurrentStart>> {
    sqlx::query_as!(
        CurrentStart,
        r#"SELECT r.code AS race, s.wave, s.id AS "id!: String", s.at_ms
           FROM race_start s JOIN race r ON r.id = s.race_id
           WHERE s.id IN (SELECT max(id) FROM race_start GROUP BY race_id, wave)
           ORDER BY r.id, s.wave"#
    )
    .fetch_all(db)
    .await
}

pub(crate) async fn start_of(
    db: impl SqliteExecutor<'_>,
    race_id: i64,
    wave: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"SELECT max(id) AS "id: String" FROM race_start WHERE race_id = ? AND wave = ?"#,
        race_id,
        wave
    )
    .fetch_one(db)
    .await
}

pub(crate) struct PassingRow {
    pub point: String,
    pub at_ms: i64,
    pub bib: Option<String>,
    pub chip: Option<String>,
    pub source: &'static str,
    pub import_key: Option<String>,
}

pub(crate) async fn insert_passing(
    db: &mut SqliteConnection,
    row: &PassingRow,
    by: &Captured,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO passing (id, point, at_ms, bib, chip, source, import_key, station, seq, operator, captured_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        by.id,
        row.point,
        row.at_ms,
        row.bib,
        row.chip,
        row.source,
        row.import_key,
        by.station,
        by.seq,
        by.operator,
        by.captured_ms,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Rows per INSERT of imported reads, sent as one JSON array that SQLite
/// unpacks itself: far fewer values to bind than a VALUES list.
const CHUNK: usize = 10_000;

/// One imported read: id, point, at_ms, bib, chip, import key, seq.
pub(crate) type ReadRow = (
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
    i64,
);

/// Inserts imported reads (all of one `source`, captured by `by`); a read
/// whose import key is already in the file is skipped. Returns how many
/// were added.
pub(crate) async fn insert_reads(
    db: &mut SqliteConnection,
    rows: &[ReadRow],
    source: &str,
    by: &Captured,
) -> sqlx::Result<u64> {
    let mut added = 0;
    for chunk in rows.chunks(CHUNK) {
        let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
        added += sqlx::query!(
            "INSERT INTO passing (id, point, at_ms, bib, chip, source, import_key, station, seq, operator, captured_ms)
             SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, ?2,
                    j.value ->> 5, ?3, j.value ->> 6, ?4, ?5
             FROM json_each(?1) j WHERE true
             ON CONFLICT (import_key) DO NOTHING",
            json,
            source,
            by.station,
            by.operator,
            by.captured_ms,
        )
        .execute(&mut *db)
        .await?
        .rows_affected();
    }
    Ok(added)
}

/// The oldest passing at `point` with no bib, no chip, no bib given by a
/// correction and not voided: where a bib typed after the taps goes.
pub(crate) async fn oldest_unassigned(
    db: impl SqliteExecutor<'_>,
    point: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"SELECT p.id AS "id!: String" FROM passing p
           WHERE p.point = ? AND p.bib IS NULL AND p.chip IS NULL
             AND NOT EXISTS (SELECT 1 FROM correction c WHERE c.passing = p.id AND c.kind IN ('bib', 'void'))
           ORDER BY p.at_ms, p.id LIMIT 1"#,
        point
    )
    .fetch_optional(db)
    .await
}

pub(crate) async fn passing_exists(db: impl SqliteExecutor<'_>, id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM passing WHERE id = ?) AS "found!: bool""#,
        id
    )
    .fetch_one(db)
    .await
}

pub(crate) struct CorrectionRow {
    pub passing: String,
    pub kind: &'static str,
    pub bib: Option<String>,
    pub at_ms: Option<i64>,
    pub reason: Option<String>,
}

pub(crate) async fn insert_correction(
    db: &mut SqliteConnection,
    row: &CorrectionRow,
    by: &Captured,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO correction (id, passing, kind, bib, at_ms, reason, station, seq, operator, captured_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        by.id,
        row.passing,
        row.kind,
        row.bib,
        row.at_ms,
        row.reason,
        by.station,
        by.seq,
        by.operator,
        by.captured_ms,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub(crate) async fn insert_status(
    db: &mut SqliteConnection,
    bib: &str,
    status: &str,
    reason: Option<&str>,
    by: &Captured,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO runner_status (id, bib, status, reason, station, seq, operator, captured_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        by.id,
        bib,
        status,
        reason,
        by.station,
        by.seq,
        by.operator,
        by.captured_ms,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Every passing with what its corrections make of it, in crossing order.
#[derive(Debug, Clone)]
pub(crate) struct PassingView {
    pub id: String,
    pub point: String,
    pub at_ms: i64,
    pub bib: Option<String>,
    pub chip: Option<String>,
    /// The bib of the entrant holding the chip, for a chip read.
    pub chip_bib: Option<String>,
    pub source: String,
    pub station: String,
    pub seq: i64,
    pub bib_fix: Option<String>,
    pub time_fix: Option<i64>,
    pub voided: bool,
    pub corrections: i64,
}

pub(crate) async fn passings(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<PassingView>> {
    sqlx::query_as!(
        PassingView,
        r#"SELECT p.id AS "id!: String", p.point, p.at_ms, p.bib, p.chip,
                  (SELECT e.bib FROM entrant e WHERE e.chip = p.chip) AS "chip_bib: String",
                  p.source, p.station, p.seq,
                  (SELECT c.bib FROM correction c WHERE c.passing = p.id AND c.kind = 'bib'
                   ORDER BY c.id DESC LIMIT 1) AS "bib_fix: String",
                  (SELECT c.at_ms FROM correction c WHERE c.passing = p.id AND c.kind = 'time'
                   ORDER BY c.id DESC LIMIT 1) AS "time_fix: i64",
                  EXISTS (SELECT 1 FROM correction c WHERE c.passing = p.id AND c.kind = 'void') AS "voided!: bool",
                  (SELECT count(*) FROM correction c WHERE c.passing = p.id) AS "corrections!: i64"
           FROM passing p ORDER BY p.at_ms, p.id"#
    )
    .fetch_all(db)
    .await
}

/// One row of a passing's history: the capture itself, then each correction.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub id: String,
    /// capture, bib, time or void.
    pub kind: String,
    pub bib: Option<String>,
    pub at_ms: Option<i64>,
    pub reason: Option<String>,
    pub station: String,
    pub operator: String,
    pub captured_ms: i64,
}

pub(crate) async fn history(
    db: impl SqliteExecutor<'_>,
    id: &str,
) -> sqlx::Result<Vec<HistoryEntry>> {
    sqlx::query_as!(
        HistoryEntry,
        r#"SELECT id AS "id!: String", 'capture' AS "kind!: String", coalesce(bib, chip) AS "bib: String",
                  at_ms AS "at_ms: i64", NULL AS "reason: String", station, operator, captured_ms
           FROM passing WHERE id = ?1
           UNION ALL
           SELECT id, kind, bib, at_ms, reason, station, operator, captured_ms
           FROM correction WHERE passing = ?1
           ORDER BY 1"#,
        id
    )
    .fetch_all(db)
    .await
}

/// The standing status of each bib that has one other than 'ok'.
pub(crate) struct StatusRow {
    pub bib: String,
    pub status: String,
    pub reason: Option<String>,
}

pub(crate) async fn statuses(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<StatusRow>> {
    sqlx::query_as!(
        StatusRow,
        r#"SELECT bib, status, reason FROM runner_status
           WHERE id IN (SELECT max(id) FROM runner_status GROUP BY bib) AND status <> 'ok'"#
    )
    .fetch_all(db)
    .await
}

/// Each entrant's bib and race id, for checking captures against the roster.
pub(crate) async fn bib_races(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<(String, i64)>> {
    Ok(sqlx::query!("SELECT bib, race_id FROM entrant")
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|r| (r.bib, r.race_id))
        .collect())
}
