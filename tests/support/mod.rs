//! Fixtures: a fresh event file per test, roster files written on the
//! spot, and the CLI binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use racedesk::EventFile;
use racedesk::model::{AgeGroups, BibRanges, Event, EventDate, Race, RaceCode, TimeZone};
use racedesk::roster::{self, ImportOptions, ImportReport};
use racedesk::setup;

/// A migrated event file in its own temporary folder, with the event on
/// 2027-04-11 in Pyongyang and four races:
/// MAR 1-999 + F1-F99, HALF 1000-1999, 10K 2000-2999, 5K 3000-3999.
pub struct TestEvent {
    pub dir: tempfile::TempDir,
    pub file: EventFile,
}

impl TestEvent {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = EventFile::create(&dir.path().join("event.db"))
            .await
            .expect("create event file");
        setup::init_event(&file, &event(), "test")
            .await
            .expect("init event");
        for (code, name, metres, bibs) in [
            ("MAR", "Marathon", 42_195, "1-999,F1-F99"),
            ("HALF", "Half marathon", 21_097, "1000-1999"),
            ("10K", "10 km", 10_000, "2000-2999"),
            ("5K", "5 km", 5_000, "3000-3999"),
        ] {
            let race = Race {
                code: RaceCode::parse(code).unwrap(),
                name: name.into(),
                distance_m: metres,
                age_groups: AgeGroups::parse("five-year").unwrap(),
                bibs: Some(BibRanges::parse(bibs).unwrap()),
                waves: Vec::new(),
                checkpoints: Vec::new(),
                net_time: false,
                cutoff_ms: None,
                overdue_ms: None,
                records: Vec::new(),
            };
            setup::add_race(&file, &race, "test")
                .await
                .expect("add race");
        }
        Self { dir, file }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("event.db")
    }

    /// Writes a file into the test's folder.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write fixture");
        path
    }

    pub async fn import(&self, path: &Path) -> racedesk::Result<ImportReport> {
        roster::import(&self.file, path, &ImportOptions::default(), "test").await
    }

    pub async fn dry_run(&self, path: &Path) -> racedesk::Result<ImportReport> {
        let options = ImportOptions {
            dry_run: true,
            ..ImportOptions::default()
        };
        roster::import(&self.file, path, &options, "test").await
    }

    /// Registers runner `bib` ("Runner {bib}", M, 30) in `race`.
    pub async fn add_runner(&self, bib: &str, race: &str) {
        let form = roster::EntrantForm {
            bib: bib.into(),
            first_name: "Runner".into(),
            last_name: bib.into(),
            gender: "M".into(),
            age: "30".into(),
            race: race.into(),
            ..roster::EntrantForm::default()
        };
        roster::save_entrant(&self.file, None, &form, "test")
            .await
            .expect("add runner");
    }

    pub async fn entrant_count(&self) -> usize {
        roster::entrants(&self.file)
            .await
            .expect("list entrants")
            .len()
    }
}

/// The test event: 2027-04-11 in Pyongyang.
pub fn event() -> Event {
    Event {
        name: "Test Marathon".into(),
        date: EventDate::parse("2027-04-11").unwrap(),
        time_zone: TimeZone::parse("Asia/Pyongyang").unwrap(),
        place: Some("Kim Il Sung Stadium".into()),
    }
}

/// The problems of a rejected import; panics if it was not rejected.
pub fn rejected(result: racedesk::Result<ImportReport>) -> ImportReport {
    match result {
        Err(racedesk::Error::ImportRejected(report)) => *report,
        Err(other) => panic!("expected a rejected import, got the error: {other}"),
        Ok(report) => panic!("expected a rejected import, got success: {report:?}"),
    }
}

/// Whether any problem's text (with row and column) contains `needle`.
pub fn has_problem(report: &ImportReport, row: Option<usize>, needle: &str) -> bool {
    report
        .problems
        .iter()
        .any(|p| (row.is_none() || p.row == row) && p.to_string().contains(needle))
}

/// The `racedesk` binary with its arguments.
/// The tables of captured facts (and setup changes) that travel between
/// copies of an event.
pub const FACT_TABLES: [&str; 8] = [
    "race_start",
    "start_undo",
    "checkin",
    "passing",
    "correction",
    "crossing",
    "runner_status",
    "setup_change",
];

pub fn racedesk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .args(args)
        .env_remove("RACEDESK_DB")
        .output()
        .expect("run racedesk")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The finish-line station the timing and results tests capture with.
pub fn station() -> racedesk::model::Station {
    racedesk::model::Station {
        id: "finish-laptop".into(),
        name: "Finish A".into(),
        operator: "timer".into(),
    }
}

/// Race day (2027-04-11) at this time of day in Pyongyang, in epoch ms.
pub fn at(time: &str) -> i64 {
    racedesk::model::parse_instant(
        time,
        EventDate::parse("2027-04-11").unwrap(),
        TimeZone::parse("Asia/Pyongyang").unwrap(),
    )
    .unwrap()
}

/// A real small disk: a tmpfs mounted on a temporary folder, that a test
/// fills to the last byte and frees again. Mounting needs root, as CI has;
/// elsewhere `SmallDisk::mount` returns `None` and the test says it skipped.
pub struct SmallDisk {
    pub dir: tempfile::TempDir,
    filler: PathBuf,
}

impl SmallDisk {
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root and must be able to mount a tmpfs"
            );
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        let filler = dir.path().join("filler");
        Some(Self { dir, filler })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Fills every free byte with a file of its own.
    pub fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(&self.filler).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        for size in [4096, 512, 1] {
            while file.write_all(&block[..size]).is_ok() {}
        }
        let _ = file.sync_all();
    }

    /// Makes the disk read-only, as a locked stick is.
    pub fn read_only(&self) {
        let done = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(done, "remount read-only");
    }

    /// Frees what `fill` took.
    pub fn free(&self) {
        std::fs::remove_file(&self.filler).expect("remove filler");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}
