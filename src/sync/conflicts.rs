//! Runners registered at two stations under one bib (two offline desks
//! typing the same bib for two walk-ups): the second to arrive is kept
//! aside, whole, and shown to the director, who gives that runner another
//! bib. Nothing is dropped; what the runner's desk captured for them
//! (their check-in, by their uid) applies once they are added.

use crate::error::{Error, Result};
use crate::model::Bib;
use crate::store::EventFile;

use super::facts;

/// A walk-up another station registered whose bib (or chip) a different
/// runner holds here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct WalkUpConflict {
    /// The runner's uid (hex): what settles it.
    pub uid: String,
    pub bib: String,
    pub name: String,
    /// Who holds the bib here.
    pub holder: Option<String>,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub found_ms: i64,
}

/// The conflicts not settled yet, oldest first.
pub async fn conflicts(file: &EventFile) -> Result<Vec<WalkUpConflict>> {
    let rows: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT hex(c.uid), c.bib,
                trim(coalesce(c.row ->> 3, '') || ' ' || coalesce(c.row ->> 4, '')),
                (SELECT trim(e.given_name || ' ' || e.family_name) FROM entrant e WHERE e.bib = c.bib),
                c.found_ms
         FROM entrant_conflict c WHERE c.resolved_ms IS NULL ORDER BY c.found_ms, c.bib",
    )
    .fetch_all(file.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(uid, bib, name, holder, found_ms)| WalkUpConflict {
            uid,
            bib,
            name,
            holder,
            found_ms,
        })
        .collect())
}

/// Adds the runner of conflict `uid` under `bib` (a free one), audited as
/// made by `operator`; the conflict is settled.
pub async fn resolve(file: &EventFile, uid: &str, bib: &str, operator: &str) -> Result<()> {
    let bib = Bib::parse(bib).map_err(|reason| Error::invalid("bib", reason))?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let row: Option<String> = sqlx::query_scalar(
        "SELECT json_array(json_set(row, '$[1]', ?2)) FROM entrant_conflict
         WHERE uid = unhex(?1) AND resolved_ms IS NULL",
    )
    .bind(uid)
    .bind(bib.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(Error::NotFound(crate::said!("sync.no_conflict")));
    };
    let now = crate::store::now_ms();
    let added = facts::add_entrants(&mut tx, &row, operator, now).await?;
    if added.added != 1 {
        return Err(Error::Conflict(crate::said!(
            "sync.bib_still_taken",
            bib = bib
        )));
    }
    sqlx::query("UPDATE entrant_conflict SET resolved_ms = ?2 WHERE uid = unhex(?1)")
        .bind(uid)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
