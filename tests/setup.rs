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
        checkpoints: Vec::new(),
        net_time: false,
        cutoff_ms: None,
        overdue_ms: None,
        records: Vec::new(),
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

#[tokio::test]
async fn a_race_can_be_changed_with_its_waves_and_entrants_follow() {
    let event = TestEvent::new().await;
    let path = event.write("r.csv", "bib,name,gender,race\n1500,Anna Berg,F,HALF\n");
    event.import(&path).await.unwrap();
    let form = setup::RaceForm {
        code: "half21".into(),
        name: "Half marathon".into(),
        distance_m: 21_097,
        age_groups: "boston".into(),
        bibs: "1000-1999".into(),
        waves: vec!["Elite".into(), " A ".into(), "".into()],
        checkpoints: "10k, 5k".into(),
        ..Default::default()
    };
    let race = form.parse().unwrap();
    assert_eq!(race.waves, ["Elite", "A"]);
    setup::update_race(
        &event.file,
        &RaceCode::parse("HALF").unwrap(),
        &race,
        "director",
    )
    .await
    .unwrap();
    let races = setup::races(&event.file).await.unwrap();
    let half = races
        .iter()
        .find(|s| s.race.code.as_str() == "HALF21")
        .expect("renamed");
    assert_eq!(
        (half.entrants, half.race.waves.clone()),
        (1, vec!["Elite".to_string(), "A".to_string()])
    );
    assert_eq!(
        setup::RaceForm::from_race(&half.race).checkpoints,
        "5k, 10k",
        "checkpoints are kept, nearest the start first"
    );
    let too_far = setup::RaceForm {
        checkpoints: "25k".into(),
        ..setup::RaceForm::from_race(&half.race)
    };
    match too_far.parse() {
        Err(racedesk::Error::Invalid { field, .. }) => assert_eq!(field, "checkpoints"),
        other => panic!("a checkpoint past the finish is refused: {other:?}"),
    }
    let entrants = racedesk::roster::entrants(&event.file).await.unwrap();
    assert_eq!(entrants[0].race.as_str(), "HALF21");
    let history = setup::history(&event.file, "race", "HALF").await.unwrap();
    assert_eq!(history[0].action, "update");
    assert!(
        history[0].new.as_deref().unwrap().contains("Elite,A"),
        "{:?}",
        history[0]
    );
}

#[tokio::test]
async fn a_bib_range_that_would_strand_entrants_is_refused() {
    let event = TestEvent::new().await;
    event
        .import(&event.write("r.csv", "bib,name,gender,race\n1500,Anna Berg,F,HALF\n"))
        .await
        .unwrap();
    let mut half = setup::races(&event.file).await.unwrap()[1].race.clone();
    half.bibs = Some(BibRanges::parse("1000-1099").unwrap());
    let err = setup::update_race(&event.file, &half.code.clone(), &half, "test")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("1 entrant(s) of HALF have bibs outside 1000-1099"),
        "{err}"
    );
}

#[tokio::test]
async fn only_a_race_without_entrants_can_be_removed() {
    let event = TestEvent::new().await;
    event
        .import(&event.write("r.csv", "bib,name,gender,race\n1500,Anna Berg,F,HALF\n"))
        .await
        .unwrap();
    let err = setup::remove_race(&event.file, &RaceCode::parse("HALF").unwrap(), "test")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HALF has 1 entrant(s)"), "{err}");
    setup::remove_race(&event.file, &RaceCode::parse("5K").unwrap(), "test")
        .await
        .unwrap();
    let codes: Vec<String> = setup::races(&event.file)
        .await
        .unwrap()
        .iter()
        .map(|s| s.race.code.to_string())
        .collect();
    assert_eq!(codes, ["MAR", "HALF", "10K"]);
    assert_eq!(
        setup::history(&event.file, "race", "5K").await.unwrap()[0].action,
        "delete"
    );
}

#[tokio::test]
async fn forms_name_the_field_that_is_wrong() {
    let form = setup::RaceForm {
        code: "10K".into(),
        name: "10 km".into(),
        distance_m: 10_000,
        age_groups: "18-39,41-50".into(),
        ..Default::default()
    };
    match form.parse() {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "ageGroups"),
        other => panic!("{other:?}"),
    }
    let event = setup::EventForm {
        name: "X".into(),
        date: "2027-04-11".into(),
        time_zone: "Mars/Olympus".into(),
        place: String::new(),
    };
    match event.parse() {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "timeZone"),
        other => panic!("{other:?}"),
    }
}
