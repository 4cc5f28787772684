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
