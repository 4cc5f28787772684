//! Setup edits as rows that travel between copies of an event (the
//! `setup_change` table): which race or entrant (by uid), what it became,
//! field by field, and where and when the edit was made. Written in the
//! edit's own transaction, beside its audit row.

use serde_json::{Map, Value};
use sqlx::SqliteConnection;

/// An edit of one race, entrant or the event.
pub(crate) struct Edit<'a> {
    pub entity: &'static str,
    /// The uid (hex) of the race or entrant; for the event, its uid.
    pub target: &'a str,
    pub action: &'static str,
    /// The record before and after, in travel form ([`entrant_state`],
    /// [`race_state`], [`event_state`]); `None` where it did not exist.
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub station: &'a str,
    pub operator: &'a str,
    pub at_ms: i64,
}

/// Records an edit: for a creation every field, for an update the fields
/// that changed (nothing when none did), for a removal none.
pub(crate) async fn record(db: &mut SqliteConnection, edit: Edit<'_>) -> sqlx::Result<()> {
    let fields = match (edit.action, &edit.before, &edit.after) {
        ("delete", _, _) => Map::new(),
        (_, Some(Value::Object(before)), Some(Value::Object(after))) => after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        (_, _, Some(Value::Object(after))) => after.clone(),
        _ => Map::new(),
    };
    if fields.is_empty() && edit.action == "update" {
        return Ok(());
    }
    let seq = super::next_seq(&mut *db, edit.station).await?;
    sqlx::query(
        "INSERT INTO setup_change (id, entity, target, action, fields, station, seq, operator,
             captured_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(edit.entity)
    .bind(edit.target)
    .bind(edit.action)
    .bind(Value::Object(fields).to_string())
    .bind(edit.station)
    .bind(seq)
    .bind(edit.operator)
    .bind(edit.at_ms)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Records a change of the entrant `uid` made by `who` (station, operator).
pub(crate) async fn record_entrant(
    db: &mut SqliteConnection,
    uid: &[u8],
    before: Option<Value>,
    after: Option<Value>,
    who: (&str, &str),
    at_ms: i64,
) -> sqlx::Result<()> {
    record(
        db,
        Edit {
            entity: "entrant",
            target: &hex(uid),
            action: "update",
            before,
            after,
            station: who.0,
            operator: who.1,
            at_ms,
        },
    )
    .await
}

/// Bytes as upper-case hex, as SQLite's `hex()` writes them.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// An entrant in travel form: its columns, its race by uid (hex).
pub(crate) async fn entrant_state(
    db: &mut SqliteConnection,
    uid: &[u8],
) -> sqlx::Result<Option<Value>> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT json_object('bib', e.bib, 'race', hex(r.uid), 'given_name', e.given_name,
             'family_name', e.family_name, 'native_name', e.native_name, 'gender', e.gender,
             'birth_date', e.birth_date, 'age', e.age, 'nationality', e.nationality,
             'city', e.city, 'team', e.team, 'chip', e.chip, 'phone', e.phone,
             'emergency_contact', e.emergency_contact, 'medical_note', e.medical_note,
             'extra', e.extra)
         FROM entrant e JOIN race r ON r.id = e.race_id WHERE e.uid = ?",
    )
    .bind(uid)
    .fetch_optional(&mut *db)
    .await?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// The bib of an entrant in travel form.
pub(crate) fn bib_of(state: Option<&Value>) -> String {
    state
        .and_then(|s| s.get("bib"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The entrant columns an edit may set, as they travel.
pub(crate) const ENTRANT_FIELDS: [&str; 16] = [
    "bib",
    "race",
    "given_name",
    "family_name",
    "native_name",
    "gender",
    "birth_date",
    "age",
    "nationality",
    "city",
    "team",
    "chip",
    "phone",
    "emergency_contact",
    "medical_note",
    "extra",
];

/// A race in travel form: its row as the audit trail has it.
pub(crate) fn race_state(row: &super::races::RaceRow) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

/// The event in travel form.
pub(crate) fn event_state(row: &super::setup::EventRow) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

/// The event's uid (hex): what its edits name.
pub(crate) async fn event_uid(db: &mut SqliteConnection) -> sqlx::Result<String> {
    let uid: Option<String> = sqlx::query_scalar("SELECT hex(uid) FROM event WHERE id = 1")
        .fetch_optional(&mut *db)
        .await?
        .flatten();
    Ok(uid.unwrap_or_else(|| "event".into()))
}
