//! Rows of the crossing order: the bibs a second operator types in the
//! order runners cross a point, paired with the times tapped there.
//! Insert and read only, like every captured fact.

use sqlx::{SqliteConnection, SqliteExecutor};

use super::timing::Captured;

/// A bib in the crossing order at a point, not dropped.
#[derive(Debug, Clone)]
pub(crate) struct CrossingView {
    pub id: String,
    pub point: String,
    pub bib: Option<String>,
}

/// The crossing order at every point, without the dropped rows.
pub(crate) async fn crossings(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<CrossingView>> {
    sqlx::query_as!(
        CrossingView,
        r#"SELECT c.id AS "id!: String", c.point, c.bib FROM crossing c
           WHERE c.kind = 'bib' AND NOT EXISTS (SELECT 1 FROM crossing d WHERE d.drops = c.id)
           ORDER BY c.point, c.ord, c.id"#
    )
    .fetch_all(db)
    .await
}

/// Where a bib appended at `point` goes: after every row there.
pub(crate) async fn next_ord(db: impl SqliteExecutor<'_>, point: &str) -> sqlx::Result<f64> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(max(ord), 0.0) + 1.0 AS "ord!: f64" FROM crossing WHERE point = ?"#,
        point
    )
    .fetch_one(db)
    .await
}

/// A crossing row's point, place, the place of the row before it, and
/// whether it was dropped.
pub(crate) struct CrossingPlace {
    pub point: String,
    pub ord: f64,
    pub before: Option<f64>,
    pub dropped: bool,
}

pub(crate) async fn crossing_place(
    db: impl SqliteExecutor<'_>,
    id: &str,
) -> sqlx::Result<Option<CrossingPlace>> {
    sqlx::query_as!(
        CrossingPlace,
        r#"SELECT c.point, c.ord AS "ord!: f64",
                  (SELECT max(b.ord) FROM crossing b WHERE b.point = c.point AND b.ord < c.ord) AS "before: f64",
                  EXISTS (SELECT 1 FROM crossing d WHERE d.drops = c.id) AS "dropped!: bool"
           FROM crossing c WHERE c.id = ? AND c.kind = 'bib'"#,
        id
    )
    .fetch_optional(db)
    .await
}

pub(crate) async fn insert_crossing(
    db: &mut SqliteConnection,
    point: &str,
    ord: f64,
    bib: Option<&str>,
    reason: Option<&str>,
    by: &Captured,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO crossing (id, point, kind, ord, bib, reason, station, seq, operator, captured_ms)
         VALUES (?, ?, 'bib', ?, ?, ?, ?, ?, ?, ?)",
        by.id,
        point,
        ord,
        bib,
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

pub(crate) async fn insert_crossing_drop(
    db: &mut SqliteConnection,
    point: &str,
    drops: &str,
    reason: &str,
    by: &Captured,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO crossing (id, point, kind, drops, reason, station, seq, operator, captured_ms)
         VALUES (?, ?, 'drop', ?, ?, ?, ?, ?, ?)",
        by.id,
        point,
        drops,
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

/// Whether bibs at `point` come in crossing order from a second operator.
pub(crate) async fn has_crossings(db: impl SqliteExecutor<'_>, point: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM crossing WHERE point = ?) AS "found!: bool""#,
        point
    )
    .fetch_one(db)
    .await
}
