//! The `racedesk` command line: each command, its output and its exit
//! status (0 success, 2 bad input, 1 other failure).

use crate::support::{racedesk, text};

fn db(dir: &tempfile::TempDir) -> String {
    dir.path().join("event.db").display().to_string()
}

/// `racedesk --db DB ARGS...`
fn on(db: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--db", db];
    all.extend_from_slice(args);
    racedesk(&all)
}

#[test]
fn a_race_director_sets_up_imports_and_lists_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let out = racedesk(&[
        "--db",
        &db,
        "event",
        "init",
        "--name",
        "Pyongyang Marathon",
        "--date",
        "2027-04-11",
        "--tz",
        "Asia/Pyongyang",
        "--place",
        "Kim Il Sung Stadium",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = racedesk(&[
        "--db",
        &db,
        "race",
        "add",
        "--code",
        "10k",
        "--name",
        "10 km",
        "--distance-m",
        "10000",
        "--age-groups",
        "18-39,40-44,45-49,50-54,55-59,60-64,65-69,70-74,75-79,80+",
        "--bibs",
        "1-999",
        "--checkpoints",
        "5k",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&racedesk(&["--db", &db, "race", "list"]).stdout);
    assert!(
        list.contains("10K")
            && list.contains("1-999")
            && list.contains("80+")
            && list.contains("5k"),
        "{list}"
    );

    let roster = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/roster.csv");
    let roster = roster.to_str().unwrap();
    let out = racedesk(&["--db", &db, "roster", "import", roster, "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("would be added"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        text(&racedesk(&["--db", &db, "roster", "list"]).stdout)
            .lines()
            .count(),
        1,
        "a dry run writes nothing"
    );

    let out = racedesk(&["--db", &db, "roster", "import", roster]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&racedesk(&["--db", &db, "roster", "list", "--format", "csv"]).stdout);
    let header = csv.lines().next().unwrap();
    for column in [
        "bib",
        "first_name",
        "last_name",
        "gender",
        "age",
        "country",
        "race",
        "group",
    ] {
        assert!(
            header.split(',').any(|h| h == column),
            "{column} missing from {header}"
        );
    }
    assert!(csv.contains("박금동"), "{csv}");
    let json: serde_json::Value = serde_json::from_slice(
        &racedesk(&["--db", &db, "roster", "list", "--format", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), csv.lines().count() - 1);
}

#[test]
fn bad_input_exits_2_with_the_problems_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let out = racedesk(&[
        "--db",
        &db,
        "event",
        "init",
        "--name",
        "X",
        "--date",
        "2027-02-30",
        "--tz",
        "Asia/Pyongyang",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--date: '2027-02-30' is not a date"),
        "{}",
        text(&out.stderr)
    );
    let out = racedesk(&[
        "--db",
        &db,
        "event",
        "init",
        "--name",
        "X",
        "--date",
        "2027-04-11",
        "--tz",
        "Mars/Olympus",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a time zone"));

    racedesk(&[
        "--db",
        &db,
        "event",
        "init",
        "--name",
        "X",
        "--date",
        "2027-04-11",
        "--tz",
        "Asia/Pyongyang",
    ]);
    racedesk(&[
        "--db",
        &db,
        "race",
        "add",
        "--code",
        "5K",
        "--name",
        "5 km",
        "--distance-m",
        "5000",
    ]);
    let out = racedesk(&[
        "--db",
        &db,
        "race",
        "add",
        "--code",
        "3K",
        "--name",
        "3 km",
        "--distance-m",
        "3000",
        "--age-groups",
        "18-39,41-50",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("leave a gap"),
        "{}",
        text(&out.stderr)
    );

    let roster = dir.path().join("bad.csv");
    std::fs::write(&roster, "bib,name,gender,race\n1,Anna Berg,F,5K\n2,,Q,5K\n").unwrap();
    let out = racedesk(&["--db", &db, "roster", "import", roster.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("row 3, column C \"gender\": 'Q' is not a gender"),
        "{stderr}"
    );
    assert!(
        stderr.contains("row 3, column B \"name\": a name is required"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(
        text(&racedesk(&["--db", &db, "roster", "list"]).stdout)
            .lines()
            .count(),
        1
    );
}

#[test]
fn missing_and_foreign_files_get_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let out = racedesk(&["--db", missing.to_str().unwrap(), "race", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("there is no event file at"),
        "{}",
        text(&out.stderr)
    );
    assert!(!missing.exists());

    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "shopping list\n").unwrap();
    let out = racedesk(&["--db", notes.to_str().unwrap(), "race", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not an SQLite file"),
        "{}",
        text(&out.stderr)
    );

    let out = racedesk(&["race", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--db FILE"));
}

#[test]
fn a_read_only_event_file_is_refused_clearly() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(
        racedesk(&["--db", &db, "demo", "--entrants", "20"])
            .status
            .success()
    );
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    // Root writes through file permissions, so run the CLI as nobody there.
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| text(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut command = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_racedesk"),
        ]);
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_racedesk"))
    };
    let out = command
        .args([
            "--db",
            &db,
            "race",
            "add",
            "--code",
            "1K",
            "--name",
            "1 km",
            "--distance-m",
            "1000",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot be written"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn demo_is_deterministic_and_realistic() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    for path in [&a, &b] {
        let out = racedesk(&["--db", path.to_str().unwrap(), "demo", "--entrants", "400"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let list = |path: &std::path::Path| {
        text(&racedesk(&["--db", path.to_str().unwrap(), "roster", "list"]).stdout)
    };
    let (first, second) = (list(&a), list(&b));
    assert_eq!(first, second);
    assert_eq!(first.lines().count(), 401);
    let races = text(&racedesk(&["--db", a.to_str().unwrap(), "race", "list"]).stdout);
    for code in ["MAR", "HALF", "10K", "5K"] {
        assert!(races.contains(code), "{races}");
    }
    // Local runners with Hangul names beside their romanisation, foreign
    // runners in tour groups, from many countries.
    assert!(
        first
            .lines()
            .any(|l| l.contains(",PRK,")
                && l.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)))
    );
    assert!(first.contains("Koryo Tours"));
    let countries: std::collections::HashSet<&str> = first
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(7))
        .collect();
    assert!(countries.len() >= 10, "{countries:?}");
    // A demo over an existing file is refused.
    let out = racedesk(&["--db", a.to_str().unwrap(), "demo"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_desk_checks_in_undoes_and_counts_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let run = |args: &[&str]| on(&db, args);
    assert!(run(&["demo", "--entrants", "120"]).status.success());

    let out = run(&["checkin", "search", "007", "--limit", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    assert!(line.starts_with("7\t"), "{line}");
    assert!(
        line.trim_end().ends_with("\t-"),
        "not checked in yet: {line}"
    );

    let out = run(&[
        "checkin",
        "7",
        "--desk",
        "Desk 1",
        "--note",
        "collected by leader",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("checked in 7 "),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["checkin", "7", "--desk", "Desk 2"]);
    assert!(out.status.success());
    let again = text(&out.stdout);
    assert!(
        again.contains("already checked in") && again.contains("Desk 1"),
        "{again}"
    );

    let out = run(&["checkin", "status", "--format", "csv"]);
    let csv = text(&out.stdout);
    assert!(
        csv.starts_with("kind,name,checked_in,expected\ntotal,,1,120\n"),
        "{csv}"
    );

    let out = run(&["checkin", "7", "--undo"]);
    assert!(
        text(&out.stdout).starts_with("check-in undone: 7 "),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["checkin", "status", "--format", "json"]);
    let counts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts["total"]["checkedIn"], 0);
    assert_eq!(counts["total"]["expected"], 120);

    let out = run(&["checkin", "4242"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no runner with bib 4242"));
}

#[test]
fn a_tour_group_is_checked_in_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let run = |args: &[&str]| on(&db, args);
    assert!(run(&["demo", "--entrants", "120"]).status.success());
    let out = run(&["checkin", "status", "--format", "json"]);
    let counts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let group = counts["groups"][0]["name"].as_str().unwrap().to_owned();
    let expected = counts["groups"][0]["expected"].as_i64().unwrap();

    let out = run(&["checkin", "group", &group]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("{expected} checked in now")),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["checkin", "group", &group, "--list"]);
    let listed = text(&out.stdout);
    assert_eq!(listed.lines().count() as i64, expected);
    assert!(listed.lines().all(|l| !l.ends_with("\t-")), "{listed}");

    let out = run(&["checkin", "status", "--missing", "--group", &group]);
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "only the header is left"
    );
}

#[test]
fn a_timer_starts_records_corrects_and_lists_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "60"]).status.success());
    let out = on(&db, &["start", "MAR", "--at", "08:00:00"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "started MAR at 08:00:00.000");
    let out = on(&db, &["start", "MAR", "--at", "8 am"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--at"), "{}", text(&out.stderr));
    // A start taken back, then given again without a reason.
    let out = on(&db, &["start", "MAR", "--undo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "start of MAR undone");
    let out = on(&db, &["start", "MAR", "--undo"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("MAR has no start to undo"),
        "{}",
        text(&out.stderr)
    );
    let out = on(&db, &["start", "MAR", "--at", "08:00:00"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .args(["--db", &db, "record"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"7\n\n12 10:30:00.5\n9 not-a-time\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let acks = text(&out.stdout);
    let lines: Vec<&str> = acks.lines().collect();
    assert_eq!(lines.len(), 3, "{acks}");
    assert!(lines[0].starts_with("ok ") && lines[0].split(' ').nth(2) == Some("7"));
    assert_eq!(
        lines[1].split(' ').nth(2),
        Some("-"),
        "an empty line is a tap"
    );
    assert!(lines[2].ends_with(" 12 10:30:00.500"), "{}", lines[2]);
    assert_eq!(out.status.code(), Some(2), "a bad line is reported");
    assert!(
        text(&out.stderr).contains("line 4:"),
        "{}",
        text(&out.stderr)
    );

    let tap = lines[1].split(' ').nth(1).unwrap().to_owned();
    let out = on(&db, &["correct", "bib", &tap, "15"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = on(
        &db,
        &[
            "correct",
            "insert",
            "20",
            "11:00:00",
            "--reason",
            "seen on video",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = on(&db, &["correct", "status", "5", "DNF", "--reason", "bus"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        on(&db, &["correct", "status", "5", "MAYBE"]).status.code(),
        Some(2)
    );
    let out = on(&db, &["correct", "status", "99999", "DQ", "--reason", "x"]);
    assert_eq!(out.status.code(), Some(2), "a bib nobody has");
    assert!(text(&out.stderr).contains("no runner with bib 99999"));
    // A date far from race day is a typo, refused; one near it is shown.
    let out = on(&db, &["start", "HALF", "--at", "0000-03-28T08:00:00"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("days from race day"),
        "{}",
        text(&out.stderr)
    );
    let out = on(&db, &["start", "HALF", "--at", "2027-04-10T23:00:00Z"]);
    assert_eq!(text(&out.stdout).trim(), "started HALF at 08:00:00.000");
    let out = on(&db, &["start", "5K", "--at", "2027-04-10T08:00:00"]);
    assert_eq!(
        text(&out.stdout).trim(),
        "started 5K at 2027-04-10T08:00:00.000"
    );

    let reads_file = dir.path().join("reads.csv");
    std::fs::write(&reads_file, "bib,time\n30,10:40:00\n31,10:41:00\n").unwrap();
    let reads_path = reads_file.display().to_string();
    let out = on(&db, &["reads", "import", &reads_path]);
    assert_eq!(
        text(&out.stdout).trim(),
        "2 reads: 2 added, 0 already in the file"
    );
    let out = on(&db, &["reads", "import", &reads_path]);
    assert_eq!(
        text(&out.stdout).trim(),
        "2 reads: 0 added, 2 already in the file"
    );

    let out = on(&db, &["reads", "list", "--format", "csv"]);
    let csv = text(&out.stdout);
    assert!(
        csv.starts_with("id,point,time,bib,chip,station,source,status,flags\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 6, "{csv}");
    assert!(
        csv.contains(&format!("{tap},finish,")) && csv.contains(",15,"),
        "{csv}"
    );
    let out = on(&db, &["reads", "history", &tap]);
    let history: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(history[1]["kind"], "bib");
    assert_eq!(history[1]["bib"], "15");
}

/// Runs `record` with `input` on standard input; its stdout lines.
fn record(db: &str, args: &[&str], input: &str) -> Vec<String> {
    let out = record_bytes(db, args, input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_owned).collect()
}

/// Runs `record` with any bytes on standard input.
fn record_bytes(db: &str, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .args(["--db", db, "record"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn record_refuses_a_line_that_is_not_text_by_its_number_and_reads_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "60"]).status.success());
    let out = record_bytes(
        &db,
        &[],
        b"1 10:00:00\n2\xff 10:01:00\r\n20001 10:02:00\r\n",
    );
    assert_eq!(out.status.code(), Some(2), "a bad line is bad input");
    let acks = text(&out.stdout);
    assert_eq!(acks.lines().count(), 2, "{acks}");
    assert!(acks.contains(" 20001 "), "the line after is read: {acks}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 2: not text") && stderr.contains("column 2"),
        "{stderr}"
    );
}

#[test]
fn record_crossing_keeps_the_place_of_a_line_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "60"]).status.success());
    let taps = "- 10:00:01\n- 10:00:02\n- 10:00:03\n- 10:00:04\n";
    record(&db, &["--point", "10k", "--station", "taps"], taps);
    let out = record_bytes(
        &db,
        &["--point", "10k", "--crossing", "--station", "bibs"],
        b"5\nbad!\n\xff\n6\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let acks: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(acks.len(), 4, "every line keeps its place: {acks:?}");
    assert!(acks[1].ends_with(" - crossing") && acks[2].ends_with(" - crossing"));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: \"bad!\" is not a bib"), "{stderr}");
    assert!(stderr.contains("line 3: not text"), "{stderr}");
    assert!(stderr.contains("kept as an uncaught runner"), "{stderr}");
    // The fourth time goes with bib 6, not the second.
    let pairs: serde_json::Value =
        serde_json::from_slice(&on(&db, &["reads", "pairs", "--point", "10k"]).stdout).unwrap();
    assert_eq!(pairs[3]["bib"], "6", "{pairs}");
    assert_eq!(pairs[1]["bib"], serde_json::Value::Null, "{pairs}");
}

#[test]
fn two_operators_tap_times_and_type_bibs_from_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "60"]).status.success());
    // At the marathon's 10 km checkpoint: one station taps three times,
    // another types the bibs in crossing order, one of them twice.
    let taps = record(
        &db,
        &["--point", "10k", "--station", "10k taps"],
        "- 10:00:01\n- 10:00:02\n- 10:00:04\n",
    );
    assert!(
        taps.iter().all(|l| l.split(' ').nth(2) == Some("-")),
        "{taps:?}"
    );
    let bibs = record(
        &db,
        &["--point", "10k", "--crossing", "--station", "10k bibs"],
        "5\n6\n6\n-\n",
    );
    assert_eq!(bibs.len(), 4, "{bibs:?}");
    assert!(
        bibs[0].starts_with("ok ") && bibs[0].ends_with(" 5 crossing"),
        "{bibs:?}"
    );
    assert!(
        bibs[3].ends_with(" - crossing"),
        "an uncaught bib: {bibs:?}"
    );

    let pairs = |db: &str| -> serde_json::Value {
        serde_json::from_slice(&on(db, &["reads", "pairs", "--point", "10k"]).stdout).unwrap()
    };
    let now = pairs(&db);
    assert_eq!(now.as_array().unwrap().len(), 4);
    assert_eq!(now[2]["bib"], "6");
    assert_eq!(now[3]["flags"][0], "waiting_for_a_time");

    // The second 6 was typed twice; the uncaught runner was tapped late.
    let twice = bibs[2].split(' ').nth(1).unwrap();
    let out = on(&db, &["correct", "drop-bib", twice]);
    assert_eq!(out.status.code(), Some(2), "a reason is required");
    let out = on(
        &db,
        &["correct", "drop-bib", twice, "--reason", "typed twice"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = on(
        &db,
        &[
            "correct",
            "insert-time",
            "10:00:03",
            "--point",
            "10k",
            "--reason",
            "video",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first = bibs[0].split(' ').nth(1).unwrap();
    let out = on(
        &db,
        &[
            "correct",
            "insert-bib",
            "4",
            "--before",
            first,
            "--reason",
            "first across",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let now = pairs(&db);
    let bibs: Vec<_> = now
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["bib"].clone())
        .collect();
    assert_eq!(
        bibs,
        [
            serde_json::json!("4"),
            serde_json::json!("5"),
            serde_json::json!("6"),
            serde_json::Value::Null
        ],
        "{now}"
    );
    assert_eq!(now[3]["time"], "10:00:04.000");
}

#[test]
fn results_are_written_in_every_format_and_a_past_file_is_only_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "80"]).status.success());
    let roster: serde_json::Value =
        serde_json::from_slice(&on(&db, &["roster", "list", "--format", "json"]).stdout).unwrap();
    let five: Vec<String> = roster
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["race"] == "5K")
        .map(|r| r["bib"].as_str().unwrap().to_owned())
        .take(2)
        .collect();
    assert!(
        on(&db, &["start", "5K", "--at", "09:00:00"])
            .status
            .success()
    );
    let acks = record(
        &db,
        &[],
        &format!("{} 09:20:00.2\n{} 09:21:00\n", five[1], five[0]),
    );
    assert_eq!(acks.len(), 2);

    let out = on(&db, &["results", "5K"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("Place,Bib,Name,Hangul name,"), "{csv}");
    assert!(lines[1].starts_with(&format!("1,{},", five[1])), "{csv}");
    assert!(lines[1].contains(",0:20:01,"), "rounded up: {csv}");
    // In Korean: the Korean screen's words.
    let out = on(&db, &["results", "5K", "--language", "ko"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("순위,배번,이름,한글 이름,"),
        "{}",
        text(&out.stdout)
    );
    let out = on(&db, &["results", "5K", "--language", "fr"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("en or ko"),
        "{}",
        text(&out.stderr)
    );

    assert_eq!(
        on(&db, &["results", "--all"]).status.code(),
        Some(2),
        "CSV of all needs a folder"
    );
    let out = on(&db, &["results", "NOPE"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("no race NOPE"),
        "{}",
        text(&out.stderr)
    );
    let folder = dir.path().join("out");
    let out = on(
        &db,
        &["results", "--all", "--out", folder.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(folder.join("MAR.csv").exists() && folder.join("5K.csv").exists());
    for format in ["json", "xlsx", "html", "awards", "certificates"] {
        let path = dir.path().join(format!("all.{format}"));
        let out = on(
            &db,
            &[
                "results",
                "--all",
                "--format",
                format,
                "--out",
                path.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        assert!(std::fs::metadata(&path).unwrap().len() > 100, "{format}");
    }

    // A past event: scored from a copy, the file itself untouched.
    let before = std::fs::read(&db).unwrap();
    let out = on(&db, &["results", "5K", "--read-only", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["rows"][0]["bib"], five[1].as_str());
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file is only read");
}

#[test]
fn the_event_file_alone_holds_every_write_once_a_command_has_ended() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "60"]).status.success());
    let out = on(&db, &["checkin", "5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    record(&db, &[], "7 10:00:00\n");
    for companion in ["-wal", "-shm"] {
        let path = format!("{db}{companion}");
        assert!(
            std::fs::metadata(&path).map_or(true, |m| m.len() == 0),
            "{path} is left with content"
        );
    }
    // The director copies the .db file alone to a stick.
    let stick = tempfile::tempdir().unwrap();
    let copy = stick.path().join("event.db").display().to_string();
    std::fs::copy(&db, &copy).unwrap();
    let status = text(&on(&copy, &["checkin", "status", "--format", "json"]).stdout);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["total"]["checkedIn"], 1, "{status}");
    let reads = text(&on(&copy, &["reads", "list", "--format", "csv"]).stdout);
    assert!(reads.contains(",7,"), "{reads}");
}

#[test]
fn a_file_found_without_its_wal_is_said_to_be_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "20"]).status.success());
    // What a file copied while open, with its -shm but not its -wal, looks like.
    std::fs::write(format!("{db}-shm"), vec![0u8; 32768]).unwrap();
    let out = on(&db, &["event", "show"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("without its -wal file"), "{stderr}");
    // Once opened and closed cleanly, the file is whole again.
    let out = on(&db, &["event", "show"]);
    assert!(!text(&out.stderr).contains("-wal"), "{}", text(&out.stderr));
}

#[test]
fn a_roster_listed_and_imported_again_is_unchanged_and_a_partial_file_changes_only_its_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "60"]).status.success());
    let list = |db: &str| -> Vec<serde_json::Value> {
        serde_json::from_slice(&on(db, &["roster", "list", "--format", "json"]).stdout).unwrap()
    };
    let before = list(&db);
    let marathon: Vec<&serde_json::Value> = before.iter().filter(|e| e["race"] == "MAR").collect();
    let (one, two) = (
        marathon[0]["bib"].as_str().unwrap(),
        marathon[1]["bib"].as_str().unwrap(),
    );
    // A file of bibs and waves only, under a header the import does not
    // know, mapped to the wave.
    let waves = dir.path().join("waves.csv");
    std::fs::write(&waves, format!("bib,Start\n{one},a\n{two},B\n")).unwrap();
    let waves = waves.display().to_string();
    let out = on(&db, &["roster", "import", &waves, "--map", "Start=wave"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = list(&db);
    let find = |list: &[serde_json::Value], bib: &str| {
        list.iter().find(|e| e["bib"] == bib).cloned().unwrap()
    };
    let (old, new) = (find(&before, one), find(&after, one));
    assert_eq!(new["extra"]["wave"], "A", "the race's own spelling: {new}");
    for field in [
        "first_name",
        "last_name",
        "birth_date",
        "age",
        "country",
        "group",
        "chip",
    ] {
        assert_eq!(
            old[field], new[field],
            "{field} is kept when the file has no column for it"
        );
    }
    assert_eq!(find(&after, two)["extra"]["wave"], "B");

    // A wave the race does not have is refused, naming it.
    std::fs::write(dir.path().join("bad.csv"), format!("bib,wave\n{one},Z\n")).unwrap();
    let bad = dir.path().join("bad.csv").display().to_string();
    let out = on(&db, &["roster", "import", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("'Z' is not a wave of MAR; its waves are Elite, A, B"),
        "{}",
        text(&out.stderr)
    );

    // Out and in again: nothing changes, the waves included.
    let csv = text(&on(&db, &["roster", "list", "--format", "csv"]).stdout);
    assert!(
        csv.lines().next().unwrap().ends_with(",medical_note,wave"),
        "{csv}"
    );
    let file = dir.path().join("roster.csv");
    std::fs::write(&file, &csv).unwrap();
    let out = on(&db, &["roster", "import", &file.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!(
            "0 were added, 0 were changed, {} unchanged",
            before.len()
        )),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(list(&db), after);
}

#[test]
fn a_demo_too_big_is_refused_before_any_file_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let out = on(&db, &["demo", "--entrants", "10000000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("1 to 1000000 entrants, not 10000000"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !std::path::Path::new(&db).exists(),
        "nothing is left behind"
    );
    assert!(on(&db, &["demo", "--entrants", "20"]).status.success());
}

#[test]
fn an_empty_file_or_a_pipe_is_never_taken_for_an_event_file_or_a_roster() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let empty = empty.display().to_string();
    let out = on(&empty, &["event", "show"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::metadata(&empty).unwrap().len(),
        0,
        "left as it was"
    );

    let fifo = dir.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo = fifo.display().to_string();
    let out = on(&fifo, &["event", "show"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "20"]).status.success());
    let out = on(&db, &["roster", "import", &fifo]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_damaged_file_is_refused_at_open_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "2000"]).status.success());
    // Random bytes over the start of a page in the middle of the file.
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    let middle = (bytes.len() / page / 2) * page;
    let mut rng = fastrand::Rng::with_seed(15);
    for byte in &mut bytes[middle..middle + 64] {
        *byte = rng.u8(..);
    }
    std::fs::write(&db, &bytes).unwrap();
    let out = on(&db, &["checkin", "5"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is damaged") && stderr.contains("last backup"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "nothing was written");
}

#[test]
fn control_characters_are_refused_in_setup_and_at_the_desk() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let out = on(
        &db,
        &[
            "event",
            "init",
            "--name",
            "Bad\nName",
            "--date",
            "2027-04-11",
            "--tz",
            "Asia/Pyongyang",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("U+000A"),
        "{}",
        text(&out.stderr)
    );
    assert!(on(&db, &["demo", "--entrants", "60"]).status.success());
    let out = on(&db, &["checkin", "5", "--note", "\u{1b}[2J"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("U+001B"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_map_that_names_no_column_and_a_missing_folder_are_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "20"]).status.success());
    let roster = dir.path().join("r.csv");
    std::fs::write(
        &roster,
        "bib,first_name,last_name,gender,race\n1,Ann,Alpha,F,MAR\n",
    )
    .unwrap();
    let roster = roster.display().to_string();
    for (map, says) in [
        ("ZZ=bib", "the column 'ZZ' chosen as bib is not in the file"),
        ("=bib", "names no column"),
    ] {
        let out = on(
            &db,
            &["roster", "import", &roster, "--dry-run", "--map", map],
        );
        assert_eq!(out.status.code(), Some(2), "{map}");
        assert!(
            text(&out.stderr).contains(says),
            "{map}: {}",
            text(&out.stderr)
        );
    }
    let nowhere = dir.path().join("no/such/folder/e.db").display().to_string();
    let out = on(
        &nowhere,
        &[
            "event",
            "init",
            "--name",
            "X",
            "--date",
            "2027-04-11",
            "--tz",
            "Asia/Pyongyang",
        ],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("does not exist")
            && !text(&out.stderr).contains("no event file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn results_and_backups_are_written_whole_or_not_at_all() {
    let Some(disk) = crate::support::SmallDisk::mount("16m") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "3000"]).status.success());
    disk.fill();
    let html = disk.path("results.html").display().to_string();
    let out = on(
        &db,
        &["results", "--all", "--format", "html", "--out", &html],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let folder = disk.path("csv").display().to_string();
    std::fs::create_dir(&folder).ok();
    let out = on(&db, &["results", "--all", "--out", &folder]);
    assert_ne!(out.status.code(), Some(0));
    let backups = disk.path("backups").display().to_string();
    std::fs::create_dir(&backups).ok();
    let out = on(&db, &["backup", "--to", &backups]);
    assert_ne!(out.status.code(), Some(0));
    // Nothing but the filler and the folders: no empty or half file.
    let mut left: Vec<String> = Vec::new();
    for entry in walk(disk.dir.path()) {
        let name = entry.display().to_string();
        if !name.ends_with("filler") && entry.is_file() {
            left.push(name);
        }
    }
    assert!(left.is_empty(), "left behind: {left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(walk(&path));
        }
        all.push(path);
    }
    all
}

#[test]
fn a_file_behind_its_own_last_backup_is_said_to_have_lost_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    assert!(on(&db, &["demo", "--entrants", "60"]).status.success());
    let older = dir.path().join("older.db");
    std::fs::copy(&db, &older).unwrap();
    assert!(on(&db, &["checkin", "5"]).status.success());
    let backups = dir.path().join("backups").display().to_string();
    let out = on(&db, &["backup", "--to", &backups]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The file comes back without its latest writes (a -wal left behind).
    std::fs::copy(&older, &db).unwrap();
    let out = on(&db, &["backup", "--to", &backups]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("holds fewer captured rows than its backup"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_dir(&backups).unwrap().count(),
        1,
        "nothing was backed up"
    );
}

#[test]
fn another_event_of_the_same_name_is_not_taken_for_a_lost_write() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups").display().to_string();
    let first = dir.path().join("a/event.db");
    let second = dir.path().join("b/event.db");
    for db in [&first, &second] {
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    }
    let (first, second) = (first.display().to_string(), second.display().to_string());
    assert!(on(&first, &["demo", "--entrants", "60"]).status.success());
    assert!(on(&first, &["checkin", "5"]).status.success());
    assert!(on(&first, &["backup", "--to", &backups]).status.success());
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(on(&second, &["demo", "--entrants", "60"]).status.success());
    let out = on(&second, &["backup", "--to", &backups]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
