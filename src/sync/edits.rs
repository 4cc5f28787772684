//! Setup edits made at other stations, applied here: a race renamed at the
//! director's laptop, a bib changed or a runner moved at a desk.
//!
//! Each field takes the value of the latest edit that set it (by the time
//! it was made, then by id), so copies holding the same edits agree
//! whatever order the edits reached them in. An edit that cannot apply
//! here (a bib another runner holds, a race this copy lacks) leaves the
//! field as it is; a bib is then kept aside as a conflict for the
//! director, and the edit itself stays in `setup_change`, never dropped.

use serde_json::{Map, Value};
use sqlx::SqliteConnection;

use crate::store::audit::{self, Change};
use crate::store::edits::{self, ENTRANT_FIELDS};

/// The race fields an edit may set, as they travel.
const RACE_FIELDS: [&str; 12] = [
    "code",
    "name",
    "distance_m",
    "age_groups",
    "bibs",
    "waves",
    "checkpoints",
    "net_time",
    "cutoff_ms",
    "overdue_ms",
    "records",
    "blocks",
];

const EVENT_FIELDS: [&str; 4] = ["name", "date", "time_zone", "place"];

/// One stored edit.
#[derive(sqlx::FromRow)]
struct Stored {
    id: String,
    entity: String,
    target: String,
    action: String,
    fields: String,
    station: String,
    operator: String,
    captured_ms: i64,
}

/// The largest rowid of `setup_change`: the edits stored after it are the
/// ones [`apply`] is given.
pub(crate) async fn last_rowid(db: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(rowid), 0) FROM setup_change")
        .fetch_one(&mut *db)
        .await
}

/// Applies the edits stored after rowid `after` of the given entities
/// (`event` and `race` before new entrants are added, `entrant` after),
/// oldest first, in the caller's transaction; each one applied is audited
/// with the station it was made at.
pub(crate) async fn apply(
    db: &mut SqliteConnection,
    after: i64,
    entities: &[&str],
) -> sqlx::Result<()> {
    let stored: Vec<Stored> = sqlx::query_as(
        "SELECT id, entity, target, action, fields, station, operator, captured_ms
         FROM setup_change WHERE rowid > ? ORDER BY captured_ms, id",
    )
    .bind(after)
    .fetch_all(&mut *db)
    .await?;
    for edit in stored
        .iter()
        .filter(|e| entities.contains(&e.entity.as_str()))
    {
        match (edit.entity.as_str(), edit.action.as_str()) {
            ("entrant", "update") => apply_to_entrant(db, edit).await?,
            ("race", "create") => {
                create_race(db, edit).await?;
                // An edit of the race that came before its creation.
                let later: Vec<Stored> = sqlx::query_as(
                    "SELECT id, entity, target, action, fields, station, operator, captured_ms
                     FROM setup_change WHERE target = ? AND action = 'update'
                       AND (captured_ms, id) > (?, ?) ORDER BY captured_ms, id",
                )
                .bind(&edit.target)
                .bind(edit.captured_ms)
                .bind(&edit.id)
                .fetch_all(&mut *db)
                .await?;
                for update in &later {
                    apply_to_race(db, update).await?;
                }
            }
            ("race", "update") => apply_to_race(db, edit).await?,
            ("race", "delete") => delete_race(db, edit).await?,
            ("event", "update") => apply_to_event(db, edit).await?,
            _ => tracing::warn!(id = edit.id, "a setup change of an unknown kind was kept"),
        }
    }
    if stored.iter().any(|e| e.entity == "race") && entities.contains(&"race") {
        settle_codes(db).await?;
    }
    Ok(())
}

/// A code for a race that wants one another race holds: the code's start
/// and the end of the race's uid (`10K-9F3A`), the same in every copy.
fn provisional(code: &str, uid: &[u8]) -> String {
    let head: String = code.chars().take(7).collect();
    let tail = edits::hex(uid.get(uid.len().saturating_sub(2)..).unwrap_or_default());
    format!("{head}-{tail}")
}

/// A race, and the code its latest edit set (when, by which edit).
#[derive(sqlx::FromRow)]
struct CodeWanted {
    id: i64,
    uid: Vec<u8>,
    code: String,
    wanted: Option<String>,
    at: Option<i64>,
    edit: Option<String>,
}

/// Gives each race the code its latest edit set, unless a race that
/// wanted that code earlier (or holds it from before any edit) has it: the
/// later one then takes its [`provisional`] code until the director gives
/// it another. Two offline stations may make a race under one code; every
/// copy holding the same edits ends with the same codes, whatever order
/// they arrived in. Runs in the caller's transaction after race edits.
pub(crate) async fn settle_codes(db: &mut SqliteConnection) -> sqlx::Result<()> {
    let races: Vec<CodeWanted> = sqlx::query_as(
        "SELECT r.id, r.uid, r.code, s.code AS wanted, s.captured_ms AS at, s.id AS edit
         FROM race r
         LEFT JOIN (SELECT target, fields ->> '$.code' AS code, captured_ms, id,
                           row_number() OVER (PARTITION BY target
                                              ORDER BY captured_ms DESC, id DESC) AS n
                    FROM setup_change
                    WHERE entity = 'race' AND json_type(fields, '$.code') = 'text') s
           ON s.target = hex(r.uid) AND s.n = 1",
    )
    .fetch_all(&mut *db)
    .await?;
    let mut wanting: Vec<(i64, String, i64, String, Vec<u8>, String)> = races
        .into_iter()
        .map(|r| {
            let wanted = r
                .wanted
                .and_then(|w| crate::model::RaceCode::parse(&w).ok())
                .map_or_else(|| r.code.clone(), |w| w.as_str().to_owned());
            let at = r.at.unwrap_or(i64::MIN);
            (at, r.edit.unwrap_or_default(), r.id, wanted, r.uid, r.code)
        })
        .collect();
    wanting.sort();
    let mut taken = std::collections::HashSet::new();
    let mut moves = Vec::new();
    for (_, _, id, wanted, uid, code) in wanting {
        let target = if taken.contains(&wanted) {
            provisional(&wanted, &uid)
        } else {
            wanted
        };
        taken.insert(target.clone());
        if target != code {
            moves.push((id, code, target));
        }
    }
    // Out of the way first, so no two races hold one code in between.
    for (id, _, _) in &moves {
        sqlx::query("UPDATE race SET code = '~' || id WHERE id = ?")
            .bind(id)
            .execute(&mut *db)
            .await?;
    }
    for (id, old, new) in &moves {
        sqlx::query("UPDATE race SET code = ? WHERE id = ?")
            .bind(new)
            .bind(id)
            .execute(&mut *db)
            .await?;
        tracing::warn!(
            old,
            new,
            "a race's code settled after two stations wanted one"
        );
        audit::record(
            &mut *db,
            Change {
                operator: "racedesk",
                station: "",
                entity: "race",
                key: old,
                action: "update",
                old: Some(serde_json::json!({ "code": old }).to_string()),
                new: Some(serde_json::json!({ "code": new }).to_string()),
            },
        )
        .await?;
    }
    Ok(())
}

/// The fields of `edit` no later edit of the same record set, among
/// `known`, with their values.
async fn winning(
    db: &mut SqliteConnection,
    edit: &Stored,
    known: &[&str],
) -> sqlx::Result<Map<String, Value>> {
    let fields: Map<String, Value> = serde_json::from_str(&edit.fields).unwrap_or_default();
    let mut won = Map::new();
    for (key, value) in fields {
        if !known.contains(&key.as_str()) {
            continue;
        }
        let overtaken: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM setup_change o
                WHERE o.target = ?1 AND (o.captured_ms, o.id) > (?2, ?3)
                  AND json_type(o.fields, '$.' || ?4) IS NOT NULL)",
        )
        .bind(&edit.target)
        .bind(edit.captured_ms)
        .bind(&edit.id)
        .bind(&key)
        .fetch_one(&mut *db)
        .await?;
        if !overtaken {
            won.insert(key, value);
        }
    }
    Ok(won)
}

/// A JSON value as SQLite takes it.
fn bind_value<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    value: &Value,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    match value {
        Value::Null => query.bind(None::<String>),
        Value::Bool(b) => query.bind(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => query.bind(i),
            None => query.bind(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => query.bind(s.clone()),
        other => query.bind(other.to_string()),
    }
}

/// Whether a statement failed on the data (a constraint), which leaves the
/// field as it is, rather than on the file.
fn refused(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| {
        matches!(
            d.kind(),
            sqlx::error::ErrorKind::UniqueViolation
                | sqlx::error::ErrorKind::CheckViolation
                | sqlx::error::ErrorKind::NotNullViolation
                | sqlx::error::ErrorKind::ForeignKeyViolation
        )
    })
}

async fn apply_to_entrant(db: &mut SqliteConnection, edit: &Stored) -> sqlx::Result<()> {
    let uid: Vec<u8> = match sqlx::query_scalar("SELECT uid FROM entrant WHERE uid = unhex(?)")
        .bind(&edit.target)
        .fetch_optional(&mut *db)
        .await?
    {
        Some(uid) => uid,
        // Not here (yet): its row, when it comes, is as it was edited.
        None => return Ok(()),
    };
    let won = winning(db, edit, &ENTRANT_FIELDS).await?;
    if won.is_empty() {
        return Ok(());
    }
    let before = edits::entrant_state(db, &uid).await?;
    let old_audit = entrant_audit(db, &uid).await?;
    for (key, value) in &won {
        let statement = if key == "race" {
            "UPDATE entrant SET race_id = (SELECT id FROM race WHERE uid = unhex(?1))
             WHERE uid = ?2 AND EXISTS (SELECT 1 FROM race WHERE uid = unhex(?1))"
                .to_owned()
        } else {
            format!("UPDATE entrant SET {key} = ?1 WHERE uid = ?2")
        };
        let done = bind_value(sqlx::query(sqlx::AssertSqlSafe(statement)), value)
            .bind(&uid)
            .execute(&mut *db)
            .await;
        match done {
            Ok(_) => {}
            Err(e) if refused(&e) => {
                if key == "bib"
                    && let Some(bib) = value.as_str()
                {
                    keep_bib_conflict(db, &uid, bib, edit.captured_ms).await?;
                }
                tracing::warn!(
                    id = edit.id,
                    field = key,
                    "a setup change could not apply here"
                );
            }
            Err(e) => return Err(e),
        }
    }
    if edits::entrant_state(db, &uid).await? != before {
        let new_audit = entrant_audit(db, &uid).await?;
        let key = edits::bib_of(before.as_ref());
        audit_applied(db, edit, "entrant", &key, old_audit, new_audit).await?;
    }
    Ok(())
}

/// The entrant as the audit trail shows it (race by code).
async fn entrant_audit(db: &mut SqliteConnection, uid: &[u8]) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(concat!(
        "SELECT ",
        crate::store::entrants::entrant_json!(),
        " FROM entrant e WHERE e.uid = ?"
    ))
    .bind(uid)
    .fetch_optional(&mut *db)
    .await
}

/// A runner's new bib that another runner holds here: kept for the
/// director (see `conflicts`), with the runner as they are and that bib.
async fn keep_bib_conflict(
    db: &mut SqliteConnection,
    uid: &[u8],
    bib: &str,
    at_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(concat!(
        "INSERT INTO entrant_conflict (uid, bib, row, found_ms)
         SELECT e.uid, ?2, json_set(",
        super::facts::entrant_row!(),
        ", '$[1]', ?2), ?3 FROM entrant e JOIN race r ON r.id = e.race_id WHERE e.uid = ?1
         ON CONFLICT (uid) DO UPDATE SET bib = excluded.bib, row = excluded.row,
             found_ms = excluded.found_ms, resolved_ms = NULL"
    ))
    .bind(uid)
    .bind(bib)
    .bind(at_ms)
    .execute(&mut *db)
    .await?;
    Ok(())
}

async fn race_row(
    db: &mut SqliteConnection,
    target: &str,
) -> sqlx::Result<Option<crate::store::races::RaceRow>> {
    let uid = hex_bytes(target);
    Ok(crate::store::races::all(&mut *db)
        .await?
        .into_iter()
        .find(|r| Some(&r.uid) == uid.as_ref()))
}

/// Whether a race other than `row` holds its code here.
async fn code_held(
    db: &mut SqliteConnection,
    row: &crate::store::races::RaceRow,
) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM race WHERE code = ? AND uid <> ?)")
        .bind(&row.code)
        .bind(&row.uid)
        .fetch_one(&mut *db)
        .await
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

async fn create_race(db: &mut SqliteConnection, edit: &Stored) -> sqlx::Result<()> {
    if race_row(db, &edit.target).await?.is_some() {
        return Ok(());
    }
    let Some(uid) = hex_bytes(&edit.target) else {
        return Ok(());
    };
    let fields: Map<String, Value> = serde_json::from_str(&edit.fields).unwrap_or_default();
    let text = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
    let row = crate::store::races::RaceRow {
        id: 0,
        uid,
        code: text("code").unwrap_or_default(),
        name: text("name").unwrap_or_default(),
        distance_m: fields
            .get("distance_m")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        age_groups: text("age_groups").unwrap_or_default(),
        bibs: text("bibs"),
        waves: text("waves").unwrap_or_default(),
        checkpoints: text("checkpoints").unwrap_or_default(),
        net_time: fields
            .get("net_time")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        cutoff_ms: fields.get("cutoff_ms").and_then(Value::as_i64),
        overdue_ms: fields.get("overdue_ms").and_then(Value::as_i64),
        records: text("records"),
        blocks: text("blocks").unwrap_or_else(|| "{}".into()),
        entrants: 0,
    };
    let Ok(race) = crate::setup::races::from_row(&row) else {
        tracing::warn!(
            id = edit.id,
            "a race made at another station is not a valid race"
        );
        return Ok(());
    };
    let mut row = row;
    if code_held(db, &row).await? {
        // Settled with the other race once the edits are in.
        row.code = provisional(&row.code, &row.uid);
    }
    match crate::store::races::insert(&mut *db, &row).await {
        Ok(id) => {
            crate::store::races::set_waves(db, id, &race.race.waves).await?;
            crate::store::races::set_checkpoints(db, id, &race.race.checkpoints).await?;
            let new = Some(edits::race_state(&row).to_string());
            audit_applied(db, edit, "race", &row.code, None, new).await
        }
        Err(e) if refused(&e) => {
            tracing::warn!(
                id = edit.id,
                code = row.code,
                "a race made at another station clashes with one here"
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn apply_to_race(db: &mut SqliteConnection, edit: &Stored) -> sqlx::Result<()> {
    let Some(old) = race_row(db, &edit.target).await? else {
        return Ok(());
    };
    let won = winning(db, edit, &RACE_FIELDS).await?;
    let mut row = old.clone();
    for (key, value) in &won {
        let text = value.as_str().map(str::to_owned);
        match key.as_str() {
            "code" => row.code = text.unwrap_or(row.code),
            "name" => row.name = text.unwrap_or(row.name),
            "distance_m" => row.distance_m = value.as_i64().unwrap_or(row.distance_m),
            "age_groups" => row.age_groups = text.unwrap_or(row.age_groups),
            "bibs" => row.bibs = text,
            "waves" => row.waves = text.unwrap_or_default(),
            "checkpoints" => row.checkpoints = text.unwrap_or_default(),
            "net_time" => row.net_time = value.as_bool().unwrap_or(row.net_time),
            "cutoff_ms" => row.cutoff_ms = value.as_i64(),
            "overdue_ms" => row.overdue_ms = value.as_i64(),
            "records" => row.records = text,
            "blocks" => row.blocks = text.unwrap_or_else(|| "{}".into()),
            _ => {}
        }
    }
    let Ok(race) = crate::setup::races::from_row(&row) else {
        tracing::warn!(
            id = edit.id,
            "a race edit from another station is not valid here"
        );
        return Ok(());
    };
    if edits::race_state(&row) == edits::race_state(&old) {
        return Ok(());
    }
    if code_held(db, &row).await? {
        row.code = provisional(&row.code, &row.uid);
    }
    match crate::store::races::update(&mut *db, &row).await {
        Ok(()) => {}
        Err(e) if refused(&e) => {
            tracing::warn!(
                id = edit.id,
                "a race edit from another station clashes here"
            );
            return Ok(());
        }
        Err(e) => return Err(e),
    }
    crate::store::races::set_waves(db, row.id, &race.race.waves).await?;
    crate::store::races::set_checkpoints(db, row.id, &race.race.checkpoints).await?;
    let old_json = Some(edits::race_state(&old).to_string());
    let new_json = Some(edits::race_state(&row).to_string());
    audit_applied(db, edit, "race", &old.code, old_json, new_json).await
}

async fn delete_race(db: &mut SqliteConnection, edit: &Stored) -> sqlx::Result<()> {
    let Some(old) = race_row(db, &edit.target).await? else {
        return Ok(());
    };
    if old.entrants > 0 {
        // Runners were added to it here meanwhile: the race stays.
        tracing::warn!(
            id = edit.id,
            "a race removed at another station has runners here"
        );
        return Ok(());
    }
    match crate::store::races::delete(&mut *db, old.id).await {
        Ok(()) => {
            let old_json = Some(edits::race_state(&old).to_string());
            audit_applied(db, edit, "race", &old.code, old_json, None).await
        }
        Err(e) if refused(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

async fn apply_to_event(db: &mut SqliteConnection, edit: &Stored) -> sqlx::Result<()> {
    let Some(old) = crate::store::setup::get(&mut *db).await? else {
        return Ok(());
    };
    let won = winning(db, edit, &EVENT_FIELDS).await?;
    let mut row = old.clone();
    for (key, value) in &won {
        let text = value.as_str().map(str::to_owned);
        match key.as_str() {
            "name" => row.name = text.unwrap_or(row.name),
            "date" => row.date = text.unwrap_or(row.date),
            "time_zone" => row.time_zone = text.unwrap_or(row.time_zone),
            "place" => row.place = text,
            _ => {}
        }
    }
    if edits::event_state(&row) == edits::event_state(&old) {
        return Ok(());
    }
    match crate::store::setup::update(&mut *db, &row).await {
        Ok(()) => {}
        Err(e) if refused(&e) => return Ok(()),
        Err(e) => return Err(e),
    }
    let old_json = Some(edits::event_state(&old).to_string());
    let new_json = Some(edits::event_state(&row).to_string());
    audit_applied(db, edit, "event", "event", old_json, new_json).await
}

async fn audit_applied(
    db: &mut SqliteConnection,
    edit: &Stored,
    entity: &'static str,
    key: &str,
    old: Option<String>,
    new: Option<String>,
) -> sqlx::Result<()> {
    audit::record(
        &mut *db,
        Change {
            operator: &edit.operator,
            station: &edit.station,
            entity,
            key,
            action: match edit.action.as_str() {
                "create" => "create",
                "delete" => "delete",
                _ => "update",
            },
            old,
            new,
        },
    )
    .await
}
