//! Knowing that the event file changed, whoever changed it: a check-in by
//! the CLI in another process, a race renamed, a row merged in with an
//! earlier UUID time. The app's caches and screens follow these changes.

use racedesk::changes::{Marks, Watch};
use racedesk::checkin::Finder;
use racedesk::model::{AgeGroups, Race, RaceCode};
use racedesk::roster::TableQuery;

use crate::support::{TestEvent, racedesk, text};

async fn with_runner() -> TestEvent {
    let event = TestEvent::new().await;
    event.add_runner("2001", "10K").await;
    event
}

/// The 10 km race under another code.
fn ten_km(code: &str) -> Race {
    Race {
        code: RaceCode::parse(code).unwrap(),
        name: "10 km".into(),
        distance_m: 10_000,
        age_groups: AgeGroups::parse("five-year").unwrap(),
        bibs: None,
        waves: Vec::new(),
        checkpoints: Vec::new(),
        net_time: false,
        cutoff_ms: None,
        overdue_ms: None,
        records: Vec::new(),
    }
}

#[tokio::test]
async fn a_check_in_by_another_process_is_a_change_of_check_ins_only() {
    let event = with_runner().await;
    let mut watch = Watch::new();
    let first = watch.look(&event.file).await.unwrap().unwrap();
    assert!(
        first.setup && first.checkins && first.timing,
        "the first look is everything"
    );
    assert_eq!(
        watch.look(&event.file).await.unwrap(),
        None,
        "nothing moved"
    );

    let db = event.path().display().to_string();
    let out = racedesk(&["--db", &db, "checkin", "2001", "--desk", "Desk 9"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let change = watch.look(&event.file).await.unwrap().expect("seen");
    assert_eq!(
        (
            change.revision,
            change.setup,
            change.checkins,
            change.timing
        ),
        (2, false, true, false)
    );

    let out = racedesk(&["--db", &db, "start", "10K", "--at", "09:00:00"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let change = watch.look(&event.file).await.unwrap().expect("seen");
    assert!(change.timing && !change.checkins && !change.setup);
}

#[tokio::test]
async fn a_race_renamed_moves_setup_and_the_search_rebuilt_on_it_shows_the_new_code() {
    let event = with_runner().await;
    let before = Marks::of(&event.file).await.unwrap();
    let finder = Finder::load(&event.file).await.unwrap();
    assert_eq!(
        finder.find(&event.file, "2001", 1).await.unwrap()[0].race,
        "10K"
    );
    racedesk::setup::update_race(
        &event.file,
        &RaceCode::parse("10K").unwrap(),
        &ten_km("10KM"),
        "test",
    )
    .await
    .unwrap();
    let after = Marks::of(&event.file).await.unwrap();
    assert!(!before.same_setup(&after), "a rename is a setup change");
    // What the app does when setup moved: build again.
    let finder = Finder::load(&event.file).await.unwrap();
    assert_eq!(
        finder.find(&event.file, "2001", 1).await.unwrap()[0].race,
        "10KM"
    );
}

#[tokio::test]
async fn a_row_merged_with_an_earlier_uuid_time_still_moves_the_file() {
    let event = with_runner().await;
    let db = event.path().display().to_string();
    let out = racedesk(&["--db", &db, "checkin", "2001"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut watch = Watch::new();
    watch.look(&event.file).await.unwrap();
    let print = racedesk::backup::fingerprint(&event.file).await.unwrap();

    // Another station's undo, captured earlier than anything here: its
    // UUID v7 sorts first, so a max(id) would not have moved.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO checkin (id, entrant_uid, action, undoes, station, seq, desk, operator, at_ms)
         SELECT '00000000-0000-7000-8000-000000000001', entrant_uid, 'undo', id, 'other', 1,
                'Desk 4', 'volunteer', 0 FROM checkin LIMIT 1",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    assert_ne!(
        racedesk::backup::fingerprint(&event.file).await.unwrap(),
        print
    );
    let change = watch.look(&event.file).await.unwrap().expect("seen");
    assert!(change.checkins);
}

/// The race of bib 2001 in the session's roster table and search index.
async fn races_shown(session: &racedesk::session::Session, event: &TestEvent) -> (String, String) {
    let query = TableQuery {
        limit: 10,
        ..TableQuery::default()
    };
    let table = session.roster().await.unwrap().page(&query).rows[0]
        .race
        .clone();
    let finder = session.finder().await.unwrap();
    let found = finder.find(&event.file, "2001", 1).await.unwrap();
    (table, found[0].race.clone())
}

/// The session the app and `racedesk watch` hold: its roster table, search
/// index and results follow a change made by another process, and it says
/// each change as it sees it, with no call to drop a cache.
#[tokio::test]
async fn a_session_follows_changes_from_another_process_and_says_them() {
    use std::time::Duration;

    let event = with_runner().await;
    let db = event.path().display().to_string();
    let session = racedesk::session::Session::start(event.file.clone(), "test-station");
    let mut changes = session.changes();
    let first = tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("the first look is said within seconds")
        .unwrap();
    assert!(first.setup && first.checkins && first.timing);
    assert_eq!(
        races_shown(&session, &event).await,
        ("10K".into(), "10K".into())
    );

    // The race is renamed through another handle on the file (as another
    // window or station would).
    let other = racedesk::EventFile::open(&event.path()).await.unwrap();
    racedesk::setup::update_race(
        &other,
        &RaceCode::parse("10K").unwrap(),
        &ten_km("10KM"),
        "test",
    )
    .await
    .unwrap();
    other.close().await;
    let change = tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("a rename is said within seconds")
        .unwrap();
    assert!(change.setup && change.revision > first.revision);
    assert_eq!(
        races_shown(&session, &event).await,
        ("10KM".into(), "10KM".into()),
        "the roster table and the search index were built again"
    );

    // A check-in by the CLI: said as check-ins only.
    let out = racedesk(&["--db", &db, "checkin", "2001"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let change = tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("a check-in is said within seconds")
        .unwrap();
    assert!(change.checkins && !change.setup && !change.timing);
    session.close().await;
}

/// `racedesk watch` holds a session from the terminal: it prints the first
/// look and a check-in made by another process, as JSON lines.
#[tokio::test]
async fn racedesk_watch_prints_each_change_as_a_json_line() {
    let event = with_runner().await;
    let db = event.path().display().to_string();
    let watcher = std::process::Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .args(["--db", &db, "watch", "--changes", "2"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first look is a change of everything, whenever it comes; then
    // the check-in.
    std::thread::sleep(std::time::Duration::from_millis(800));
    let out = racedesk(&["--db", &db, "checkin", "2001"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = watcher.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["setup"], true);
    assert_eq!(lines[1]["checkins"], true);
    assert_eq!(lines[1]["setup"], false);
    assert_eq!(lines[1]["revision"], 2);
}
