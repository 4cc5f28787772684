//! Roster import benchmark: a 100,000-entrant CSV made by `demo` (birth
//! dates, countries, tour groups), imported into a fresh event file in
//! this process and by the CLI as a new user runs it (a whole process:
//! start, open, import, close), against the same CSV loaded into a bare
//! table (no parsing, no checks, no audit) through SQLite's C API and
//! through sqlx, on the same machine in the same run. Medians of the runs.
//!
//! Run with `cargo bench --bench import` (`-- --entrants N --runs R` to
//! change the size). Targets: under 1 s in process, and the CLI's whole
//! process under 2x the C API's bare load.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use racedesk::roster::{self, ImportOptions};
use racedesk::{EventFile, setup};
use support::{Bare, ratios, sqlx_bare};

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

    let (mut bare, mut driver, mut import, mut cli) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let started = Instant::now();
        let rows = bare_load(&csv, &dir.path().join(format!("bare-{run}.db")))?;
        bare.push(started.elapsed());
        anyhow::ensure!(rows == entrants, "bare load read {rows} rows");
        let started = Instant::now();
        let rows = sqlx_load(&csv, &dir.path().join(format!("sqlx-{run}.db"))).await?;
        driver.push(started.elapsed());
        anyhow::ensure!(rows == entrants, "sqlx load read {rows} rows");

        // The CLI, as a director runs it: the event and races set up
        // beforehand, the import timed as a whole process.
        let db = dir.path().join(format!("cli-{run}.db"));
        let file = EventFile::create(&db).await?;
        setup::init_event(&file, &event, "bench").await?;
        for summary in setup::races(&demo).await? {
            setup::add_race(&file, &summary.race, "bench").await?;
        }
        file.close().await;
        let started = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_racedesk"))
            .arg("--db")
            .arg(&db)
            .args(["roster", "import"])
            .arg(&csv)
            .output()?;
        cli.push(started.elapsed());
        anyhow::ensure!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

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
    let (bare, driver, import, cli) = (median(bare), median(driver), median(import), median(cli));
    println!(
        "bare load, SQLite's C API (same file, same settings): {:>7.1} ms",
        ms(bare)
    );
    println!(
        "bare load through sqlx:                               {:>7.1} ms",
        ms(driver)
    );
    println!(
        "racedesk roster import, in process:                   {:>7.1} ms  (target: under 1000 ms)",
        ms(import)
    );
    println!(
        "`racedesk roster import`, the whole process:          {:>7.1} ms",
        ms(cli)
    );
    println!("ratio in process: {}", ratios(import, bare, driver));
    println!(
        "ratio whole process: {} (target: under 2x the C API)",
        ratios(cli, bare, driver)
    );
    Ok(())
}

/// The same load through sqlx: one prepared INSERT per record, in one
/// transaction.
async fn sqlx_load(csv_path: &Path, db: &Path) -> anyhow::Result<usize> {
    let mut reader = csv::Reader::from_path(csv_path)?;
    let width = reader.headers()?.len();
    let columns: Vec<String> = (0..width).map(|i| format!("c{i} TEXT")).collect();
    let pool = sqlx_bare(db, &format!("CREATE TABLE roster ({})", columns.join(", "))).await?;
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let sql = format!(
        "INSERT INTO roster VALUES ({})",
        vec!["?"; width].join(", ")
    );
    let mut tx = pool.begin().await?;
    for record in &records {
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for field in record.iter() {
            insert = insert.bind(field.to_owned());
        }
        insert.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    pool.close().await;
    Ok(records.len())
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
