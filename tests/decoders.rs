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

fn count(db: &Path, sql: &str) -> i64 {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
                .await
                .unwrap();
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(&pool)
                .await
                .unwrap();
            pool.close().await;
            n
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

#[test]
fn a_mylaps_exporter_is_acknowledged_only_once_its_reads_are_on_disk_and_a_resend_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let port = free_port();
    let (_listening, out) = decoder(
        &db,
        &[
            "listen",
            "mylaps",
            "--port",
            &port.to_string(),
            "--point",
            "finish",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut exporter = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
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

/// A RACE RESULT decoder played by the test: answers GETTIME, PASSINGS and
/// `<first>:<n>` from `passings`; switched off (the connection and the
/// port closed) after its first fetch when `switch_off`.
fn raceresult_decoder(
    listener: TcpListener,
    passings: Vec<String>,
    asked: std::sync::mpsc::Sender<String>,
    switch_off: bool,
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
            format!("PASSINGS;{};1\r\n", passings.len())
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
        std::thread::spawn(move || raceresult_decoder(listener, passings, asked, true))
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
    let second = std::thread::spawn(move || raceresult_decoder(listener, all, asked, false));
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
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let file = racedesk::EventFile::open(&db).await.unwrap();
    let decoder = Decoder {
        name: "finish A".into(),
        kind: Kind::Ipico,
        address: None,
        port: None,
        point: "finish".into(),
        window_ms: 3000,
        bib_as_chip: false,
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
