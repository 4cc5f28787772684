//! Still on the course, replayed from the real Boston 2014 splits (the
//! first 300 finishers, tests/data): some runners' later splits and
//! finishes taken away make them still out; the list holds exactly those,
//! each last seen where their last split was, and marks the overdue.

use std::collections::BTreeMap;

use racedesk::checkin::Desk;
use racedesk::results::{OVERDUE_MS, expected_next, on_course};
use racedesk::roster::{self, EntrantForm};
use racedesk::setup;
use racedesk::timing::{self, Status};

use crate::support::{TestEvent, at, racedesk, station, text};

/// Boston's split columns and the checkpoint each is.
const SPLITS: [&str; 8] = ["5k", "10k", "20k", "half", "25k", "30k", "35k", "40k"];

/// 10:00:00 plus `minutes`, as a time of day with ms.
fn after_gun(minutes: f64) -> String {
    let ms = (minutes * 60_000.0).round() as i64 + 10 * 3_600_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// One Boston finisher: bib, minutes from the gun at each split (none
/// where the file has none), and the official time in minutes.
struct Boston {
    bib: String,
    splits: Vec<Option<f64>>,
    official: f64,
}

/// The test event with the marathon's checkpoints at Boston's splits and
/// the first 300 Boston finishers entered in it.
async fn boston() -> (TestEvent, Vec<Boston>) {
    let event = TestEvent::new().await;
    let mar = setup::races(&event.file).await.unwrap()[0].race.clone();
    let mut form = setup::RaceForm::from_race(&mar);
    form.checkpoints = "5k, 10k, 20k, half=21.0975, 25k, 30k, 35k, 40k".into();
    form.bibs = String::new();
    let mar = form.parse().unwrap();
    setup::update_race(&event.file, &mar.code, &mar, "director")
        .await
        .unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/boston-2014-first-300.csv");
    let mut csv = csv::Reader::from_path(data).unwrap();
    let header = csv.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut runners = Vec::new();
    for row in csv.records() {
        let row = row.unwrap();
        let bib = row[column("bib")].to_owned();
        let name = &row[column("name")];
        let (last, first) = name.split_once(", ").unwrap_or((name, ""));
        let form = EntrantForm {
            bib: bib.clone(),
            first_name: first.into(),
            last_name: last.into(),
            gender: row[column("gender")].into(),
            age: row[column("age")].into(),
            country: row[column("country")].into(),
            race: "MAR".into(),
            ..EntrantForm::default()
        };
        roster::save_entrant(&event.file, None, &form, "test")
            .await
            .unwrap();
        runners.push(Boston {
            bib,
            splits: SPLITS.iter().map(|p| row[column(p)].parse().ok()).collect(),
            official: row[column("official")].parse().unwrap(),
        });
    }
    (event, runners)
}

/// Imports `reads` (`bib,time,point` lines) and fires the marathon's gun
/// at 10:00:00.
async fn replay(event: &TestEvent, reads: &str) {
    let path = event.write("reads.csv", format!("bib,time,point\n{reads}"));
    timing::import_reads(&event.file, &path, "finish", &station())
        .await
        .unwrap();
    timing::start_race(
        &event.file,
        "MAR",
        None,
        at("10:00:00"),
        true,
        None,
        &station(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn runners_still_out_are_listed_where_they_were_last_seen_and_the_late_ones_marked() {
    let (event, runners) = boston().await;
    let desk = Desk {
        id: "desk-a".into(),
        name: "Desk A".into(),
        operator: "volunteer".into(),
    };
    // Every tenth runner is still out: their splits kept up to a point
    // that moves along the route (none: checked in, seen at no mat).
    let mut reads = String::new();
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let mut dnf = None;
    for (i, runner) in runners.iter().enumerate() {
        let bib = runner.bib.clone();
        let out = i % 10 == 3;
        let kept = if out {
            i / 10 % (SPLITS.len() + 1)
        } else {
            SPLITS.len()
        };
        let mut last_seen = "start";
        for (point, minutes) in SPLITS.iter().zip(&runner.splits).take(kept) {
            let Some(minutes) = minutes else { continue };
            reads.push_str(&format!("{bib},{},{point}\n", after_gun(*minutes)));
            last_seen = point;
        }
        if !out {
            reads.push_str(&format!("{bib},{},finish\n", after_gun(runner.official)));
        } else if kept == 0 {
            racedesk::checkin::check_in(&event.file, &bib, &desk, None)
                .await
                .unwrap();
            expected.insert(bib, last_seen.into());
        } else if dnf.is_none() {
            // Picked up by the sweep: out of the race, not out on the course.
            dnf = Some(bib);
        } else {
            expected.insert(bib, last_seen.into());
        }
    }
    // A runner who never came: not checked in, seen nowhere.
    event.add_runner("9001", "MAR").await;
    replay(&event, &reads).await;
    let dnf = dnf.unwrap();
    timing::set_status(
        &event.file,
        &dnf,
        Status::Dnf,
        "picked up at 30k",
        &station(),
    )
    .await
    .unwrap();

    let now = at("12:20:00");
    let races = on_course(&event.file, now, &|_| Some(OVERDUE_MS))
        .await
        .unwrap();
    let marathon = races.iter().find(|r| r.code == "MAR").unwrap();
    let listed: BTreeMap<String, String> = marathon
        .out
        .iter()
        .map(|r| (r.bib.clone(), r.last_point.clone()))
        .collect();
    assert_eq!(
        listed, expected,
        "exactly the runners still out, each at their last point"
    );
    assert!(!listed.contains_key(&dnf) && !listed.contains_key("9001"));
    assert_eq!(
        marathon
            .by_point
            .iter()
            .map(|(_, n)| *n as usize)
            .sum::<usize>(),
        marathon.out.len()
    );
    // The latest first; overdue past 15 min; both kinds here (a runner
    // last seen at 40k a few minutes ago is not due yet).
    assert!(
        marathon
            .out
            .windows(2)
            .all(|w| w[0].late_ms >= w[1].late_ms)
    );
    for r in &marathon.out {
        assert_eq!(r.overdue, r.late_ms > OVERDUE_MS, "{r:?}");
        assert_eq!(r.late_ms, now - r.due_ms);
    }
    assert!(marathon.out.iter().any(|r| r.overdue));
    assert!(marathon.out.iter().any(|r| !r.overdue));
    assert_eq!(
        marathon.overdue as usize,
        marathon.out.iter().filter(|r| r.overdue).count()
    );
    // A 40k runner is due at the finish; one seen at no mat at 5k.
    let at_40k = marathon.out.iter().find(|r| r.last_point == "40k").unwrap();
    assert_eq!(at_40k.next_point, "finish");
    let at_start = marathon
        .out
        .iter()
        .find(|r| r.last_point == "start")
        .unwrap();
    assert_eq!(at_start.next_point, "5k");

    // A finish captured now takes a runner off the list.
    let home = at_40k.bib.clone();
    timing::capture(&event.file, "finish", now, Some(&home), &station())
        .await
        .unwrap();
    let races = on_course(&event.file, now, &|_| Some(OVERDUE_MS))
        .await
        .unwrap();
    assert!(!races[0].out.iter().any(|r| r.bib == home));

    // The CLI: CSV for the sweep vehicle, every row one runner out.
    let db = event.path().to_string_lossy().into_owned();
    let out = racedesk(&[
        "--db", &db, "course", "--race", "mar", "--format", "csv", "--at", "12:20:00",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut rows = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(rows.headers().unwrap().get(1), Some("bib"));
    assert_eq!(rows.records().count(), expected.len() - 1);
    let out = racedesk(&[
        "--db",
        &db,
        "course",
        "--at",
        "12:20:00",
        "--overdue",
        "MAR=600",
    ]);
    let said = text(&out.stdout);
    assert!(
        said.starts_with(&format!(
            "Marathon (MAR): {} still out, 0 overdue",
            expected.len() - 1
        )),
        "{said}"
    );
    let refused = racedesk(&["--db", &db, "course", "--overdue", "soon"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("--overdue"));
}

/// The announcer's "who is coming": at 2:20 into the race, the runners
/// still out (every split up to then, no finish yet) in the order of
/// their finish predicted from their last split and pace, against the
/// order they really finished in. The hit rate is printed; the README
/// reports it.
#[tokio::test]
async fn the_next_finishers_are_predicted_from_their_last_split() {
    let (event, runners) = boston().await;
    let now_min = 140.0;
    let mut reads = String::new();
    for runner in &runners {
        for (point, minutes) in SPLITS.iter().zip(&runner.splits) {
            if let Some(minutes) = minutes.filter(|m| *m <= now_min) {
                reads.push_str(&format!("{},{},{point}\n", runner.bib, after_gun(minutes)));
            }
        }
        if runner.official <= now_min {
            reads.push_str(&format!(
                "{},{},finish\n",
                runner.bib,
                after_gun(runner.official)
            ));
        }
    }
    replay(&event, &reads).await;
    let now = at(&after_gun(now_min));
    let races = on_course(&event.file, now, &|_| Some(OVERDUE_MS))
        .await
        .unwrap();
    let predicted: Vec<String> = expected_next(&races, now, 5 * 60_000, 20)
        .into_iter()
        .map(|(_, r)| r.bib)
        .collect();
    let mut real: Vec<&Boston> = runners.iter().filter(|r| r.official > now_min).collect();
    real.sort_by(|a, b| a.official.total_cmp(&b.official));
    let real: Vec<&str> = real.iter().take(20).map(|r| r.bib.as_str()).collect();
    assert_eq!(predicted.len(), 20);
    let hits = predicted
        .iter()
        .filter(|b| real.contains(&b.as_str()))
        .count();
    let in_place = predicted.iter().zip(&real).filter(|(p, r)| p == r).count();
    println!(
        "# next 20 finishers predicted at 2:20 from the last split: {hits} of 20 among the real next 20, {in_place} in their exact place"
    );
    assert!(
        hits >= 15,
        "{hits} of 20: predicted {predicted:?}, real {real:?}"
    );
}

#[tokio::test]
async fn each_race_keeps_its_own_overdue_threshold_and_a_report_may_set_another() {
    let (event, runners) = boston().await;
    // The winner, seen at 5k only, half an hour after their own pace
    // had them at 10k.
    let runner = &runners[0];
    let five = runner.splits[0].unwrap();
    replay(&event, &format!("{},{},5k\n", runner.bib, after_gun(five))).await;
    let now = at(&after_gun(five * 2.0 + 30.0));
    let overdue = async |report: Option<i64>| {
        let races = on_course(&event.file, now, &|_| report).await.unwrap();
        let out = races[0].out.iter().find(|r| r.bib == runner.bib).unwrap();
        assert!(
            (29..=31).contains(&(out.late_ms / 60_000)),
            "{}",
            out.late_ms
        );
        out.overdue
    };
    assert!(overdue(None).await, "30 min late, past the 15 min default");

    let mar = setup::races(&event.file).await.unwrap()[0].race.clone();
    let mut form = setup::RaceForm::from_race(&mar);
    for wrong in ["0", "abc", "1441", "-5"] {
        form.overdue = wrong.into();
        match form.parse() {
            Err(racedesk::Error::Invalid { field, .. }) => assert_eq!(field, "overdue", "{wrong}"),
            other => panic!("{wrong} was not refused by name: {other:?}"),
        }
    }
    form.overdue = "45".into();
    let mar = form.parse().unwrap();
    setup::update_race(&event.file, &mar.code, &mar, "director")
        .await
        .unwrap();
    assert_eq!(
        setup::RaceForm::from_race(&setup::races(&event.file).await.unwrap()[0].race).overdue,
        "45"
    );
    assert!(!overdue(None).await, "the marathon's own 45 min");
    assert!(overdue(Some(20 * 60_000)).await, "the report's own 20 min");
    assert_eq!(OVERDUE_MS, 15 * 60_000);
}

#[tokio::test]
async fn the_announcer_hears_who_leads_who_broke_the_course_record_and_the_directors_line() {
    // Boston 2014's first three rows: Yamamoto (M, 1:25:15), Jeptoo (F,
    // 2:18:57), Van Dyk (M, 1:20:36), wheelchair and women's winners.
    let (event, runners) = boston().await;
    let (yamamoto, jeptoo, van_dyk) = (&runners[0], &runners[1], &runners[2]);
    let mar = setup::races(&event.file).await.unwrap()[0].race.clone();
    let mut form = setup::RaceForm::from_race(&mar);
    form.records = "M=1:21:00, Fun".into();
    match form.parse() {
        Err(racedesk::Error::Invalid { field, .. }) => assert_eq!(field, "records"),
        other => panic!("a bad record was not refused by name: {other:?}"),
    }
    form.records = "M 1:21:00, F=2:18:00".into();
    let mar = form.parse().unwrap();
    setup::update_race(&event.file, &mar.code, &mar, "director")
        .await
        .unwrap();
    let race_day = racedesk::model::EventDate::parse("2027-04-11").unwrap();
    assert_eq!(
        setup::RaceForm::from_race(&setup::races(&event.file).await.unwrap()[0].race).records,
        "M=1:21:00, F=2:18:00"
    );
    // The director's line and highlight for Van Dyk, from the editor.
    let file = &event.file;
    let entrant = async |bib: String| {
        roster::entrants(file)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.bib.as_str() == bib)
            .unwrap()
    };
    let mut edit = EntrantForm::from_entrant(&entrant(van_dyk.bib.clone()).await, race_day);
    edit.announcer_note = "Tenth Boston win".into();
    edit.highlight = "100th marathon".into();
    roster::save_entrant(&event.file, Some(&van_dyk.bib), &edit, "director")
        .await
        .unwrap();
    let kept = EntrantForm::from_entrant(&entrant(van_dyk.bib.clone()).await, race_day);
    assert_eq!(kept.announcer_note, "Tenth Boston win");
    assert_eq!(kept.highlight, "100th marathon");

    let reads: String = runners[..3]
        .iter()
        .map(|r| format!("{},{},finish\n", r.bib, after_gun(r.official)))
        .collect();
    replay(&event, &reads).await;
    let races = racedesk::results::results(&event.file).await.unwrap();
    let mut latest = racedesk::results::latest(&races, 3);
    racedesk::results::announce(&event.file, &mut latest)
        .await
        .unwrap();
    let of = |bib: &str| latest.iter().find(|f| f.row.bib == bib).unwrap();
    let first = of(&van_dyk.bib);
    assert!(
        first.leads.contains(&"Overall".to_owned()) && first.leads.contains(&"M".to_owned()),
        "{:?}",
        first.leads
    );
    assert!(first.record, "1:20:36 beats 1:21:00");
    assert_eq!(first.note.as_deref(), Some("Tenth Boston win"));
    assert_eq!(first.highlight.as_deref(), Some("100th marathon"));
    let woman = of(&jeptoo.bib);
    assert!(
        woman.leads.contains(&"F".to_owned()) && !woman.leads.contains(&"Overall".to_owned()),
        "{:?}",
        woman.leads
    );
    assert!(!woman.record, "2:18:57 is not under 2:18:00");
    let second = of(&yamamoto.bib);
    assert!(
        !second.leads.contains(&"Overall".to_owned()) && !second.leads.contains(&"M".to_owned()),
        "{:?}",
        second.leads
    );
    assert!(!second.record && second.note.is_none());
}
