//! Checking runners in: one at a time, a tour group at once, or a walk-up
//! registered on the spot. Each check-in and each undo is a new row; the
//! call returns only after its COMMIT, so what the desk shows is on disk.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::model::{Bib, ParseError, Station};
use crate::roster::EntrantForm;
use crate::store::EventFile;
use crate::store::checkins::{self as store, CheckinRow, DeskEntrant};

/// The desk that records a check-in: a [`Station`] (its id, the desk's
/// name as volunteers call it, the volunteer).
pub type Desk = Station;

/// A runner's check-in as the desk shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct CheckedIn {
    pub id: String,
    /// Unix epoch milliseconds.
    pub at_ms: i64,
    pub desk: String,
    pub operator: String,
    pub note: Option<String>,
}

/// What a check-in or an undo did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub bib: String,
    pub name: String,
    /// False when there was nothing to do: already checked in (for a
    /// check-in) or not checked in (for an undo). Nothing was written.
    pub changed: bool,
    /// The check-in now standing, if any.
    pub checked_in: Option<CheckedIn>,
}

/// What a group check-in did: bibs checked in now, and bibs that already were.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct GroupOutcome {
    pub checked_in: Vec<String>,
    pub already: Vec<String>,
}

/// Checks in the runner with this bib. Checking in twice changes nothing
/// and says when and where the first one was.
pub async fn check_in(
    file: &EventFile,
    bib: &str,
    desk: &Desk,
    note: Option<&str>,
) -> Result<Outcome> {
    let bib = parse_bib(bib)?;
    let note = checked_note(note)?;
    // One statement finds the runner and checks them in unless they are
    // in already: one round trip to SQLite and its commit, the desk's hot
    // path. Only when it wrote nothing is the file read again, to say why.
    let mut row = row_of(&[], desk, "in", None, note)?;
    if let Some((seq, uid, name)) =
        store::record_check_in(file.writer(), bib.as_str(), &row).await?
    {
        (row.seq, row.entrant_uid) = (seq, uid);
        return Ok(Outcome {
            bib: bib.to_string(),
            name,
            changed: true,
            checked_in: Some(shown(row)),
        });
    }
    let entrant = store::entrant_by_bib(file.reader(), bib.as_str())
        .await?
        .ok_or_else(|| Error::NotFound(crate::said!("error.no_runner", bib = bib)))?;
    let standing = store::standing(file.reader(), &entrant.uid, None).await?;
    Ok(Outcome {
        bib: entrant.bib,
        name: entrant.name,
        changed: false,
        checked_in: standing.map(shown),
    })
}

/// A note kept with a check-in: trimmed, none when empty, refused with a
/// control character.
fn checked_note(note: Option<&str>) -> Result<Option<&str>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(note) = note {
        crate::model::no_controls(note, true).map_err(|e| Error::invalid("note", e))?;
    }
    Ok(note)
}

/// Takes back the runner's check-in with a new row; the check-in itself
/// stays in the file.
pub async fn undo(file: &EventFile, bib: &str, desk: &Desk) -> Result<Outcome> {
    let bib = parse_bib(bib)?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let entrant = find(&mut tx, &bib).await?;
    // This desk's own check-in first: a runner checked in at two desks
    // stays checked in at the other.
    let standing = store::standing(&mut *tx, &entrant.uid, Some(&desk.id)).await?;
    let Some(standing) = standing else {
        return Ok(Outcome {
            bib: entrant.bib,
            name: entrant.name,
            changed: false,
            checked_in: None,
        });
    };
    let row = new_row(&mut tx, &entrant.uid, desk, "undo", Some(standing.id), None).await?;
    store::insert(&mut tx, &row).await?;
    let still = store::standing(&mut *tx, &entrant.uid, None).await?;
    tx.commit().await?;
    Ok(Outcome {
        bib: entrant.bib,
        name: entrant.name,
        changed: true,
        checked_in: still.map(shown),
    })
}

/// Checks in the members of `group` with these bibs, in one transaction:
/// a bib that is unknown or not of the group refuses the lot.
pub async fn check_in_group(
    file: &EventFile,
    group: &str,
    bibs: &[String],
    desk: &Desk,
    note: Option<&str>,
) -> Result<GroupOutcome> {
    let bibs = bibs
        .iter()
        .map(|b| parse_bib(b))
        .collect::<Result<Vec<_>>>()?;
    if bibs.is_empty() {
        return Err(Error::invalid(
            "bibs",
            ParseError::new(crate::said!("invalid.group_none_ticked")),
        ));
    }
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let mut outcome = GroupOutcome {
        checked_in: Vec::new(),
        already: Vec::new(),
    };
    for bib in &bibs {
        let entrant = find(&mut tx, bib).await?;
        if entrant.team.as_deref() != Some(group) {
            return Err(Error::Conflict(crate::said!(
                "error.not_in_group",
                bib = entrant.bib,
                name = entrant.name,
                group = group,
            )));
        }
        let one = check_in_one(&mut tx, &entrant, desk, note).await?;
        if one.changed {
            outcome.checked_in.push(one.bib);
        } else {
            outcome.already.push(one.bib);
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Registers a runner who walks up to the desk and checks them in, in one
/// transaction: either both happen or neither.
pub async fn register_walk_up(
    file: &EventFile,
    form: &EntrantForm,
    desk: &Desk,
    note: Option<&str>,
) -> Result<Outcome> {
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let (entrant, uid) =
        crate::roster::edit::save_in(file, &mut tx, None, form, &desk.operator).await?;
    let entrant = DeskEntrant {
        uid,
        bib: entrant.bib.to_string(),
        name: entrant.display_name(),
        team: entrant.group,
    };
    let outcome = check_in_one(&mut tx, &entrant, desk, note).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The standing check-ins of these bibs; bibs not checked in are absent.
pub async fn status_of(file: &EventFile, bibs: &[String]) -> Result<HashMap<String, CheckedIn>> {
    let json = serde_json::to_string(bibs).unwrap_or_else(|_| "[]".into());
    Ok(store::latest_for_bibs(file.reader(), &json)
        .await?
        .into_iter()
        .filter(|(_, row)| row.action == "in")
        .map(|(bib, row)| (bib, shown(row)))
        .collect())
}

async fn check_in_one(
    tx: &mut SqliteConnection,
    entrant: &DeskEntrant,
    desk: &Desk,
    note: Option<&str>,
) -> Result<Outcome> {
    if let Some(standing) = store::standing(&mut *tx, &entrant.uid, None).await? {
        return Ok(Outcome {
            bib: entrant.bib.clone(),
            name: entrant.name.clone(),
            changed: false,
            checked_in: Some(shown(standing)),
        });
    }
    let note = checked_note(note)?;
    let row = new_row(tx, &entrant.uid, desk, "in", None, note).await?;
    store::insert(tx, &row).await?;
    Ok(Outcome {
        bib: entrant.bib.clone(),
        name: entrant.name.clone(),
        changed: true,
        checked_in: Some(shown(row)),
    })
}

async fn new_row(
    tx: &mut SqliteConnection,
    uid: &[u8],
    desk: &Desk,
    action: &str,
    undoes: Option<String>,
    note: Option<&str>,
) -> Result<CheckinRow> {
    let mut row = row_of(uid, desk, action, undoes, note)?;
    row.seq = crate::store::next_seq(&mut *tx, &desk.id).await?;
    Ok(row)
}

/// A check-in row of this desk; its sequence number (0 here) is taken
/// where it is written.
fn row_of(
    uid: &[u8],
    desk: &Desk,
    action: &str,
    undoes: Option<String>,
    note: Option<&str>,
) -> Result<CheckinRow> {
    if desk.id.trim().is_empty() || desk.name.trim().is_empty() {
        return Err(Error::invalid(
            "desk",
            ParseError::new(crate::said!("invalid.desk_name")),
        ));
    }
    Ok(CheckinRow {
        id: uuid::Uuid::now_v7().to_string(),
        entrant_uid: uid.to_owned(),
        action: action.to_owned(),
        undoes,
        station: desk.id.clone(),
        seq: 0,
        desk: desk.name.trim().to_owned(),
        operator: desk.operator.clone(),
        at_ms: crate::store::now_ms(),
        note: note.map(str::to_owned),
    })
}

fn parse_bib(text: &str) -> Result<Bib> {
    Bib::parse(text).map_err(|e| Error::invalid("bib", e))
}

async fn find(tx: &mut SqliteConnection, bib: &Bib) -> Result<DeskEntrant> {
    store::entrant_by_bib(&mut *tx, bib.as_str())
        .await?
        .ok_or_else(|| Error::NotFound(crate::said!("error.no_runner", bib = bib)))
}

fn shown(row: CheckinRow) -> CheckedIn {
    CheckedIn {
        id: row.id,
        at_ms: row.at_ms,
        desk: row.desk,
        operator: row.operator,
        note: row.note,
    }
}
