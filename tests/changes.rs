//! Knowing that the event file changed, whoever changed it: a check-in by
//! the CLI in another process, a race renamed, a row merged in with an
//! earlier UUID time. The app's caches and screens follow these changes.

use racedesk::changes::{Marks, Watch};
use racedesk::checkin::Finder;
use racedesk::model::{AgeGroups, Race, RaceCode};

use crate::support::{TestEvent, racedesk, text};

async fn with_runner() -> TestEvent {
    let event = TestEvent::new().await;
    event.add_runner("2001", "10K").await;
    event
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
    let renamed = Race {
        code: RaceCode::parse("10KM").unwrap(),
        name: "10 km".into(),
        distance_m: 10_000,
        age_groups: AgeGroups::parse("five-year").unwrap(),
        bibs: None,
        waves: Vec::new(),
        checkpoints: Vec::new(),
        net_time: false,
        cutoff_ms: None,
    };
    racedesk::setup::update_race(
        &event.file,
        &RaceCode::parse("10K").unwrap(),
        &renamed,
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
