//! Rows of the `race` and `wave` tables.

use sqlx::SqliteExecutor;

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct RaceRow {
    #[serde(skip)]
    pub id: i64,
    /// The same race in every copy of the event (16 bytes).
    #[serde(skip)]
    pub uid: Vec<u8>,
    pub code: String,
    pub name: String,
    pub distance_m: i64,
    pub age_groups: String,
    pub bibs: Option<String>,
    /// Wave names in order, joined with commas (names cannot hold one).
    pub waves: String,
    /// Checkpoints as `point=metres`, nearest the start first, joined with commas.
    pub checkpoints: String,
    pub net_time: bool,
    pub cutoff_ms: Option<i64>,
    pub overdue_ms: Option<i64>,
    /// `M=2:05:30, F=2:23:00`, or one time for anyone.
    pub records: Option<String>,
    /// Walk-up bibs per station: a JSON object of station id -> ranges.
    pub blocks: String,
    #[serde(skip)]
    pub entrants: i64,
}

pub(crate) async fn all(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<RaceRow>> {
    sqlx::query_as!(
        RaceRow,
        r#"SELECT r.id, r.uid, r.code, r.name, r.distance_m, r.age_groups, r.bibs,
                  r.net_time AS "net_time: bool", r.cutoff_ms, r.overdue_ms, r.records, r.blocks,
                  coalesce((SELECT group_concat(w.name, ',' ORDER BY w.position) FROM wave w WHERE w.race_id = r.id), '') AS "waves!: String",
                  coalesce((SELECT group_concat(c.point || '=' || c.distance_m, ',' ORDER BY c.distance_m) FROM checkpoint c WHERE c.race_id = r.id), '') AS "checkpoints!: String",
                  (SELECT count(*) FROM entrant e WHERE e.race_id = r.id) AS "entrants!: i64"
           FROM race r ORDER BY r.id"#
    )
    .fetch_all(db)
    .await
}

/// Inserts a race and returns its row id.
pub(crate) async fn insert(db: impl SqliteExecutor<'_>, row: &RaceRow) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO race (uid, code, name, distance_m, age_groups, bibs, net_time, cutoff_ms, overdue_ms, records, blocks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        row.uid,
        row.code,
        row.name,
        row.distance_m,
        row.age_groups,
        row.bibs,
        row.net_time,
        row.cutoff_ms,
        row.overdue_ms,
        row.records,
        row.blocks,
    )
    .fetch_one(db)
    .await
}

pub(crate) async fn update(db: impl SqliteExecutor<'_>, row: &RaceRow) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE race SET code = ?, name = ?, distance_m = ?, age_groups = ?, bibs = ?, net_time = ?, cutoff_ms = ?, overdue_ms = ?, records = ?, blocks = ? WHERE id = ?",
        row.code,
        row.name,
        row.distance_m,
        row.age_groups,
        row.bibs,
        row.net_time,
        row.cutoff_ms,
        row.overdue_ms,
        row.records,
        row.blocks,
        row.id,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub(crate) async fn delete(db: impl SqliteExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM race WHERE id = ?", id)
        .execute(db)
        .await?;
    Ok(())
}

/// The bibs of a race's entrants.
pub(crate) async fn bibs_of(
    db: impl SqliteExecutor<'_>,
    race_id: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT bib FROM entrant WHERE race_id = ?", race_id)
        .fetch_all(db)
        .await
}

/// Replaces a race's waves with `names`, in order.
pub(crate) async fn set_waves(
    db: &mut sqlx::SqliteConnection,
    race_id: i64,
    names: &[String],
) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM wave WHERE race_id = ?", race_id)
        .execute(&mut *db)
        .await?;
    for (position, name) in names.iter().enumerate() {
        let position = position as i64;
        sqlx::query!(
            "INSERT INTO wave (race_id, name, position) VALUES (?, ?, ?)",
            race_id,
            name,
            position
        )
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// Replaces a race's checkpoints.
pub(crate) async fn set_checkpoints(
    db: &mut sqlx::SqliteConnection,
    race_id: i64,
    checkpoints: &[crate::model::Checkpoint],
) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM checkpoint WHERE race_id = ?", race_id)
        .execute(&mut *db)
        .await?;
    for checkpoint in checkpoints {
        let metres = i64::from(checkpoint.distance_m);
        sqlx::query!(
            "INSERT INTO checkpoint (race_id, point, distance_m) VALUES (?, ?, ?)",
            race_id,
            checkpoint.point,
            metres
        )
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}
