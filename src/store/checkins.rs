//! Rows of the `checkin` table: check-ins and their undos, append-only.
//! Who is checked in is the latest row of each entrant, by id (UUID v7).

use sqlx::{SqliteConnection, SqliteExecutor};

/// An entrant as the desk needs it to record a check-in.
#[derive(Debug, Clone)]
pub(crate) struct DeskEntrant {
    pub uid: Vec<u8>,
    pub bib: String,
    pub name: String,
    pub team: Option<String>,
}

pub(crate) async fn entrant_by_bib(
    db: impl SqliteExecutor<'_>,
    bib: &str,
) -> sqlx::Result<Option<DeskEntrant>> {
    sqlx::query_as!(
        DeskEntrant,
        r#"SELECT uid, bib,
                  CASE WHEN trim(given_name || ' ' || family_name) = '' THEN coalesce(native_name, '')
                       ELSE trim(given_name || ' ' || family_name) END AS "name!: String",
                  team
           FROM entrant WHERE bib = ?"#,
        bib
    )
    .fetch_optional(db)
    .await
}

/// A row of the `checkin` table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CheckinRow {
    pub id: String,
    pub entrant_uid: Vec<u8>,
    pub action: String,
    pub undoes: Option<String>,
    pub station: String,
    pub seq: i64,
    pub desk: String,
    pub operator: String,
    pub at_ms: i64,
    pub note: Option<String>,
}

/// A check-in of the entrant that no undo names: they are checked in while
/// there is one. With several (two desks), `prefer_station`'s, else the
/// first made.
pub(crate) async fn standing(
    db: impl SqliteExecutor<'_>,
    uid: &[u8],
    prefer_station: Option<&str>,
) -> sqlx::Result<Option<CheckinRow>> {
    sqlx::query_as!(
        CheckinRow,
        "SELECT id, entrant_uid, action, undoes, station, seq, desk, operator, at_ms, note
         FROM checkin c
         WHERE entrant_uid = ?1 AND action = 'in'
           AND NOT EXISTS (SELECT 1 FROM checkin u WHERE u.undoes = c.id)
         ORDER BY station IS ?2 DESC, id LIMIT 1",
        uid,
        prefer_station
    )
    .fetch_optional(db)
    .await
}

pub(crate) async fn insert(db: &mut SqliteConnection, row: &CheckinRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO checkin (id, entrant_uid, action, undoes, station, seq, desk, operator, at_ms, note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        row.id,
        row.entrant_uid,
        row.action,
        row.undoes,
        row.station,
        row.seq,
        row.desk,
        row.operator,
        row.at_ms,
        row.note,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Checks the runner of `bib` in with `row` (its entrant is found here)
/// unless a check-in of theirs stands already (see [`standing`]): one statement, its own
/// transaction (the write lock is taken before anything is read), with
/// the station's next number. The number given, the entrant's uid and
/// name; `None` when nothing was written (no such bib, or in already).
pub(crate) async fn record_check_in(
    db: impl SqliteExecutor<'_>,
    bib: &str,
    row: &CheckinRow,
) -> sqlx::Result<Option<(i64, Vec<u8>, String)>> {
    let rows = sqlx::query!(
        r#"INSERT INTO checkin (id, entrant_uid, action, undoes, station, seq, desk, operator, at_ms, note)
           SELECT ?1, e.uid, 'in', NULL, ?3,
             max(coalesce((SELECT max(seq) FROM checkin WHERE station = ?3), 0),
                 coalesce((SELECT max(seq) FROM passing WHERE station = ?3), 0),
                 coalesce((SELECT max(seq) FROM correction WHERE station = ?3), 0),
                 coalesce((SELECT max(seq) FROM race_start WHERE station = ?3), 0),
                 coalesce((SELECT max(seq) FROM runner_status WHERE station = ?3), 0),
                 coalesce((SELECT max(seq) FROM crossing WHERE station = ?3), 0),
                 coalesce((SELECT max(seq) FROM start_undo WHERE station = ?3), 0),
                 coalesce((SELECT max(seq) FROM setup_change WHERE station = ?3), 0)) + 1,
             ?4, ?5, ?6, ?7
           FROM entrant e
           WHERE e.bib = ?2
             AND NOT EXISTS (SELECT 1 FROM checkin c WHERE c.entrant_uid = e.uid AND c.action = 'in'
                             AND NOT EXISTS (SELECT 1 FROM checkin u WHERE u.undoes = c.id))
           RETURNING seq AS "seq!: i64", entrant_uid AS "uid!: Vec<u8>",
             (SELECT CASE WHEN trim(given_name || ' ' || family_name) = '' THEN coalesce(native_name, '')
                          ELSE trim(given_name || ' ' || family_name) END
              FROM entrant WHERE bib = ?2) AS "name!: String""#,
        row.id,
        bib,
        row.station,
        row.desk,
        row.operator,
        row.at_ms,
        row.note,
    )
    // Stepped to the end, where the statement commits: a commit that
    // fails (a full disk) is an error here, never a lost row acknowledged.
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().next().map(|r| (r.seq, r.uid, r.name)))
}

/// The standing check-in (see [`standing`]; the first made) of each
/// entrant whose bib is in `bibs` (a JSON array), for those that have one:
/// (bib, row).
pub(crate) async fn latest_for_bibs(
    db: impl SqliteExecutor<'_>,
    bibs_json: &str,
) -> sqlx::Result<Vec<(String, CheckinRow)>> {
    let rows = sqlx::query!(
        r#"SELECT e.bib, c.id, c.entrant_uid, c.action, c.undoes, c.station, c.seq, c.desk,
                  c.operator, c.at_ms, c.note
           FROM entrant e JOIN checkin c ON c.id =
                (SELECT min(s.id) FROM checkin s WHERE s.entrant_uid = e.uid AND s.action = 'in'
                   AND NOT EXISTS (SELECT 1 FROM checkin u WHERE u.undoes = s.id))
           WHERE e.bib IN (SELECT value FROM json_each(?))"#,
        bibs_json
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.bib,
                CheckinRow {
                    id: r.id,
                    entrant_uid: r.entrant_uid,
                    action: r.action,
                    undoes: r.undoes,
                    station: r.station,
                    seq: r.seq,
                    desk: r.desk,
                    operator: r.operator,
                    at_ms: r.at_ms,
                    note: r.note,
                },
            )
        })
        .collect())
}

/// Checked in and expected per race code (`kind` = "race") and per group
/// (`kind` = "group"; entrants without one are not counted there).
pub(crate) struct CountRow {
    pub kind: String,
    pub name: String,
    pub checked_in: i64,
    pub expected: i64,
}

pub(crate) async fn counts(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<CountRow>> {
    sqlx::query_as!(
        CountRow,
        r#"WITH standing AS (SELECT DISTINCT c.entrant_uid FROM checkin c WHERE c.action = 'in'
                            AND NOT EXISTS (SELECT 1 FROM checkin u WHERE u.undoes = c.id)),
           status AS (SELECT e.race_id, e.team, (s.entrant_uid IS NOT NULL) AS present
                      FROM entrant e LEFT JOIN standing s ON s.entrant_uid = e.uid)
           SELECT kind AS "kind!: String", name AS "name!: String",
                  checked_in AS "checked_in!: i64", expected AS "expected!: i64"
           FROM (SELECT 'race' AS kind, r.code AS name, coalesce(sum(s.present), 0) AS checked_in,
                        count(s.race_id) AS expected, r.id AS ord
                 FROM race r LEFT JOIN status s ON s.race_id = r.id GROUP BY r.id
                 UNION ALL
                 SELECT 'group', s.team, sum(s.present), count(*), 0
                 FROM status s WHERE s.team IS NOT NULL GROUP BY s.team)
           ORDER BY kind DESC, ord, name"#
    )
    .fetch_all(db)
    .await
}

/// Entrants not checked in, optionally of one race (code) and one group,
/// in race and bib order.
pub(crate) async fn missing(
    db: impl SqliteExecutor<'_>,
    race: Option<&str>,
    group: Option<&str>,
) -> sqlx::Result<Vec<super::entrants::EntrantRow>> {
    sqlx::query_as!(
        super::entrants::EntrantRow,
        r#"SELECT e.id, e.bib, e.race_id, r.code AS race, e.given_name, e.family_name, e.native_name,
                  e.gender, e.birth_date, e.age, e.nationality, e.city, e.team, e.chip, e.phone,
                  e.emergency_contact, e.medical_note, e.extra
           FROM entrant e JOIN race r ON r.id = e.race_id
           WHERE NOT EXISTS (SELECT 1 FROM checkin c WHERE c.entrant_uid = e.uid AND c.action = 'in'
                             AND NOT EXISTS (SELECT 1 FROM checkin u WHERE u.undoes = c.id))
             AND (?1 IS NULL OR r.code = ?1) AND (?2 IS NULL OR e.team = ?2)
           ORDER BY e.race_id, length(e.bib), e.bib"#,
        race,
        group
    )
    .fetch_all(db)
    .await
}
