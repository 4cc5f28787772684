//! Roster import benchmark: a 100,000-entrant CSV made by `demo` (birth
//! dates, countries, tour groups), imported into a fresh event file in
//! this process and by the CLI as a new user runs it (a whole process:
//! start, open, import, close). Two floors, both through SQLite's C API in
//! the same run: the same CSV loaded into a bare table (text columns, no
//! keys, no indexes), and the same rows into the event's own `entrant`
//! table (its unique bibs and chips, its indexes, its checks), which is
//! what SQLite itself needs for this import. Also the bare load through
//! sqlx, the driver racedesk uses. Medians of the runs.
//!
//! Run with `cargo bench --bench import` (`-- --entrants N --runs R` to
//! change the size). Targets: under 1 s in process; the CLI's whole
//! process under 2x the C API's load into the event's own table.

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

    let (mut bare, mut driver, mut schema, mut import, mut cli) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let started = Instant::now();
        let rows = bare_load(&csv, &dir.path().join(format!("bare-{run}.db")))?;
        bare.push(started.elapsed());
        anyhow::ensure!(rows == entrants, "bare load read {rows} rows");
        let started = Instant::now();
        let rows = sqlx_load(&csv, &dir.path().join(format!("sqlx-{run}.db"))).await?;
        driver.push(started.elapsed());
        anyhow::ensure!(rows == entrants, "sqlx load read {rows} rows");

        // The same rows into the event's own entrant table (its keys,
        // checks and indexes) through the C API: what SQLite itself needs.
        let db = dir.path().join(format!("schema-{run}.db"));
        fresh_event(&demo, &db).await?.close().await;
        let started = Instant::now();
        let rows = schema_load(&csv, &db)?;
        schema.push(started.elapsed());
        anyhow::ensure!(rows == entrants, "schema load read {rows} rows");

        // The CLI, as a director runs it: the event and races set up
        // beforehand, the import timed as a whole process.
        let db = dir.path().join(format!("cli-{run}.db"));
        fresh_event(&demo, &db).await?.close().await;
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

        let file = fresh_event(&demo, &dir.path().join(format!("event-{run}.db"))).await?;
        let started = Instant::now();
        let report = roster::import(&file, &csv, &ImportOptions::default(), "bench").await?;
        import.push(started.elapsed());
        anyhow::ensure!(report.added == entrants, "import added {}", report.added);
        file.close().await;
    }
    let (bare, driver, schema, import, cli) = (
        median(bare),
        median(driver),
        median(schema),
        median(import),
        median(cli),
    );
    println!(
        "bare load, SQLite's C API (same file, same settings): {:>7.1} ms",
        ms(bare)
    );
    println!(
        "bare load through sqlx:                               {:>7.1} ms",
        ms(driver)
    );
    println!(
        "the same rows into the event's entrant table, C API:  {:>7.1} ms",
        ms(schema)
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
    println!("ratio whole process: {}", ratios(cli, bare, driver));
    println!(
        "ratio whole process to the C API's load into the event's own table: {:.2}x (target: under 2x)",
        ms(cli) / ms(schema)
    );
    Ok(())
}

/// A new event file with the demo's event and races, as a director has it
/// before importing the roster.
async fn fresh_event(demo: &EventFile, db: &Path) -> anyhow::Result<EventFile> {
    let file = EventFile::create(db).await?;
    setup::init_event(&file, &setup::event(demo).await?, "bench").await?;
    for summary in setup::races(demo).await? {
        setup::add_race(&file, &summary.race, "bench").await?;
    }
    Ok(file)
}

/// The CSV's rows into an event file's `entrant` table through the C API,
/// with the event file's settings (WAL, synchronous=FULL, foreign keys,
/// its cache): no checks of ours, only SQLite's keys, CHECKs and indexes.
fn schema_load(csv_path: &Path, db: &Path) -> anyhow::Result<usize> {
    let bare = Bare::open(db)?;
    bare.exec("PRAGMA cache_size=-65536; PRAGMA foreign_keys=ON")?;
    let mut races = std::collections::HashMap::new();
    let mut list = bare.prepare("SELECT code, id FROM race")?;
    while list.step()? {
        races.insert(list.column_text(0).unwrap_or_default(), list.column_int(1));
    }
    drop(list);
    let mut reader = csv::Reader::from_path(csv_path)?;
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    bare.exec("BEGIN IMMEDIATE")?;
    let mut insert = bare.prepare(
        "INSERT INTO entrant (uid, bib, race_id, given_name, family_name, native_name, gender,
         birth_date, age, nationality, city, team, chip, phone, emergency_contact, medical_note,
         extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
    )?;
    // The roster format's columns: bib, first_name, last_name, native_name,
    // gender, birth_date, age, country, city, group, race, chip, phone,
    // emergency_contact, medical_note.
    for record in &records {
        let field = |i: usize| record.get(i).unwrap_or("");
        insert.blob(1, uuid::Uuid::now_v7().as_bytes())?;
        insert.text(2, field(0))?;
        let race = races.get(field(10)).copied();
        insert.int(
            3,
            race.ok_or_else(|| anyhow::anyhow!("race {}", field(10)))?,
        )?;
        insert.text(4, field(1))?;
        insert.text(5, field(2))?;
        insert.text_or_null(6, field(3))?;
        insert.text(7, field(4))?;
        insert.text_or_null(8, field(5))?;
        insert.int(9, field(6).parse().unwrap_or(0))?;
        for (param, column) in [
            (10, 7),
            (11, 8),
            (12, 9),
            (13, 11),
            (14, 12),
            (15, 13),
            (16, 14),
        ] {
            insert.text_or_null(param, field(column))?;
        }
        insert.run()?;
    }
    drop(insert);
    bare.exec("COMMIT")?;
    Ok(records.len())
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
