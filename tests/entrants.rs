//! One entrant added or corrected from a form, as the app's editor and the
//! check-in desk's walk-up registration do.

use racedesk::Error;
use racedesk::roster::{self, EntrantForm};

use crate::support::TestEvent;

fn walk_up() -> EntrantForm {
    EntrantForm {
        bib: "3500".into(),
        first_name: "Wendy".into(),
        last_name: "Walkup".into(),
        gender: "F".into(),
        age: "44".into(),
        country: "New Zealand".into(),
        race: "5K".into(),
        ..EntrantForm::default()
    }
}

fn fields(error: Error) -> Vec<String> {
    match error {
        Error::InvalidEntrant(problems) => problems
            .iter()
            .filter_map(|p| p.field.map(|f| f.name().to_string()))
            .collect(),
        other => panic!("expected field problems, got {other:?}"),
    }
}

#[tokio::test]
async fn a_walk_up_is_added_with_the_checks_of_a_roster_row() {
    let event = TestEvent::new().await;
    let entrant = roster::save_entrant(&event.file, None, &walk_up(), "desk 1")
        .await
        .unwrap();
    assert_eq!(entrant.nationality.unwrap().code(), "NZL");
    assert_eq!(event.entrant_count().await, 1);
    let history = racedesk::setup::history(&event.file, "entrant", "3500")
        .await
        .unwrap();
    assert_eq!(
        (history[0].action.as_str(), history[0].operator.as_str()),
        ("create", "desk 1")
    );
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_written() {
    let event = TestEvent::new().await;
    let form = EntrantForm {
        bib: "99".into(),
        gender: "Q".into(),
        age: "0".into(),
        country: "Atlantis".into(),
        ..walk_up()
    };
    let problems = fields(
        roster::save_entrant(&event.file, None, &form, "test")
            .await
            .unwrap_err(),
    );
    for field in ["bib", "gender", "age", "country"] {
        assert!(
            problems.iter().any(|p| p == field),
            "{field} not in {problems:?}"
        );
    }
    assert_eq!(event.entrant_count().await, 0);
}

#[tokio::test]
async fn a_taken_bib_is_refused_naming_who_has_it() {
    let event = TestEvent::new().await;
    roster::save_entrant(&event.file, None, &walk_up(), "test")
        .await
        .unwrap();
    let other = EntrantForm {
        first_name: "Lars".into(),
        last_name: "Lind".into(),
        gender: "M".into(),
        ..walk_up()
    };
    let err = roster::save_entrant(&event.file, None, &other, "test")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("bib 3500 belongs to Wendy Walkup"),
        "{err}"
    );
    assert_eq!(fields(err), ["bib"]);
}

#[tokio::test]
async fn an_entrant_is_corrected_and_may_take_a_free_bib() {
    let event = TestEvent::new().await;
    roster::save_entrant(&event.file, None, &walk_up(), "test")
        .await
        .unwrap();
    let corrected = EntrantForm {
        bib: "3501".into(),
        last_name: "Walker".into(),
        ..walk_up()
    };
    roster::save_entrant(&event.file, Some("3500"), &corrected, "desk 2")
        .await
        .unwrap();
    let entrants = roster::entrants(&event.file).await.unwrap();
    assert_eq!(entrants.len(), 1);
    assert_eq!(
        (entrants[0].bib.as_str(), entrants[0].family_name.as_str()),
        ("3501", "Walker")
    );
    let history = racedesk::setup::history(&event.file, "entrant", "3501")
        .await
        .unwrap();
    assert_eq!(history[0].action, "update");
    assert!(
        history[0].old.as_deref().unwrap().contains("\"3500\""),
        "{:?}",
        history[0]
    );
    let err = roster::save_entrant(&event.file, Some("3999"), &walk_up(), "test")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn one_entrant_is_read_by_bib_alone() {
    let event = TestEvent::new().await;
    event.add_runner("2001", "10K").await;
    event.add_runner("2002", "10K").await;
    let bib = racedesk::model::Bib::parse("2002").unwrap();
    let entrant = roster::entrant(&event.file, &bib).await.unwrap();
    assert_eq!(
        (entrant.bib.as_str(), entrant.family_name.as_str()),
        ("2002", "2002")
    );
    let missing = racedesk::model::Bib::parse("7").unwrap();
    match roster::entrant(&event.file, &missing).await {
        Err(Error::NotFound(said)) => assert_eq!(said.key, "error.no_entrant"),
        other => panic!("not found expected: {other:?}"),
    }
}
