//! Stations sharing one event without a network: each station's copy of
//! the event file carried to the other and merged. Merging is a union of
//! facts: both ways, any number of times, the same rows and results.

use std::collections::BTreeSet;
use std::path::Path;

use racedesk::checkin::{self, Desk};
use racedesk::roster::EntrantForm;
use racedesk::timing::{self, Correction};
use racedesk::{Error, EventFile};

use crate::support::{TestEvent, at, racedesk, station, text};

fn desk(id: &str) -> Desk {
    Desk {
        id: id.into(),
        name: format!("Desk {id}"),
        operator: "volunteer".into(),
    }
}

fn finish(id: &str) -> racedesk::model::Station {
    racedesk::model::Station {
        id: id.into(),
        ..station()
    }
}

/// Every fact's id in the file, by table.
async fn facts(path: &Path) -> Vec<(String, BTreeSet<String>)> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .unwrap();
    let mut all = Vec::new();
    for table in crate::support::FACT_TABLES {
        let ids: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT id FROM {table}")))
                .fetch_all(&pool)
                .await
                .unwrap();
        all.push((table.to_owned(), ids.into_iter().collect()));
    }
    pool.close().await;
    all
}

/// What every screen derives from the facts: who is checked in, the
/// counts, the results.
async fn derived(file: &EventFile) -> String {
    let bibs: Vec<String> = ["2001", "2002", "2003"].map(String::from).to_vec();
    let mut checked_in: Vec<_> = checkin::status_of(file, &bibs)
        .await
        .unwrap()
        .into_iter()
        .map(|(bib, c)| (bib, c.id))
        .collect();
    checked_in.sort();
    format!(
        "{checked_in:?}\n{}\n{}",
        serde_json::to_string(&checkin::counts(file).await.unwrap()).unwrap(),
        serde_json::to_string(&racedesk::results::results(file).await.unwrap()).unwrap()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn two_stations_merged_both_ways_hold_the_same_facts_and_results() {
    let a = TestEvent::new().await;
    for bib in ["2001", "2002", "2003"] {
        a.add_runner(bib, "10K").await;
    }
    timing::start_race(
        &a.file,
        "10K",
        None,
        at("09:00:00"),
        true,
        None,
        &finish("finish-a"),
    )
    .await
    .unwrap();
    // The second station's file is a copy of the first, as a joined
    // station's is.
    let b_path = racedesk::backup::backup(&a.file, &a.dir.path().join("b"))
        .await
        .unwrap();
    let b = EventFile::open(&b_path).await.unwrap();

    // Each captures on its own, the same runner at both desks.
    checkin::check_in(&a.file, "2001", &desk("desk-a"), None)
        .await
        .unwrap();
    checkin::check_in(&b, "2001", &desk("desk-b"), None)
        .await
        .unwrap();
    checkin::check_in(&b, "2002", &desk("desk-b"), None)
        .await
        .unwrap();
    checkin::undo(&b, "2002", &desk("desk-b")).await.unwrap();
    let tapped = timing::capture(
        &b,
        "finish",
        at("09:40:00"),
        Some("2001"),
        &finish("finish-b"),
    )
    .await
    .unwrap();
    timing::capture(
        &a.file,
        "finish",
        at("09:41:00"),
        Some("2003"),
        &finish("finish-a"),
    )
    .await
    .unwrap();

    let into_a = racedesk::sync::merge_file(&a.file, &b_path, "director")
        .await
        .unwrap()
        .facts;
    assert_eq!(into_a.added(), 4, "{into_a:?}");
    assert_eq!(
        into_a.describe(),
        "3 check-ins and undos, 1 captures and reads"
    );
    // The start, and the creation of the four races, were there already.
    assert_eq!(into_a.already(), 5, "{into_a:?}");

    // A correction at the first station of a capture the second made.
    timing::correct(
        &a.file,
        &tapped.id,
        Correction::Time(at("09:40:01")),
        Some("the video"),
        &finish("finish-a"),
    )
    .await
    .unwrap();
    let into_b = racedesk::sync::merge_file(&b, &a.path(), "director")
        .await
        .unwrap()
        .facts;
    assert_eq!(into_b.added(), 3, "{into_b:?}");

    assert_eq!(facts(&a.path()).await, facts(&b_path).await);
    assert_eq!(derived(&a.file).await, derived(&b).await);

    // Again, both ways: nothing new.
    let again = racedesk::sync::merge_file(&a.file, &b_path, "director")
        .await
        .unwrap()
        .facts;
    assert_eq!((again.added(), again.describe()), (0, "nothing new".into()));
    let again = racedesk::sync::merge_file(&b, &a.path(), "director")
        .await
        .unwrap();
    assert_eq!((again.facts.added(), again.entrants.added), (0, 0));
    assert_eq!(facts(&a.path()).await, facts(&b_path).await);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_of_another_event_adds_nothing_and_a_race_added_elsewhere_comes_with_its_start() {
    let a = TestEvent::new().await;
    a.add_runner("2001", "10K").await;
    let b_path = racedesk::backup::backup(&a.file, &a.dir.path().join("b"))
        .await
        .unwrap();

    // Another event, even with the same name and races.
    let other = TestEvent::new().await;
    let untouched = facts(&other.path()).await;
    checkin::check_in(&a.file, "2001", &desk("desk-a"), None)
        .await
        .unwrap();
    let refused = racedesk::sync::merge_file(&other.file, &a.path(), "director")
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Conflict(_)), "{refused}");
    assert!(refused.to_string().contains("another event"), "{refused}");
    assert_eq!(facts(&other.path()).await, untouched);

    // The copy gets a race the first station does not have, and starts it:
    // the race comes with the start.
    let b = EventFile::open(&b_path).await.unwrap();
    let mut race = racedesk::setup::races(&b).await.unwrap().remove(0).race;
    race.code = racedesk::model::RaceCode::parse("1K").unwrap();
    race.bibs = None;
    racedesk::setup::add_race(&b, &race, "director")
        .await
        .unwrap();
    timing::start_race(
        &b,
        "1K",
        None,
        at("09:00:00"),
        true,
        None,
        &finish("finish-b"),
    )
    .await
    .unwrap();
    checkin::check_in(&b, "2001", &desk("desk-b"), None)
        .await
        .unwrap();
    b.close().await;
    let merged = racedesk::sync::merge_file(&a.file, &b_path, "director")
        .await
        .unwrap();
    assert_eq!(
        merged.facts.describe(),
        "1 starts, 1 check-ins and undos, 1 setup changes"
    );
    let races = racedesk::setup::races(&a.file).await.unwrap();
    assert!(races.iter().any(|r| r.race.code.as_str() == "1K"));
    assert_eq!(
        facts(&a.path()).await[0],
        facts(&b_path).await[0],
        "the start"
    );
}

/// Each race's name and code, by name.
async fn codes(file: &EventFile) -> Vec<(String, String)> {
    let mut codes: Vec<_> = racedesk::setup::races(file)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.race.name, r.race.code.to_string()))
        .collect();
    codes.sort();
    codes
}

#[tokio::test(flavor = "multi_thread")]
async fn races_made_under_one_code_on_two_copies_end_with_the_same_codes_on_both() {
    let a = TestEvent::new().await;
    let b_path = racedesk::backup::backup(&a.file, &a.dir.path().join("b"))
        .await
        .unwrap();
    let b = EventFile::open(&b_path).await.unwrap().writes_as("desk-b");
    let one_k = |name: &str| {
        let mut race = racedesk::setup::RaceForm {
            code: "1K".into(),
            name: name.into(),
            distance_m: 1000,
            age_groups: "open".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        race.bibs = None;
        race
    };
    racedesk::setup::add_race(&a.file, &one_k("1 km kids"), "director")
        .await
        .unwrap();
    racedesk::setup::add_race(&b, &one_k("1 km family"), "director")
        .await
        .unwrap();
    b.close().await;
    racedesk::sync::merge_file(&a.file, &b_path, "director")
        .await
        .unwrap();
    let b = EventFile::open(&b_path).await.unwrap().writes_as("desk-b");
    racedesk::sync::merge_file(&b, &a.path(), "director")
        .await
        .unwrap();

    // The race given the code first keeps it on both; the other goes by a
    // code of its own, the same on both, shown as a clash.
    let on_a = codes(&a.file).await;
    assert_eq!(on_a, codes(&b).await);
    let code_of = |codes: &[(String, String)], name: &str| {
        codes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
    };
    assert_eq!(code_of(&on_a, "1 km kids").as_deref(), Some("1K"));
    let family = code_of(&on_a, "1 km family").unwrap();
    assert!(family.starts_with("1K-") && family.len() == 7, "{family}");
    let clashes = racedesk::sync::race_clashes(&a.file).await.unwrap();
    assert_eq!(clashes.len(), 1, "{clashes:?}");
    assert_eq!(
        (clashes[0].code.as_str(), clashes[0].wanted.as_str()),
        (family.as_str(), "1K")
    );
    assert_eq!(clashes[0].holder.as_deref(), Some("1 km kids"));
    assert_eq!(racedesk::sync::race_clashes(&b).await.unwrap(), clashes);

    // The first race gives the code up: the other takes it, on both.
    racedesk::setup::rename_race(&a.file, "1K", "1KKIDS", "director")
        .await
        .unwrap();
    let on_a = codes(&a.file).await;
    assert_eq!(code_of(&on_a, "1 km family").as_deref(), Some("1K"));
    assert!(
        racedesk::sync::race_clashes(&a.file)
            .await
            .unwrap()
            .is_empty()
    );
    b.close().await;
    racedesk::sync::merge_file(
        &EventFile::open(&b_path).await.unwrap(),
        &a.path(),
        "director",
    )
    .await
    .unwrap();
    let b = EventFile::open(&b_path).await.unwrap();
    assert_eq!(codes(&b).await, on_a);
    assert!(racedesk::sync::race_clashes(&b).await.unwrap().is_empty());
    b.close().await;
}

#[test]
fn merge_from_the_command_line_says_what_it_added() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.racedesk");
    let a = a.to_str().unwrap();
    assert!(
        racedesk(&["--db", a, "demo", "--entrants", "30"])
            .status
            .success()
    );
    let b = dir.path().join("b.racedesk");
    std::fs::copy(a, &b).unwrap();
    let b = b.to_str().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .args(["--db", b, "checkin", "1000"])
        .env("RACEDESK_STATION", "desk-b")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = racedesk(&["--db", a, "merge", b]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("1 new (1 check-ins and undos)"), "{said}");
    let out = racedesk(&["--db", a, "merge", b]);
    assert!(
        text(&out.stdout).contains("0 new (nothing new)"),
        "{}",
        text(&out.stdout)
    );

    let missing = racedesk(&["--db", a, "merge", "/nonexistent/b.racedesk"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runner_checked_in_at_two_desks_stays_in_until_both_are_undone() {
    let a = TestEvent::new().await;
    a.add_runner("2001", "10K").await;
    let b_path = racedesk::backup::backup(&a.file, &a.dir.path().join("b"))
        .await
        .unwrap();
    let b = EventFile::open(&b_path).await.unwrap();
    let at_a = checkin::check_in(&a.file, "2001", &desk("desk-a"), None)
        .await
        .unwrap();
    checkin::check_in(&b, "2001", &desk("desk-b"), None)
        .await
        .unwrap();
    racedesk::sync::merge_file(&b, &a.path(), "director")
        .await
        .unwrap();

    // Desk B takes back its own check-in; desk A's stands.
    let undone = checkin::undo(&b, "2001", &desk("desk-b")).await.unwrap();
    assert!(undone.changed);
    let still = undone.checked_in.expect("still checked in at desk A");
    assert_eq!(still.desk, "Desk desk-a");
    assert_eq!(Some(still.id.clone()), at_a.checked_in.map(|c| c.id));
    racedesk::sync::merge_file(&a.file, &b_path, "director")
        .await
        .unwrap();
    for file in [&a.file, &b] {
        let counts = serde_json::to_value(checkin::counts(file).await.unwrap()).unwrap();
        assert_eq!(counts["total"]["checkedIn"], 1, "{counts}");
        let shown = checkin::status_of(file, &["2001".into()]).await.unwrap();
        assert_eq!(shown["2001"].id, still.id);
    }

    // Desk A takes back its own: nobody's check-in stands.
    let undone = checkin::undo(&a.file, "2001", &desk("desk-a"))
        .await
        .unwrap();
    assert!(undone.changed && undone.checked_in.is_none(), "{undone:?}");
    racedesk::sync::merge_file(&b, &a.path(), "director")
        .await
        .unwrap();
    for file in [&a.file, &b] {
        assert!(
            checkin::status_of(file, &["2001".into()])
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(derived(&a.file).await, derived(&b).await);
    b.close().await;
}

fn walk_up(bib: &str, first: &str) -> EntrantForm {
    EntrantForm {
        bib: bib.into(),
        first_name: first.into(),
        last_name: "Walkup".into(),
        gender: "F".into(),
        age: "30".into(),
        race: "5K".into(),
        ..EntrantForm::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_walk_up_registered_at_another_desk_comes_with_its_check_in() {
    let a = TestEvent::new().await;
    let b_path = racedesk::backup::backup(&a.file, &a.dir.path().join("b"))
        .await
        .unwrap();
    let b = EventFile::open(&b_path).await.unwrap();
    // Desk B registers two walk-ups; desk A gave one of the same bibs to
    // someone else meanwhile.
    checkin::register_walk_up(&b, &walk_up("3500", "Wendy"), &desk("desk-b"), None)
        .await
        .unwrap();
    checkin::register_walk_up(&b, &walk_up("3501", "Vera"), &desk("desk-b"), None)
        .await
        .unwrap();
    checkin::register_walk_up(&a.file, &walk_up("3501", "Olga"), &desk("desk-a"), None)
        .await
        .unwrap();
    b.close().await;

    let merged = racedesk::sync::merge_file(&a.file, &b_path, "director")
        .await
        .unwrap();
    assert_eq!(merged.entrants.added, 1, "{merged:?}");
    assert_eq!(merged.entrants.conflicts, ["3501"]);
    let shown = checkin::status_of(&a.file, &["3500".into(), "3501".into()])
        .await
        .unwrap();
    assert_eq!(shown.len(), 2, "Wendy comes checked in: {shown:?}");
    let roster = racedesk::roster::entrants(&a.file).await.unwrap();
    let names: Vec<_> = roster
        .iter()
        .filter(|e| e.bib.as_str().starts_with("350"))
        .map(|e| (e.bib.to_string(), e.given_name.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("3500".into(), "Wendy".into()),
            ("3501".into(), "Olga".into())
        ],
        "bib 3501 stays Olga's here; Vera is named for the director"
    );

    // Again: nothing new, the same conflict named.
    let again = racedesk::sync::merge_file(&a.file, &b_path, "director")
        .await
        .unwrap();
    assert_eq!(
        (again.entrants.added, again.entrants.conflicts.len()),
        (0, 1)
    );

    // Vera is kept aside, once, for the director, who gives her a free
    // bib: she is added, and her check-in at desk B counts.
    let waiting = racedesk::sync::conflicts(&a.file).await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].bib, "3501");
    assert_eq!(waiting[0].name, "Vera Walkup");
    assert_eq!(waiting[0].holder.as_deref(), Some("Olga Walkup"));
    let taken = racedesk::sync::resolve(&a.file, &waiting[0].uid, "3500", "director")
        .await
        .unwrap_err();
    assert!(taken.to_string().contains("3500"), "{taken}");
    racedesk::sync::resolve(&a.file, &waiting[0].uid, "3502", "director")
        .await
        .unwrap();
    assert!(racedesk::sync::conflicts(&a.file).await.unwrap().is_empty());
    let vera = checkin::status_of(&a.file, &["3502".into()]).await.unwrap();
    assert_eq!(
        vera.len(),
        1,
        "Vera is checked in under her new bib: {vera:?}"
    );
    let unknown = racedesk::sync::resolve(&a.file, &waiting[0].uid, "3503", "director")
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::NotFound(_)), "{unknown}");
}
