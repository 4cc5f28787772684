//! Finish-line benchmarks, each beside a baseline from the same run:
//! 1. tap to durable acknowledgement (`timing::capture` returns after its
//!    COMMIT) against a bare WAL+FULL commit of one row, interleaved;
//! 2. sustained captures through `racedesk record` (one process, one line
//!    per capture, each acknowledged after its COMMIT), against the bare
//!    commit rate;
//! 3. importing a file of 250,000 reads (what a 27,000-runner race gives)
//!    against a bare load of the same CSV into a plain table;
//! 4. the captures as they stand (`timing::reads`, what the finish screen
//!    and the results start from) over all those reads, against a bare
//!    `SELECT` of the same rows in crossing order.
//!
//! `cargo bench --bench timing` (`-- --taps N --record N --reads N`).
//! Targets: p99 under 1.5x the bare commit; at least 1,000 captures per
//! second through `record`; 250,000 reads in under 2 s.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use racedesk::model::Station;
use racedesk::{EventFile, roster, timing};
use support::{Args, Bare, commit_one, ms, percentiles, ratios, sqlx_bare};

fn main() -> anyhow::Result<()> {
    let args = Args::get();
    let taps = args.size("--taps", 1_000, 50);
    let record = args.size("--record", 5_000, 100);
    let reads = args.size("--reads", 250_000, 2_000);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(taps, record, reads))
}

async fn run(taps: usize, record_lines: usize, reads: usize) -> anyhow::Result<()> {
    // On the disk of the target folder, not a tmpfs: a commit is an fsync.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let path = dir.path().join("event.db");
    let file = EventFile::create(&path).await?;
    roster::demo(&file, 30_000, "bench").await?;
    let bare = Bare::open(&dir.path().join("bare.db"))?;
    bare.exec("CREATE TABLE t (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)")?;
    let mut insert = bare.prepare("INSERT INTO t VALUES (?, ?)")?;
    let through_sqlx = sqlx_bare(
        &dir.path().join("sqlx.db"),
        "CREATE TABLE t (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)",
    )
    .await?;
    let station = Station {
        id: "bench".into(),
        name: "Finish".into(),
        operator: "bench".into(),
    };
    let clock = timing::CaptureClock::system();

    // 1. Tap to durable acknowledgement.
    let (mut ours, mut baseline, mut driver) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..taps {
        let t = Instant::now();
        let capture = timing::capture(&file, "finish", clock.now_ms(), None, &station).await?;
        ours.push(t.elapsed());
        std::hint::black_box(capture);

        let t = Instant::now();
        commit_one(&bare, &mut insert, |row| {
            row.text(1, &format!("tap-{k}"))?;
            row.int(2, k as i64)
        })?;
        baseline.push(t.elapsed());

        let t = Instant::now();
        sqlx::query("INSERT INTO t VALUES (?, ?)")
            .bind(format!("tap-{k}"))
            .bind(k as i64)
            .execute(&through_sqlx)
            .await?;
        driver.push(t.elapsed());
    }
    let (p50, p99) = percentiles(&mut ours);
    let (b50, b99) = percentiles(&mut baseline);
    let (d50, d99) = percentiles(&mut driver);
    println!("{taps} taps on a 30,000-entrant event");
    println!(
        "tap to durable ack:            p50 {:>7.3} ms  p99 {:>7.3} ms",
        ms(p50),
        ms(p99)
    );
    println!(
        "bare WAL+FULL commit (1 row):  p50 {:>7.3} ms  p99 {:>7.3} ms",
        ms(b50),
        ms(b99)
    );
    println!(
        "the same through sqlx:         p50 {:>7.3} ms  p99 {:>7.3} ms",
        ms(d50),
        ms(d99)
    );
    println!("ratio p50: {}", ratios(p50, b50, d50));
    println!(
        "ratio p99: {} (target: under 1.3x the C API)",
        ratios(p99, b99, d99)
    );
    file.close().await;

    // 2. Sustained captures through `racedesk record`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_racedesk"))
        .args(["--db", &path.display().to_string(), "record"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
    let stdout = BufReader::new(
        child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
    );
    let started = Instant::now();
    let writer = std::thread::spawn(move || {
        for n in 0..record_lines {
            if writeln!(stdin, "R{n}").is_err() {
                break;
            }
        }
    });
    let acked = stdout
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.starts_with("ok "))
        .count();
    let elapsed = started.elapsed();
    writer.join().ok();
    child.wait()?;
    let rate = acked as f64 / elapsed.as_secs_f64();
    // The raw limit: the same number of one-row commits back to back.
    let t = Instant::now();
    for k in 0..acked {
        commit_one(&bare, &mut insert, |row| {
            row.text(1, &format!("loop-{k}"))?;
            row.int(2, k as i64)
        })?;
    }
    let c_loop = t.elapsed();
    let t = Instant::now();
    for k in 0..acked {
        sqlx::query("INSERT INTO t VALUES (?, ?)")
            .bind(format!("loop-{k}"))
            .bind(k as i64)
            .execute(&through_sqlx)
            .await?;
    }
    let sqlx_loop = t.elapsed();
    println!(
        "record: {acked} captures acknowledged in {:.0} ms = {rate:.0} per second (target >= 1000); {acked} bare commits back to back: {:.0} ms through the C API, {:.0} ms through sqlx",
        ms(elapsed),
        ms(c_loop),
        ms(sqlx_loop)
    );
    println!(
        "ratio record / raw commit loop: {} (target: under 1.5x the C API)",
        ratios(elapsed, c_loop, sqlx_loop)
    );

    // 3. A file of reads.
    let csv = dir.path().join("reads.csv");
    let mut text = String::from("bib,time\n");
    for n in 0..reads {
        let ms = n as u64 * 50;
        text.push_str(&format!(
            "{},{:02}:{:02}:{:02}.{:03}\n",
            1 + n % 27_000,
            10 + ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        ));
    }
    std::fs::write(&csv, &text)?;
    let file = EventFile::open(&path).await?;
    let t = Instant::now();
    let done = timing::import_reads(&file, &csv, "finish", &station).await?;
    let ours = t.elapsed();

    // 4. The captures as they stand, over every read in the file.
    let t = Instant::now();
    let derived = timing::reads(&file).await?;
    let derive = t.elapsed();
    let t = Instant::now();
    let at_finish = timing::reads_at(&file, "finish").await?.len();
    let derive_finish = t.elapsed();
    let plain = Bare::open_read_only(&path)?;
    let t = Instant::now();
    let mut select = plain.prepare("SELECT id, at_ms, bib FROM passing ORDER BY at_ms")?;
    let mut bare_rows: Vec<(Option<String>, i64, Option<String>)> = Vec::new();
    while select.step()? {
        bare_rows.push((
            select.column_text(0),
            select.column_int(1),
            select.column_text(2),
        ));
    }
    drop(select);
    let bare_select = t.elapsed();
    file.close().await;

    let load = Bare::open(&dir.path().join("bare-reads.db"))?;
    load.exec("CREATE TABLE r (bib TEXT, time TEXT)")?;
    let t = Instant::now();
    let mut reader = csv::Reader::from_path(&csv)?;
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    load.exec("BEGIN IMMEDIATE")?;
    let mut insert = load.prepare("INSERT INTO r (bib, time) VALUES (?, ?)")?;
    for row in &rows {
        insert.text(1, row.get(0).unwrap_or(""))?;
        insert.text(2, row.get(1).unwrap_or(""))?;
        insert.run()?;
    }
    drop(insert);
    load.exec("COMMIT")?;
    let floor = t.elapsed();
    println!(
        "reads import: {} reads ({} added) in {:.0} ms (target < 2000 ms); bare load of the same CSV {:.0} ms; ratio {:.2}x",
        done.rows,
        done.added,
        ms(ours),
        ms(floor),
        ms(ours) / ms(floor)
    );
    println!(
        "captures as they stand: {} in {:.0} ms; bare SELECT of the same {} rows {:.0} ms; ratio {:.2}x",
        derived.len(),
        ms(derive),
        bare_rows.len(),
        ms(bare_select),
        ms(derive) / ms(bare_select)
    );
    println!(
        "captures at the finish alone (the finish screen's refresh): {at_finish} in {:.0} ms",
        ms(derive_finish)
    );
    through_sqlx.close().await;
    Ok(())
}
