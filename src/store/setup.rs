//! Rows of the `event` table.

use sqlx::SqliteExecutor;

/// The event as stored: text columns, checked when turned into the model.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct EventRow {
    pub name: String,
    pub date: String,
    pub time_zone: String,
    pub place: Option<String>,
}

pub(crate) async fn get(db: impl SqliteExecutor<'_>) -> sqlx::Result<Option<EventRow>> {
    sqlx::query_as!(
        EventRow,
        "SELECT name, date, time_zone, place FROM event WHERE id = 1"
    )
    .fetch_optional(db)
    .await
}

/// What makes the event the same in every copy: its uid, or for a file
/// made before events had one, its name, race day and time zone.
pub(crate) async fn identity(db: impl SqliteExecutor<'_>) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(hex(uid), name || '|' || date || '|' || time_zone) AS "identity!: String"
           FROM event WHERE id = 1"#
    )
    .fetch_optional(db)
    .await
}

pub(crate) async fn insert(db: impl SqliteExecutor<'_>, row: &EventRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO event (id, name, date, time_zone, place, uid) VALUES (1, ?, ?, ?, ?, randomblob(16))",
        row.name,
        row.date,
        row.time_zone,
        row.place,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub(crate) async fn update(db: impl SqliteExecutor<'_>, row: &EventRow) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE event SET name = ?, date = ?, time_zone = ?, place = ? WHERE id = 1",
        row.name,
        row.date,
        row.time_zone,
        row.place,
    )
    .execute(db)
    .await?;
    Ok(())
}
