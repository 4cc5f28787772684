//! Check-in acknowledgement benchmark: how long a check-in takes from the
//! call to its COMMIT returned (WAL, synchronous=FULL), on a 100,000-entrant
//! demo event, beside a bare SQLite commit of one row in a WAL+FULL file on
//! the same disk in the same run (the baseline), interleaved so both see the
//! same disk.
//!
//! `cargo bench --bench checkin` (`-- --entrants N --checkins N` to change
//! the sizes). Target: p99 under 1.5x the bare commit's p99.

mod support;

use std::time::Instant;

use racedesk::checkin::{self, Desk};
use racedesk::{EventFile, roster};
use support::{Args, Bare, commit_one, ms, percentiles, ratios, sqlx_bare};

fn main() -> anyhow::Result<()> {
    let args = Args::get();
    let entrants = args.size("--entrants", 100_000, 2_000);
    let checkins = args.size("--checkins", 1_000, 50);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(entrants, checkins))
}

async fn run(entrants: usize, checkins: usize) -> anyhow::Result<()> {
    // On the disk of the target folder, not a tmpfs: a commit is an fsync.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let file = EventFile::create(&dir.path().join("event.db")).await?;
    roster::demo(&file, entrants, "bench").await?;
    let bibs: Vec<String> = roster::entrants(&file)
        .await?
        .iter()
        .map(|e| e.bib.to_string())
        .collect();

    let bare = Bare::open(&dir.path().join("bare.db"))?;
    bare.exec(
        "CREATE TABLE t (id TEXT PRIMARY KEY, entrant TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    )?;
    let mut insert = bare.prepare("INSERT INTO t VALUES (?, ?, ?)")?;
    let through_sqlx = sqlx_bare(
        &dir.path().join("sqlx.db"),
        "CREATE TABLE t (id TEXT PRIMARY KEY, entrant TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    )
    .await?;

    let desk = Desk {
        id: "bench".into(),
        name: "Desk 1".into(),
        operator: "bench".into(),
    };
    let mut rng = fastrand::Rng::with_seed(11);
    let (mut ours, mut baseline, mut driver) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..checkins {
        let bib = &bibs[rng.usize(0..bibs.len())];
        let t = Instant::now();
        let outcome = checkin::check_in(&file, bib, &desk, None).await?;
        ours.push(t.elapsed());
        std::hint::black_box(outcome);

        let t = Instant::now();
        commit_one(&bare, &mut insert, |row| {
            row.text(1, &format!("row-{k}"))?;
            row.text(2, bib)?;
            row.int(3, k as i64)
        })?;
        baseline.push(t.elapsed());

        let t = Instant::now();
        sqlx::query("INSERT INTO t VALUES (?, ?, ?)")
            .bind(format!("row-{k}"))
            .bind(bib)
            .bind(k as i64)
            .execute(&through_sqlx)
            .await?;
        driver.push(t.elapsed());
    }
    let (p50, p99) = percentiles(&mut ours);
    let (b50, b99) = percentiles(&mut baseline);
    let (d50, d99) = percentiles(&mut driver);
    println!("{checkins} check-ins on {} entrants", bibs.len());
    println!(
        "check-in to COMMIT: p50 {:>7.3} ms  p99 {:>7.3} ms",
        ms(p50),
        ms(p99)
    );
    println!(
        "bare WAL+FULL commit of one row: p50 {:>7.3} ms  p99 {:>7.3} ms (baseline)",
        ms(b50),
        ms(b99)
    );
    println!(
        "the same through sqlx:           p50 {:>7.3} ms  p99 {:>7.3} ms",
        ms(d50),
        ms(d99)
    );
    println!("ratio p50: {}", ratios(p50, b50, d50));
    println!(
        "ratio p99: {} (target: under 1.3x the C API)",
        ratios(p99, b99, d99)
    );
    through_sqlx.close().await;
    drop(insert);
    drop(bare);
    file.close().await;
    Ok(())
}
