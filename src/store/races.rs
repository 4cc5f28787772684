//! Rows of the `race` table.

use sqlx::SqliteExecutor;

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct RaceRow {
    #[serde(skip)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub distance_m: i64,
    pub age_groups: String,
    pub bibs: Option<String>,
    #[serde(skip)]
    pub entrants: i64,
}

pub(crate) async fn all(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<RaceRow>> {
    sqlx::query_as!(
        RaceRow,
        r#"SELECT r.id, r.code, r.name, r.distance_m, r.age_groups, r.bibs,
                  (SELECT count(*) FROM entrant e WHERE e.race_id = r.id) AS "entrants!: i64"
           FROM race r ORDER BY r.id"#
    )
    .fetch_all(db)
    .await
}

/// Inserts a race and returns its row id.
pub(crate) async fn insert(db: impl SqliteExecutor<'_>, row: &RaceRow) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO race (code, name, distance_m, age_groups, bibs) VALUES (?, ?, ?, ?, ?) RETURNING id",
        row.code,
        row.name,
        row.distance_m,
        row.age_groups,
        row.bibs,
    )
    .fetch_one(db)
    .await?;
    Ok(id)
}
