//! Stations sharing one event over the network: a hub and stations as
//! separate `racedesk` processes on loopback, with real files, real TLS
//! and real TCP; and the hub's refusals, asked by a raw HTTPS client as a
//! stranger or a misbehaving station would.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TestEvent, text};

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(db: &Path, station: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_racedesk"));
    command
        .arg("--db")
        .arg(db)
        .env_remove("RACEDESK_DB")
        .env("RACEDESK_STATION", station);
    command
}

/// Starts a process and waits (at most 30 s) for its first line on stdout.
fn start(mut command: Command) -> (Running, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start racedesk");
    let stdout = child.stdout.take().expect("stdout");
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = receive
        .recv_timeout(Duration::from_secs(30))
        .expect("a first line within 30 s");
    (Running(child), line.trim().to_owned())
}

/// `racedesk hub`: the process, its address and its code.
fn hub(db: &Path, listen: &str) -> (Running, String, String) {
    let mut command = command(db, "hub");
    command.args(["hub", "--listen", listen]);
    let (running, line) = start(command);
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts.len(), 3, "hub ADDRESS CODE: {line}");
    assert_eq!(parts[0], "hub", "{line}");
    (running, parts[1].to_owned(), parts[2].to_owned())
}

fn join(db: &Path, station: &str, address: &str, code: &str) -> Running {
    join_with_clock(db, station, address, code, 0)
}

/// A station whose clock is `offset_ms` off the true time.
fn join_with_clock(db: &Path, station: &str, address: &str, code: &str, offset_ms: i64) -> Running {
    let mut command = command(db, station);
    command
        .env("RACEDESK_CLOCK_OFFSET_MS", offset_ms.to_string())
        .args(["join", address, code, "--name", station]);
    let (running, line) = start(command);
    assert_eq!(line, format!("joined {address} as {station}"));
    running
}

/// Waits (at most `seconds`) until `done` holds; says whether it did.
fn until(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

/// Runs a future on a runtime of its own: the process tests here are
/// synchronous.
fn blocking<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(work)
}

/// A query's one number, on a file another process is writing.
fn number(db: &Path, sql: &str) -> i64 {
    blocking(scalar(db, sql))
}

/// The ids of a file's check-ins, in order.
fn checkin_ids(db: &Path) -> Vec<String> {
    let ids: String = blocking(scalar(
        db,
        "SELECT coalesce(group_concat(id, ' '), '') FROM (SELECT id FROM checkin ORDER BY id)",
    ));
    ids.split(' ')
        .filter(|id| !id.is_empty())
        .map(String::from)
        .collect()
}

fn demo(dir: &Path, entrants: &str) -> PathBuf {
    let db = dir.join("hub.racedesk");
    let out = crate::support::racedesk(&[
        "--db",
        &db.to_string_lossy(),
        "demo",
        "--entrants",
        entrants,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    db
}

fn check_in(db: &Path, station: &str, bib: &str) {
    let out = command(db, station)
        .args(["checkin", bib, "--desk", station])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn sync_status(db: &Path) -> serde_json::Value {
    let out = command(db, "any")
        .args(["sync", "status", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn stations_joined_to_a_hub_see_each_others_check_ins_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "300");
    let (_hub, address, code) = hub(&hub_db, "127.0.0.1:0");
    let a = dir.path().join("a.racedesk");
    let b = dir.path().join("b.racedesk");
    let _a = join(&a, "desk-a", &address, &code);
    let _b = join(&b, "desk-b", &address, &code);
    // Each joined with a whole copy of the event.
    assert_eq!(number(&a, "SELECT count(*) FROM entrant"), 300);
    assert_eq!(number(&b, "SELECT count(*) FROM entrant"), 300);
    // Nothing of the hub's secrets or stations travelled.
    assert_eq!(number(&a, "SELECT count(*) FROM hub_identity"), 0);
    assert_eq!(number(&a, "SELECT count(*) FROM sync_station"), 0);

    for bib in ["1", "2", "3"] {
        check_in(&a, "desk-a", bib);
    }
    check_in(&b, "desk-b", "4");
    check_in(&hub_db, "hub", "5");
    let all_there = until(20, || {
        [&hub_db, &a, &b]
            .iter()
            .all(|db| number(db, "SELECT count(*) FROM checkin") == 5)
    });
    assert!(all_there, "five check-ins on every station");
    assert_eq!(checkin_ids(&a), checkin_ids(&b));
    assert_eq!(checkin_ids(&a), checkin_ids(&hub_db));

    // The station says it is connected, with nothing waiting, and its
    // clock (the same machine's) within a second of the hub's.
    let status = sync_status(&a);
    assert_eq!(status["joined"], true, "{status}");
    assert!(until(5, || sync_status(&a)["waiting"] == 0));
    let status = sync_status(&a);
    assert_eq!(status["connected"], true, "{status}");
    assert!(status["last_heard_ms"].as_i64().is_some(), "{status}");
    assert!(
        status["offset_ms"].as_i64().is_some_and(|o| o.abs() < 1000),
        "{status}"
    );

    // The hub lists both stations, heard from just now.
    let out = command(&hub_db, "hub")
        .args(["stations", "--format", "json"])
        .output()
        .unwrap();
    let stations: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = stations
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{stations}");
    assert!(
        ids.contains(&"desk-a") && ids.contains(&"desk-b"),
        "{stations}"
    );
    assert!(
        stations
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["silent"] == false && s["removed"] == false && s["role"] == "desk"),
        "{stations}"
    );
}

#[test]
fn a_desk_keeps_checking_in_while_its_hub_is_killed_and_all_arrives_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "200");
    let (hub_process, address, code) = hub(&hub_db, "127.0.0.1:0");
    let a = dir.path().join("a.racedesk");
    let _a = join(&a, "desk-a", &address, &code);
    let mut hub_process = Some(hub_process);
    let mut bib = 1;
    for round in 0..20 {
        // The hub dies without a word (SIGKILL); the desk goes on, each
        // check-in acknowledged from its own file.
        if let Some(running) = hub_process.take() {
            running.kill();
        }
        for _ in 0..2 {
            check_in(&a, "desk-a", &bib.to_string());
            bib += 1;
        }
        assert!(
            until(15, || sync_status(&a)["connected"] == false),
            "round {round}: the desk says it lost the hub"
        );
        assert!(sync_status(&a)["waiting"].as_u64().unwrap_or(0) > 0);
        // The hub comes back on the same address, with a new code: the
        // desk is trusted by its credential, and sends what waited.
        let (running, again, _new_code) = hub(&hub_db, &address);
        assert_eq!(again, address);
        hub_process = Some(running);
        let expected = i64::from(bib - 1);
        assert!(
            until(20, || number(&hub_db, "SELECT count(*) FROM checkin")
                == expected),
            "round {round}: every check-in reached the hub"
        );
    }
    assert!(until(10, || sync_status(&a)["waiting"] == 0));
    assert_eq!(checkin_ids(&a), checkin_ids(&hub_db));
    assert_eq!(checkin_ids(&a).len(), 40);
    for db in [&a, &hub_db] {
        let out = Command::new(env!("CARGO_BIN_EXE_racedesk"))
            .arg("--db")
            .arg(db)
            .args(["checkin", "status", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
}

#[test]
fn each_station_s_clock_offset_is_measured_and_finish_times_stay_as_captured() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "50");
    let (_hub, address, code) = hub(&hub_db, "127.0.0.1:0");
    // The finish laptop (the hub) captures a runner before anyone joins.
    let mut record = command(&hub_db, "hub")
        .args(["record", "--station", "Finish"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = record.stdin.take().unwrap();
        writeln!(input, "1").unwrap();
    }
    assert!(record.wait_with_output().unwrap().status.success());
    let finish_times = |db: &Path| number(db, "SELECT coalesce(sum(at_ms), 0) FROM passing");
    let captured = finish_times(&hub_db);
    assert!(captured > 0);

    // One desk 90 s ahead, one 3 minutes behind.
    let ahead = dir.path().join("ahead.racedesk");
    let behind = dir.path().join("behind.racedesk");
    let _ahead = join_with_clock(&ahead, "ahead", &address, &code, 90_000);
    let _behind = join_with_clock(&behind, "behind", &address, &code, -180_000);
    let offset_of = |id: &str| -> Option<i64> {
        let out = command(&hub_db, "hub")
            .args(["stations", "--format", "json"])
            .output()
            .unwrap();
        let stations: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        stations
            .as_array()?
            .iter()
            .find(|s| s["id"] == id)?
            .get("offsetMs")?
            .as_i64()
    };
    let near = |value: Option<i64>, target: i64| value.is_some_and(|v| (v - target).abs() <= 50);
    assert!(
        until(20, || near(offset_of("ahead"), 90_000)
            && near(offset_of("behind"), -180_000)),
        "the hub sees +90 s and -180 s within 50 ms: {:?} {:?}",
        offset_of("ahead"),
        offset_of("behind")
    );
    assert!(near(sync_status(&ahead)["offset_ms"].as_i64(), 90_000));
    assert!(near(sync_status(&behind)["offset_ms"].as_i64(), -180_000));
    let out = command(&hub_db, "hub").args(["stations"]).output().unwrap();
    assert_eq!(
        text(&out.stdout).matches("CLOCK OFF").count(),
        2,
        "{}",
        text(&out.stdout)
    );

    // The finish time is the finish laptop's, on every copy.
    assert!(until(10, || finish_times(&ahead) == captured
        && finish_times(&behind) == captured));
    assert_eq!(finish_times(&hub_db), captured);

    // A checkpoint laptop (the one 90 s ahead) captures a runner: the row
    // keeps its own reading and the offset known then, on every copy, so
    // the split can be put right; nothing moved it.
    let mut record = command(&ahead, "ahead")
        .env("RACEDESK_CLOCK_OFFSET_MS", "90000")
        .args(["record", "--station", "10k", "--point", "10k"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let true_ms = chrono::Utc::now().timestamp_millis();
    {
        use std::io::Write;
        let mut input = record.stdin.take().unwrap();
        writeln!(input, "2").unwrap();
    }
    assert!(record.wait_with_output().unwrap().status.success());
    let split = "SELECT coalesce(max(clock_offset_ms), 0) || ' ' || coalesce(max(at_ms), 0)
                 FROM passing WHERE point = '10k'";
    assert!(until(10, || blocking(scalar::<String>(&hub_db, split)) != "0 0"));
    for db in [&ahead, &hub_db] {
        let row: String = blocking(scalar(db, split));
        let (offset, at) = row.split_once(' ').unwrap();
        let (offset, at): (i64, i64) = (offset.parse().unwrap(), at.parse().unwrap());
        assert!((offset - 90_000).abs() <= 50, "offset kept: {row}");
        assert!(
            (at - true_ms - 90_000).abs() < 5_000,
            "the laptop's own reading: {row}"
        );
        assert!((at - offset - true_ms).abs() < 5_000, "correctable: {row}");
    }

    // The timer sees the checkpoint's offset and, when they say so,
    // corrects its captures there by it: a time correction each, which
    // travels; doing it again changes nothing; the finish stays as captured.
    let listed: serde_json::Value = serde_json::from_str(&racedesk_at(
        &hub_db,
        "hub",
        &["correct", "clocks", "--json"],
    ))
    .unwrap();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["station"] == "ahead" && r["point"] == "10k")
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(row["captures"], 1, "{listed}");
    assert!(near(row["maxOffsetMs"].as_i64(), 90_000), "{listed}");
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "only joined stations' captures: {listed}"
    );
    assert_eq!(
        racedesk_at(
            &hub_db,
            "hub",
            &["correct", "clock", "ahead", "--point", "10k"]
        ),
        "1 captures of ahead at 10k corrected by their clock offset\n"
    );
    assert_eq!(
        racedesk_at(
            &hub_db,
            "hub",
            &["correct", "clock", "ahead", "--point", "10k"]
        ),
        "0 captures of ahead at 10k corrected by their clock offset\n"
    );
    let corrected = "SELECT coalesce(max(c.at_ms - (p.at_ms - p.clock_offset_ms)), -1)
                     FROM correction c JOIN passing p ON p.id = c.passing
                     WHERE p.point = '10k' AND c.kind = 'time'";
    assert_eq!(number(&hub_db, corrected), 0, "the hub's time");
    assert!(
        until(10, || number(&ahead, corrected) == 0),
        "the correction travels"
    );
    let out = command(&hub_db, "hub")
        .args(["correct", "clock", "nobody", "--point", "10k"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("station nobody captured nothing at 10k"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        number(
            &hub_db,
            "SELECT count(*) FROM correction c JOIN passing p ON p.id = c.passing WHERE p.point = 'finish'"
        ),
        0
    );
    assert_eq!(
        number(
            &hub_db,
            "SELECT sum(at_ms) FROM passing WHERE point = 'finish'"
        ),
        captured
    );
}

/// Two hosts made for a test: network namespaces joined by a veth pair,
/// 10.77.N.1 (the hub) and 10.77.N.2 (a desk). Removed when dropped.
struct Hosts {
    hub: String,
    desk: String,
    desk_link: String,
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Hosts {
    /// None where namespaces cannot be made (not root): CI runs as root,
    /// and there the test must run.
    fn make() -> Option<Self> {
        let id = std::process::id() % 10_000;
        let net = id % 250;
        let hosts = Self {
            hub: format!("rdhub{id}"),
            desk: format!("rddesk{id}"),
            desk_link: format!("rdd{id}"),
        };
        let hub_link = format!("rdh{id}");
        let hub_ip = format!("10.77.{net}.1/24");
        let desk_ip = format!("10.77.{net}.2/24");
        let made = ip(&["netns", "add", &hosts.hub])
            && ip(&["netns", "add", &hosts.desk])
            && ip(&[
                "link",
                "add",
                &hub_link,
                "type",
                "veth",
                "peer",
                "name",
                &hosts.desk_link,
            ])
            && ip(&["link", "set", &hub_link, "netns", &hosts.hub])
            && ip(&["link", "set", &hosts.desk_link, "netns", &hosts.desk])
            && ip(&["-n", &hosts.hub, "addr", "add", &hub_ip, "dev", &hub_link])
            && ip(&[
                "-n",
                &hosts.desk,
                "addr",
                "add",
                &desk_ip,
                "dev",
                &hosts.desk_link,
            ])
            && ip(&["-n", &hosts.hub, "link", "set", &hub_link, "up"])
            && ip(&["-n", &hosts.desk, "link", "set", &hosts.desk_link, "up"])
            && ip(&["-n", &hosts.hub, "link", "set", "lo", "up"])
            && ip(&["-n", &hosts.desk, "link", "set", "lo", "up"]);
        if made {
            Some(hosts)
        } else {
            drop(hosts);
            assert!(
                std::env::var("CI").is_err(),
                "CI runs as root and must be able to make network namespaces"
            );
            None
        }
    }

    fn hub_address(&self) -> String {
        let net = (std::process::id() % 10_000) % 250;
        format!("10.77.{net}.1:7420")
    }

    /// `racedesk` run on one of the hosts.
    fn racedesk(&self, host: &str, db: &Path, station: &str) -> Command {
        let mut command = Command::new("ip");
        command
            .args([
                "netns",
                "exec",
                host,
                env!("CARGO_BIN_EXE_racedesk"),
                "--db",
            ])
            .arg(db)
            .env_remove("RACEDESK_DB")
            .env("RACEDESK_STATION", station);
        command
    }

    /// The desk's cable pulled out, or plugged back in.
    fn desk_link(&self, up: bool) {
        assert!(ip(&[
            "-n",
            &self.desk,
            "link",
            "set",
            &self.desk_link,
            if up { "up" } else { "down" },
        ]));
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // Removing a namespace removes its end of the veth, and the pair.
        ip(&["netns", "del", &self.hub]);
        ip(&["netns", "del", &self.desk]);
    }
}

#[test]
fn a_desk_on_another_host_checks_in_through_a_pulled_cable_and_catches_up() {
    let Some(hosts) = Hosts::make() else {
        eprintln!("skipped: network namespaces need root");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "100");
    let mut hub_command = hosts.racedesk(&hosts.hub.clone(), &hub_db, "hub");
    hub_command.args(["hub", "--listen", &hosts.hub_address()]);
    let (_hub, address, code) = {
        let (running, line) = start(hub_command);
        let parts: Vec<String> = line.split(' ').map(String::from).collect();
        assert_eq!(parts.len(), 3, "{line}");
        (running, parts[1].clone(), parts[2].clone())
    };
    assert_eq!(address, hosts.hub_address());
    // The desk finds the hub by mDNS on its network, without typing.
    let desk_ip = hosts.hub_address().replace(".1:7420", ".2");
    let found = hosts
        .racedesk(&hosts.desk.clone(), Path::new("unused"), "desk-far")
        .args(["hubs", "--wait", "3", "--on", &desk_ip])
        .output()
        .unwrap();
    assert!(
        text(&found.stdout).contains(&format!("{address} Pyongyang")),
        "found: {} {}",
        text(&found.stdout),
        text(&found.stderr)
    );
    let desk = dir.path().join("desk.racedesk");
    let mut join_command = hosts.racedesk(&hosts.desk.clone(), &desk, "desk-far");
    join_command.args(["join", &address, &code]);
    let (_desk, line) = start(join_command);
    assert_eq!(line, format!("joined {address} as desk-far"));

    for bib in 1..=3 {
        check_in(&desk, "desk-far", &bib.to_string());
    }
    assert!(until(20, || number(
        &hub_db,
        "SELECT count(*) FROM checkin"
    ) == 3));

    // The cable is pulled mid-morning: the desk goes on checking runners
    // in, each acknowledged from its own file, and says what waits.
    hosts.desk_link(false);
    for bib in 4..=13 {
        check_in(&desk, "desk-far", &bib.to_string());
    }
    assert!(
        until(30, || sync_status(&desk)["connected"] == false),
        "the desk says it lost the hub: {}",
        sync_status(&desk)
    );
    assert_eq!(sync_status(&desk)["waiting_by_kind"]["checkin"], 10);
    assert_eq!(number(&hub_db, "SELECT count(*) FROM checkin"), 3);

    // Plugged back in: everything arrives, once, without anyone's help.
    hosts.desk_link(true);
    assert!(
        until(30, || number(&hub_db, "SELECT count(*) FROM checkin") == 13),
        "the hub has every check-in: {}",
        number(&hub_db, "SELECT count(*) FROM checkin")
    );
    assert!(until(10, || sync_status(&desk)["waiting"] == 0));
    assert_eq!(sync_status(&desk)["connected"], true);
    assert_eq!(checkin_ids(&desk), checkin_ids(&hub_db));
    assert_eq!(
        number(
            &hub_db,
            "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"
        ),
        1
    );
}

#[test]
fn a_new_hub_chosen_when_the_old_one_is_gone_for_good_gets_the_union_of_everything() {
    let dir = tempfile::tempdir().unwrap();
    let old_hub_db = demo(dir.path(), "100");
    let (old_hub, address, code) = hub(&old_hub_db, "127.0.0.1:0");
    let a = dir.path().join("a.racedesk");
    let b = dir.path().join("b.racedesk");
    let a_link = join(&a, "desk-a", &address, &code);
    let b_link = join(&b, "desk-b", &address, &code);
    check_in(&a, "desk-a", "1");
    check_in(&b, "desk-b", "2");
    check_in(&old_hub_db, "hub", "3");
    assert!(until(20, || number(&a, "SELECT count(*) FROM checkin")
        == 3
        && number(&b, "SELECT count(*) FROM checkin") == 3));
    // The old hub's laptop dies for good; the desks go on alone, and
    // each captures what the other has not seen.
    old_hub.kill();
    a_link.kill();
    b_link.kill();
    check_in(&a, "desk-a", "4");
    check_in(&b, "desk-b", "5");
    check_in(&b, "desk-b", "6");

    // The director makes desk A the hub; desk B joins it with its code,
    // keeping its own file: a new epoch, so it brings everything it has.
    let (_new_hub, new_address, new_code) = hub(&a, "127.0.0.1:0");
    let _b_again = join(&b, "desk-b", &new_address, &new_code);
    assert!(
        until(20, || number(&a, "SELECT count(*) FROM checkin") == 6
            && number(&b, "SELECT count(*) FROM checkin") == 6),
        "the new hub and the desk hold all six: {} {}",
        number(&a, "SELECT count(*) FROM checkin"),
        number(&b, "SELECT count(*) FROM checkin")
    );
    assert_eq!(checkin_ids(&a), checkin_ids(&b));
}

#[test]
fn a_station_killed_mid_sync_five_times_sends_everything_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "300");
    let (_hub, address, code) = hub(&hub_db, "127.0.0.1:0");
    let a = dir.path().join("a.racedesk");
    join(&a, "desk-a", &address, &code).kill();
    // 3,000 reads taken in while the link was down: a push of several
    // batches, cut by SIGKILL five times.
    let mut csv = String::from("bib,time\n");
    for i in 0..3_000 {
        csv.push_str(&format!(
            "{},10:{:02}:{:02}.{:03}\n",
            1 + i % 300,
            i / 3600,
            (i / 60) % 60,
            i % 1000
        ));
    }
    let reads = dir.path().join("reads.csv");
    std::fs::write(&reads, csv).unwrap();
    let out = command(&a, "desk-a")
        .args(["reads", "import"])
        .arg(&reads)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let taken = number(&a, "SELECT count(*) FROM passing");
    assert_eq!(taken, 3_000);
    for round in 0..5 {
        let link = join(&a, "desk-a", &address, &code);
        std::thread::sleep(Duration::from_millis(40 * (round + 1)));
        link.kill();
    }
    let _link = join(&a, "desk-a", &address, &code);
    assert!(
        until(30, || number(&hub_db, "SELECT count(*) FROM passing")
            == taken),
        "every read reached the hub once: {}",
        number(&hub_db, "SELECT count(*) FROM passing")
    );
    assert!(until(10, || sync_status(&a)["waiting"] == 0));
    for db in [&a, &hub_db] {
        assert_eq!(
            number(
                db,
                "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"
            ),
            1
        );
        assert_eq!(number(db, "SELECT count(DISTINCT id) FROM passing"), taken);
    }
}

/// Who is checked in, as the desk's status says it.
fn checked_in(db: &Path) -> String {
    let out = command(db, "any")
        .args(["checkin", "status", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    status["total"].to_string()
}

#[test]
fn two_offline_desks_check_in_one_runner_and_an_undo_at_one_leaves_the_other_s() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "60");
    let (_hub, address, code) = hub(&hub_db, "127.0.0.1:0");
    let a = dir.path().join("a.racedesk");
    let b = dir.path().join("b.racedesk");
    // Both desks check the same runner in while neither reaches the hub.
    join(&a, "desk-a", &address, &code).kill();
    join(&b, "desk-b", &address, &code).kill();
    check_in(&a, "desk-a", "7");
    check_in(&b, "desk-b", "7");
    let _a = join(&a, "desk-a", &address, &code);
    let _b = join(&b, "desk-b", &address, &code);
    assert!(until(20, || [&a, &b, &hub_db]
        .iter()
        .all(|db| number(db, "SELECT count(*) FROM checkin") == 2)));
    // Checked in once everywhere, both rows kept.
    for db in [&a, &b, &hub_db] {
        assert!(
            checked_in(db).contains("\"checkedIn\":1"),
            "{}",
            checked_in(db)
        );
    }
    // Desk A takes its check-in back: desk B's still stands, everywhere.
    let out = command(&a, "desk-a")
        .args(["checkin", "7", "--undo", "--desk", "desk-a"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(until(20, || [&a, &b, &hub_db]
        .iter()
        .all(|db| number(db, "SELECT count(*) FROM checkin") == 3)));
    for db in [&a, &b, &hub_db] {
        assert!(
            checked_in(db).contains("\"checkedIn\":1"),
            "{}",
            checked_in(db)
        );
    }
    assert_eq!(checked_in(&a), checked_in(&hub_db));
    assert_eq!(checked_in(&b), checked_in(&hub_db));
}

/// A raw HTTPS client that trusts any certificate: a stranger on the
/// venue's WiFi, or a station whose requests we write by hand.
fn stranger() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .no_proxy()
        .build()
        .unwrap()
}

/// One value a query gives, read from a file another part of the test
/// (or another process) may be writing.
async fn scalar<T>(db: &Path, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + Unpin,
{
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .unwrap();
    let value = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    value
}

/// A station's credential, as its file keeps it.
async fn credential(db: &Path) -> String {
    scalar(db, "SELECT credential FROM sync_link").await
}

async fn count(file: &racedesk::EventFile, table: &str) -> i64 {
    scalar(file.path(), &format!("SELECT count(*) FROM {table}")).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hub_refuses_strangers_forgeries_other_events_and_floods_and_keeps_serving() {
    let event = TestEvent::new().await;
    event.add_runner("1", "MAR").await;
    event.add_runner("2", "MAR").await;
    let hub = racedesk::sync::share(&event.file, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("https://{}", hub.address());
    let code = hub.code().to_string();
    let protocol = racedesk::sync::wire::protocol();
    let event_id: String = scalar(&event.path(), "SELECT hex(uid) FROM event").await;

    // Two real stations join.
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.racedesk");
    let b = dir.path().join("b.racedesk");
    let address = hub.address().to_string();
    let a_file = racedesk::sync::join(&a, &address, &code, "desk-a", "Desk A", "desk")
        .await
        .unwrap();
    let b_file = racedesk::sync::join(&b, &address, &code, "desk-b", "Desk B", "desk")
        .await
        .unwrap();
    a_file.close().await;
    b_file.close().await;
    let a_credential = credential(&a).await;

    // A code typed wrong, and a code of the same hub that is not the
    // current one: refused, nothing joined.
    let mut wrong = code.clone().into_bytes();
    let last = wrong.len() - 1;
    wrong[last] = if wrong[last] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();
    let refused = racedesk::sync::join(
        &dir.path().join("c.racedesk"),
        &address,
        &wrong,
        "desk-c",
        "C",
        "desk",
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("join code"), "{refused}");
    assert!(!dir.path().join("c.racedesk").exists());

    // A code whose first character is wrong names another certificate:
    // the hub at this address is not the hub of that code, and nothing is
    // sent to it.
    let mut other = code.clone().into_bytes();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    let other = String::from_utf8(other).unwrap();
    let refused = racedesk::sync::join(
        &dir.path().join("c.racedesk"),
        &address,
        &other,
        "desk-c",
        "C",
        "desk",
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused.said().map(|s| s.key),
        Some("sync.wrong_hub"),
        "{refused}"
    );
    assert!(!dir.path().join("c.racedesk").exists());

    // A station name of 101 characters, and an address that is none.
    let long = "x".repeat(101);
    let refused = racedesk::sync::join(
        &dir.path().join("c.racedesk"),
        &address,
        &code,
        "desk-c",
        &long,
        "desk",
    )
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("at most 100 characters"),
        "{refused}"
    );
    assert!(!dir.path().join("c.racedesk").exists());
    let refused = racedesk::sync::join(
        &dir.path().join("c.racedesk"),
        "no such place",
        &code,
        "desk-c",
        "C",
        "desk",
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("no such place"), "{refused}");
    let out = command(&event.path(), "hub")
        .args(["hub", "--listen", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--listen"),
        "{}",
        text(&out.stderr)
    );

    let client = stranger();
    let rows_of = |station: &str, id: &str| {
        // A check-in row as it travels (see sync::facts::TABLES).
        let checkin = serde_json::json!([[
            id,
            "00",
            "in",
            null,
            station,
            999,
            "Desk",
            "volunteer",
            1_800_000_000_000i64,
            null
        ]]);
        serde_json::json!({
            "event": event_id,
            "report": { "sent_ms": 0, "offset_ms": null, "waiting": 0 },
            "rows": {
                "entrants": "[]",
                "tables": ["[]", "[]", checkin.to_string(), "[]", "[]", "[]", "[]"],
            },
        })
    };
    let push = |credential: &str, station: &str, body: serde_json::Value, protocol: &str| {
        client
            .post(format!("{base}/v1/push"))
            .header("x-racedesk-protocol", protocol)
            .header("x-racedesk-station", station)
            .bearer_auth(credential)
            .json(&body)
            .send()
    };
    let before = count(&event.file, "checkin").await;

    // A device that never joined.
    let answer = push("", "desk-x", rows_of("desk-x", "x1"), &protocol)
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    // A joined station's id with another's credential.
    let answer = push(&a_credential, "desk-b", rows_of("desk-b", "x2"), &protocol)
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    // Another racedesk version.
    let answer = push(
        &a_credential,
        "desk-a",
        rows_of("desk-a", "x3"),
        "racedesk 0.0.1 schema 1",
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 409);
    let refusal: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(refusal["code"], "version", "{refusal}");
    // Rows of another event.
    let mut other = rows_of("desk-a", "x4");
    other["event"] = serde_json::json!("00112233445566778899AABBCCDDEEFF");
    let answer = push(&a_credential, "desk-a", other, &protocol)
        .await
        .unwrap();
    assert_eq!(answer.status(), 409);
    // Rows that are not rows.
    let mut junk = rows_of("desk-a", "x5");
    junk["rows"]["tables"][2] = serde_json::json!("this is not JSON");
    let answer = push(&a_credential, "desk-a", junk, &protocol)
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "{:?}", answer.text().await);
    // A station forging a row in another joined station's name: the row
    // is left out and counted.
    let answer = push(&a_credential, "desk-a", rows_of("desk-b", "x6"), &protocol)
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let pushed: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(pushed["refused"], 1, "{pushed}");
    assert_eq!(pushed["added"], 0, "{pushed}");
    // 100 MB in one request: refused before it is read whole.
    let flood = vec![b' '; 100 * 1024 * 1024];
    let answer = client
        .post(format!("{base}/v1/push"))
        .header("x-racedesk-protocol", &protocol)
        .header("x-racedesk-station", "desk-a")
        .bearer_auth(&a_credential)
        .header("content-type", "application/json")
        .body(flood)
        .send()
        .await;
    if let Ok(answer) = answer {
        assert_eq!(answer.status(), 413);
    }
    assert_eq!(
        count(&event.file, "checkin").await,
        before,
        "nothing written"
    );

    // The station's own row, sent three times and out of order with
    // another: stored once each, the hub's numbering grows by two.
    let uid: String = scalar(&event.path(), "SELECT hex(uid) FROM entrant LIMIT 1").await;
    let row = |id: &str, seq: i64| {
        serde_json::json!([
            id,
            uid,
            "in",
            null,
            "desk-a",
            seq,
            "Desk",
            "v",
            1_800_000_000_000i64,
            null
        ])
    };
    let batch = |rows: Vec<serde_json::Value>| {
        let mut body = rows_of("desk-a", "unused");
        body["rows"]["tables"][2] = serde_json::json!(serde_json::Value::Array(rows).to_string());
        body
    };
    let first = "01900000-0000-7000-8000-000000000001";
    let second = "01900000-0000-7000-8000-000000000002";
    for body in [
        batch(vec![row(second, 2), row(first, 1)]),
        batch(vec![row(first, 1)]),
        batch(vec![row(first, 1), row(second, 2)]),
    ] {
        let answer = push(&a_credential, "desk-a", body, &protocol)
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    }
    assert_eq!(count(&event.file, "checkin").await, before + 2);
    let numbering = count(&event.file, "checkin WHERE rowid > 0").await;
    assert_eq!(numbering, before + 2);

    // The director removes desk A: refused from then on; desk B is served.
    racedesk::sync::remove_station(&event.file, "desk-a")
        .await
        .unwrap();
    let answer = push(
        &a_credential,
        "desk-a",
        batch(vec![row(first, 1)]),
        &protocol,
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 403);
    let b_credential = credential(&b).await;
    let answer = client
        .post(format!("{base}/v1/pull"))
        .header("x-racedesk-protocol", &protocol)
        .header("x-racedesk-station", "desk-b")
        .bearer_auth(&b_credential)
        .json(&serde_json::json!({
            "event": event_id,
            "report": { "sent_ms": 0, "offset_ms": null, "waiting": 0 },
            "after": { "facts": [], "entrants": 0 },
            "limit": 100,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let pulled: serde_json::Value = answer.json().await.unwrap();
    assert!(
        pulled["rows"]["tables"][2]
            .as_str()
            .unwrap()
            .contains(first),
        "{pulled}"
    );
    hub.stop();

    // Sharing again gives a new code (the same certificate, a new
    // secret): the old code is refused, and nothing is joined.
    let again = racedesk::sync::share(&event.file, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_ne!(again.code().to_string(), code);
    let reused = racedesk::sync::join(
        &dir.path().join("d.racedesk"),
        &again.address().to_string(),
        &code,
        "desk-d",
        "D",
        "desk",
    )
    .await
    .unwrap_err();
    assert!(reused.to_string().contains("join code"), "{reused}");
    assert!(!dir.path().join("d.racedesk").exists());
    again.stop();
}

/// Edits a station's file as that station, while its link is stopped.
fn edit_at<F, Fut>(db: &Path, station: &str, edit: F)
where
    F: FnOnce(racedesk::EventFile) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    blocking(async {
        let file = racedesk::EventFile::open(db)
            .await
            .unwrap()
            .writes_as(station);
        edit(file.clone()).await;
        file.close().await;
    });
}

async fn change_runner(
    file: &racedesk::EventFile,
    bib: &str,
    change: impl FnOnce(&mut racedesk::roster::EntrantForm),
) {
    let event = racedesk::setup::event(file).await.unwrap();
    let runner = racedesk::roster::entrant(file, &racedesk::model::Bib::parse(bib).unwrap())
        .await
        .unwrap();
    let mut form = racedesk::roster::EntrantForm::from_entrant(&runner, event.date);
    change(&mut form);
    racedesk::roster::save_entrant(file, Some(bib), &form, "volunteer")
        .await
        .unwrap();
}

/// What every station must agree on: each runner (by uid) with their bib,
/// race and fields, and each race (by uid) with its details.
fn setup_of(db: &Path) -> String {
    blocking(scalar(
        db,
        "SELECT (SELECT group_concat(line, char(10)) FROM (SELECT hex(e.uid) || ' ' || e.bib
                    || ' ' || r.code || ' ' || coalesce(e.city, '') || ' ' || coalesce(e.phone, '')
                    || ' ' || e.given_name AS line
                  FROM entrant e JOIN race r ON r.id = e.race_id ORDER BY e.uid))
             || char(10) ||
             (SELECT group_concat(line, char(10)) FROM (SELECT hex(uid) || ' ' || code || ' '
                    || name || ' ' || coalesce(bibs, '') AS line FROM race ORDER BY uid))",
    ))
}

async fn add_race(file: &racedesk::EventFile, code: &str, name: &str, bibs: &str) {
    let race = racedesk::setup::RaceForm {
        code: code.into(),
        name: name.into(),
        distance_m: 1000,
        age_groups: "open".into(),
        bibs: bibs.into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    racedesk::setup::add_race(file, &race, "director")
        .await
        .unwrap();
}

fn open_conflicts(db: &Path) -> i64 {
    number(
        db,
        "SELECT count(*) FROM entrant_conflict WHERE resolved_ms IS NULL",
    )
}

#[test]
fn setup_edits_made_at_offline_stations_land_the_same_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "60");
    let (_hub, address, code) = hub(&hub_db, "127.0.0.1:0");
    let a = dir.path().join("a.racedesk");
    let b = dir.path().join("b.racedesk");
    join(&a, "desk-a", &address, &code).kill();
    join(&b, "desk-b", &address, &code).kill();
    let marathoners: Vec<String> = blocking(scalar::<String>(
        &hub_db,
        "SELECT group_concat(bib, ' ') FROM (SELECT e.bib FROM entrant e JOIN race r
             ON r.id = e.race_id WHERE r.code = 'MAR' ORDER BY e.id LIMIT 4)",
    ))
    .split(' ')
    .map(String::from)
    .collect();
    let [m0, m1, m2, m3] = [0, 1, 2, 3].map(|i| marathoners[i].clone());

    // Desk A, offline: a bib changed, a runner moved to the 10 km, and a
    // bib that desk B also hands out.
    let (m0_a, m1_a) = (m0.clone(), m1.clone());
    edit_at(&a, "desk-a", |file| async move {
        let (m0, m1) = (m0_a, m1_a);
        change_runner(&file, &m0, |f| f.bib = "900".into()).await;
        change_runner(&file, &m1, |f| {
            f.race = "10K".into();
            f.bib = "2900".into();
            f.reason = "asked at the desk".into();
        })
        .await;
        change_runner(&file, &m2, |f| f.bib = "950".into()).await;
        add_race(&file, "1K", "1 km kids", "5000-5099").await;
    });
    check_in(&a, "desk-a", "900");
    // Desk B, offline: another field of the same runner, the same bib for
    // another runner, a race renamed.
    let (m0_, m3_) = (marathoners[0].clone(), m3.clone());
    edit_at(&b, "desk-b", |file| async move {
        change_runner(&file, &m0_, |f| f.city = "Kaesong".into()).await;
        change_runner(&file, &m3_, |f| f.bib = "950".into()).await;
        let mut race = racedesk::setup::races(&file)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.race.code.as_str() == "5K")
            .unwrap()
            .race;
        race.name = "5 km fun run".into();
        racedesk::setup::update_race(&file, &race.code.clone(), &race, "director")
            .await
            .unwrap();
        // The same code as desk A's new race, made later.
        add_race(&file, "1K", "1 km family", "5100-5199").await;
    });
    check_in(&b, "desk-b", "950");
    // The director, at the hub, adds a race while the desks are away.
    edit_at(&hub_db, "hub", |file| async move {
        let race = racedesk::setup::RaceForm {
            code: "3K".into(),
            name: "3 km".into(),
            distance_m: 3000,
            age_groups: "open".into(),
            bibs: "4000-4999".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        racedesk::setup::add_race(&file, &race, "director")
            .await
            .unwrap();
    });
    // The hub as it is now, for the same day without a network (below).
    let stick = dir.path().join("stick");
    let by_hand = blocking(async {
        let file = racedesk::EventFile::open(&hub_db).await.unwrap();
        let copy = racedesk::backup::backup(&file, &stick).await.unwrap();
        file.close().await;
        copy
    });

    let _a = join(&a, "desk-a", &address, &code);
    let _b = join(&b, "desk-b", &address, &code);
    assert!(
        until(30, || [&a, &b, &hub_db].iter().all(|db| number(
            db,
            "SELECT count(*) FROM setup_change WHERE station <> 'local'"
        ) == 9)),
        "every edit on every station: {:?} {} {}",
        [&a, &b, &hub_db].map(|db| number(
            db,
            "SELECT count(*) FROM setup_change WHERE station <> 'local'"
        )),
        sync_status(&a),
        sync_status(&b)
    );
    // The same bib typed at two desks: kept aside at the hub, not dropped.
    assert!(until(10, || open_conflicts(&hub_db) == 1));
    let uid: String = blocking(scalar(
        &hub_db,
        "SELECT hex(uid) FROM entrant_conflict WHERE resolved_ms IS NULL",
    ));
    let out = command(&hub_db, "hub")
        .args(["conflicts", "resolve", &uid, "--bib", "951"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        until(30, || [&a, &b, &hub_db]
            .iter()
            .all(|db| open_conflicts(db) == 0)
            && setup_of(&a) == setup_of(&hub_db)
            && setup_of(&b) == setup_of(&hub_db)),
        "the same setup everywhere:\nA {}\nB {}\nhub {}",
        setup_of(&a),
        setup_of(&b),
        setup_of(&hub_db)
    );
    let setup = setup_of(&hub_db);
    let line = |bib: &str| {
        setup
            .lines()
            .find(|l| l.split(' ').nth(1) == Some(bib))
            .unwrap_or_default()
            .to_owned()
    };
    // Both desks' edits of one runner hold: A's bib and B's city.
    assert!(line("900").contains(" MAR Kaesong "), "{setup}");
    assert!(line("2900").contains(" 10K "), "{setup}");
    assert!(
        !line("950").is_empty() && !line("951").is_empty(),
        "{setup}"
    );
    assert!(setup.contains(" 3K 3 km 4000-4999"), "{setup}");
    assert!(setup.contains(" 5K 5 km fun run "), "{setup}");
    assert!(line(&m1).is_empty() && line(&m0).is_empty(), "{setup}");
    // Audited at the hub with the station each edit was made at.
    assert_eq!(
        number(
            &hub_db,
            "SELECT count(*) FROM audit WHERE station = 'desk-a' AND entity = 'entrant'"
        ),
        3
    );
    assert_eq!(
        number(
            &a,
            "SELECT count(*) FROM audit WHERE station = 'desk-b' AND entity = 'race'"
        ),
        2
    );
    assert_eq!(checked_in(&a), checked_in(&hub_db));
    assert!(
        checked_in(&hub_db).contains("\"checkedIn\":2"),
        "{}",
        checked_in(&hub_db)
    );

    // Two races made under one code: desk A's, made first, keeps it
    // everywhere; desk B's goes by a code of its own, the same everywhere,
    // and is shown to the director until renamed.
    let family: String = blocking(scalar(
        &b,
        "SELECT code FROM race WHERE name = '1 km family'",
    ));
    assert!(family.starts_with("1K-") && family.len() == 7, "{family}");
    for db in [&a, &b, &hub_db] {
        assert!(
            setup_of(db).contains(" 1K 1 km kids 5000-5099"),
            "{}",
            setup_of(db)
        );
        let listed = racedesk_at(db, "director", &["conflicts"]);
        assert!(
            listed.contains(&format!("race {family}\twas given 1K at desk-b\t1 km family\t0 runners\t1K held here by 1 km kids")),
            "{listed}"
        );
    }
    racedesk_at(
        &hub_db,
        "hub",
        &["race", "edit", &family, "--code", "1KFAM"],
    );
    assert!(
        until(10, || [&a, &b, &hub_db].iter().all(|db| {
            setup_of(db).contains(" 1KFAM 1 km family ")
                && racedesk_at(db, "director", &["conflicts", "--format", "json"])
                    .contains("\"races\": []")
        })),
        "renamed everywhere:\n{}\n{}",
        setup_of(&a),
        racedesk_at(&a, "director", &["conflicts", "--format", "json"])
    );

    // The director renames a race at the hub from the command line while
    // every laptop is joined: the desks have it at once.
    racedesk_at(
        &hub_db,
        "hub",
        &["race", "edit", "10K", "--name", "10 km road"],
    );
    let out = command(&hub_db, "hub")
        .args(["race", "edit", "NOPE", "--name", "x"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a race that is not there is bad input"
    );
    assert!(
        text(&out.stderr).contains("there is no race NOPE"),
        "{}",
        text(&out.stderr)
    );
    assert!(until(10, || [&a, &b]
        .iter()
        .all(|db| setup_of(db).contains(" 10K 10 km road "))));

    // Without a network: the hub's earlier copy merged with the desks'
    // files (carried on a stick) holds what the sync gave.
    for desk in [&a, &b] {
        let out = command(&by_hand, "director")
            .args(["merge"])
            .arg(desk)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(open_conflicts(&by_hand), 0);
    assert_eq!(setup_of(&by_hand), setup_of(&hub_db));
    // (station, seq) is one cursor over everything a station captured or
    // edited: no number given twice.
    let numbered = crate::support::FACT_TABLES
        .map(|t| format!("SELECT station, seq FROM {t}"))
        .join(" UNION ALL ");
    assert_eq!(
        number(&hub_db, &format!("SELECT count(*) FROM ({numbered})")),
        number(
            &hub_db,
            &format!("SELECT count(*) FROM (SELECT DISTINCT station, seq FROM ({numbered}))")
        )
    );
    assert_eq!(facts_of(&by_hand), facts_of(&hub_db));
    assert_eq!(checked_in(&by_hand), checked_in(&hub_db));

    // Whatever writes in a joined copy writes as the station it joined as,
    // whatever this process would call itself: the hub knows its rows.
    let bib: String = blocking(scalar(
        &a,
        "SELECT e.bib FROM entrant e JOIN race r ON r.id = e.race_id
         WHERE r.code = 'HALF' ORDER BY e.id LIMIT 1",
    ));
    racedesk_at(&a, "some-other-name", &["checkin", &bib]);
    let station: String = blocking(scalar(
        &a,
        "SELECT station FROM checkin ORDER BY rowid DESC LIMIT 1",
    ));
    assert_eq!(station, "desk-a");
}

/// The ids of every fact a file holds, table by table.
fn facts_of(db: &Path) -> String {
    crate::support::FACT_TABLES
        .iter()
        .map(|t| {
            blocking(scalar::<String>(
                db,
                &format!("SELECT coalesce(group_concat(id, ' '), '') FROM (SELECT id FROM {t} ORDER BY id)"),
            ))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn racedesk_at(db: &Path, station: &str, args: &[&str]) -> String {
    let out = command(db, station).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_desk_offline_for_an_hour_with_5000_check_ins_and_200_walk_ups_catches_up_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "6000");
    let (_hub, address, code) = hub(&hub_db, "127.0.0.1:0");
    let a = dir.path().join("a.racedesk");
    let b = dir.path().join("b.racedesk");
    let link_a = join(&a, "desk-a", &address, &code);
    let link_b = join(&b, "desk-b", &address, &code);
    // The director gives each desk its walk-up bibs; they reach the desks.
    let given = racedesk_at(&hub_db, "hub", &["race", "give-blocks", "--size", "100"]);
    assert_eq!(given.lines().count(), 8, "{given}");
    assert!(until(20, || [&a, &b].iter().all(|db| {
        racedesk_at(db, "any", &["race", "blocks"]).lines().count() == 8
    })));
    link_a.kill();
    link_b.kill();

    // An hour without the hub: 5,000 check-ins and 200 walk-ups at desk A
    // (100 in the marathon, 100 in the 10 km), 50 walk-ups at desk B, each
    // acknowledged from the desk's own file.
    let bibs: Vec<String> = blocking(scalar::<String>(
        &hub_db,
        "SELECT group_concat(bib, ' ') FROM (SELECT bib FROM entrant ORDER BY id LIMIT 5000)",
    ))
    .split(' ')
    .map(String::from)
    .collect();
    let walk_ups = |station: &'static str, races: &'static [&'static str], each: usize| {
        move |file: racedesk::EventFile| async move {
            let desk = racedesk::checkin::Desk {
                id: station.into(),
                name: station.into(),
                operator: "volunteer".into(),
            };
            for race in races {
                for n in 0..each {
                    let bib = racedesk::checkin::suggest_bib(&file, race)
                        .await
                        .unwrap()
                        .expect("a bib of the desk's block");
                    let form = racedesk::roster::EntrantForm {
                        bib,
                        first_name: format!("Walker{n}"),
                        last_name: station.to_uppercase(),
                        gender: "F".into(),
                        race: (*race).into(),
                        age: "30".into(),
                        ..Default::default()
                    };
                    racedesk::checkin::register_walk_up(&file, &form, &desk, None)
                        .await
                        .unwrap();
                }
            }
        }
    };
    edit_at(&a, "desk-a", |file| async move {
        let desk = racedesk::checkin::Desk {
            id: "desk-a".into(),
            name: "desk-a".into(),
            operator: "volunteer".into(),
        };
        for bib in &bibs {
            racedesk::checkin::check_in(&file, bib, &desk, None)
                .await
                .unwrap();
        }
        walk_ups("desk-a", &["MAR", "10K"], 100)(file).await;
    });
    edit_at(&b, "desk-b", walk_ups("desk-b", &["MAR"], 50));
    assert_eq!(
        sync_status(&a)["waiting"],
        5200 + 200,
        "{}",
        sync_status(&a)
    );

    // The link comes back: both desks catch up on their own.
    let _a = join(&a, "desk-a", &address, &code);
    let _b = join(&b, "desk-b", &address, &code);
    assert!(
        until(60, || [&a, &b, &hub_db]
            .iter()
            .all(|db| number(db, "SELECT count(*) FROM checkin") == 5250)
            && sync_status(&a)["waiting"] == 0
            && sync_status(&b)["waiting"] == 0),
        "caught up: {:?} {} {}",
        [&a, &b, &hub_db].map(|db| number(db, "SELECT count(*) FROM checkin")),
        sync_status(&a),
        sync_status(&b)
    );
    // No bib handed out twice: no conflict anywhere, every walk-up kept,
    // each with a bib of its own desk's block.
    for db in [&a, &b, &hub_db] {
        assert_eq!(open_conflicts(db), 0);
        assert_eq!(number(db, "SELECT count(*) FROM entrant"), 6250);
    }
    let blocks = racedesk_at(&hub_db, "hub", &["race", "blocks"]);
    let walkers: String = blocking(scalar(
        &hub_db,
        "SELECT group_concat(r.code || ' ' || e.family_name || ' ' || e.bib, char(10))
         FROM entrant e JOIN race r ON r.id = e.race_id WHERE e.given_name LIKE 'Walker%'",
    ));
    for line in walkers.lines() {
        let [race, station, bib] =
            <[&str; 3]>::try_from(line.split(' ').collect::<Vec<_>>()).unwrap();
        let block = blocks
            .lines()
            .find(|l| l.starts_with(&format!("{race}\t{}\t", station.to_lowercase())))
            .unwrap();
        let ranges = racedesk::model::BibRanges::parse(block.rsplit('\t').next().unwrap()).unwrap();
        assert!(
            ranges.contains(&racedesk::model::Bib::parse(bib).unwrap()),
            "{line} within {block}"
        );
    }
    assert_eq!(checked_in(&a), checked_in(&hub_db));
    assert_eq!(checked_in(&b), checked_in(&hub_db));
    for db in [&a, &b, &hub_db] {
        let ok: String = blocking(scalar(db, "PRAGMA integrity_check"));
        assert_eq!(ok, "ok");
    }
}

/// Waits (at most `within`) for a change of the network after which the
/// link's state is `connected`; says whether one came.
async fn network_said(
    changes: &mut tokio::sync::broadcast::Receiver<racedesk::changes::Change>,
    file: &racedesk::EventFile,
    within: Duration,
    connected: bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, changes.recv()).await {
            Ok(Ok(change)) if change.network => {
                let status = racedesk::sync::status(file).await.unwrap();
                if status.is_some_and(|s| s.connected == connected) {
                    return true;
                }
            }
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(_)) | Err(_) => return false,
        }
    }
}

/// The session says the network moved with no screen asking: when its
/// link hears the hub, and when the hub has been gone long enough to count
/// as not connected, which the clock alone decides (no row is written).
#[test]
fn the_session_says_when_its_hub_is_heard_and_when_it_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo(dir.path(), "50");
    let (hub_process, address, code) = hub(&hub_db, "127.0.0.1:0");
    let desk = dir.path().join("desk.racedesk");
    join(&desk, "desk-a", &address, &code).kill();
    blocking(async {
        let file = racedesk::EventFile::open(&desk).await.unwrap();
        let session = racedesk::session::Session::start(file.clone(), "another-id");
        session.identify().await;
        assert_eq!(session.station(), "desk-a");
        let mut changes = session.changes();
        session.start_link();
        assert!(
            network_said(&mut changes, &file, Duration::from_secs(20), true).await,
            "the link hearing its hub is said"
        );
        hub_process.kill();
        // Not connected after SILENT_AFTER_MS (10 s) of silence.
        assert!(
            network_said(&mut changes, &file, Duration::from_secs(30), false).await,
            "a hub gone silent is said"
        );
        session.close().await;
    });
}
