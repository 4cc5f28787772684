//! Roster import benchmark: a 100,000-entrant CSV made by `demo`, imported
//! into a fresh event file, against the same CSV loaded into a bare SQLite
//! table (no parsing, no checks, no audit) on the same machine in the same
//! run. Prints both times and their ratio.
//!
//! Run with `cargo bench --bench import` (`-- --entrants N --runs R` to
//! change the size). Targets: under 1 s, and under 3x the bare load.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use racedesk::roster::{self, ImportOptions};
use racedesk::{EventFile, setup};
use support::Bare;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this
    // too, without it, as a quick smoke test of the same code.
    let full = args.iter().any(|a| a == "--bench");
    let (entrants, runs) = if full {
        (flag("--entrants", 100_000), flag("--runs", 5))
    } else {
        (2_000, 1)
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(entrants, runs))
}

async fn run(entrants: usize, runs: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let demo = EventFile::create(&dir.path().join("demo.db")).await?;
    roster::demo(&demo, entrants, "bench").await?;
    let csv = dir.path().join("roster.csv");
    let event = setup::event(&demo).await?;
    roster::write_csv(
        &roster::entrants(&demo).await?,
        event.date,
        std::fs::File::create(&csv)?,
    )?;
    let size = std::fs::metadata(&csv)?.len();
    println!(
        "roster: {entrants} entrants, {:.1} MB of CSV made by `demo`",
        size as f64 / 1e6
    );

    let (mut bare, mut import) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let started = Instant::now();
        let rows = bare_load(&csv, &dir.path().join(format!("bare-{run}.db")))?;
        bare.push(started.elapsed());
        anyhow::ensure!(rows == entrants, "bare load read {rows} rows");

        let file = EventFile::create(&dir.path().join(format!("event-{run}.db"))).await?;
        setup::init_event(&file, &event, "bench").await?;
        for summary in setup::races(&demo).await? {
            setup::add_race(&file, &summary.race, "bench").await?;
        }
        let started = Instant::now();
        let report = roster::import(&file, &csv, &ImportOptions::default(), "bench").await?;
        import.push(started.elapsed());
        anyhow::ensure!(report.added == entrants, "import added {}", report.added);
        file.close().await;
    }
    let (bare, import) = (median(bare), median(import));
    println!(
        "bare SQLite load (same file, same settings): {:>7.1} ms",
        ms(bare)
    );
    println!(
        "racedesk roster import:                      {:>7.1} ms  (target: under 1000 ms)",
        ms(import)
    );
    println!(
        "ratio import / bare load:                    {:>7.2}x    (target: under 3x)",
        ms(import) / ms(bare)
    );
    Ok(())
}

/// The floor: every CSV record inserted as text into a table with one
/// column per field, in one transaction, through the same driver with the
/// same WAL + synchronous=FULL settings as an event file.
fn bare_load(csv_path: &Path, db: &Path) -> anyhow::Result<usize> {
    let bare = Bare::open(db)?;
    bare.exec("PRAGMA cache_size=-65536")?;
    let mut reader = csv::Reader::from_path(csv_path)?;
    let width = reader.headers()?.len();
    let columns: Vec<String> = (0..width).map(|i| format!("c{i} TEXT")).collect();
    bare.exec(&format!("CREATE TABLE roster ({})", columns.join(", ")))?;
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let marks = vec!["?"; width].join(", ");
    bare.exec("BEGIN IMMEDIATE")?;
    let mut insert = bare.prepare(&format!("INSERT INTO roster VALUES ({marks})"))?;
    for record in &records {
        for (i, field) in record.iter().enumerate() {
            insert.text(i32::try_from(i + 1)?, field)?;
        }
        insert.run()?;
    }
    drop(insert);
    bare.exec("COMMIT")?;
    Ok(records.len())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
