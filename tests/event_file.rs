//! Opening, creating and refusing event files.

use racedesk::{Error, EventFile, OpenError};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

use crate::support::TestEvent;

async fn raw(path: &std::path::Path) -> SqliteConnection {
    SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("raw connection")
}

#[tokio::test]
async fn a_new_file_is_wal_marked_as_racedesk_and_migrated() {
    let event = TestEvent::new().await;
    event.file.clone().close().await;
    let mut db = raw(&event.path()).await;
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let app_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(app_id, 0x5241_4345);
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut db)
            .await
            .unwrap();
    for table in ["audit", "entrant", "event", "race"] {
        assert!(
            tables.iter().any(|t| t == table),
            "missing table {table} in {tables:?}"
        );
    }
}

#[tokio::test]
async fn a_missing_file_is_refused_with_the_way_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.db");
    let err = EventFile::open(&path).await.unwrap_err();
    assert!(matches!(err, OpenError::Missing(_)), "{err:?}");
    assert!(err.to_string().contains("event init"), "{err}");
    assert!(!path.exists(), "opening must not create the file");
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.csv");
    std::fs::write(&path, "bib,name\n1,Kim\n").unwrap();
    let err = EventFile::open(&path).await.unwrap_err();
    assert!(matches!(err, OpenError::NotSqlite(_)), "{err:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "bib,name\n1,Kim\n");
    let err = Error::from(err);
    assert_eq!(err.code(), "not_an_event_file");
    assert!(err.is_bad_input());
}

#[tokio::test]
async fn another_programs_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE notes (text TEXT)")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let err = EventFile::open(&path).await.unwrap_err();
    assert!(matches!(err, OpenError::NotRacedesk(_)), "{err:?}");
}

#[tokio::test]
async fn a_file_from_a_newer_racedesk_is_refused() {
    let event = TestEvent::new().await;
    event.file.clone().close().await;
    let mut db = raw(&event.path()).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'from the future', 1, x'00', 0)",
    )
    .execute(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();
    let err = EventFile::open(&event.path()).await.unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::Newer {
                found: 99990101000000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer racedesk"), "{err}");
}

#[tokio::test]
async fn an_older_file_is_migrated_on_open() {
    // A racedesk file from before any migration: marked, but empty.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut db = SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA application_id = {}",
        0x5241_4345
    )))
    .execute(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();
    let file = EventFile::open(&path).await.expect("migrates");
    assert!(racedesk::setup::races(&file).await.unwrap().is_empty());
}

#[tokio::test]
async fn create_refuses_a_file_with_data() {
    let event = TestEvent::new().await;
    let err = EventFile::create(&event.path()).await.unwrap_err();
    assert!(matches!(err, OpenError::Exists(_)), "{err:?}");
}

/// A file made by the last version before races had a uid (schema
/// 20261205, see tests/data/README.md) opens, migrates, keeps every row,
/// and prints the same results, captures, statuses and counts as that
/// version printed for it.
#[tokio::test]
async fn a_file_of_the_last_schema_migrates_and_keeps_every_row_and_result() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schema-20261205");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.racedesk");
    std::fs::copy(fixture.join("event.racedesk"), &path).unwrap();
    const TABLES: [&str; 12] = [
        "event",
        "race",
        "wave",
        "checkpoint",
        "entrant",
        "audit",
        "checkin",
        "race_start",
        "start_undo",
        "passing",
        "correction",
        "runner_status",
    ];
    async fn counts(path: &std::path::Path) -> Vec<i64> {
        let mut db = raw(path).await;
        let mut counts = Vec::new();
        for table in TABLES {
            let sql = format!("SELECT count(*) FROM {table}");
            counts.push(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut db)
                    .await
                    .unwrap(),
            );
        }
        db.close().await.unwrap();
        counts
    }
    let before = counts(&path).await;

    let file = EventFile::open(&path).await.expect("migrates");
    file.close().await;
    assert_eq!(counts(&path).await, before, "rows of {TABLES:?}");
    let mut db = raw(&path).await;
    let (races, uids, starts_named): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM race), (SELECT count(DISTINCT uid) FROM race WHERE length(uid) = 16),
                (SELECT count(*) FROM race_start s JOIN race r ON r.uid = s.race_uid)",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();
    assert_eq!((races, uids), (4, 4), "each race has its own uid");
    assert_eq!(starts_named, before[7], "each start names its race by uid");

    let db = path.display().to_string();
    for (args, expected) in [
        (
            &["results", "--all", "--format", "json"][..],
            "results.json",
        ),
        (&["reads", "list"][..], "reads.csv"),
        (&["reads", "statuses"][..], "statuses.json"),
        (
            &["checkin", "status", "--format", "json"][..],
            "counts.json",
        ),
    ] {
        let out = crate::support::racedesk(&[&["--db", db.as_str()][..], args].concat());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            crate::support::text(&out.stderr)
        );
        assert_eq!(
            crate::support::text(&out.stdout),
            std::fs::read_to_string(fixture.join(expected)).unwrap(),
            "{args:?} prints what the last version printed"
        );
    }

    // Starts go on working by the race's uid: the 5K's gun corrected.
    let out = crate::support::racedesk(&[
        "--db",
        &db,
        "start",
        "5K",
        "--at",
        "2027-04-11T08:30:30",
        "--reason",
        "video",
    ]);
    assert!(
        out.status.success(),
        "{}",
        crate::support::text(&out.stderr)
    );
    let out = crate::support::racedesk(&["--db", &db, "results", "5K", "--format", "json"]);
    assert!(crate::support::text(&out.stdout).contains("\"gunTime\""));
}
