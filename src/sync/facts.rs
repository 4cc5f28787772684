//! The captured facts of an event file as rows that travel between copies
//! of it, and their writing into a file: each row once (its UUID), however
//! often and in whatever order it arrives.
//!
//! A table's rows travel as one JSON array of rows, each row an array of
//! the table's columns in the order of [`TABLES`] (a BLOB as hex). SQLite
//! writes that text itself when reading and unpacks it when writing
//! (`json_each`), so a row is never decoded field by field on the way.

use sqlx::SqliteConnection;

/// A table of captured facts and its columns, as they travel.
pub(crate) struct Table {
    pub name: &'static str,
    /// What the table holds, in words of the CLI (plural).
    pub what: &'static str,
    columns: &'static [&'static str],
    /// Whether [`CAPTURED`] follows the columns.
    captured: bool,
    /// Columns that hold bytes: hex on the way.
    blobs: &'static [&'static str],
}

/// Who captured a fact and when: the last columns of most fact tables.
const CAPTURED: [&str; 4] = ["station", "seq", "operator", "captured_ms"];

/// The fact tables in the order they are written: a row names only rows of
/// tables before it (an undo its start, a correction its passing) or of
/// its own table written before it.
pub(crate) const TABLES: [Table; 8] = [
    Table {
        name: "race_start",
        what: "starts",
        columns: &[
            "id", "race_uid", "wave", "at_ms", "source", "replaces", "reason",
        ],
        captured: true,
        blobs: &["race_uid"],
    },
    Table {
        name: "start_undo",
        what: "undone starts",
        columns: &["id", "start", "reason"],
        captured: true,
        blobs: &[],
    },
    Table {
        name: "checkin",
        what: "check-ins and undos",
        columns: &[
            "id",
            "entrant_uid",
            "action",
            "undoes",
            "station",
            "seq",
            "desk",
            "operator",
            "at_ms",
            "note",
        ],
        captured: false,
        blobs: &["entrant_uid"],
    },
    Table {
        name: "passing",
        what: "captures and reads",
        columns: &[
            "id",
            "point",
            "at_ms",
            "bib",
            "chip",
            "source",
            "import_key",
            "clock_offset_ms",
        ],
        captured: true,
        blobs: &[],
    },
    Table {
        name: "correction",
        what: "corrections",
        columns: &["id", "passing", "kind", "bib", "at_ms", "reason"],
        captured: true,
        blobs: &[],
    },
    Table {
        name: "crossing",
        what: "crossing-order entries",
        columns: &["id", "point", "kind", "ord", "bib", "drops", "reason"],
        captured: true,
        blobs: &[],
    },
    Table {
        name: "runner_status",
        what: "runner statuses",
        columns: &["id", "bib", "status", "reason"],
        captured: true,
        blobs: &[],
    },
    // Last so the cursors of copies made before it still line up; it
    // names no fact, and [`store`] writes it first (a race made at another
    // station comes before the runners in it).
    Table {
        name: "setup_change",
        what: "setup changes",
        columns: &["id", "entity", "target", "action", "fields"],
        captured: true,
        blobs: &[],
    },
];

/// The place of `setup_change` in [`TABLES`].
const SETUP: usize = 7;

impl Table {
    fn columns(&self) -> Vec<&'static str> {
        let tail: &[&'static str] = if self.captured { &CAPTURED } else { &[] };
        self.columns.iter().chain(tail).copied().collect()
    }

    fn is_blob(&self, column: &str) -> bool {
        self.blobs.contains(&column)
    }

    /// The table's rows stored after a rowid (`?1`), at most `?2` of them,
    /// as one JSON array in the order the file stored them (so a row comes
    /// after the rows it names), with the last rowid and the count.
    fn select_after(&self) -> String {
        let values: Vec<String> = self
            .columns()
            .iter()
            .map(|c| {
                if self.is_blob(c) {
                    format!("hex({c})")
                } else {
                    (*c).to_owned()
                }
            })
            .collect();
        format!(
            "SELECT json_group_array(json_array({})), coalesce(max(rowid), ?1), count(*)
             FROM (SELECT rowid, * FROM {} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2)",
            values.join(", "),
            self.name
        )
    }

    /// Writes the rows of a JSON array, each once: a row whose id is
    /// already here is left as it is, as is one a unique key says is here
    /// under another id (the same file of reads imported at two stations,
    /// a start undone at two).
    fn insert_new(&self) -> String {
        let columns = self.columns();
        let values: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if self.is_blob(c) {
                    format!("unhex(j.value ->> {i})")
                } else {
                    format!("j.value ->> {i}")
                }
            })
            .collect();
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM json_each(?1) j WHERE {} ON CONFLICT DO NOTHING",
            self.name,
            columns.join(", "),
            values.join(", "),
            self.not_forged()
        )
    }

    /// Where a row's station is, in the row as it travels.
    fn station(&self) -> usize {
        self.columns()
            .iter()
            .position(|c| *c == "station")
            .unwrap_or(0)
    }

    /// A row a hub stores from the station sending it (`?2`; none for a
    /// merge): its own, or one of a station that never joined this hub (a
    /// station of an earlier hub, whose rows another brings along). A new
    /// row in the name of another joined station is forged and left out.
    fn not_forged(&self) -> String {
        let s = self.station();
        format!(
            "(?2 IS NULL OR j.value ->> {s} = ?2
              OR j.value ->> {s} NOT IN (SELECT id FROM sync_station))"
        )
    }

    /// How many rows of a JSON array (`?1`) [`Table::insert_new`] leaves
    /// out as forged: new here, in the name of another joined station.
    fn count_forged(&self) -> String {
        format!(
            "SELECT count(*) FROM json_each(?1) j
             WHERE NOT {} AND NOT EXISTS (SELECT 1 FROM {} t WHERE t.id = j.value ->> 0)",
            self.not_forged(),
            self.name
        )
    }
}

/// Every fact of a file: for each table of [`TABLES`], its rows as a JSON
/// array.
pub(crate) async fn read_all(db: &mut SqliteConnection) -> sqlx::Result<Vec<String>> {
    Ok(read_after(db, &Cursor::default(), i64::MAX).await?.0)
}

/// How far a reader of a file's facts got: for each fact table, the
/// largest rowid read. Facts are never changed or removed, so a table's
/// rowids are the order the file stored its rows in, and what lies past a
/// cursor is what was stored since: the numbering a hub gives what it
/// holds, which stations pull above.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor(pub Vec<i64>);

impl Cursor {
    pub(crate) fn at(&self, table: usize) -> i64 {
        self.0.get(table).copied().unwrap_or(0)
    }
}

/// The facts stored past `after`, at most `limit` rows in all, and the
/// cursor past them. Tables are read in order, and one that fills the
/// batch ends it (the later tables come in the next), so a row never comes
/// before a row it names: a correction after its passing, an undo after
/// its check-in.
pub(crate) async fn read_after(
    db: &mut SqliteConnection,
    after: &Cursor,
    limit: i64,
) -> sqlx::Result<(Vec<String>, Cursor)> {
    let (tables, cursor, _) = read_batch(db, after, limit).await?;
    Ok((tables, cursor))
}

/// [`read_after`], with the number of rows read.
pub(crate) async fn read_batch(
    db: &mut SqliteConnection,
    after: &Cursor,
    limit: i64,
) -> sqlx::Result<(Vec<String>, Cursor, i64)> {
    let mut tables = Vec::with_capacity(TABLES.len());
    let mut cursor = Cursor(Vec::with_capacity(TABLES.len()));
    let mut left = limit.max(0);
    for (i, table) in TABLES.iter().enumerate() {
        if left == 0 {
            tables.push("[]".to_owned());
            cursor.0.push(after.at(i));
            continue;
        }
        let (rows, last, count): (String, i64, i64) =
            sqlx::query_as(sqlx::AssertSqlSafe(table.select_after()))
                .bind(after.at(i))
                .bind(left)
                .fetch_one(&mut *db)
                .await?;
        tables.push(rows);
        cursor.0.push(last);
        left -= count;
    }
    Ok((tables, cursor, limit.max(0) - left))
}

/// How many facts of each table were new to a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Added {
    /// In the order of the fact tables.
    pub tables: Vec<TableAdded>,
}

/// One table's part of [`Added`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct TableAdded {
    /// The table: `checkin`, `passing`, ... (the UI's words are `fact.TABLE`).
    pub table: String,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub added: u64,
    /// How many were offered: the rest were here already.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub offered: u64,
}

impl Added {
    /// Facts that were new.
    pub fn added(&self) -> u64 {
        self.tables.iter().map(|t| t.added).sum()
    }

    /// Facts that were here already.
    pub fn already(&self) -> u64 {
        self.tables
            .iter()
            .map(|t| t.offered.saturating_sub(t.added))
            .sum()
    }

    /// What was added, in the CLI's words: "12 check-ins and undos, 3
    /// captures and reads"; "nothing new" when nothing was.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .tables
            .iter()
            .filter(|t| t.added > 0)
            .map(|t| {
                let what = TABLES
                    .iter()
                    .find(|table| table.name == t.table)
                    .map_or(t.table.as_str(), |table| table.what);
                format!("{} {what}", t.added)
            })
            .collect();
        if parts.is_empty() {
            "nothing new".into()
        } else {
            parts.join(", ")
        }
    }
}

/// What another copy of the event sent, as [`store`] wrote it.
pub(crate) struct Stored {
    pub entrants: EntrantsAdded,
    pub facts: Added,
    /// Rows left out as forged (see [`Table::not_forged`]).
    pub forged: u64,
}

/// Writes what another copy sent (`entrants` as [`read_entrants`] gives
/// them, `tables` as [`read_all`] does) into the caller's transaction,
/// each row once, and applies the setup changes among them: races and the
/// event's details first, then new runners, then the facts, then the
/// runners' edits. `sender` is the station a hub takes them from (rows new
/// here in the name of another joined station are left out); `who` says
/// where new runners came from, for the audit trail. A row that names a
/// row this file does not have (a start of a race it does not know) fails
/// the whole write.
pub(crate) async fn store(
    db: &mut SqliteConnection,
    entrants: &str,
    tables: &[String],
    sender: Option<&str>,
    who: (&str, &str),
) -> sqlx::Result<Stored> {
    let edits_before = super::edits::last_rowid(&mut *db).await?;
    let (mut written, mut forged) = write_tables(db, tables, sender, |i| i == SETUP).await?;
    super::edits::apply(db, edits_before, &["event", "race"]).await?;
    let entrants = if entrants.trim().is_empty() {
        "[]"
    } else {
        entrants
    };
    let entrants = add_entrants(db, entrants, who, crate::store::now_ms()).await?;
    let (rest, rest_forged) = write_tables(db, tables, sender, |i| i != SETUP).await?;
    super::edits::apply(db, edits_before, &["entrant"]).await?;
    super::conflicts::settle(db, who).await?;
    written.extend(rest);
    written.sort_by_key(|(i, _)| *i);
    forged += rest_forged;
    Ok(Stored {
        entrants,
        facts: Added {
            tables: written.into_iter().map(|(_, t)| t).collect(),
        },
        forged,
    })
}

/// Writes the rows of the tables `only` picks, each once; gives what each
/// added, by its place in [`TABLES`], and how many rows were forged.
async fn write_tables(
    db: &mut SqliteConnection,
    tables: &[String],
    sender: Option<&str>,
    only: impl Fn(usize) -> bool,
) -> sqlx::Result<(Vec<(usize, TableAdded)>, u64)> {
    let mut added = Vec::new();
    let mut forged = 0u64;
    for (i, (table, rows)) in TABLES.iter().zip(tables).enumerate() {
        if !only(i) {
            continue;
        }
        let offered: i64 = sqlx::query_scalar("SELECT json_array_length(?)")
            .bind(rows)
            .fetch_one(&mut *db)
            .await?;
        if offered == 0 {
            added.push((
                i,
                TableAdded {
                    table: table.name.to_owned(),
                    added: 0,
                    offered: 0,
                },
            ));
            continue;
        }
        if sender.is_some() {
            let left_out: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(table.count_forged()))
                .bind(rows)
                .bind(sender)
                .fetch_one(&mut *db)
                .await?;
            forged += u64::try_from(left_out).unwrap_or(0);
        }
        let new = sqlx::query(sqlx::AssertSqlSafe(table.insert_new()))
            .bind(rows)
            .bind(sender)
            .execute(&mut *db)
            .await?
            .rows_affected();
        added.push((
            i,
            TableAdded {
                table: table.name.to_owned(),
                added: new,
                offered: u64::try_from(offered).unwrap_or(0),
            },
        ));
    }
    Ok((added, forged))
}

/// How many facts a file stored past `after`, table by table (in the
/// order of [`TABLES`]): what a station holds that its hub has not
/// confirmed.
pub(crate) async fn count_after(
    db: &mut SqliteConnection,
    after: &Cursor,
) -> sqlx::Result<Vec<u64>> {
    let mut counts = Vec::with_capacity(TABLES.len());
    for (i, table) in TABLES.iter().enumerate() {
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {} WHERE rowid > ?",
            table.name
        )))
        .bind(after.at(i))
        .fetch_one(&mut *db)
        .await?;
        counts.push(u64::try_from(count).unwrap_or(0));
    }
    Ok(counts)
}

/// The newest rowid of each fact table: a cursor past everything.
pub(crate) async fn cursor_at_end(db: &mut SqliteConnection) -> sqlx::Result<Cursor> {
    let mut cursor = Cursor(Vec::with_capacity(TABLES.len()));
    for table in &TABLES {
        let last: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(max(rowid), 0) FROM {}",
            table.name
        )))
        .fetch_one(&mut *db)
        .await?;
        cursor.0.push(last);
    }
    Ok(cursor)
}

/// The names of the fact tables with their words, in order.
pub(crate) fn table_words() -> impl Iterator<Item = (&'static str, &'static str)> {
    TABLES.iter().map(|t| (t.name, t.what))
}

/// An entrant (`e`, its race `r`) as it travels: uid (hex), bib, race uid
/// (hex), and the fields of the roster, in the order [`add_entrants`]
/// reads them.
macro_rules! entrant_row {
    () => {
        "json_array(hex(e.uid), e.bib, hex(r.uid), e.given_name, e.family_name, e.native_name,
            e.gender, e.birth_date, e.age, e.nationality, e.city, e.team, e.chip, e.phone,
            e.emergency_contact, e.medical_note, e.extra)"
    };
}
pub(crate) use entrant_row;

/// Every entrant of a file as a JSON array of rows: uid (hex), bib, race
/// uid (hex), and the fields of the roster, in the order [`add_entrants`]
/// reads them.
pub(crate) async fn read_entrants(db: &mut SqliteConnection) -> sqlx::Result<String> {
    Ok(read_entrants_after(db, 0, i64::MAX).await?.0)
}

/// The entrants added to a file after the entrant id `after`, at most
/// `limit`, with the last id read and the count.
pub(crate) async fn read_entrants_after(
    db: &mut SqliteConnection,
    after: i64,
    limit: i64,
) -> sqlx::Result<(String, i64, i64)> {
    sqlx::query_as(concat!(
        "SELECT json_group_array(",
        entrant_row!(),
        "), coalesce(max(e.id), ?1), count(*)
         FROM (SELECT * FROM entrant WHERE id > ?1 ORDER BY id LIMIT ?2) e
         JOIN race r ON r.id = e.race_id"
    ))
    .bind(after)
    .bind(limit.max(0))
    .fetch_one(db)
    .await
}

/// What [`add_entrants`] did: how many entrants were new here, and the
/// bibs of those it could not add (their bib or chip is another
/// runner's here, or their race is not in this file), which stay in the
/// other file for the director to settle.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct EntrantsAdded {
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub added: u64,
    pub conflicts: Vec<String>,
}

/// Adds the entrants of `rows` ([`read_entrants`]) that this file does not
/// have (by uid), in the caller's transaction, each audited as a creation.
/// An entrant whose bib or chip another runner holds here, or whose race
/// this file lacks, is not added and is named in `conflicts`.
pub(crate) async fn add_entrants(
    db: &mut SqliteConnection,
    rows: &str,
    who: (&str, &str),
    at_ms: i64,
) -> sqlx::Result<EntrantsAdded> {
    let last_id = crate::store::entrants::last_id(&mut *db).await?;
    let conflicts: Vec<String> = sqlx::query_scalar(
        "SELECT j.value ->> 1 FROM json_each(?) j
         WHERE NOT EXISTS (SELECT 1 FROM entrant e WHERE e.uid = unhex(j.value ->> 0))
           AND (EXISTS (SELECT 1 FROM entrant e WHERE e.bib = j.value ->> 1)
                OR EXISTS (SELECT 1 FROM entrant e WHERE e.chip = j.value ->> 12)
                OR NOT EXISTS (SELECT 1 FROM race r WHERE r.uid = unhex(j.value ->> 2)))
         ORDER BY length(j.value ->> 1), j.value ->> 1",
    )
    .bind(rows)
    .fetch_all(&mut *db)
    .await?;
    // Kept whole for the director to settle, never dropped.
    sqlx::query(
        "INSERT INTO entrant_conflict (uid, bib, row, found_ms)
         SELECT unhex(j.value ->> 0), j.value ->> 1, j.value, ?2 FROM json_each(?1) j
         WHERE NOT EXISTS (SELECT 1 FROM entrant e WHERE e.uid = unhex(j.value ->> 0))
           AND (EXISTS (SELECT 1 FROM entrant e WHERE e.bib = j.value ->> 1)
                OR EXISTS (SELECT 1 FROM entrant e WHERE e.chip = j.value ->> 12)
                OR NOT EXISTS (SELECT 1 FROM race r WHERE r.uid = unhex(j.value ->> 2)))
         ON CONFLICT (uid) DO NOTHING",
    )
    .bind(rows)
    .bind(at_ms)
    .execute(&mut *db)
    .await?;
    let added = sqlx::query(
        "INSERT INTO entrant (uid, bib, race_id, given_name, family_name, native_name, gender,
             birth_date, age, nationality, city, team, chip, phone, emergency_contact,
             medical_note, extra)
         SELECT unhex(j.value ->> 0), j.value ->> 1, r.id, j.value ->> 3, j.value ->> 4,
             j.value ->> 5, j.value ->> 6, j.value ->> 7, j.value ->> 8, j.value ->> 9,
             j.value ->> 10, j.value ->> 11, j.value ->> 12, j.value ->> 13, j.value ->> 14,
             j.value ->> 15, j.value ->> 16
         FROM json_each(?) j JOIN race r ON r.uid = unhex(j.value ->> 2)
         WHERE NOT EXISTS (SELECT 1 FROM entrant e WHERE e.uid = unhex(j.value ->> 0))
           AND NOT EXISTS (SELECT 1 FROM entrant e WHERE e.bib = j.value ->> 1)
           AND NOT EXISTS (SELECT 1 FROM entrant e WHERE e.chip = j.value ->> 12)",
    )
    .bind(rows)
    .execute(&mut *db)
    .await?
    .rows_affected();
    crate::store::entrants::audit_added(db, last_id, who, at_ms).await?;
    Ok(EntrantsAdded { added, conflicts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkin::{self, Desk};
    use crate::model::Station;
    use crate::store::EventFile;
    use crate::timing::{self, Correction};

    async fn all_facts(file: &EventFile) -> Vec<String> {
        let mut reader = file.reader().acquire().await.unwrap();
        read_all(&mut reader).await.unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn facts_read_in_batches_past_a_cursor_write_whole_into_another_copy() {
        let dir = tempfile::tempdir().unwrap();
        let a = EventFile::create(&dir.path().join("a.racedesk"))
            .await
            .unwrap();
        crate::roster::demo(&a, 30, "test").await.unwrap();
        let b_path = crate::backup::backup(&a, &dir.path().join("b"))
            .await
            .unwrap();
        let b = EventFile::open(&b_path).await.unwrap();

        // Facts of every kind, some naming others.
        let station = Station {
            id: "finish-a".into(),
            name: "Finish".into(),
            operator: "timer".into(),
        };
        let desk = Desk {
            id: "desk-a".into(),
            name: "Desk A".into(),
            operator: "volunteer".into(),
        };
        let bibs: Vec<String> = crate::roster::entrants(&a)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.bib.to_string())
            .take(4)
            .collect();
        let event = crate::setup::event(&a).await.unwrap();
        let gun = crate::model::parse_instant("07:30:00", event.date, event.time_zone).unwrap();
        timing::start_race(&a, "MAR", None, gun, true, None, &station)
            .await
            .unwrap();
        timing::undo_start(&a, "MAR", None, Some("pressed early"), &station)
            .await
            .unwrap();
        timing::start_race(&a, "MAR", None, gun + 1000, true, None, &station)
            .await
            .unwrap();
        for bib in &bibs {
            checkin::check_in(&a, bib, &desk, None).await.unwrap();
        }
        checkin::undo(&a, &bibs[0], &desk).await.unwrap();
        let mut captured = Vec::new();
        for (n, bib) in bibs.iter().enumerate() {
            let at = gun + 3_600_000 + i64::try_from(n).unwrap() * 1000;
            captured.push(
                timing::capture(&a, "finish", at, Some(bib), &station)
                    .await
                    .unwrap(),
            );
        }
        timing::correct(
            &a,
            &captured[1].id,
            Correction::Void,
            Some("a double tap"),
            &station,
        )
        .await
        .unwrap();

        // Read in batches of two, each written into the copy on its own.
        let mut cursor = Cursor::default();
        let mut batches = 0;
        loop {
            let mut reader = a.reader().acquire().await.unwrap();
            let (tables, next) = read_after(&mut reader, &cursor, 2).await.unwrap();
            drop(reader);
            if next == cursor {
                assert!(tables.iter().all(|t| t == "[]"), "{tables:?}");
                break;
            }
            let mut tx = b.writer().begin().await.unwrap();
            let added = store(&mut tx, "[]", &tables, None, ("a", "test"))
                .await
                .unwrap()
                .facts;
            tx.commit().await.unwrap();
            assert!(added.added() <= 2, "{added:?}");
            cursor = next;
            batches += 1;
            assert!(batches < 20, "the cursor moves on");
        }
        // 3 starts and undos, 5 check-ins and undos, 4 captures, 1
        // correction, and the 4 races' creation (setup changes).
        assert_eq!(batches, 9);
        assert_eq!(all_facts(&a).await, all_facts(&b).await);

        // Nothing past the cursor now; a new fact is.
        let mut reader = a.reader().acquire().await.unwrap();
        let (tables, same) = read_after(&mut reader, &cursor, 100).await.unwrap();
        assert!(tables.iter().all(|t| t == "[]") && same == cursor);
        drop(reader);
        checkin::undo(&a, &bibs[1], &desk).await.unwrap();
        let mut reader = a.reader().acquire().await.unwrap();
        let (tables, next) = read_after(&mut reader, &cursor, 100).await.unwrap();
        assert_eq!(tables.iter().filter(|t| *t != "[]").count(), 1);
        assert!(tables[2].contains("undo"), "{tables:?}");
        assert_ne!(next, cursor);
        drop(reader);
        b.close().await;
    }
}
