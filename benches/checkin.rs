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
use support::{Args, Bare, commit_one, ms, percentiles};

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

    let desk = Desk {
        id: "bench".into(),
        name: "Desk 1".into(),
        operator: "bench".into(),
    };
    let mut rng = fastrand::Rng::with_seed(11);
    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
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
    }
    let (p50, p99) = percentiles(&mut ours);
    let (b50, b99) = percentiles(&mut baseline);
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
        "ratio p50 {:.2}x, p99 {:.2}x (target p99 < 1.5x)",
        ms(p50) / ms(b50),
        ms(p99) / ms(b99)
    );
    drop(insert);
    drop(bare);
    file.close().await;
    Ok(())
}
