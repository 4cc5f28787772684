//! The audit trail of setup data: one row per change, in the same
//! transaction as the change itself.

use sqlx::SqliteExecutor;

/// One change: `old` and `new` are JSON of the whole record (None when it
/// did not exist before, or no longer exists after).
pub(crate) struct Change<'a> {
    pub operator: &'a str,
    /// The station the change was made at.
    pub station: &'a str,
    pub entity: &'static str,
    pub key: &'a str,
    pub action: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

pub(crate) async fn record(db: impl SqliteExecutor<'_>, change: Change<'_>) -> sqlx::Result<()> {
    let at = super::now_ms();
    sqlx::query!(
        "INSERT INTO audit (at_ms, operator, station, entity, entity_key, action, old, new)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        at,
        change.operator,
        change.station,
        change.entity,
        change.key,
        change.action,
        change.old,
        change.new,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// An audit row as read back, newest first, for the history views.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub at_ms: i64,
    pub operator: String,
    /// The station it was made at (none for changes made before stations
    /// shared an event).
    pub station: Option<String>,
    pub entity: String,
    pub key: String,
    pub action: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Why, where the person said.
    pub reason: Option<String>,
}

pub(crate) async fn history(
    db: impl SqliteExecutor<'_>,
    entity: &str,
    key: &str,
) -> sqlx::Result<Vec<AuditEntry>> {
    sqlx::query_as!(
        AuditEntry,
        r#"SELECT at_ms, operator, station, entity, entity_key AS "key", action, old, new, reason
           FROM audit WHERE entity = ? AND entity_key = ? ORDER BY id DESC"#,
        entity,
        key,
    )
    .fetch_all(db)
    .await
}
