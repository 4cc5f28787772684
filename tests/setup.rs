//! The event, its races and the audit trail of setup changes.

use racedesk::model::{AgeGroups, BibRanges, Event, EventDate, Race, RaceCode, TimeZone};
use racedesk::{Error, setup};

use crate::support::TestEvent;

fn race(code: &str, bibs: Option<&str>) -> Race {
    Race {
        code: RaceCode::parse(code).unwrap(),
        name: format!("Race {code}"),
        distance_m: 3_000,
        age_groups: AgeGroups::open(),
        bibs: bibs.map(|b| BibRanges::parse(b).unwrap()),
        waves: Vec::new(),
    }
}

#[tokio::test]
async fn the_event_reads_back_as_written() {
    let event = TestEvent::new().await;
    let stored = setup::event(&event.file).await.unwrap();
    assert_eq!(stored.name, "Test Marathon");
    assert_eq!(stored.date.to_string(), "2027-04-11");
    assert_eq!(stored.time_zone.to_string(), "Asia/Pyongyang");
}

#[tokio::test]
async fn a_second_event_in_one_file_is_refused() {
    let event = TestEvent::new().await;
    let other = Event {
        name: "Other".into(),
        date: EventDate::parse("2027-05-01").unwrap(),
        time_zone: TimeZone::parse("Europe/London").unwrap(),
        place: None,
    };
    let err = setup::init_event(&event.file, &other, "test")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(
        setup::event(&event.file).await.unwrap().name,
        "Test Marathon"
    );
}

#[tokio::test]
async fn races_need_new_codes_and_their_own_bibs() {
    let event = TestEvent::new().await;
    let err = setup::add_race(&event.file, &race("mar", None), "test")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already a race MAR"), "{err}");
    let err = setup::add_race(&event.file, &race("3K", Some("3500-4500")), "test")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("overlap those of 5K"), "{err}");
    setup::add_race(&event.file, &race("3K", Some("4000-4500")), "test")
        .await
        .unwrap();
    let codes: Vec<String> = setup::races(&event.file)
        .await
        .unwrap()
        .iter()
        .map(|s| s.race.code.to_string())
        .collect();
    assert_eq!(codes, ["MAR", "HALF", "10K", "5K", "3K"]);
}

#[tokio::test]
async fn every_setup_change_is_audited_with_old_new_when_and_who() {
    let event = TestEvent::new().await;
    let mut changed = setup::event(&event.file).await.unwrap();
    changed.name = "Renamed Marathon".into();
    setup::update_event(&event.file, &changed, "director")
        .await
        .unwrap();
    let history = setup::history(&event.file, "event", "event").await.unwrap();
    assert_eq!(history.len(), 2);
    let latest = &history[0];
    assert_eq!(latest.action, "update");
    assert_eq!(latest.operator, "director");
    assert!(latest.old.as_deref().unwrap().contains("Test Marathon"));
    assert!(latest.new.as_deref().unwrap().contains("Renamed Marathon"));
    assert!(
        latest.at_ms > 1_700_000_000_000,
        "a real timestamp: {}",
        latest.at_ms
    );

    let races = setup::history(&event.file, "race", "MAR").await.unwrap();
    assert_eq!(races.len(), 1);
    assert_eq!(races[0].action, "create");
    assert!(races[0].new.as_deref().unwrap().contains("42195"));
}
