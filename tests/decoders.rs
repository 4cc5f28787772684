//! Chip decoders read live over real TCP, as a timer runs them: the CLI
//! connects to (or listens for) a decoder played by the test, which speaks
//! the protocol as the real box does; every read is on disk before it is
//! acknowledged, kept once however often it comes, and made a passing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::support::{racedesk, text};

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A demo event of 50 runners, chips E2000001 to E2000050.
fn demo(dir: &Path) -> PathBuf {
    let db = dir.join("finish.racedesk");
    let out = racedesk(&["--db", &db.to_string_lossy(), "demo", "--entrants", "50"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    db
}

/// The demo event, open, and its folder (removed when dropped).
async fn demo_file() -> (tempfile::TempDir, racedesk::EventFile) {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let file = racedesk::EventFile::open(&db).await.unwrap();
    (dir, file)
}

/// A `racedesk decoder …` process and its stdout, line by line.
fn decoder(db: &Path, args: &[&str]) -> (Running, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .arg("--db")
        .arg(db)
        .arg("decoder")
        .args(args)
        .env_remove("RACEDESK_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start racedesk");
    let stdout = child.stdout.take().expect("stdout");
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    (Running(child), receive)
}

/// The next `n` lines printed, waiting at most 20 s in all.
fn lines(out: &Receiver<String>, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match out.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => panic!("{} lines printed of {n}: {got:?}", got.len()),
        }
    }
    got
}

/// A port free on loopback now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A query on the file, read-only, from a test that is not async.
fn on_file<T>(db: &Path, query: impl AsyncFnOnce(&sqlx::SqlitePool) -> T) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
                .await
                .unwrap();
            let out = query(&pool).await;
            pool.close().await;
            out
        })
}

fn count(db: &Path, sql: &str) -> i64 {
    on_file(db, async |pool| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

/// Reads a MYLAPS answer (up to its `$`).
fn answer(stream: &mut TcpStream) -> String {
    let mut said = Vec::new();
    let mut byte = [0u8; 1];
    while stream.read_exact(&mut byte).is_ok() {
        said.push(byte[0]);
        if byte[0] == b'$' {
            break;
        }
    }
    String::from_utf8_lossy(&said).into_owned()
}

/// `racedesk decoder listen mylaps` (with `more` arguments) and the test
/// connected to it as MYLAPS' exporter, greeted and answered.
fn mylaps_exporter(db: &Path, more: &[&str]) -> (Running, Receiver<String>, TcpStream) {
    let port = free_port().to_string();
    let listen = ["listen", "mylaps", "--port", &port, "--point", "finish"];
    let (listening, out) = decoder(db, &[&listen[..], more].concat());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut exporter = loop {
        match TcpStream::connect(format!("127.0.0.1:{port}")) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("racedesk never listened: {e}"),
        }
    };
    exporter
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    exporter.write_all(b"Finish@Pong@$").unwrap();
    assert!(answer(&mut exporter).starts_with("Srv@AckPong@Version2.1@"));
    (listening, out, exporter)
}

#[test]
fn a_mylaps_exporter_is_acknowledged_only_once_its_reads_are_on_disk_and_a_resend_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let (_listening, out, mut exporter) = mylaps_exporter(&db, &[]);

    // Runner 1000 (chip E2000001) stands on the mat: two reads 0.8 s apart,
    // one passing. Runner E2000002 behind, and a chip nobody holds.
    let message = b"Finish@Passing@t=08:30:01.100|c=E2000001@t=08:30:01.900|c=E2000001@t=08:30:02.000|c=E2000002@t=08:30:04.000|c=ZZ999@1@$";
    exporter.write_all(message).unwrap();
    assert_eq!(answer(&mut exporter), "Srv@AckPassing@1@$");
    // Acknowledged: so already on disk.
    assert_eq!(count(&db, "SELECT count(*) FROM chip_read"), 4);
    assert_eq!(
        count(&db, "SELECT count(*) FROM passing WHERE source = 'chip'"),
        3
    );
    let printed = lines(&out, 4);
    assert!(
        printed[0].starts_with("read mylaps E2000001 ") && printed[0].ends_with(" 1000 passing"),
        "{printed:?}"
    );
    assert!(printed[1].ends_with(" re-read"), "{printed:?}");
    assert!(
        printed[3].contains("ZZ999") && printed[3].ends_with(" - passing"),
        "{printed:?}"
    );

    // MYLAPS sends a message again until it is acknowledged: nothing new.
    exporter.write_all(message).unwrap();
    assert_eq!(answer(&mut exporter), "Srv@AckPassing@1@$");
    assert!(lines(&out, 4).iter().all(|l| l.starts_with("again ")));
    assert_eq!(count(&db, "SELECT count(*) FROM chip_read"), 4);

    // A Gunshot marker is acknowledged and starts nothing by itself.
    exporter
        .write_all(b"Finish@Marker@t=08:00:00.000|mt=Gunshot|n=Gunshot 1@2@$")
        .unwrap();
    assert_eq!(answer(&mut exporter), "Srv@AckMarker@2@$");
    assert_eq!(count(&db, "SELECT count(*) FROM race_start"), 0);

    // The reads became captures the rest of racedesk knows.
    let reads = racedesk(&["--db", &db.to_string_lossy(), "reads", "list"]);
    let listed = text(&reads.stdout);
    assert!(listed.contains(",1000,E2000001,"), "{listed}");
    assert!(listed.contains("chip not in the roster"), "{listed}");
}

/// With `--gun-starts MAR` (the timer's say-so), a MYLAPS Gunshot marker
/// starts the marathon at the marker's time; a second marker does not move
/// a race already started (that takes the timer and a reason).
#[test]
fn a_gun_marker_starts_a_race_only_when_the_timer_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let (_listening, out, mut exporter) = mylaps_exporter(&db, &["--gun-starts", "mar"]);
    exporter
        .write_all(b"Finish@Marker@t=08:00:00.250|mt=Gunshot|n=Gunshot 1@1@$")
        .unwrap();
    assert_eq!(answer(&mut exporter), "Srv@AckMarker@1@$");
    let said = lines(&out, 1);
    assert!(
        said[0].starts_with("started mar at ") && said[0].contains("08:00:00.250"),
        "{said:?}"
    );
    exporter
        .write_all(b"Finish@Marker@t=08:00:05.000|mt=Gunshot|n=Gunshot 2@2@$")
        .unwrap();
    assert_eq!(answer(&mut exporter), "Srv@AckMarker@2@$");
    let said = lines(&out, 1);
    assert!(said[0].starts_with("not started mar"), "{said:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM race_start"), 1);
    // Refused up front: a race the event does not have, a decoder that
    // sends no gun marker.
    let db = db.to_string_lossy().into_owned();
    for (args, says) in [
        (
            &["listen", "mylaps", "--gun-starts", "XX"][..],
            "no race \"XX\"",
        ),
        (
            &[
                "connect",
                "raceresult",
                "127.0.0.1:9",
                "--gun-starts",
                "MAR",
            ][..],
            "sends no gun marker",
        ),
    ] {
        let out = racedesk(
            &[
                &["--db", db.as_str(), "decoder"][..],
                args,
                &["--point", "finish"],
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// A RACE RESULT decoder played by the test: answers GETTIME, PASSINGS
/// (its file is number `file`) and `<first>:<n>` from `passings`; switched
/// off (the connection and the port closed) after its first fetch when
/// `switch_off`.
fn raceresult_decoder(
    listener: TcpListener,
    passings: Vec<String>,
    asked: std::sync::mpsc::Sender<String>,
    switch_off: bool,
    file: u32,
) {
    let (stream, _) = listener.accept().unwrap();
    drop(listener);
    let mut writer = stream.try_clone().unwrap();
    for line in BufReader::new(stream).lines().map_while(Result::ok) {
        let line = line.trim().to_owned();
        let _ = asked.send(line.clone());
        let reply = if line == "GETTIME" {
            "GETTIME;0000-00-00;08:00:00.250\r\n".to_owned()
        } else if line == "PASSINGS" {
            format!("PASSINGS;{};{file}\r\n", passings.len())
        } else if let Some((first, n)) = line.split_once(':') {
            let (first, n): (usize, usize) = (first.parse().unwrap(), n.parse().unwrap());
            let mut reply: String = passings[first - 1..first - 1 + n]
                .iter()
                .map(|p| format!("{p}\r\n"))
                .collect();
            reply.push_str("\r\n");
            reply
        } else {
            format!("{line};ERROR\r\n")
        };
        if writer.write_all(reply.as_bytes()).is_err() || (switch_off && line.contains(':')) {
            return;
        }
    }
}

/// A RACE RESULT decoder read in a rehearsal (file 1, two passings) and
/// on race day after a new file was begun (file 2, numbered from 1 again,
/// three passings): racedesk, started again, fetches the new file from its
/// first passing rather than taking its first two for the rehearsal's.
#[test]
fn a_raceresult_decoder_s_new_file_is_fetched_from_its_first_passing() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let record = |n: usize, chip: &str, time: &str| format!("{n};{chip};0000-00-00;{time};0;3;-60");
    for (file, passings) in [
        (
            1,
            vec![
                record(1, "E2000001", "07:00:00.000"),
                record(2, "E2000002", "07:00:01.000"),
            ],
        ),
        (
            2,
            vec![
                record(1, "E2000003", "08:31:00.000"),
                record(2, "E2000004", "08:31:02.000"),
                record(3, "E2000005", "08:31:04.000"),
            ],
        ),
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (asked, _heard) = channel();
        let n = passings.len();
        std::thread::spawn(move || raceresult_decoder(listener, passings, asked, false, file));
        let (_connected, out) = decoder(
            &db,
            &["connect", "raceresult", &address, "--point", "finish"],
        );
        let printed = lines(&out, n);
        assert!(
            printed.iter().all(|l| l.starts_with("read ")),
            "file {file}: {printed:?}"
        );
    }
    assert_eq!(count(&db, "SELECT count(*) FROM chip_read"), 5);
}

#[test]
fn a_raceresult_decoder_is_fetched_by_number_and_again_after_it_drops_with_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let record = |n: usize, chip: &str, time: &str| format!("{n};{chip};0000-00-00;{time};0;3;-60");
    let first_two = vec![
        record(1, "E2000001", "08:31:00.000"),
        record(2, "E2000002", "08:31:05.500"),
    ];
    let (asked, heard) = channel();
    let decoder_box = {
        let passings = first_two.clone();
        let asked = asked.clone();
        std::thread::spawn(move || raceresult_decoder(listener, passings, asked, true, 1))
    };
    let (_connected, out) = decoder(
        &db,
        &[
            "connect",
            "raceresult",
            &address.to_string(),
            "--point",
            "finish",
        ],
    );
    let printed = lines(&out, 2);
    assert!(
        printed[0].starts_with("read raceresult E2000001 ") && printed[0].ends_with(" passing"),
        "{printed:?}"
    );

    // The decoder is switched off mid-race (its thread ends, the
    // connection drops) and comes back on the same address with two more
    // passings in its file: racedesk reconnects by itself and fetches
    // from number 3, so nothing is kept twice.
    decoder_box.join().unwrap();
    let listener = loop {
        match TcpListener::bind(address) {
            Ok(listener) => break listener,
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let mut all = first_two;
    all.push(record(3, "E2000003", "08:32:00.000"));
    all.push(record(4, "E2000003", "08:32:01.000"));
    let second = std::thread::spawn(move || raceresult_decoder(listener, all, asked, false, 1));
    let printed = lines(&out, 2);
    assert!(
        printed[0].starts_with("read raceresult E2000003 ") && printed[0].ends_with(" passing"),
        "{printed:?}"
    );
    assert!(printed[1].ends_with(" re-read"), "{printed:?}");
    let commands: Vec<String> = heard.try_iter().collect();
    assert!(
        commands.iter().any(|c| c == "3:2"),
        "fetched from 3: {commands:?}"
    );
    assert!(
        !commands
            .iter()
            .skip_while(|c| *c != "3:2")
            .any(|c| c == "1:4"),
        "{commands:?}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM chip_read"), 4);
    drop(second);

    // The decoder's own file, taken off its stick after the race, adds
    // only the one passing the live link never fetched.
    let file = dir.path().join("passings.txt");
    let mut records = String::from("#;ID;Date;Time;EventID;Hits;MaxRSSI\r\n");
    for (n, chip, time) in [
        (1, "E2000001", "08:31:00.000"),
        (2, "E2000002", "08:31:05.500"),
        (3, "E2000003", "08:32:00.000"),
        (4, "E2000003", "08:32:01.000"),
        (5, "E2000004", "08:33:00.000"),
    ] {
        records.push_str(&record(n, chip, time));
        records.push_str("\r\n");
    }
    std::fs::write(&file, records).unwrap();
    let out = racedesk(&[
        "--db",
        &db.to_string_lossy(),
        "decoder",
        "import",
        "raceresult",
        &file.to_string_lossy(),
        "--point",
        "finish",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "5 reads: 1 added (1 passings), 4 already kept"
    );
    let listed = text(&racedesk(&["--db", &db.to_string_lossy(), "decoder", "list"]).stdout);
    assert!(
        listed.starts_with("raceresult raceresult point finish window 3000 ms: 5 reads"),
        "{listed}"
    );

    // A bad line is named, and nothing of the file is kept.
    std::fs::write(
        &file,
        "1;E2000005;0000-00-00;08:40:00.000\r\n2;E2000006;0000-00-00;half past\r\n",
    )
    .unwrap();
    let out = racedesk(&[
        "--db",
        &db.to_string_lossy(),
        "decoder",
        "import",
        "raceresult",
        &file.to_string_lossy(),
        "--point",
        "finish",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("line 2: time \"half past\" is not a time"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM chip_read"), 5);
}

#[test]
fn an_ultra_reader_s_missed_log_indexes_are_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let race_day: String = {
        let out = racedesk(&["--db", &db.to_string_lossy(), "event", "show"]);
        let shown = text(&out.stdout);
        shown
            .split_whitespace()
            .find(|w| w.len() == 10 && w.as_bytes()[4] == b'-')
            .unwrap_or_else(|| panic!("a date in {shown}"))
            .to_owned()
    };
    let day = chrono::NaiveDate::parse_from_str(&race_day, "%Y-%m-%d").unwrap();
    let base = chrono::NaiveDate::from_ymd_opt(1980, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let seconds =
        move |h: u32, m: u32, s: u32| (day.and_hms_opt(h, m, s).unwrap() - base).num_seconds();
    let read = |chip: &str, at: i64, index: u32, rewind: u8| {
        format!("0,{chip},{at},250,1,-65,{rewind},1,1,0000000000000000,0,{index}\r\n")
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (asked, heard) = channel();
    let reader = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut writer = stream.try_clone().unwrap();
        writer.write_all(b"Connected,0\r\nV=24.8\r\n").unwrap();
        // Reads 1, 2 and 5: 3 and 4 were lost on the way.
        let live = [
            read("E2000001", seconds(8, 40, 0), 1, 0),
            read("E2000002", seconds(8, 40, 3), 2, 0),
            read("E2000005", seconds(8, 40, 9), 5, 0),
        ]
        .concat();
        writer.write_all(live.as_bytes()).unwrap();
        let mut commands = BufReader::new(stream);
        let mut line = Vec::new();
        while commands.read_until(b'\r', &mut line).is_ok_and(|n| n > 0) {
            let command = String::from_utf8_lossy(&line).trim().to_owned();
            line.clear();
            let _ = asked.send(command.clone());
            if command == "6003" {
                let again = [
                    read("E2000003", seconds(8, 40, 5), 3, 1),
                    read("E2000004", seconds(8, 40, 7), 4, 1),
                ]
                .concat();
                writer.write_all(again.as_bytes()).unwrap();
            }
        }
    });
    let (_connected, out) = decoder(
        &db,
        &[
            "connect",
            "ultra",
            &address.to_string(),
            "--point",
            "finish",
        ],
    );
    let printed = lines(&out, 5);
    for chip in ["E2000001", "E2000002", "E2000003", "E2000004", "E2000005"] {
        assert!(
            printed
                .iter()
                .any(|l| l.contains(chip) && l.ends_with(" passing")),
            "{chip}: {printed:?}"
        );
    }
    let commands: Vec<String> = heard.try_iter().collect();
    assert!(
        commands.iter().any(|c| c == "R") && commands.iter().any(|c| c == "700"),
        "{commands:?}"
    );
    assert!(
        commands.windows(2).any(|w| w[0] == "6003" && w[1] == "4"),
        "{commands:?}"
    );
    assert!(
        printed.iter().any(|l| l.contains(" 08:40:05.250 ")),
        "{printed:?}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM chip_read"), 5);
    drop(reader);
}

/// The first read counts: a read that arrives after a later one of the
/// same chip (a rewind, a file) makes the passing, and the later one's is
/// voided with the reason, as a correction; reads of one chip within the
/// window make one passing; a chip read before its race started is
/// flagged for review, not dropped.
#[tokio::test]
async fn the_first_read_in_the_window_is_the_passing_whenever_it_arrives() {
    use racedesk::decoders::{ChipRead, Decoder, Kept, Kind, ReadAt, keep};
    let (_dir, file) = demo_file().await;
    let decoder = Decoder {
        name: "finish A".into(),
        kind: Kind::Ipico,
        address: None,
        port: None,
        point: "finish".into(),
        window_ms: 3000,
        bib_as_chip: false,
        last_read: false,
        points: None,
    };
    racedesk::decoders::save_decoder(&file, &decoder)
        .await
        .unwrap();
    let read = |chip: &str, ms: u32| ChipRead {
        chip: chip.into(),
        at: ReadAt::Local {
            date: None,
            day: 0,
            ms,
        },
        seq: None,
        antenna: Some("1".into()),
        rssi: None,
        location: None,
    };
    let station = crate::support::station();
    let nine = 9 * 3_600_000;
    let kept = keep(
        &file,
        &decoder,
        &[
            read("E2000001", nine + 10_000),
            read("E2000001", nine + 10_500),
        ],
        &station,
    )
    .await
    .unwrap();
    assert!(
        matches!(&kept[0], Kept::New { passing: Some(_), bib: Some(b), .. } if b == "1000"),
        "{kept:?}"
    );
    assert!(
        matches!(&kept[1], Kept::New { passing: None, .. }),
        "{kept:?}"
    );
    // A rewind brings a read 1 s earlier: it is the passing now.
    let kept = keep(&file, &decoder, &[read("E2000001", nine + 9_000)], &station)
        .await
        .unwrap();
    assert!(
        matches!(
            &kept[0],
            Kept::New {
                passing: Some(_),
                ..
            }
        ),
        "{kept:?}"
    );
    let reads = racedesk::timing::reads(&file).await.unwrap();
    let standing: Vec<_> = reads.iter().filter(|r| r.status != "void").collect();
    assert_eq!(standing.len(), 1, "{reads:?}");
    assert!(standing[0].time.ends_with("09:00:09.000"), "{standing:?}");
    // Its race has no start yet: flagged, not dropped.
    assert_eq!(standing[0].status, "review");
    let history = racedesk::timing::history(
        &file,
        &reads.iter().find(|r| r.status == "void").unwrap().id,
    )
    .await
    .unwrap();
    let said = serde_json::to_string(&history).unwrap();
    assert!(
        said.contains("re-read: chip E2000001 was read earlier"),
        "{said}"
    );
    // The same read again adds nothing; an hour later is a new passing.
    let kept = keep(
        &file,
        &decoder,
        &[
            read("E2000001", nine + 9_000),
            read("E2000001", nine + 3_609_000),
        ],
        &station,
    )
    .await
    .unwrap();
    assert_eq!(kept[0], Kept::Again);
    assert!(
        matches!(
            &kept[1],
            Kept::New {
                passing: Some(_),
                ..
            }
        ),
        "{kept:?}"
    );
    file.close().await;
}

/// Says Pong to a MYLAPS listener at `port` and waits (at most 10 s) for
/// its answer; None when nothing listens there.
fn pong(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream.write_all(b"Finish@Pong@$").ok()?;
    Some(answer(&mut stream))
}

/// A laptop that restarts reads again the decoders it was reading, and
/// not one the timer stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decoders_being_read_are_read_again_after_a_restart_and_stopped_ones_are_not() {
    use racedesk::decoders::{Decoder, Kind};
    use racedesk::session::Session;
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let port = free_port();
    let decoder = Decoder {
        name: "finish mat".into(),
        kind: Kind::Mylaps,
        address: None,
        port: Some(port),
        point: "finish".into(),
        window_ms: 3000,
        bib_as_chip: false,
        last_read: false,
        points: None,
    };
    let listening = async |session: &Session| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(said) = tokio::task::spawn_blocking(move || pong(port))
                .await
                .unwrap()
            {
                break Some(said);
            }
            if Instant::now() > deadline {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = session;
        }
    };
    let session = Session::start(racedesk::EventFile::open(&db).await.unwrap(), "finish");
    session.read_decoder(decoder.clone()).await.unwrap();
    assert!(
        listening(&session)
            .await
            .is_some_and(|a| a.starts_with("Srv@AckPong"))
    );
    session.close().await;
    drop(session);

    // The laptop starts again: the decoder is read with no one asking.
    let session = Session::start(racedesk::EventFile::open(&db).await.unwrap(), "finish");
    session.resume_decoders().await.unwrap();
    assert!(
        listening(&session).await.is_some(),
        "read again after the restart"
    );
    let views = session.decoders().await.unwrap();
    assert!(views[0].live.is_some());
    session.stop_decoder("finish mat").await.unwrap();
    session.close().await;
    drop(session);

    let session = Session::start(racedesk::EventFile::open(&db).await.unwrap(), "finish");
    session.resume_decoders().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        tokio::task::spawn_blocking(move || pong(port))
            .await
            .unwrap(),
        None,
        "a stopped decoder stays stopped"
    );
    assert!(session.decoders().await.unwrap()[0].live.is_none());
    session.close().await;
}

/// A re-read storm: 50 reads of one chip in 3 s, some arriving late, make
/// one passing: at the first read at a finish mat, at the last at a mat
/// whose point is set to count the last read.
#[tokio::test]
async fn fifty_reads_of_one_chip_in_three_seconds_make_one_passing_at_the_first_or_the_last() {
    use racedesk::decoders::{ChipRead, Decoder, Kind, ReadAt, keep};
    let (_dir, file) = demo_file().await;
    let station = crate::support::station();
    let nine = 9 * 3_600_000;
    let storm: Vec<ChipRead> = (0..50)
        .map(|i| ChipRead {
            chip: "E2000002".into(),
            at: ReadAt::Local {
                date: None,
                day: 0,
                ms: nine + 60 * i,
            },
            seq: Some(i64::from(i) + 1),
            antenna: Some("1".into()),
            rssi: None,
            location: None,
        })
        .collect();
    // The storm as a decoder sends it, a few reads a message, with a
    // rewind bringing the first ten last.
    let mut arriving: Vec<ChipRead> = storm[10..].to_vec();
    arriving.extend_from_slice(&storm[..10]);
    for (point, last_read, expected) in [
        ("finish", false, "09:00:00.000"),
        ("start", true, "09:00:02.940"),
    ] {
        let decoder = Decoder {
            name: format!("{point} mat"),
            kind: Kind::RaceResult,
            address: Some("127.0.0.1".into()),
            port: None,
            point: point.into(),
            window_ms: 3000,
            bib_as_chip: false,
            last_read,
            points: None,
        };
        racedesk::decoders::save_decoder(&file, &decoder)
            .await
            .unwrap();
        for message in arriving.chunks(7) {
            keep(&file, &decoder, message, &station).await.unwrap();
        }
        let reads = racedesk::timing::reads(&file).await.unwrap();
        let standing: Vec<_> = reads
            .iter()
            .filter(|r| r.status != "void" && r.point == point)
            .collect();
        assert_eq!(standing.len(), 1, "{point}: {standing:?}");
        assert!(
            standing[0].time.ends_with(expected),
            "{point}: {standing:?}"
        );
    }
    let seen = racedesk::decoders::seen(&file).await.unwrap();
    assert_eq!(
        seen.iter().map(|s| s.reads).collect::<Vec<_>>(),
        [50, 50],
        "every read is kept"
    );
    file.close().await;
}

/// Lines of text a query returns, sorted.
fn texts(db: &Path, sql: &str) -> Vec<String> {
    let mut rows: Vec<String> = on_file(db, async |pool| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(pool)
            .await
            .unwrap()
    });
    rows.sort();
    rows
}

/// The simulator's `made …` lines once it has made `total` reads and the
/// file holds as many, waiting at most a minute.
fn made_and_kept(db: &Path, made: &Receiver<String>, total: usize, kind: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut sent = Vec::new();
    loop {
        sent.extend(made.try_iter());
        let kept = count(db, "SELECT count(*) FROM chip_read");
        if sent.len() == total && kept == total as i64 {
            return sent;
        }
        assert!(
            Instant::now() < deadline,
            "{kind}: {} reads made, {kept} kept",
            sent.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Plays a finish of the demo's 50 runners (4 reads each, over 15 s) with
/// the simulator of `kind`, while racedesk reading it (`reading`) is
/// killed with SIGKILL 20 times at random moments; then started once more.
/// Every read the decoder made is kept, once, and each runner has one
/// passing.
fn killed_twenty_times(kind: &str, listens: bool) {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let port = free_port().to_string();
    let address = format!("127.0.0.1:{port}");
    let mut simulated = vec![
        "simulate",
        kind,
        "--minutes",
        "0.25",
        "--rereads",
        "3",
        "--steady",
    ];
    let mut reading = vec![];
    if listens {
        simulated.extend(["--to", &address]);
        reading.extend(["listen", kind, "--port", &port]);
    } else {
        simulated.extend(["--port", &port]);
        reading.extend(["connect", kind, &address]);
    }
    reading.extend(["--point", "finish"]);
    let (_simulator, made) = decoder(&db, &simulated);
    let mut rng = fastrand::Rng::with_seed(20);
    for _ in 0..20 {
        let (mut killed, _printed) = decoder(&db, &reading);
        std::thread::sleep(Duration::from_millis(rng.u64(150..650)));
        // Child::kill is SIGKILL: no chance to finish anything.
        killed.0.kill().unwrap();
        killed.0.wait().unwrap();
    }
    let (_last, _printed) = decoder(&db, &reading);
    let sent = made_and_kept(&db, &made, 50 * 4, kind);
    // `made INDEX CHIP DATE TIME` against what is kept, read for read.
    let mut sent: Vec<String> = sent
        .iter()
        .map(|l| l.splitn(3, ' ').nth(2).unwrap().to_owned())
        .collect();
    sent.sort();
    assert_eq!(
        texts(&db, "SELECT chip || ' ' || reader_time FROM chip_read"),
        sent,
        "{kind}"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM passing p WHERE source = 'chip' AND NOT EXISTS
                 (SELECT 1 FROM correction c WHERE c.passing = p.id AND c.kind = 'void')"
        ),
        50,
        "{kind}: one passing a runner"
    );
}

#[test]
fn a_race_result_decoder_read_by_a_racedesk_killed_twenty_times_loses_and_doubles_nothing() {
    killed_twenty_times("raceresult", false);
}

#[test]
fn a_mylaps_exporter_sending_to_a_racedesk_killed_twenty_times_loses_and_doubles_nothing() {
    killed_twenty_times("mylaps", true);
}

#[test]
fn an_ultra_read_by_a_racedesk_killed_twenty_times_loses_and_doubles_nothing() {
    killed_twenty_times("ultra", false);
}

/// An LLRP reader (played as Impinj's speak it) whose cable is pulled
/// mid-finish: racedesk asked it to hold its reports while no client is
/// connected, so what it read meanwhile comes once racedesk is back and
/// asks for it; every read kept once, one passing a runner, and EPCs
/// padded to 96 bits given to the roster's shorter chips.
#[test]
fn an_llrp_reader_s_reads_made_while_its_cable_was_out_come_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let port = free_port().to_string();
    let (_simulator, made) = decoder(
        &db,
        &[
            "simulate",
            "llrp",
            "--port",
            &port,
            "--minutes",
            "0.15",
            "--rereads",
            "2",
            "--drop-after",
            "4",
        ],
    );
    std::thread::sleep(Duration::from_millis(300));
    let address = format!("127.0.0.1:{port}");
    let (_reading, _printed) = decoder(&db, &["connect", "llrp", &address, "--point", "finish"]);
    let sent = made_and_kept(&db, &made, 50 * 3, "llrp");
    // Every chip as often as it was read (the EPC is the chip, padded).
    let mut chips: Vec<String> = sent
        .iter()
        .map(|l| format!("{:0>24}", l.split(' ').nth(2).unwrap()))
        .collect();
    chips.sort();
    assert_eq!(texts(&db, "SELECT chip FROM chip_read"), chips);
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT bib) FROM passing WHERE source = 'chip' AND bib IS NOT NULL"
        ),
        50,
        "every runner found"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM passing WHERE source = 'chip'"),
        50,
        "one passing a runner"
    );
}

/// ChronoTrack and IPICO have no acknowledgement and no log to fetch from:
/// a steady link delivers every read, in order, IPICO's zero-padded tags
/// are given to their runners, and ChronoTrack is asked for dated times.
#[test]
fn chronotrack_and_ipico_simulators_are_read_whole() {
    for (kind, listens) in [("chronotrack", true), ("ipico", false)] {
        let dir = tempfile::tempdir().unwrap();
        let db = demo(dir.path());
        let port = free_port().to_string();
        let address = format!("127.0.0.1:{port}");
        let (_reading, printed, _simulator, made) = if listens {
            let (r, p) = decoder(&db, &["listen", kind, "--port", &port, "--point", "finish"]);
            let (s, m) = decoder(
                &db,
                &[
                    "simulate",
                    kind,
                    "--to",
                    &address,
                    "--minutes",
                    "0.1",
                    "--rereads",
                    "1",
                    "--steady",
                ],
            );
            (r, p, s, m)
        } else {
            let (s, m) = decoder(
                &db,
                &[
                    "simulate",
                    kind,
                    "--port",
                    &port,
                    "--minutes",
                    "0.1",
                    "--rereads",
                    "1",
                    "--steady",
                ],
            );
            std::thread::sleep(Duration::from_millis(300));
            let (r, p) = decoder(&db, &["connect", kind, &address, "--point", "finish"]);
            (r, p, s, m)
        };
        // A reader connecting late misses what it never heard: only what
        // is printed after the connection counts here.
        let got = lines(&printed, 20);
        assert!(
            got.iter().all(|l| l.starts_with("read ")),
            "{kind}: {got:?}"
        );
        assert!(
            got.iter()
                .any(|l| l.ends_with(" passing") && !l.contains(" - passing")),
            "{kind}: runners found: {got:?}"
        );
        let made: Vec<String> = made.try_iter().collect();
        assert!(!made.is_empty(), "{kind}");
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM chip_read WHERE reader_time LIKE 'race day%'"
            ),
            0,
            "{kind}: dated reads"
        );
    }
}

/// ChronoTrack and IPICO resend nothing: what they read while the link was
/// down is in their own files. A finish with the link dropped once, read
/// live, then the decoder's file of every read imported: the file adds
/// exactly what the live link missed, and nothing is kept twice.
#[test]
fn chronotrack_and_ipico_reads_missed_by_a_drop_come_from_their_files() {
    for (kind, listens) in [("chronotrack", true), ("ipico", false)] {
        let dir = tempfile::tempdir().unwrap();
        let db = demo(dir.path());
        let port = free_port().to_string();
        let address = format!("127.0.0.1:{port}");
        let finish = ["--minutes", "0.1", "--rereads", "2", "--drop-after", "2"];
        let (_reading, _printed, _simulator, made) = if listens {
            let (r, p) = decoder(&db, &["listen", kind, "--port", &port, "--point", "finish"]);
            let (s, m) = decoder(
                &db,
                &[&["simulate", kind, "--to", &address][..], &finish].concat(),
            );
            (r, p, s, m)
        } else {
            let (s, m) = decoder(
                &db,
                &[&["simulate", kind, "--port", &port][..], &finish].concat(),
            );
            std::thread::sleep(Duration::from_millis(300));
            let (r, p) = decoder(&db, &["connect", kind, &address, "--point", "finish"]);
            (r, p, s, m)
        };
        // The finish is played in 6 s: every read made, then a moment.
        let total = 50 * 3;
        let mut sent: Vec<String> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while sent.len() < total {
            assert!(
                Instant::now() < deadline,
                "{kind}: {} reads made",
                sent.len()
            );
            sent.extend(made.recv_timeout(Duration::from_secs(1)).ok());
        }
        std::thread::sleep(Duration::from_secs(1));
        let live = count(&db, "SELECT count(*) FROM chip_read");
        assert!(
            live < total as i64,
            "{kind}: the drop lost nothing live ({live})"
        );
        // The decoder's file: every read it made, as it writes them.
        let mut file = String::new();
        for line in &sent {
            let fields: Vec<&str> = line.split(' ').collect();
            let at = chrono::NaiveDateTime::parse_from_str(
                &format!("{} {}", fields[3], fields[4]),
                "%Y-%m-%d %H:%M:%S%.3f",
            )
            .unwrap();
            let read = racedesk::decoders::simulate::Made {
                index: fields[1].parse().unwrap(),
                chip: fields[2].to_owned(),
                at,
            };
            file.push_str(&if listens {
                format!(
                    "CT01_33~{}~Finish~{}~{}~1~SIM001~1\r\n",
                    read.index,
                    read.chip,
                    &at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()[..22]
                )
            } else {
                racedesk::decoders::simulate::ipico_frame(&read)
            });
        }
        let path = dir.path().join("reads.txt");
        std::fs::write(&path, file).unwrap();
        let out = racedesk(&[
            "--db",
            &db.to_string_lossy(),
            "decoder",
            "import",
            kind,
            &path.to_string_lossy(),
            "--point",
            "finish",
        ]);
        assert!(out.status.success(), "{kind}: {}", text(&out.stderr));
        let said = text(&out.stdout);
        assert!(
            said.starts_with(&format!("{total} reads: {} added", total as i64 - live)),
            "{kind}: {live} kept live; {said}"
        );
        assert_eq!(
            count(&db, "SELECT count(*) FROM chip_read"),
            total as i64,
            "{kind}"
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(DISTINCT bib) FROM passing WHERE source = 'chip'"
            ),
            50,
            "{kind}"
        );
    }
}

/// A RACE RESULT decoder whose clock is 90 s ahead: the offset is read at
/// connect and shown, and the clock is set only when the timer asks, after
/// which it reads back near zero; a MYLAPS exporter's clock cannot be set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decoder_clock_90_s_off_is_shown_and_set_only_when_the_timer_asks() {
    use racedesk::decoders::{Decoder, Kind};
    use racedesk::session::Session;
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let port = free_port().to_string();
    let (_simulator, _made) = decoder(
        &db,
        &[
            "simulate",
            "raceresult",
            "--port",
            &port,
            "--clock-off",
            "90",
            "--minutes",
            "1",
            "--rereads",
            "0",
            "--steady",
        ],
    );
    let session = Session::start(racedesk::EventFile::open(&db).await.unwrap(), "finish");
    let mat = Decoder {
        name: "finish mat".into(),
        kind: Kind::RaceResult,
        address: Some(format!("127.0.0.1:{port}")),
        port: None,
        point: "finish".into(),
        window_ms: 3000,
        bib_as_chip: false,
        last_read: false,
        points: None,
    };
    session.read_decoder(mat).await.unwrap();
    let offset = async || {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let views = session.decoders().await.unwrap();
            if let Some(offset) = views[0].live.as_ref().and_then(|l| l.offset_ms) {
                break offset;
            }
            assert!(Instant::now() < deadline, "no clock read: {views:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let before = offset().await;
    assert!((88_500..=91_500).contains(&before), "{before}");
    // Kept with the decoder, for when it is not connected.
    let noted = session.decoders().await.unwrap()[0].seen.clock;
    assert!(
        noted.is_some_and(|(o, _)| (88_500..=91_500).contains(&o)),
        "{noted:?}"
    );
    // Nothing changes it unasked.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!((88_500..=91_500).contains(&offset().await));
    session.set_decoder_clock("finish mat").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while offset().await.abs() >= 1000 {
        assert!(Instant::now() < deadline, "the clock was never set");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mylaps = Decoder {
        name: "exporter".into(),
        kind: Kind::Mylaps,
        address: None,
        port: Some(free_port()),
        point: "finish".into(),
        window_ms: 3000,
        bib_as_chip: false,
        last_read: false,
        points: None,
    };
    session.read_decoder(mylaps).await.unwrap();
    let refused = session.set_decoder_clock("exporter").await.unwrap_err();
    assert!(
        refused.to_string().contains("cannot set the clock"),
        "{refused}"
    );
    session.close().await;
    // The last offset read, after the connection is gone: set, so not off.
    let listed = text(&racedesk(&["--db", &db.to_string_lossy(), "decoder", "list"]).stdout);
    let mat = listed
        .lines()
        .find(|l| l.starts_with("finish mat "))
        .unwrap_or_default();
    assert!(
        mat.contains(" ms off this laptop's (read at ") && !mat.contains("OFF"),
        "{listed}"
    );
}

/// One decoder with mats at two points (a stadium's start and finish):
/// each antenna's or location's reads are passings at its own point, and
/// a mapping that is not one is refused by name.
#[tokio::test]
async fn a_decoder_with_mats_at_two_points_puts_each_antennas_reads_at_its_point() {
    use racedesk::decoders::{ChipRead, Decoder, Kind, ReadAt, keep};
    let (_dir, file) = demo_file().await;
    let mut decoder = Decoder {
        name: "stadium".into(),
        kind: Kind::ChronoTrack,
        address: None,
        port: Some(3000),
        point: "finish".into(),
        window_ms: 3000,
        bib_as_chip: false,
        last_read: false,
        points: Some("2 = Start, 9".into()),
    };
    let refused = racedesk::decoders::save_decoder(&file, &decoder)
        .await
        .unwrap_err();
    assert!(refused.to_string().starts_with("points:"), "{refused}");
    decoder.points = Some("2 = Start, GATE=start".into());
    racedesk::decoders::save_decoder(&file, &decoder)
        .await
        .unwrap();
    let saved = racedesk::decoders::decoders(&file).await.unwrap();
    assert_eq!(saved[0].points.as_deref(), Some("2=start, GATE=start"));
    let read = |chip: &str, ms: u32, antenna: &str, location: Option<&str>| ChipRead {
        chip: chip.into(),
        at: ReadAt::Local {
            date: None,
            day: 0,
            ms,
        },
        seq: None,
        antenna: Some(antenna.into()),
        rssi: None,
        location: location.map(String::from),
    };
    let nine = 9 * 3_600_000;
    keep(
        &file,
        &saved[0],
        &[
            read("E2000001", nine, "2", None),
            read("E2000002", nine, "1", Some("GATE")),
            read("E2000001", nine + 7_200_000, "1", None),
        ],
        &crate::support::station(),
    )
    .await
    .unwrap();
    let mut points: Vec<(String, String)> = racedesk::timing::reads(&file)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.chip.unwrap_or_default(), r.point))
        .collect();
    points.sort();
    assert_eq!(
        points,
        [
            ("E2000001".into(), "finish".into()),
            ("E2000001".into(), "start".into()),
            ("E2000002".into(), "start".into())
        ]
    );
    file.close().await;
}

/// A chip changed at the desk after it was read: its earlier reads keep
/// the runner they went to until the timer says so; then each passing is
/// given to the chip's holder by a correction; reads after the change go
/// to the new holder by themselves.
#[test]
fn a_chip_changed_after_its_reads_gives_them_to_the_new_holder_only_when_the_timer_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let file = dir.path().join("reads.csv");
    // RACE RESULT's passing file: chip E2000003 at 10:00:00.
    let read = "#;ID;Date;Time\n1;E2000003;2027-04-11;10:00:00.000\n";
    std::fs::write(&file, read).unwrap();
    let db_arg = db.to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let out = racedesk(&[&["--db", &db_arg], args].concat());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    run(&[
        "decoder",
        "import",
        "raceresult",
        &file.to_string_lossy(),
        "--point",
        "finish",
    ]);
    let bib_of_read = || {
        let reads: serde_json::Value =
            serde_json::from_str(&run(&["reads", "list", "--format", "json"])).unwrap();
        reads[0]["bib"].as_str().map(String::from)
    };
    let first = bib_of_read().expect("the holder's bib");
    // The desk gives the chip to another runner (the first one's chip was
    // faulty): the read stays with the first runner.
    let roster: serde_json::Value =
        serde_json::from_str(&run(&["roster", "list", "--format", "json"])).unwrap();
    let other = roster
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["bib"].as_str().unwrap().to_owned())
        .find(|b| *b != first)
        .unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let events = racedesk::EventFile::open(&db).await.unwrap();
            let day = racedesk::setup::event(&events).await.unwrap().date;
            for (bib, chip) in [(first.as_str(), "X9"), (other.as_str(), "E2000003")] {
                let entrant =
                    racedesk::roster::entrant(&events, &racedesk::model::Bib::parse(bib).unwrap())
                        .await
                        .unwrap();
                let mut form = racedesk::roster::EntrantForm::from_entrant(&entrant, day);
                form.chip = chip.into();
                racedesk::roster::save_entrant(&events, Some(bib), &form, "desk")
                    .await
                    .unwrap();
            }
            events.close().await;
        });
    assert_eq!(bib_of_read().as_deref(), Some(first.as_str()));
    assert!(run(&["decoder", "give", "E2000003"]).starts_with("1 passings of chip E2000003"));
    assert_eq!(bib_of_read().as_deref(), Some(other.as_str()));
    // Said again, nothing more to give.
    assert!(run(&["decoder", "give", "E2000003"]).starts_with("0 passings"));
}

/// Bad input to the decoder commands is refused by name, with nothing
/// started: a finish of no length, a MYLAPS simulator with nowhere to go,
/// a clock that cannot be set, antennas written wrong, a chip nobody holds.
#[test]
fn bad_decoder_commands_are_refused_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let db = db.to_string_lossy().into_owned();
    let reads = dir.path().join("reads.bin");
    std::fs::write(&reads, [0x04, 0x3d]).unwrap();
    let reads = reads.to_string_lossy().into_owned();
    for (args, says) in [
        (
            &["simulate", "raceresult", "--minutes", "0"][..],
            "--minutes 0",
        ),
        (&["simulate", "mylaps"][..], "--to ADDRESS:PORT"),
        (
            &["simulate", "ultra", "--clock-off", "1e9"][..],
            "--clock-off",
        ),
        (
            &[
                "connect",
                "ipico",
                "127.0.0.1:9",
                "--point",
                "finish",
                "--set-clock",
            ][..],
            "--set-clock",
        ),
        (
            &[
                "connect",
                "raceresult",
                "127.0.0.1:9",
                "--point",
                "finish",
                "--points",
                "3",
            ][..],
            "points: 3",
        ),
        (&["give", "NOPE"][..], "chip NOPE"),
        (
            &["import", "llrp", reads.as_str(), "--point", "finish"][..],
            "keeps no file",
        ),
    ] {
        let out = racedesk(&[&["--db", db.as_str(), "decoder"][..], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let said = text(&out.stderr);
        assert!(said.contains(says), "{args:?}: {said}");
    }
}
