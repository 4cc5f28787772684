//! The finish line on a real event file: starts, the capture modes,
//! corrections as new rows, flags, reads imported idempotently.

use racedesk::Error;
use racedesk::model::Station;
use racedesk::roster::{self, EntrantForm};
use racedesk::timing::{self, Correction, FINISH, Flag, Status};

use crate::support::{TestEvent, at, station};

/// An event with marathon runners 1-3 (chip E1 for bib 1) and 10K runner
/// 2001, the marathon started at 08:00 and the 10K at 08:30.
async fn race_day() -> TestEvent {
    let event = TestEvent::new().await;
    for (bib, race, chip) in [
        ("1", "MAR", "E1"),
        ("2", "MAR", ""),
        ("3", "MAR", ""),
        ("2001", "10K", ""),
    ] {
        let form = EntrantForm {
            bib: bib.into(),
            first_name: "Runner".into(),
            last_name: bib.into(),
            gender: "M".into(),
            age: "30".into(),
            race: race.into(),
            chip: chip.into(),
            ..EntrantForm::default()
        };
        roster::save_entrant(&event.file, None, &form, "test")
            .await
            .unwrap();
    }
    timing::start_race(
        &event.file,
        "MAR",
        None,
        at("08:00:00"),
        true,
        None,
        &station(),
    )
    .await
    .unwrap();
    timing::start_race(
        &event.file,
        "10K",
        None,
        at("08:30:00"),
        true,
        None,
        &station(),
    )
    .await
    .unwrap();
    event
}

fn bib_of(reads: &[timing::Read], id: &str) -> Option<String> {
    reads
        .iter()
        .find(|r| r.id == id)
        .and_then(|r| r.bib.clone())
}

#[tokio::test]
async fn taps_then_bibs_fill_the_oldest_times_in_order() {
    let event = race_day().await;
    let s = station();
    let t1 = timing::capture(&event.file, "finish", at("10:10:00"), None, &s)
        .await
        .unwrap();
    let t2 = timing::capture(&event.file, "finish", at("10:10:02"), None, &s)
        .await
        .unwrap();
    assert!(t2.seq > t1.seq, "a station's sequence grows");
    let with_bib = timing::capture(&event.file, "finish", at("10:10:03"), Some("3"), &s)
        .await
        .unwrap();

    assert_eq!(
        timing::assign_next(&event.file, FINISH, "2", &s)
            .await
            .unwrap(),
        Some(t1.id.clone())
    );
    assert_eq!(
        timing::assign_next(&event.file, FINISH, "1", &s)
            .await
            .unwrap(),
        Some(t2.id.clone())
    );
    assert_eq!(
        timing::assign_next(&event.file, FINISH, "2001", &s)
            .await
            .unwrap(),
        None,
        "no time left"
    );

    let reads = timing::reads(&event.file).await.unwrap();
    assert_eq!(bib_of(&reads, &t1.id).as_deref(), Some("2"));
    assert_eq!(bib_of(&reads, &t2.id).as_deref(), Some("1"));
    assert_eq!(bib_of(&reads, &with_bib.id).as_deref(), Some("3"));
    assert!(reads.iter().all(|r| r.status == "ok"), "{reads:?}");
}

#[tokio::test]
async fn corrections_are_new_rows_and_the_history_shows_them() {
    let event = race_day().await;
    let s = station();
    let wrong = timing::capture(&event.file, "finish", at("10:20:00"), Some("2"), &s)
        .await
        .unwrap();
    let double = timing::capture(&event.file, "finish", at("10:20:00.300"), None, &s)
        .await
        .unwrap();

    timing::correct(
        &event.file,
        &wrong.id,
        Correction::Bib("3".into()),
        Some("misread"),
        &s,
    )
    .await
    .unwrap();
    timing::correct(
        &event.file,
        &wrong.id,
        Correction::Time(at("10:19:59.500")),
        None,
        &s,
    )
    .await
    .unwrap();
    let err = timing::correct(&event.file, &double.id, Correction::Void, None, &s)
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("reason:"),
        "a void needs a reason: {err}"
    );
    timing::correct(
        &event.file,
        &double.id,
        Correction::Void,
        Some("double tap"),
        &s,
    )
    .await
    .unwrap();
    let missed = timing::insert_missed(
        &event.file,
        "finish",
        "1",
        at("10:25:00"),
        "seen on video",
        &s,
    )
    .await
    .unwrap();
    timing::set_status(&event.file, "2", Status::Dnf, "stopped at 30 km", &s)
        .await
        .unwrap();
    assert!(
        timing::set_status(&event.file, "2", Status::Dq, " ", &s)
            .await
            .is_err()
    );

    let reads = timing::reads(&event.file).await.unwrap();
    let fixed = reads.iter().find(|r| r.id == wrong.id).unwrap();
    assert_eq!(
        (fixed.bib.as_deref(), fixed.time.as_str()),
        (Some("3"), "10:19:59.500")
    );
    assert!(fixed.corrected);
    assert_eq!(
        reads.iter().find(|r| r.id == double.id).unwrap().status,
        "void"
    );
    assert_eq!(bib_of(&reads, &missed.id).as_deref(), Some("1"));

    let history = timing::history(&event.file, &wrong.id).await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(kinds, ["capture", "bib", "time"]);
    assert_eq!(
        history[0].bib.as_deref(),
        Some("2"),
        "the capture itself is unchanged"
    );
    let why = timing::history(&event.file, &missed.id).await.unwrap();
    assert_eq!(why[1].reason.as_deref(), Some("seen on video"));

    let statuses = timing::statuses(&event.file).await.unwrap();
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        (statuses[0].bib.as_str(), statuses[0].status.as_str()),
        ("2", "DNF")
    );
    assert!(matches!(
        timing::correct(&event.file, "no-such-id", Correction::Void, Some("x"), &s).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn doubtful_captures_are_flagged_not_dropped() {
    let event = race_day().await;
    let s = station();
    let twice_a = timing::capture(&event.file, "finish", at("10:30:00"), Some("1"), &s)
        .await
        .unwrap();
    let twice_b = timing::capture(&event.file, "finish", at("10:31:00"), Some("1"), &s)
        .await
        .unwrap();
    let unknown = timing::capture(&event.file, "finish", at("10:32:00"), Some("777"), &s)
        .await
        .unwrap();
    let early = timing::capture(&event.file, "finish", at("08:29:00"), Some("2001"), &s)
        .await
        .unwrap();
    // A marathon in 1:10 is faster than the world record.
    let fast = timing::capture(&event.file, "finish", at("09:10:00"), Some("2"), &s)
        .await
        .unwrap();
    let fine = timing::capture(&event.file, "finish", at("11:00:00"), Some("3"), &s)
        .await
        .unwrap();

    let reads = timing::reads(&event.file).await.unwrap();
    let flags = |id: &str| reads.iter().find(|r| r.id == id).unwrap().flags.clone();
    assert_eq!(flags(&twice_a.id), [Flag::Duplicate]);
    assert_eq!(flags(&twice_b.id), [Flag::Duplicate]);
    assert_eq!(flags(&unknown.id), [Flag::UnknownBib]);
    assert_eq!(flags(&early.id), [Flag::BeforeStart]);
    assert_eq!(flags(&fast.id), [Flag::TooFast]);
    assert!(flags(&fine.id).is_empty());
    assert_eq!(reads.len(), 6, "nothing is dropped");
    assert_eq!(reads.iter().filter(|r| r.status == "review").count(), 5);

    // Voiding one of the two finishes of bib 1 clears the duplicate.
    timing::correct(
        &event.file,
        &twice_b.id,
        Correction::Void,
        Some("pacer"),
        &s,
    )
    .await
    .unwrap();
    let reads = timing::reads(&event.file).await.unwrap();
    assert!(
        reads
            .iter()
            .find(|r| r.id == twice_a.id)
            .unwrap()
            .flags
            .is_empty()
    );
}

#[tokio::test]
async fn a_start_is_replaced_only_with_a_reason_and_both_are_kept() {
    let event = race_day().await;
    let err = timing::start_race(
        &event.file,
        "MAR",
        None,
        at("08:00:05"),
        true,
        None,
        &station(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("reason:"), "{err}");
    timing::start_race(
        &event.file,
        "mar",
        None,
        at("08:00:05"),
        true,
        Some("gun fired late"),
        &station(),
    )
    .await
    .unwrap();
    let starts = timing::starts(&event.file).await.unwrap();
    let mar = starts.iter().find(|s| s.race == "MAR").unwrap();
    assert_eq!(mar.time, "08:00:05.000");
    assert!(matches!(
        timing::start_race(
            &event.file,
            "MAR",
            Some("Z"),
            at("08:00:00"),
            true,
            None,
            &station()
        )
        .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        timing::start_race(
            &event.file,
            "100K",
            None,
            at("08:00:00"),
            true,
            None,
            &station()
        )
        .await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn captured_rows_cannot_be_changed_or_deleted_in_the_file() {
    let event = race_day().await;
    timing::capture(&event.file, "finish", at("10:00:00"), Some("1"), &station())
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", event.path().display()))
        .await
        .unwrap();
    for sql in [
        "UPDATE passing SET bib = '2'",
        "DELETE FROM passing",
        "UPDATE race_start SET at_ms = 0",
        "DELETE FROM race_start",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    pool.close().await;
}

#[tokio::test]
async fn a_reads_file_with_a_stray_quote_blank_lines_or_bad_bytes_is_refused_by_row() {
    let event = race_day().await;
    let import = |name: &str, bytes: &[u8]| {
        let path = event.write(name, bytes);
        let file = &event.file;
        async move { timing::import_reads(file, &path, "finish", &station()).await }
    };
    let quote = import(
        "quote.csv",
        b"bib,time,note\n1,10:00:00,\"fast\n2,10:01:00,x\n3,10:02:00,\n",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(quote.contains("row 2, column 3: a quote"), "{quote}");
    let blank = import("blank.csv", b"bib,time\n1,10:00:00\n\n2,25:00:00\n")
        .await
        .unwrap_err()
        .to_string();
    assert!(blank.contains("row 4, column time"), "{blank}");
    let bytes = import("bytes.csv", b"bib,time\n1,10:00:00\n2\xff,10:01:00\n")
        .await
        .unwrap_err()
        .to_string();
    assert!(bytes.contains("row 3"), "{bytes}");
    let wide = import("wide.csv", b"bib,time\n1,10:00:00,x\n")
        .await
        .unwrap_err()
        .to_string();
    assert!(wide.contains("row 2: 3 cells"), "{wide}");
    assert!(timing::reads(&event.file).await.unwrap().is_empty());
}

#[tokio::test]
async fn reads_import_once_however_often_the_file_comes() {
    let event = race_day().await;
    let bibs = event.write(
        "reads.csv",
        "bib,time,point\n1,10:00:00.120,finish\n2,10:01:00,\n1,2027-04-11T09:00:00,20k\n2,10:01:00,\n",
    );
    let first = timing::import_reads(&event.file, &bibs, "finish", &station())
        .await
        .unwrap();
    assert_eq!((first.rows, first.added, first.already), (4, 4, 0));
    let again = timing::import_reads(&event.file, &bibs, "finish", &station())
        .await
        .unwrap();
    assert_eq!(
        (again.added, again.already),
        (0, 4),
        "the same file adds nothing"
    );

    // The same reads with the bib written another way add nothing.
    let zeros = event.write(
        "zeros.csv",
        "bib,time,point\n001,10:00:00.120,finish\n002,10:01:00,\n",
    );
    let again = timing::import_reads(&event.file, &zeros, "finish", &station())
        .await
        .unwrap();
    assert_eq!((again.added, again.already), (0, 2), "007 is 7");

    let chips = event.write("chips.csv", "chip,time\nE1,10:05:00\nE999,10:06:00\n");
    timing::import_reads(&event.file, &chips, "finish", &station())
        .await
        .unwrap();
    let reads = timing::reads(&event.file).await.unwrap();
    assert_eq!(reads.len(), 6);
    let chip_read = reads
        .iter()
        .find(|r| r.chip.as_deref() == Some("E1"))
        .unwrap();
    assert_eq!(
        chip_read.bib.as_deref(),
        Some("1"),
        "a chip read gives its holder's bib"
    );
    let stray = reads
        .iter()
        .find(|r| r.chip.as_deref() == Some("E999"))
        .unwrap();
    assert_eq!(stray.flags, [Flag::UnknownChip]);
    assert_eq!(timing::bibs_at(&reads, "20k").len(), 1);

    let bad = event.write(
        "bad.csv",
        "bib,time\n3,10:00:00\nx y,10:00:01\n4,half past ten\n",
    );
    let err = timing::import_reads(&event.file, &bad, "finish", &station())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 3, column bib"), "{err}");
    assert!(err.contains("row 4, column time"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(
        timing::reads(&event.file).await.unwrap().len(),
        6,
        "all or nothing"
    );

    let no_header = event.write("odd.csv", "runner,when\n1,10:00:00\n");
    let err = timing::import_reads(&event.file, &no_header, "finish", &station())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("bib or chip column"), "{err}");
}

#[tokio::test]
async fn a_backup_is_a_complete_event_file_that_opens() {
    let event = race_day().await;
    let tap = timing::capture(&event.file, "finish", at("10:00:00"), Some("1"), &station())
        .await
        .unwrap();
    let folder = event.dir.path().join("usb stick");
    let copy = racedesk::backup::backup(&event.file, &folder)
        .await
        .unwrap();
    assert!(copy.starts_with(&folder));
    assert!(copy.extension().is_some_and(|e| e == "racedesk"));
    // Captures go on after the backup; the copy holds what was there.
    timing::capture(&event.file, "finish", at("10:00:01"), Some("2"), &station())
        .await
        .unwrap();
    let restored = racedesk::EventFile::open(&copy).await.unwrap();
    let reads = timing::reads(&restored).await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].id, tap.id);
    assert_eq!(roster::entrants(&restored).await.unwrap().len(), 4);
}

/// Bibs of the pairs, as `n:bib` (`-` for none) for short asserts.
fn pairs_text(pairs: &[timing::Pair]) -> Vec<String> {
    pairs
        .iter()
        .map(|p| {
            format!(
                "{}:{}{}",
                p.n,
                p.bib.as_deref().unwrap_or("-"),
                if p.time_id.is_none() { "?" } else { "" }
            )
        })
        .collect()
}

#[tokio::test]
async fn two_operators_times_and_bibs_in_crossing_order_are_matched_and_fixable() {
    let event = race_day().await;
    let taps = station();
    let bibs = Station {
        id: "finish-keypad".into(),
        name: "Finish bibs".into(),
        operator: "recorder".into(),
    };
    // Runners 2, 1, 3, 2001 cross; the tapper misses runner 3; the bib
    // recorder is a runner behind at first and types 1 twice.
    let t1 = timing::capture(&event.file, "finish", at("10:20:00"), None, &taps)
        .await
        .unwrap();
    let b2 = timing::enter_crossing(&event.file, "finish", Some("2"), &bibs)
        .await
        .unwrap();
    let t2 = timing::capture(&event.file, "finish", at("10:20:05"), None, &taps)
        .await
        .unwrap();
    let b1 = timing::enter_crossing(&event.file, "finish", Some("1"), &bibs)
        .await
        .unwrap();
    let b1_again = timing::enter_crossing(&event.file, "finish", Some("1"), &bibs)
        .await
        .unwrap();
    let b3 = timing::enter_crossing(&event.file, "finish", Some("3"), &bibs)
        .await
        .unwrap();
    let t4 = timing::capture(&event.file, "finish", at("10:20:20"), None, &taps)
        .await
        .unwrap();

    let pairs = timing::pairing(&event.file, "finish").await.unwrap();
    assert_eq!(pairs_text(&pairs), ["1:2", "2:1", "3:1", "4:-?"]);
    assert_eq!(pairs[3].typed.as_deref(), Some("3"));
    assert!(pairs[3].flags.contains(&Flag::WaitingForATime));
    assert!(pairs[2].flags.contains(&Flag::Duplicate), "{pairs:?}");
    assert_eq!(pairs[0].time_id.as_deref(), Some(t1.id.as_str()));
    assert_eq!(pairs[0].crossing_id.as_deref(), Some(b2.id.as_str()));
    // The reads carry the matched bibs.
    let reads = timing::reads(&event.file).await.unwrap();
    assert_eq!(bib_of(&reads, &t2.id).as_deref(), Some("1"));

    // Drop the bib typed twice: 3 moves up to the third time.
    timing::drop_crossing(&event.file, &b1_again.id, "typed twice", &bibs)
        .await
        .unwrap();
    let pairs = timing::pairing(&event.file, "finish").await.unwrap();
    assert_eq!(pairs_text(&pairs), ["1:2", "2:1", "3:3"]);
    assert_eq!(
        bib_of(&timing::reads(&event.file).await.unwrap(), &t4.id).as_deref(),
        Some("3")
    );
    // A drop is once.
    assert!(matches!(
        timing::drop_crossing(&event.file, &b1_again.id, "again", &bibs).await,
        Err(Error::Conflict(_))
    ));

    // But the video says 3 crossed at 10:20:10 without a tap, and 2001 got
    // the 10:20:20 time: insert the missing time, then 2001's bib.
    timing::insert_time(&event.file, "finish", at("10:20:10"), "", &taps)
        .await
        .expect_err("a reason is required");
    let t3 = timing::insert_time(&event.file, "finish", at("10:20:10"), "video", &taps)
        .await
        .unwrap();
    timing::enter_crossing(&event.file, "finish", Some("2001"), &bibs)
        .await
        .unwrap();
    let pairs = timing::pairing(&event.file, "finish").await.unwrap();
    assert_eq!(pairs_text(&pairs), ["1:2", "2:1", "3:3", "4:2001"]);
    let reads = timing::reads(&event.file).await.unwrap();
    assert_eq!(bib_of(&reads, &t3.id).as_deref(), Some("3"));
    assert_eq!(bib_of(&reads, &t4.id).as_deref(), Some("2001"));
    let history = timing::history(&event.file, &t3.id).await.unwrap();
    assert_eq!(history[1].reason.as_deref(), Some("video"));

    // A runner crossed between 2 and 1 whose bib nobody caught: insert an
    // uncaught bib before 1, and every later bib moves one time later.
    timing::insert_crossing(&event.file, &b1.id, None, "uncaught runner", &bibs)
        .await
        .unwrap();
    let pairs = timing::pairing(&event.file, "finish").await.unwrap();
    assert_eq!(pairs_text(&pairs), ["1:2", "2:-", "3:1", "4:3", "5:-?"]);
    // A correction of a capture's bib wins over the typed one.
    timing::correct(
        &event.file,
        &t2.id,
        Correction::Bib("777".into()),
        Some("seen"),
        &taps,
    )
    .await
    .unwrap();
    let pairs = timing::pairing(&event.file, "finish").await.unwrap();
    assert_eq!(pairs[1].bib.as_deref(), Some("777"));
    assert_eq!(pairs[1].typed, None);

    // Time then bib is refused where bibs come in crossing order, and
    // nothing here changed a row: the order's rows are append-only too.
    assert!(matches!(
        timing::assign_next(&event.file, FINISH, "3", &taps).await,
        Err(Error::Conflict(_))
    ));
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", event.path().display()))
        .await
        .unwrap();
    for sql in ["UPDATE crossing SET bib = '9'", "DELETE FROM crossing"] {
        let error = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(error.to_string().contains("append-only"), "{sql}: {error}");
    }
    assert!(b3.bib.as_deref() == Some("3"));
}

#[tokio::test]
async fn a_capture_at_a_checkpoint_off_the_runners_route_is_flagged() {
    let event = race_day().await;
    let s = station();
    let mut form = racedesk::setup::RaceForm::from_race(
        &racedesk::setup::races(&event.file).await.unwrap()[0].race,
    );
    form.checkpoints = "10k, half=21.0975".into();
    let marathon = form.parse().unwrap();
    racedesk::setup::update_race(&event.file, &marathon.code, &marathon, "director")
        .await
        .unwrap();
    let on_route = timing::capture(&event.file, "10K", at("08:40:00"), Some("1"), &s)
        .await
        .unwrap();
    let off_route = timing::capture(&event.file, "half", at("09:10:00"), Some("2001"), &s)
        .await
        .unwrap();
    let reads = timing::reads(&event.file).await.unwrap();
    let flags = |id: &str| reads.iter().find(|r| r.id == id).unwrap().flags.clone();
    assert_eq!(on_route.point, "10k", "points are lower case");
    assert!(flags(&on_route.id).is_empty(), "{reads:?}");
    assert_eq!(flags(&off_route.id), [Flag::NotOnItsRoute]);
}

#[tokio::test]
async fn a_start_taken_back_leaves_the_race_unstarted_and_its_captures_flagged() {
    let event = race_day().await;
    let finish = timing::capture(
        &event.file,
        FINISH,
        at("09:00:00"),
        Some("2001"),
        &station(),
    )
    .await
    .unwrap();
    let flags = |reads: &[timing::Read]| {
        reads
            .iter()
            .find(|r| r.id == finish.id)
            .unwrap()
            .flags
            .clone()
    };
    assert!(flags(&timing::reads(&event.file).await.unwrap()).is_empty());

    timing::undo_start(&event.file, "10k", None, None, &station())
        .await
        .unwrap();
    let starts = timing::starts(&event.file).await.unwrap();
    assert!(starts.iter().all(|s| s.race != "10K"), "{starts:?}");
    assert!(starts.iter().any(|s| s.race == "MAR"));
    assert_eq!(
        flags(&timing::reads(&event.file).await.unwrap()),
        [Flag::RaceNotStarted]
    );
    // Nothing left to take back.
    assert!(matches!(
        timing::undo_start(&event.file, "10K", None, None, &station()).await,
        Err(Error::NotFound(_))
    ));
    // The next start needs no reason, and the capture is fine again.
    timing::start_race(
        &event.file,
        "10K",
        None,
        at("08:31:00"),
        true,
        None,
        &station(),
    )
    .await
    .unwrap();
    let starts = timing::starts(&event.file).await.unwrap();
    assert_eq!(
        starts.iter().find(|s| s.race == "10K").unwrap().time,
        "08:31:00.000"
    );
    assert!(flags(&timing::reads(&event.file).await.unwrap()).is_empty());
    // Every start and the undo stay on file.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", event.path().display()))
        .await
        .unwrap();
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM race_start) * 10 + (SELECT count(*) FROM start_undo)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(rows, 31);
}
