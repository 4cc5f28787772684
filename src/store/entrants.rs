//! Rows of the `entrant` table.

use sqlx::{SqliteConnection, SqliteExecutor};

use super::bulk::Value;

/// An entrant as stored: text and integer columns, with its race's code.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
pub(crate) struct EntrantRow {
    pub id: i64,
    pub bib: String,
    pub race_id: i64,
    pub race: String,
    pub given_name: String,
    pub family_name: String,
    pub native_name: Option<String>,
    pub gender: String,
    pub birth_date: Option<String>,
    pub age: Option<i64>,
    pub nationality: Option<String>,
    pub city: Option<String>,
    pub team: Option<String>,
    pub chip: Option<String>,
    pub phone: Option<String>,
    pub emergency_contact: Option<String>,
    pub medical_note: Option<String>,
    pub extra: String,
}

/// Every entrant, by race and then bib in natural order (2 before 10:
/// bibs have no leading zeros, so shorter is smaller).
pub(crate) async fn all(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<EntrantRow>> {
    // One row of JSON rather than a row per entrant: SQLite builds the
    // array and serde reads it several times faster than rows one by one.
    let json = sqlx::query_scalar!(
        r#"SELECT json_group_array(json_object(
                  'id', e.id, 'bib', e.bib, 'race_id', e.race_id, 'race', r.code,
                  'given_name', e.given_name, 'family_name', e.family_name,
                  'native_name', e.native_name, 'gender', e.gender, 'birth_date', e.birth_date,
                  'age', e.age, 'nationality', e.nationality, 'city', e.city, 'team', e.team,
                  'chip', e.chip, 'phone', e.phone, 'emergency_contact', e.emergency_contact,
                  'medical_note', e.medical_note, 'extra', e.extra)
                  ORDER BY e.race_id, length(e.bib), e.bib) AS "json!: String"
           FROM entrant e JOIN race r ON r.id = e.race_id"#
    )
    .fetch_one(db)
    .await?;
    serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The entrants with either bib, or with the chip: those a change of one
/// entrant must be checked against.
pub(crate) async fn concerned(
    db: impl SqliteExecutor<'_>,
    bib: Option<&str>,
    new_bib: &str,
    chip: Option<&str>,
) -> sqlx::Result<Vec<EntrantRow>> {
    sqlx::query_as!(
        EntrantRow,
        r#"SELECT e.id, e.bib, e.race_id, r.code AS race, e.given_name, e.family_name, e.native_name,
                  e.gender, e.birth_date, e.age, e.nationality, e.city, e.team, e.chip, e.phone,
                  e.emergency_contact, e.medical_note, e.extra
           FROM entrant e JOIN race r ON r.id = e.race_id
           WHERE e.bib = ?1 OR e.bib = ?2 OR e.chip = ?3"#,
        bib,
        new_bib,
        chip
    )
    .fetch_all(db)
    .await
}

/// The entrants of one tour group (club, team), by bib.
pub(crate) async fn of_team(
    db: impl SqliteExecutor<'_>,
    team: &str,
) -> sqlx::Result<Vec<EntrantRow>> {
    sqlx::query_as!(
        EntrantRow,
        r#"SELECT e.id, e.bib, e.race_id, r.code AS race, e.given_name, e.family_name, e.native_name,
                  e.gender, e.birth_date, e.age, e.nationality, e.city, e.team, e.chip, e.phone,
                  e.emergency_contact, e.medical_note, e.extra
           FROM entrant e JOIN race r ON r.id = e.race_id
           WHERE e.team = ? ORDER BY length(e.bib), e.bib"#,
        team
    )
    .fetch_all(db)
    .await
}

/// Up to `limit` entrants with ids above `after`, by id: a large roster
/// read in slices so it is never all in memory twice.
pub(crate) async fn slice_after(
    db: impl SqliteExecutor<'_>,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<EntrantRow>> {
    sqlx::query_as!(
        EntrantRow,
        r#"SELECT e.id, e.bib, e.race_id, r.code AS race, e.given_name, e.family_name, e.native_name,
                  e.gender, e.birth_date, e.age, e.nationality, e.city, e.team, e.chip, e.phone,
                  e.emergency_contact, e.medical_note, e.extra
           FROM entrant e JOIN race r ON r.id = e.race_id
           WHERE e.id > ? ORDER BY e.id LIMIT ?"#,
        after,
        limit,
    )
    .fetch_all(db)
    .await
}

/// The entrant as JSON, as the audit trail records it. A macro so that
/// `concat!` can build whole statements from it at compile time.
macro_rules! entrant_json {
    () => {
        "json_object('bib', e.bib, 'race', (SELECT code FROM race WHERE id = e.race_id),
            'given_name', e.given_name, 'family_name', e.family_name, 'native_name', e.native_name,
            'gender', e.gender, 'birth_date', e.birth_date, 'age', e.age,
            'nationality', e.nationality, 'city', e.city, 'group', e.team, 'chip', e.chip,
            'phone', e.phone, 'emergency_contact', e.emergency_contact,
            'medical_note', e.medical_note, 'extra', json(e.extra))"
    };
}
pub(crate) use entrant_json;

/// Inserts new entrants (their `id` is ignored) in the caller's
/// transaction, and returns the largest entrant id before them: the rows
/// added are those past it (see [`audit_added`]).
pub(crate) async fn insert_many(
    db: &mut SqliteConnection,
    rows: Vec<EntrantRow>,
) -> sqlx::Result<i64> {
    let last_id = last_id(&mut *db).await?;
    // The entrant's stable key (see the checkin migration).
    let uids: Vec<[u8; 16]> = rows
        .iter()
        .map(|_| uuid::Uuid::now_v7().into_bytes())
        .collect();
    super::bulk::run_rows(
        db,
        "INSERT INTO entrant (uid, bib, race_id, given_name, family_name, native_name, gender,
         birth_date, age, nationality, city, team, chip, phone, emergency_contact, medical_note,
         extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows.iter().zip(&uids).map(|(row, uid)| {
            [
                Value::Blob(uid),
                Value::Text(&row.bib),
                Value::Int(row.race_id),
                Value::Text(&row.given_name),
                Value::Text(&row.family_name),
                (&row.native_name).into(),
                Value::Text(&row.gender),
                (&row.birth_date).into(),
                row.age.map_or(Value::Null, Value::Int),
                (&row.nationality).into(),
                (&row.city).into(),
                (&row.team).into(),
                (&row.chip).into(),
                (&row.phone).into(),
                (&row.emergency_contact).into(),
                (&row.medical_note).into(),
                Value::Text(&row.extra),
            ]
        }),
    )
    .await?;
    Ok(last_id)
}

/// The largest entrant id: the rows added after it are those above it.
pub(crate) async fn last_id(db: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT coalesce(max(id), 0) AS "id!: i64" FROM entrant"#)
        .fetch_one(db)
        .await
}

/// Writes a `create` audit row with the whole record for each entrant
/// added after `last_id` (an entrant added from a form). SQLite hands new
/// rows ids above the largest one; their JSON is built by SQLite itself.
pub(crate) async fn audit_added(
    db: &mut SqliteConnection,
    last_id: i64,
    who: (&str, &str),
    at_ms: i64,
) -> sqlx::Result<()> {
    let (station, operator) = who;
    sqlx::query(concat!(
        "INSERT INTO audit (at_ms, operator, station, entity, entity_key, action, old, new)
         SELECT ?, ?, ?, 'entrant', e.bib, 'create', NULL, ",
        entrant_json!(),
        " FROM entrant e WHERE e.id > ? ORDER BY e.id"
    ))
    .bind(at_ms)
    .bind(operator)
    .bind(station)
    .bind(last_id)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Replaces an entrant's fields (matched by `id`) and audits old and new,
/// with the reason given for the change and the station (`who` is
/// station and operator); the fields changed travel to other copies.
pub(crate) async fn update(
    db: &mut SqliteConnection,
    row: &EntrantRow,
    who: (&str, &str),
    reason: Option<&str>,
    at_ms: i64,
) -> sqlx::Result<()> {
    let (station, operator) = who;
    let uid: Vec<u8> = sqlx::query_scalar("SELECT uid FROM entrant WHERE id = ?")
        .bind(row.id)
        .fetch_one(&mut *db)
        .await?;
    let before = super::edits::entrant_state(&mut *db, &uid).await?;
    let old: String = sqlx::query_scalar(concat!(
        "SELECT ",
        entrant_json!(),
        " FROM entrant e WHERE e.id = ?"
    ))
    .bind(row.id)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query!(
        "UPDATE entrant SET bib = ?, race_id = ?, given_name = ?, family_name = ?, native_name = ?, gender = ?,
         birth_date = ?, age = ?, nationality = ?, city = ?, team = ?, chip = ?, phone = ?,
         emergency_contact = ?, medical_note = ?, extra = ? WHERE id = ?",
        row.bib,
        row.race_id,
        row.given_name,
        row.family_name,
        row.native_name,
        row.gender,
        row.birth_date,
        row.age,
        row.nationality,
        row.city,
        row.team,
        row.chip,
        row.phone,
        row.emergency_contact,
        row.medical_note,
        row.extra,
        row.id,
    )
    .execute(&mut *db)
    .await?;
    sqlx::query(concat!(
        "INSERT INTO audit (at_ms, operator, station, entity, entity_key, action, old, new, reason)
         SELECT ?, ?, ?, 'entrant', e.bib, 'update', ?, ",
        entrant_json!(),
        ", ? FROM entrant e WHERE e.id = ?"
    ))
    .bind(at_ms)
    .bind(operator)
    .bind(station)
    .bind(old)
    .bind(reason)
    .bind(row.id)
    .execute(&mut *db)
    .await?;
    let after = super::edits::entrant_state(&mut *db, &uid).await?;
    super::edits::record_entrant(db, &uid, before, after, who, at_ms).await
}

/// The stable key of the entrant with this id, or else with this bib.
pub(crate) async fn uid(
    db: impl SqliteExecutor<'_>,
    id: Option<i64>,
    bib: &str,
) -> sqlx::Result<Vec<u8>> {
    sqlx::query_scalar!(
        "SELECT uid FROM entrant WHERE id = ?1 OR (?1 IS NULL AND bib = ?2)",
        id,
        bib
    )
    .fetch_one(db)
    .await
}

/// Every bib in use, in any race.
pub(crate) async fn bibs(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT bib FROM entrant")
        .fetch_all(db)
        .await
}

/// An entrant as scoring reads it: bib, race code, given and family name,
/// native name, gender, birth date, age, nationality, group, and the
/// roster's other columns (JSON) when there are any.
pub(crate) type RunnerRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Every entrant, with only what results show, read on the connection's
/// own handle (see `bulk`).
pub(crate) async fn runners(db: &mut SqliteConnection) -> sqlx::Result<Vec<RunnerRow>> {
    super::bulk::select(
        db,
        "SELECT e.bib, r.code, e.given_name, e.family_name, e.native_name, e.gender,
                e.birth_date, e.age, e.nationality, e.team,
                CASE WHEN e.extra = '{}' THEN NULL ELSE e.extra END
         FROM entrant e JOIN race r ON r.id = e.race_id",
        [],
        |r| {
            (
                r.text(0).unwrap_or_default(),
                r.text(1).unwrap_or_default(),
                r.text(2).unwrap_or_default(),
                r.text(3).unwrap_or_default(),
                r.text(4),
                r.text(5).unwrap_or_default(),
                r.text(6),
                r.int_or_null(7),
                r.text(8),
                r.text(9),
                r.text(10),
            )
        },
    )
    .await
}

/// An entrant's city and other columns (JSON), by bib: what the announcer
/// says beyond the result.
pub(crate) async fn announced(
    db: impl SqliteExecutor<'_>,
    bib: &str,
) -> sqlx::Result<Option<(Option<String>, String)>> {
    let row = sqlx::query!("SELECT city, extra FROM entrant WHERE bib = ?", bib)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| (r.city, r.extra)))
}
