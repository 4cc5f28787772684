//! The check-in desk on a real event file: check in, twice, undo, groups
//! all or nothing, fixes at the desk, walk-ups, counts.

use racedesk::Error;
use racedesk::checkin::{self, Desk, Finder};
use racedesk::roster::{self, EntrantForm};

use crate::support::TestEvent;

fn desk(name: &str) -> Desk {
    Desk {
        id: format!("station-{name}"),
        name: name.into(),
        operator: "volunteer".into(),
    }
}

fn runner(bib: &str, first: &str, last: &str, race: &str, group: &str) -> EntrantForm {
    EntrantForm {
        bib: bib.into(),
        first_name: first.into(),
        last_name: last.into(),
        gender: "F".into(),
        age: "35".into(),
        race: race.into(),
        group: group.into(),
        ..EntrantForm::default()
    }
}

/// An event with a Koryo Tours group of three and two other runners.
async fn event_with_runners() -> TestEvent {
    let event = TestEvent::new().await;
    for form in [
        runner("1", "Anna", "Müller", "MAR", "Koryo Tours"),
        runner("2", "Lars", "Lindqvist", "MAR", "Koryo Tours"),
        runner("1001", "Rita", "Jeptoo", "HALF", "Koryo Tours"),
        runner("2001", "Kim", "Chol", "10K", "Pyongyang Club"),
        runner("3001", "Ri", "Song", "5K", ""),
    ] {
        roster::save_entrant(&event.file, None, &form, "test")
            .await
            .unwrap();
    }
    event
}

async fn checkin_rows(event: &TestEvent) -> i64 {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", event.path().display()))
        .await
        .unwrap();
    let n = sqlx::query_scalar("SELECT count(*) FROM checkin")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

async fn is_in(event: &TestEvent, bib: &str) -> bool {
    checkin::status_of(&event.file, &[bib.to_string()])
        .await
        .unwrap()
        .contains_key(bib)
}

#[tokio::test]
async fn a_check_in_is_recorded_once_and_twice_changes_nothing() {
    let event = event_with_runners().await;
    let first = checkin::check_in(
        &event.file,
        "001",
        &desk("Desk 1"),
        Some(" bib collected by tour leader "),
    )
    .await
    .unwrap();
    assert!(first.changed);
    assert_eq!(
        (first.bib.as_str(), first.name.as_str()),
        ("1", "Anna Müller")
    );
    let standing = first.checked_in.clone().unwrap();
    assert_eq!(standing.desk, "Desk 1");
    assert_eq!(
        standing.note.as_deref(),
        Some("bib collected by tour leader")
    );

    let again = checkin::check_in(&event.file, "1", &desk("Desk 2"), None)
        .await
        .unwrap();
    assert!(!again.changed, "a second check-in must change nothing");
    assert_eq!(again.checked_in, Some(standing), "it reports the first one");
    assert_eq!(checkin_rows(&event).await, 1);
    assert!(is_in(&event, "1").await);
    assert!(!is_in(&event, "2").await);
}

#[tokio::test]
async fn undo_is_a_new_row_and_the_check_in_stays() {
    let event = event_with_runners().await;
    let desk = desk("Desk 1");
    checkin::check_in(&event.file, "2", &desk, None)
        .await
        .unwrap();
    let undone = checkin::undo(&event.file, "2", &desk).await.unwrap();
    assert!(undone.changed && undone.checked_in.is_none());
    assert!(!is_in(&event, "2").await);
    assert_eq!(checkin_rows(&event).await, 2, "check-in and undo both kept");

    let nothing = checkin::undo(&event.file, "2", &desk).await.unwrap();
    assert!(
        !nothing.changed,
        "undo of someone not checked in does nothing"
    );
    assert_eq!(checkin_rows(&event).await, 2);

    let back = checkin::check_in(&event.file, "2", &desk, None)
        .await
        .unwrap();
    assert!(back.changed);
    assert!(is_in(&event, "2").await);
    assert_eq!(checkin_rows(&event).await, 3);
}

#[tokio::test]
async fn check_ins_cannot_be_changed_or_deleted_in_the_file() {
    let event = event_with_runners().await;
    checkin::check_in(&event.file, "1", &desk("Desk 1"), None)
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", event.path().display()))
        .await
        .unwrap();
    for sql in ["UPDATE checkin SET desk = 'x'", "DELETE FROM checkin"] {
        let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    pool.close().await;
    assert!(is_in(&event, "1").await);
}

#[tokio::test]
async fn unknown_and_bad_bibs_are_named() {
    let event = event_with_runners().await;
    let err = checkin::check_in(&event.file, "999", &desk("Desk 1"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound(_)) && err.to_string().contains("999"),
        "{err}"
    );
    let err = checkin::check_in(&event.file, "12 34", &desk("Desk 1"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert!(err.to_string().starts_with("bib:"), "{err}");
    assert_eq!(checkin_rows(&event).await, 0);
}

#[tokio::test]
async fn a_group_is_checked_in_all_or_nothing() {
    let event = event_with_runners().await;
    let desk = desk("Group desk");
    let bibs = |list: &[&str]| list.iter().map(|b| b.to_string()).collect::<Vec<_>>();

    // Bib 2001 is of another group: nobody is checked in.
    let err = checkin::check_in_group(
        &event.file,
        "Koryo Tours",
        &bibs(&["1", "2", "2001"]),
        &desk,
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("2001"), "{err}");
    // An unknown bib after good ones: nobody either.
    let err = checkin::check_in_group(
        &event.file,
        "Koryo Tours",
        &bibs(&["1", "404"]),
        &desk,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(checkin_rows(&event).await, 0);

    checkin::check_in(&event.file, "1001", &desk, None)
        .await
        .unwrap();
    let done = checkin::check_in_group(
        &event.file,
        "Koryo Tours",
        &bibs(&["1", "2", "1001"]),
        &desk,
        Some("tour leader"),
    )
    .await
    .unwrap();
    assert_eq!(done.checked_in, ["1", "2"]);
    assert_eq!(done.already, ["1001"]);

    let members = checkin::group_members(&event.file, "Koryo Tours")
        .await
        .unwrap();
    assert_eq!(members.len(), 3);
    assert!(members.iter().all(|m| m.checked_in.is_some()));
    assert_eq!(
        members[0].checked_in.as_ref().unwrap().note.as_deref(),
        Some("tour leader")
    );
    assert!(matches!(
        checkin::group_members(&event.file, "Nobody").await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn a_bib_change_keeps_the_check_in_frees_the_old_bib_and_refuses_a_taken_one() {
    let event = event_with_runners().await;
    checkin::check_in(&event.file, "3001", &desk("Desk 1"), None)
        .await
        .unwrap();
    let taken = EntrantForm {
        bib: "1".into(),
        ..runner("3001", "Ri", "Song", "MAR", "")
    };
    let taken = EntrantForm {
        reason: "wants the marathon".into(),
        ..taken
    };
    let err = roster::save_entrant(&event.file, Some("3001"), &taken, "desk")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("bib 1 belongs to Anna Müller"),
        "{err}"
    );

    let moved = runner("3002", "Ri", "Song", "5K", "");
    roster::save_entrant(&event.file, Some("3001"), &moved, "desk")
        .await
        .unwrap();
    assert!(
        is_in(&event, "3002").await,
        "the check-in follows the runner"
    );
    // The old bib is free again, for a walk-up.
    roster::save_entrant(
        &event.file,
        None,
        &runner("3001", "New", "Runner", "5K", ""),
        "desk",
    )
    .await
    .unwrap();
    assert!(!is_in(&event, "3001").await);
}

#[tokio::test]
async fn a_move_to_another_race_needs_a_reason_which_is_recorded() {
    let event = event_with_runners().await;
    let to_half = runner("1002", "Ri", "Song", "HALF", "");
    let err = roster::save_entrant(&event.file, Some("3001"), &to_half, "desk")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert!(err.to_string().starts_with("reason:"), "{err}");
    assert!(err.to_string().contains("5K to HALF"), "{err}");

    let with_reason = EntrantForm {
        reason: "injured, runs the half".into(),
        ..to_half
    };
    roster::save_entrant(&event.file, Some("3001"), &with_reason, "desk")
        .await
        .unwrap();
    let history = racedesk::setup::history(&event.file, "entrant", "1002")
        .await
        .unwrap();
    assert_eq!(history[0].reason.as_deref(), Some("injured, runs the half"));
    assert!(history[0].old.as_deref().unwrap().contains("\"5K\""));
}

#[tokio::test]
async fn a_walk_up_gets_a_free_bib_and_is_checked_in_or_nothing_is_written() {
    let event = event_with_runners().await;
    assert_eq!(
        checkin::suggest_bib(&event.file, "5K")
            .await
            .unwrap()
            .as_deref(),
        Some("3000")
    );
    assert_eq!(
        checkin::suggest_bib(&event.file, "MAR")
            .await
            .unwrap()
            .as_deref(),
        Some("3"),
        "1 and 2 are taken"
    );
    let bad = EntrantForm {
        gender: "Q".into(),
        ..runner("3000", "Wendy", "Walkup", "5K", "")
    };
    let err = checkin::register_walk_up(&event.file, &bad, &desk("Desk 1"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_entrant");
    assert_eq!(event.entrant_count().await, 5);
    assert_eq!(checkin_rows(&event).await, 0);

    let good = runner("3000", "Wendy", "Walkup", "5K", "");
    let outcome = checkin::register_walk_up(&event.file, &good, &desk("Desk 1"), None)
        .await
        .unwrap();
    assert!(outcome.changed);
    assert!(is_in(&event, "3000").await);
    assert_eq!(
        checkin::suggest_bib(&event.file, "5K")
            .await
            .unwrap()
            .as_deref(),
        Some("3002")
    );
}

#[tokio::test]
async fn counts_and_the_missing_list_follow_the_desks() {
    let event = event_with_runners().await;
    checkin::check_in(&event.file, "1", &desk("Desk 1"), None)
        .await
        .unwrap();
    checkin::check_in(&event.file, "2001", &desk("Desk 2"), None)
        .await
        .unwrap();
    checkin::check_in(&event.file, "3001", &desk("Desk 2"), None)
        .await
        .unwrap();
    checkin::undo(&event.file, "3001", &desk("Desk 2"))
        .await
        .unwrap();

    let counts = checkin::counts(&event.file).await.unwrap();
    assert_eq!((counts.total.checked_in, counts.total.expected), (2, 5));
    let race = |code: &str| {
        let c = counts.races.iter().find(|c| c.name == code).unwrap();
        (c.checked_in, c.expected)
    };
    assert_eq!(race("MAR"), (1, 2));
    assert_eq!(race("10K"), (1, 1));
    assert_eq!(race("5K"), (0, 1));
    let koryo = counts
        .groups
        .iter()
        .find(|c| c.name == "Koryo Tours")
        .unwrap();
    assert_eq!((koryo.checked_in, koryo.expected), (1, 3));

    let missing = checkin::missing(&event.file, None, None).await.unwrap();
    let bibs: Vec<&str> = missing.iter().map(|m| m.bib.as_str()).collect();
    assert_eq!(bibs, ["2", "1001", "3001"]);
    let koryo_missing = checkin::missing(&event.file, None, Some("Koryo Tours"))
        .await
        .unwrap();
    assert_eq!(koryo_missing.len(), 2);
    let mut csv_out = Vec::new();
    checkin::write_missing_csv(&missing, &mut csv_out).unwrap();
    let mut reader = csv::Reader::from_reader(csv_out.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "bib",
            "name",
            "native_name",
            "race",
            "group",
            "country",
            "phone"
        ]
    );
    assert_eq!(reader.records().count(), 3);
}

#[tokio::test]
async fn the_finder_shows_each_runners_status_from_the_file() {
    let event = event_with_runners().await;
    let finder = Finder::load(&event.file).await.unwrap();
    let found = finder.find(&event.file, "muller", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(found[0].checked_in.is_none());
    // A check-in made elsewhere (another desk, the CLI) shows at once.
    checkin::check_in(&event.file, "1", &desk("Desk 9"), None)
        .await
        .unwrap();
    let found = finder.find(&event.file, "Anna Müller", 10).await.unwrap();
    assert_eq!(found[0].checked_in.as_ref().unwrap().desk, "Desk 9");
    assert_eq!(found[0].group.as_deref(), Some("Koryo Tours"));
}
