//! What two stations did apart that cannot both hold: runners registered
//! under one bib (two offline desks typing the same bib for two walk-ups),
//! whose second to arrive is kept aside, whole, for the director to give
//! another bib (what the runner's desk captured for them, by their uid,
//! applies once they are added); and races made under one code, the later
//! of which goes by a code of its own until the director renames it.
//! Nothing is dropped.

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

/// A race made at another station under a code a race here had first:
/// it goes by a code of its own (`10K-9F3A`) until the director renames
/// it (or removes it, when no runner is in it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct RaceClash {
    /// The code it goes by here.
    pub code: String,
    /// The code it was given.
    pub wanted: String,
    pub name: String,
    /// The station it was given that code at (its name, where known).
    pub station: String,
    /// The race that holds the code here.
    pub holder: Option<String>,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub entrants: i64,
}

/// The races going by a code other than the one they were given.
pub async fn race_clashes(file: &EventFile) -> Result<Vec<RaceClash>> {
    let rows: Vec<(String, String, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT r.code, s.code, r.name,
                coalesce((SELECT t.name FROM sync_station t WHERE t.id = s.station), s.station),
                (SELECT o.name FROM race o WHERE o.code = s.code),
                (SELECT count(*) FROM entrant e WHERE e.race_id = r.id)
         FROM race r
         JOIN (SELECT target, upper(trim(fields ->> '$.code')) AS code, station,
                      row_number() OVER (PARTITION BY target
                                         ORDER BY captured_ms DESC, id DESC) AS n
               FROM setup_change
               WHERE entity = 'race' AND json_type(fields, '$.code') = 'text') s
           ON s.target = hex(r.uid) AND s.n = 1
         WHERE s.code <> r.code
         ORDER BY r.code",
    )
    .fetch_all(file.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(code, wanted, name, station, holder, entrants)| RaceClash {
                code,
                wanted,
                name,
                station,
                holder,
                entrants,
            },
        )
        .collect())
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

/// Gives the runner `uid` the bib `bib` when no one holds it here,
/// audited, as an edit that travels; whether it was free.
async fn rebib(
    db: &mut sqlx::SqliteConnection,
    uid: &[u8],
    bib: &Bib,
    who: (&str, &str),
    at_ms: i64,
) -> Result<bool> {
    use crate::store::edits;
    let Some((before, after)) = set_bib(db, uid, &bib.to_string(), who).await? else {
        return Ok(false);
    };
    edits::record_entrant(db, uid, before, after, who, at_ms).await?;
    Ok(true)
}

/// The runner before and after a change, in travel form.
type BeforeAfter = (Option<serde_json::Value>, Option<serde_json::Value>);

/// Gives the runner `uid` the bib `bib` when no one holds it here, audited
/// as made by `who` (station, operator); the runner before and after, or
/// `None` when the bib is taken.
async fn set_bib(
    db: &mut sqlx::SqliteConnection,
    uid: &[u8],
    bib: &str,
    who: (&str, &str),
) -> sqlx::Result<Option<BeforeAfter>> {
    use crate::store::edits;
    let before = edits::entrant_state(db, uid).await?;
    let changed = sqlx::query(
        "UPDATE entrant SET bib = ?1 WHERE uid = ?2
           AND NOT EXISTS (SELECT 1 FROM entrant WHERE bib = ?1)",
    )
    .bind(bib)
    .bind(uid)
    .execute(&mut *db)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(None);
    }
    let after = edits::entrant_state(db, uid).await?;
    crate::store::audit::record(
        &mut *db,
        crate::store::audit::Change {
            operator: who.1,
            station: who.0,
            entity: "entrant",
            key: &edits::bib_of(before.as_ref()),
            action: "update",
            old: before.as_ref().map(ToString::to_string),
            new: after.as_ref().map(ToString::to_string),
        },
    )
    .await?;
    Ok(Some((before, after)))
}

/// Adds the runner of conflict `uid` under `bib` (a free one), audited as
/// made by `operator`; the conflict is settled. For a runner here whose
/// bib was changed at another station to one a different runner holds
/// here, gives them `bib` instead.
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
    let here: Option<Vec<u8>> = sqlx::query_scalar("SELECT uid FROM entrant WHERE uid = unhex(?)")
        .bind(uid)
        .fetch_optional(&mut *tx)
        .await?;
    let settled = match here {
        // A runner here whose bib was changed elsewhere to one taken here.
        Some(uid) => rebib(&mut tx, &uid, &bib, (file.station(), operator), now).await?,
        None => {
            let added = facts::add_entrants(&mut tx, &row, (file.station(), operator), now).await?;
            added.added == 1
        }
    };
    if !settled {
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

/// Settles, in the caller's transaction, the conflicts whose cause is
/// gone: a walk-up whose bib is free here now (the runner holding it got
/// another) is added; a bib change kept aside is settled once a later
/// change gave the runner another bib.
pub(crate) async fn settle(db: &mut sqlx::SqliteConnection, who: (&str, &str)) -> sqlx::Result<()> {
    let now = crate::store::now_ms();
    sqlx::query(
        "UPDATE entrant_conflict SET resolved_ms = ?1
         WHERE resolved_ms IS NULL
           AND EXISTS (SELECT 1 FROM entrant e WHERE e.uid = entrant_conflict.uid)
           AND EXISTS (SELECT 1 FROM setup_change c
                       WHERE c.target = hex(entrant_conflict.uid)
                         AND json_type(c.fields, '$.bib') IS NOT NULL
                         AND c.captured_ms > entrant_conflict.found_ms)",
    )
    .bind(now)
    .execute(&mut *db)
    .await?;
    // A bib change kept aside whose bib is free now: it applies.
    let freed: Vec<(Vec<u8>, String)> = sqlx::query_as(
        "SELECT c.uid, c.bib FROM entrant_conflict c
         WHERE c.resolved_ms IS NULL
           AND EXISTS (SELECT 1 FROM entrant e WHERE e.uid = c.uid)
           AND NOT EXISTS (SELECT 1 FROM entrant e WHERE e.bib = c.bib)",
    )
    .fetch_all(&mut *db)
    .await?;
    for (uid, bib) in freed {
        set_bib(db, &uid, &bib, who).await?;
        sqlx::query("UPDATE entrant_conflict SET resolved_ms = ? WHERE uid = ?")
            .bind(now)
            .bind(&uid)
            .execute(&mut *db)
            .await?;
    }
    let free: Option<String> = sqlx::query_scalar(
        "SELECT json_group_array(json(c.row)) FROM entrant_conflict c
         WHERE c.resolved_ms IS NULL
           AND NOT EXISTS (SELECT 1 FROM entrant e WHERE e.uid = c.uid)
           AND NOT EXISTS (SELECT 1 FROM entrant e WHERE e.bib = c.bib)
         HAVING count(*) > 0",
    )
    .fetch_optional(&mut *db)
    .await?;
    if let Some(rows) = free {
        facts::add_entrants(db, &rows, who, now).await?;
        sqlx::query(
            "UPDATE entrant_conflict SET resolved_ms = ?1
             WHERE resolved_ms IS NULL AND EXISTS (SELECT 1 FROM entrant e WHERE e.uid = entrant_conflict.uid
                                                     AND e.bib = entrant_conflict.bib)",
        )
        .bind(now)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}
