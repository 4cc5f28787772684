//! Rows of the timing tables: race starts, passings, corrections, runner
//! statuses. Insert and read only: triggers refuse updates and deletes.

use sqlx::{SqliteConnection, SqliteExecutor};

use super::bulk::Value;

/// Who captured a row, and when (wall clock of capture).
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub id: String,
    pub station: String,
    pub seq: i64,
    pub operator: String,
    pub captured_ms: i64,
}

pub(crate) struct StartRow {
    /// The race's uid: the same race in every copy of the event.
    pub race_uid: Vec<u8>,
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
        "INSERT INTO race_start (id, race_uid, wave, at_ms, source, replaces, reason, station, seq, operator, captured_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        by.id,
        row.race_uid,
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
           FROM race_start s JOIN race r ON r.uid = s.race_uid
           WHERE s.id IN (SELECT max(id) FROM race_start GROUP BY race_uid, wave)
             AND s.id NOT IN (SELECT start FROM start_undo)
           ORDER BY r.id, s.wave"#
    )
    .fetch_all(db)
    .await
}

/// The latest start row of a race and wave, and whether it was undone.
pub(crate) async fn start_of(
    db: impl SqliteExecutor<'_>,
    race_uid: &[u8],
    wave: &str,
) -> sqlx::Result<Option<(String, bool)>> {
    let row = sqlx::query!(
        r#"SELECT s.id AS "id!: String",
                  EXISTS (SELECT 1 FROM start_undo u WHERE u.start = s.id) AS "undone!: bool"
           FROM race_start s
           WHERE s.id = (SELECT max(id) FROM race_start WHERE race_uid = ? AND wave = ?)"#,
        race_uid,
        wave
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.id, r.undone)))
}

/// Takes a start back (see the start_undo migration).
pub(crate) async fn insert_undo(
    db: &mut SqliteConnection,
    start: &str,
    reason: &str,
    by: &Captured,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO start_undo (id, start, reason, station, seq, operator, captured_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        by.id,
        start,
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

#[derive(Clone)]
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
        "INSERT INTO passing (id, point, at_ms, bib, chip, source, import_key, station, seq, operator, captured_ms,
             clock_offset_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT offset_ms FROM sync_link WHERE one = 1))",
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

/// Records a passing in one statement, which is its own transaction: the
/// station's next number is taken and the row written under one write
/// lock (an INSERT takes it before it reads), so a capture costs one round
/// trip to SQLite and its commit. Returns the number given.
pub(crate) async fn record_passing(
    db: impl SqliteExecutor<'_>,
    row: &PassingRow,
    by: &Captured,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"INSERT INTO passing (id, point, at_ms, bib, chip, source, import_key, station, seq, operator, captured_ms,
               clock_offset_ms)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
             max(coalesce((SELECT max(seq) FROM checkin WHERE station = ?8), 0),
                 coalesce((SELECT max(seq) FROM passing WHERE station = ?8), 0),
                 coalesce((SELECT max(seq) FROM correction WHERE station = ?8), 0),
                 coalesce((SELECT max(seq) FROM race_start WHERE station = ?8), 0),
                 coalesce((SELECT max(seq) FROM runner_status WHERE station = ?8), 0),
                 coalesce((SELECT max(seq) FROM crossing WHERE station = ?8), 0),
                 coalesce((SELECT max(seq) FROM start_undo WHERE station = ?8), 0),
                 coalesce((SELECT max(seq) FROM setup_change WHERE station = ?8), 0)) + 1,
             ?9, ?10, (SELECT offset_ms FROM sync_link WHERE one = 1))
           RETURNING seq AS "seq!: i64""#,
        by.id,
        row.point,
        row.at_ms,
        row.bib,
        row.chip,
        row.source,
        row.import_key,
        by.station,
        by.operator,
        by.captured_ms,
    )
    // Stepped to the end, where the statement commits: a commit that
    // fails (a full disk) is an error here, never a lost row acknowledged.
    .fetch_all(db)
    .await?
    .first()
    .copied()
    .ok_or(sqlx::Error::RowNotFound)
}

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
    super::bulk::run_rows(
        db,
        "INSERT INTO passing (id, point, at_ms, bib, chip, source, import_key, station, seq, operator, captured_ms,
             clock_offset_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT offset_ms FROM sync_link WHERE one = 1))
         ON CONFLICT (import_key) WHERE import_key IS NOT NULL DO NOTHING",
        rows.iter().map(|(id, point, at_ms, bib, chip, key, seq)| {
            [
                Value::Text(id),
                Value::Text(point),
                Value::Int(*at_ms),
                bib.into(),
                chip.into(),
                Value::Text(source),
                Value::Text(key),
                Value::Text(&by.station),
                Value::Int(*seq),
                Value::Text(&by.operator),
                Value::Int(by.captured_ms),
            ]
        }),
    )
    .await
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

/// A passing with what its corrections make of it.
#[derive(Debug, Clone)]
pub(crate) struct PassingView {
    /// The row's rowid: what corrections are matched by.
    pub key: i64,
    /// Empty when read lean (scoring needs no ids).
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

/// The passings at `point` (all points with `None`), each with what its
/// corrections make of it; `lean` leaves out the id, source, station and
/// sequence (scoring needs none of them). The passings are read on the
/// connection's own handle (see `bulk`), and the corrections joined here.
pub(crate) async fn passings(
    db: &mut SqliteConnection,
    point: Option<&str>,
    lean: bool,
) -> sqlx::Result<Vec<PassingView>> {
    let only = [point.map_or(Value::Null, Value::Text)];
    let mut passings: Vec<PassingView> = if lean {
        super::bulk::select(
            db,
            "SELECT p.rowid, p.point, p.at_ms, p.bib, p.chip
             FROM passing p WHERE ?1 IS NULL OR p.point = ?1",
            only,
            |r| {
                let point = r.text(1).unwrap_or_default();
                PassingView::new(
                    r.int(0),
                    String::new(),
                    point,
                    r.int(2),
                    r.text(3),
                    r.text(4),
                )
            },
        )
        .await?
    } else {
        super::bulk::select(
            db,
            "SELECT p.rowid, p.id, p.point, p.at_ms, p.bib, p.chip, p.source, p.station, p.seq
             FROM passing p WHERE ?1 IS NULL OR p.point = ?1",
            only,
            |r| {
                let (id, point) = (r.text(1).unwrap_or_default(), r.text(2).unwrap_or_default());
                let mut view =
                    PassingView::new(r.int(0), id, point, r.int(3), r.text(4), r.text(5));
                view.source = r.text(6).unwrap_or_default();
                view.station = r.text(7).unwrap_or_default();
                view.seq = r.int(8);
                view
            },
        )
        .await?
    };
    let index: std::collections::HashMap<i64, usize> = passings
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key, i))
        .collect();
    // In id order (UUID v7: the order they were made), so the latest
    // correction of each kind is applied last.
    let corrections = sqlx::query!(
        r#"SELECT p.rowid AS "key!: i64", c.kind, c.bib, c.at_ms
           FROM correction c JOIN passing p ON p.id = c.passing
           WHERE ?1 IS NULL OR p.point = ?1
           ORDER BY c.id"#,
        point
    )
    .fetch_all(&mut *db)
    .await?;
    for c in corrections {
        let Some(p) = index.get(&c.key).map(|&i| &mut passings[i]) else {
            continue;
        };
        p.corrections += 1;
        match c.kind.as_str() {
            "bib" => p.bib_fix = c.bib,
            "time" => p.time_fix = c.at_ms,
            _ => p.voided = true,
        }
    }
    if passings.iter().any(|p| p.chip.is_some()) {
        let holders: std::collections::HashMap<String, String> = sqlx::query!(
            r#"SELECT chip AS "chip!: String", bib FROM entrant WHERE chip IS NOT NULL AND chip <> ''"#
        )
        .fetch_all(&mut *db)
        .await?
        .into_iter()
        .map(|e| (e.chip, e.bib))
        .collect();
        for p in &mut passings {
            p.chip_bib = p.chip.as_ref().and_then(|c| holders.get(c).cloned());
        }
    }
    // In no particular order: the caller orders them once, by the times
    // the corrections give.
    Ok(passings)
}

impl PassingView {
    fn new(
        key: i64,
        id: String,
        point: String,
        at_ms: i64,
        bib: Option<String>,
        chip: Option<String>,
    ) -> Self {
        Self {
            key,
            id,
            point,
            at_ms,
            bib,
            chip,
            chip_bib: None,
            source: String::new(),
            station: String::new(),
            seq: 0,
            bib_fix: None,
            time_fix: None,
            voided: false,
            corrections: 0,
        }
    }
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

/// The Latin and the Hangul (own script) name of a bib's runner.
pub(crate) async fn runner_name(
    db: impl SqliteExecutor<'_>,
    bib: &str,
) -> sqlx::Result<Option<(String, Option<String>)>> {
    Ok(sqlx::query!(
        r#"SELECT trim(given_name || ' ' || family_name) AS "name!: String", native_name
           FROM entrant WHERE bib = ?"#,
        bib
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.name, r.native_name)))
}
