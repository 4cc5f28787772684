//! What a pulled plug or a full stick does to captures: the `record`
//! process is killed at random moments, and run against a disk that
//! fills up; every capture it acknowledged must be in the file after.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{SmallDisk, at, racedesk, station, text};

/// `ok <id> <bib> <time>` lines: (id, bib).
fn acks(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("ok")).then(|| {
                (
                    words.next().unwrap_or_default().to_owned(),
                    words.next().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect()
}

/// Runs `record` with `lines` on its standard input; kills it after
/// `kill_after` if given. Returns its acknowledgements, its stderr and
/// whether it exited by itself.
fn record(
    db: &str,
    lines: Vec<String>,
    kill_after: Option<Duration>,
    env: &[(&str, String)],
) -> (Vec<String>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .args(["--db", db, "record", "--station", "finish"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start racedesk record");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        for line in lines {
            if writeln!(stdin, "{line}").is_err() {
                return; // killed
            }
        }
    });
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                seen.lock().unwrap().push(line);
            }
        })
    };
    if let Some(after) = kill_after {
        std::thread::sleep(after);
        let _ = child.kill(); // SIGKILL
    }
    let output = child.wait_with_output().expect("wait for racedesk");
    writer.join().ok();
    reader.join().ok();
    let lines = seen.lock().unwrap().clone();
    (lines, text(&output.stderr))
}

async fn check_file(db: &str, acknowledged: &[(String, String)]) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
        .await
        .unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM passing")
        .fetch_all(&pool)
        .await
        .unwrap();
    let ids: std::collections::HashSet<String> = ids.into_iter().collect();
    for (id, bib) in acknowledged {
        assert!(
            ids.contains(id),
            "acknowledged capture {id} (bib {bib}) is missing"
        );
    }
    let twice: Vec<String> =
        sqlx::query_scalar("SELECT bib FROM passing GROUP BY bib HAVING count(*) > 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(twice.is_empty(), "captured twice: {twice:?}");
    pool.close().await;
}

/// A demo event of `entrants` made by the CLI in a new folder: the folder
/// (removed when dropped) and the file's path.
fn demo(entrants: usize) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("event.db").display().to_string();
    let made = racedesk(&["--db", &db, "demo", "--entrants", &entrants.to_string()]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    (dir, db)
}

/// The file's size in pages: what a "disk" with room for a few more is
/// measured against (RACEDESK_MAX_PAGES).
async fn page_count(db: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
        .await
        .unwrap();
    let pages = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    pages
}

#[tokio::test(flavor = "multi_thread")]
async fn record_killed_at_random_moments_loses_nothing_it_acknowledged() {
    let (_dir, db) = demo(50);
    let mut rng = fastrand::Rng::with_seed(2027);
    let mut acknowledged = Vec::new();
    let mut next = 1u32;
    for _ in 0..100 {
        // Every line a bib never sent before, so a capture made twice shows.
        let lines: Vec<String> = (next..next + 400).map(|n| format!("X{n}")).collect();
        next += 400;
        let kill_after = Duration::from_millis(rng.u64(5..60));
        let (out, _) = record(&db, lines, Some(kill_after), &[]);
        acknowledged.extend(acks(&out));
    }
    assert!(
        acknowledged.len() > 100,
        "the runs should have captured something before being killed: {}",
        acknowledged.len()
    );
    check_file(&db, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_refuses_captures_clearly_and_capturing_resumes_with_space() {
    let (_dir, db) = demo(20);
    let pages = page_count(&db).await;

    // Room for a few pages of captures, then the "disk" is full.
    let lines: Vec<String> = (1..=1500).map(|n| format!("X{n}")).collect();
    let (out, stderr) = record(
        &db,
        lines,
        None,
        &[("RACEDESK_MAX_PAGES", (pages + 4).to_string())],
    );
    let full = acks(&out);
    assert!(!full.is_empty(), "some captures fit: {stderr}");
    assert!(full.len() < 1500, "the limit was reached");
    assert!(
        stderr.contains("disk holding the event file is full"),
        "{stderr}"
    );
    assert!(stderr.contains("not captured"), "{stderr}");

    // Space comes back: capturing goes on.
    let lines: Vec<String> = (2001..=2010).map(|n| format!("X{n}")).collect();
    let (out, stderr) = record(&db, lines, None, &[]);
    let resumed = acks(&out);
    assert_eq!(resumed.len(), 10, "{stderr}");
    let all: Vec<_> = full.into_iter().chain(resumed).collect();
    check_file(&db, &all).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_that_fills_the_disk_adds_nobody_and_imports_whole_with_space() {
    let (dir, db) = demo(20);
    let csv = dir.path().join("late.csv");
    let mut rows = String::from("bib,first_name,last_name,gender,race,city\n");
    // Bibs free in the demo's 10 km (2000-2999) and 5 km (3000-3999).
    for n in 0..1600 {
        let (race, bib) = if n < 800 {
            ("10K", 2100 + n)
        } else {
            ("5K", 3100 + n - 800)
        };
        rows.push_str(&format!(
            "{bib},Runner,Number {n},F,{race},A city long enough to take some room {n}\n"
        ));
    }
    std::fs::write(&csv, rows).unwrap();
    let csv = csv.display().to_string();
    let count = || async {
        let file = racedesk::EventFile::open(std::path::Path::new(&db))
            .await
            .unwrap();
        let n = racedesk::roster::entrants(&file).await.unwrap().len();
        file.close().await;
        n
    };

    // Room for a few pages more, not for 1,600 entrants.
    let pages = page_count(&db).await;
    let out = Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .args(["--db", &db, "roster", "import", &csv])
        .env("RACEDESK_MAX_PAGES", (pages + 8).to_string())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("disk holding the event file is full"),
        "{stderr}"
    );
    assert_eq!(count().await, 20, "nobody is added by a refused import");

    let out = racedesk(&["--db", &db, "roster", "import", &csv]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(count().await, 1620);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_leaves_the_writer_usable_once_space_returns() {
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    let file = racedesk::EventFile::create(&disk.path("event.db"))
        .await
        .unwrap();
    racedesk::setup::init_event(&file, &crate::support::event(), "test")
        .await
        .unwrap();
    let station = station();
    let tap = || racedesk::timing::capture(&file, "finish", at("10:00:00"), None, &station);
    let first = tap().await.unwrap();
    disk.fill();
    let mut refused = None;
    for _ in 0..5000 {
        if let Err(e) = tap().await {
            refused = Some(e);
            break;
        }
    }
    let refused = refused.expect("a full disk refuses a capture");
    assert!(refused.to_string().contains("is full"), "{refused}");
    // Still full: the same clear refusal, not a writer stuck in a
    // transaction (the space a failed write held may let one more in).
    let mut refusals = 0;
    for _ in 0..20 {
        if let Err(e) = tap().await {
            assert!(e.to_string().contains("is full"), "{e}");
            refusals += 1;
        }
    }
    assert!(refusals > 10, "the disk stays full: {refusals} refusals");

    disk.free();
    let after = tap().await.expect("capturing resumes once space returns");
    let ids: Vec<String> = racedesk::timing::reads(&file)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(ids.contains(&first.id) && ids.contains(&after.id));
    file.close().await;
}

/// `racedesk record` fed one line at a time, each line answered by an
/// acknowledgement on stdout or a refusal on stderr.
struct Recorder {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    answers: std::sync::mpsc::Receiver<Result<String, String>>,
}

impl Recorder {
    fn start(db: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_racedesk"))
            .args(["--db", db, "record", "--station", "finish"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start racedesk record");
        let (tx, answers) = std::sync::mpsc::channel();
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        let err = BufReader::new(child.stderr.take().expect("stderr"));
        let ok = tx.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = ok.send(Ok(line));
            }
        });
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                let _ = tx.send(Err(line));
            }
        });
        let stdin = child.stdin.take().expect("stdin");
        Self {
            child,
            stdin,
            answers,
        }
    }

    fn send(&mut self, line: &str) -> Result<String, String> {
        writeln!(self.stdin, "{line}").expect("write a line");
        self.stdin.flush().expect("flush");
        self.answers
            .recv_timeout(Duration::from_secs(20))
            .expect("record answers every line")
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn record_captures_again_after_a_full_disk_without_a_restart() {
    let Some(disk) = SmallDisk::mount("8m") else {
        return;
    };
    let db = disk.path("event.db").display().to_string();
    assert!(
        racedesk(&["--db", &db, "demo", "--entrants", "20"])
            .status
            .success()
    );
    let mut recorder = Recorder::start(&db);
    let first = recorder.send("X1").expect("captured");
    disk.fill();
    let mut refusal = None;
    for n in 2..3000 {
        if let Err(e) = recorder.send(&format!("X{n}")) {
            refusal = Some(e);
            break;
        }
    }
    let refusal = refusal.expect("a full disk refuses a capture");
    assert!(refusal.contains("is full"), "{refusal}");
    let mut refusals = 0;
    for n in 5000..5020 {
        if let Err(e) = recorder.send(&format!("X{n}")) {
            assert!(e.contains("is full"), "{e}");
            refusals += 1;
        }
    }
    assert!(refusals > 10, "the disk stays full: {refusals} refusals");

    disk.free();
    let after = recorder.send("X5001").expect("captured once space returns");
    assert!(
        after.starts_with("ok ") && after.contains(" X5001 "),
        "{after}"
    );
    drop(recorder);
    let reads = text(&racedesk(&["--db", &db, "reads", "list", "--format", "csv"]).stdout);
    let id = |ack: &str| ack.split_whitespace().nth(1).unwrap_or_default().to_owned();
    assert!(reads.contains(&id(&first)) && reads.contains(&id(&after)));
}

#[test]
fn a_read_only_stick_is_refused_for_writing_and_read_with_the_wal_a_crash_left() {
    let Some(disk) = SmallDisk::mount("16m") else {
        return;
    };
    let db = disk.path("event.db").display().to_string();
    assert!(
        racedesk(&["--db", &db, "demo", "--entrants", "60"])
            .status
            .success()
    );
    assert!(
        racedesk(&["--db", &db, "start", "MAR", "--at", "08:00:00"])
            .status
            .success()
    );
    // A capture acknowledged, then the process killed: it is in the WAL.
    let mut recorder = Recorder::start(&db);
    let ack = recorder.send("5 10:30:00").expect("captured");
    drop(recorder);
    assert!(
        std::fs::metadata(format!("{db}-wal")).is_ok_and(|m| m.len() > 0),
        "the crash left a WAL"
    );
    disk.read_only();

    let out = racedesk(&["--db", &db, "checkin", "5"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot be written"),
        "{}",
        text(&out.stderr)
    );
    for args in [
        &["results", "MAR", "--read-only", "--format", "csv"][..],
        &["results", "MAR", "--format", "csv"][..],
    ] {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        let out = racedesk(&all);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let csv = text(&out.stdout);
        assert!(
            csv.lines().nth(1).is_some_and(|l| l.starts_with("1,5,")),
            "{args:?}: {csv}"
        );
    }
    let reads = text(&racedesk(&["--db", &db, "reads", "list", "--format", "csv"]).stdout);
    let id = ack.split_whitespace().nth(1).unwrap_or_default();
    assert!(reads.contains(id), "{reads}");
}
