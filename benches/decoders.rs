//! Chip decoder benchmarks, each beside a baseline from the same run:
//! 1. reads kept (`decoders::keep`: every read stored once under its key,
//!    the first read of a chip in its window made a passing, one COMMIT a
//!    batch as a decoder delivers them, 50 a MYLAPS message), from one
//!    decoder, against the same rows inserted through SQLite's C API in the
//!    same batches (a bare insert loop: a table with the read's unique key)
//!    and through sqlx;
//! 2. the same reads from four decoders at once (four lanes of a wide
//!    finish), each its own task;
//! 3. a mass finish: 3,000 runners read 20 times each over 10 minutes,
//!    kept as they come and the results scored after each batch: how far
//!    the scored results are behind the newest read (played 10 times
//!    faster than real time unless `--speed 1`).
//!
//! `cargo bench --bench decoders` (`-- --runners N --rereads N --speed N`).
//! Targets: at least 5,000 reads a second from one decoder and from four;
//! results no more than 1 s behind the last read.

mod support;

use std::time::{Duration, Instant};

use racedesk::decoders::{ChipRead, Decoder, Kind, ReadAt, keep, save_decoder};
use racedesk::model::Station;
use racedesk::{EventFile, roster, timing};
use support::{Args, Bare, ms, percentiles, sqlx_bare};

/// Reads a batch: what one MYLAPS message carries.
const BATCH: usize = 50;

fn main() -> anyhow::Result<()> {
    let args = Args::get();
    let runners = args.size("--runners", 3_000, 200);
    let rereads = args.size("--rereads", 19, 4);
    let speed = args.size("--speed", 10, 60).max(1);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(runners, rereads, speed))
}

fn station() -> Station {
    Station {
        id: "bench".into(),
        name: "Finish".into(),
        operator: "bench".into(),
    }
}

fn decoder(name: &str) -> Decoder {
    Decoder {
        name: name.into(),
        kind: Kind::Mylaps,
        address: None,
        port: Some(3097),
        point: "finish".into(),
        window_ms: 3000,
        bib_as_chip: false,
        last_read: false,
        points: None,
    }
}

/// A mass finish two hours after the gun: `runners` chips of the demo
/// roster, each read `1 + rereads` times within 2.5 s, spread over 10
/// minutes, in the order they are read; each with its time after the
/// first read.
fn finish(runners: usize, rereads: usize, gun_ms: i64) -> Vec<(i64, ChipRead)> {
    let mut rng = fastrand::Rng::with_seed(15);
    let mut reads = Vec::with_capacity(runners * (rereads + 1));
    for n in 0..runners {
        let first = (600_000.0 * (rng.f64() + rng.f64()) / 2.0) as i64;
        for k in 0..=rereads {
            let at = first + if k == 0 { 0 } else { rng.i64(0..2_500) };
            reads.push((at, format!("E2{:06X}", n + 1)));
        }
    }
    // One read of a chip a millisecond at most: the same instant twice
    // would be one read.
    let mut seen = std::collections::HashSet::new();
    for (at, chip) in &mut reads {
        while !seen.insert((*at, chip.clone())) {
            *at += 1;
        }
    }
    reads.sort();
    reads
        .into_iter()
        .enumerate()
        .map(|(i, (at, chip))| {
            (
                at,
                ChipRead {
                    chip,
                    at: ReadAt::Utc(gun_ms + 7_200_000 + at),
                    seq: Some(i as i64 + 1),
                    antenna: Some("1".into()),
                    rssi: Some("-60".into()),
                    location: None,
                },
            )
        })
        .collect()
}

/// A demo event of `runners` with every race started at the gun.
async fn event(path: &std::path::Path, runners: usize, gun_ms: i64) -> anyhow::Result<EventFile> {
    let file = EventFile::create(path).await?;
    roster::demo(&file, runners, "bench").await?;
    for race in ["MAR", "HALF", "10K", "5K"] {
        timing::start_race(&file, race, None, gun_ms, true, None, &station()).await?;
    }
    Ok(file)
}

async fn run(runners: usize, rereads: usize, speed: usize) -> anyhow::Result<()> {
    // On the disk of the target folder, not a tmpfs: a commit is an fsync.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let gun_ms = 1_807_000_000_000;
    let reads = finish(runners, rereads, gun_ms);
    let total = reads.len();
    println!(
        "{runners} runners read {} times each: {total} reads, kept {BATCH} a commit",
        rereads + 1
    );

    // 1. One decoder, and the bare insert loop through the C API.
    let file = event(&dir.path().join("one.db"), runners, gun_ms).await?;
    let one = decoder("finish A");
    save_decoder(&file, &one).await?;
    let t = Instant::now();
    for batch in reads.chunks(BATCH) {
        let batch: Vec<ChipRead> = batch.iter().map(|(_, r)| r.clone()).collect();
        keep(&file, &one, &batch, &station()).await?;
    }
    let ours = t.elapsed();
    file.close().await;

    let table = "CREATE TABLE r (id TEXT PRIMARY KEY, read_key TEXT NOT NULL UNIQUE, \
                 chip TEXT NOT NULL, at_ms INTEGER NOT NULL, arrived_ms INTEGER NOT NULL)";
    let bare = Bare::open(&dir.path().join("bare.db"))?;
    bare.exec(table)?;
    let mut insert = bare.prepare("INSERT INTO r VALUES (?, ?, ?, ?, ?)")?;
    let t = Instant::now();
    for (b, batch) in reads.chunks(BATCH).enumerate() {
        bare.exec("BEGIN IMMEDIATE")?;
        for (i, (at, read)) in batch.iter().enumerate() {
            insert.text(1, &format!("{b}-{i}"))?;
            insert.text(2, &format!("finish A|{}|{at}", read.chip))?;
            insert.text(3, &read.chip)?;
            insert.int(4, *at)?;
            insert.int(5, *at)?;
            insert.run()?;
        }
        bare.exec("COMMIT")?;
    }
    let c_api = t.elapsed();
    drop(insert);
    drop(bare);

    let pool = sqlx_bare(&dir.path().join("sqlx.db"), table).await?;
    let t = Instant::now();
    for (b, batch) in reads.chunks(BATCH).enumerate() {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        for (i, (at, read)) in batch.iter().enumerate() {
            sqlx::query("INSERT INTO r VALUES (?, ?, ?, ?, ?)")
                .bind(format!("{b}-{i}"))
                .bind(format!("finish A|{}|{at}", read.chip))
                .bind(&read.chip)
                .bind(*at)
                .bind(*at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let through_sqlx = t.elapsed();
    pool.close().await;
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    println!(
        "1. one decoder: {:.0} reads/s kept ({:.0} ms), bare insert loop {:.0} reads/s \
         through SQLite's C API ({:.2}x its time), {:.0} reads/s through sqlx ({:.2}x)",
        rate(ours),
        ms(ours),
        rate(c_api),
        ms(ours) / ms(c_api),
        rate(through_sqlx),
        ms(ours) / ms(through_sqlx),
    );

    // 2. Four decoders at once, a lane of runners each.
    let file = event(&dir.path().join("four.db"), runners, gun_ms).await?;
    let mut lanes: Vec<Vec<ChipRead>> = vec![Vec::new(); 4];
    for (_, read) in &reads {
        let lane = read.chip.bytes().last().unwrap_or(0) as usize % 4;
        lanes[lane].push(read.clone());
    }
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (lane, lane_reads) in lanes.into_iter().enumerate() {
        let file = file.clone();
        let lane = decoder(&format!("finish lane {}", lane + 1));
        save_decoder(&file, &lane).await?;
        tasks.push(tokio::spawn(async move {
            for batch in lane_reads.chunks(BATCH) {
                keep(&file, &lane, batch, &station()).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let four = t.elapsed();
    file.close().await;
    println!(
        "2. four decoders at once: {:.0} reads/s kept ({:.2}x the bare insert loop's time)",
        rate(four),
        ms(four) / ms(c_api),
    );

    // 3. A mass finish as it comes, results scored after every batch.
    let file = event(&dir.path().join("finish.db"), runners, gun_ms).await?;
    let mat = decoder("finish mat");
    save_decoder(&file, &mat).await?;
    let began = Instant::now();
    let mut next = 0;
    let mut behind = Vec::new();
    let mut batches = 0;
    let mut scored = 0;
    while next < total {
        // The reads the decoder has sent by now (the finish played
        // `speed` times faster than real time).
        let now = began.elapsed().as_millis() as i64 * speed as i64;
        let mut until = next;
        while until < total && reads[until].0 <= now {
            until += 1;
        }
        if until == next {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        for batch in reads[next..until].chunks(BATCH) {
            let batch: Vec<ChipRead> = batch.iter().map(|(_, r)| r.clone()).collect();
            keep(&file, &mat, &batch, &station()).await?;
            batches += 1;
        }
        let results = racedesk::results::results(&file).await?;
        scored = results
            .iter()
            .flat_map(|r| &r.rows)
            .filter(|row| row.place.is_some())
            .count();
        // How long the newest read of the batch waited, in real time: from
        // when the decoder sent it to results that include it.
        let sent = reads[until - 1].0 / speed as i64;
        behind.push(Duration::from_millis(
            (began.elapsed().as_millis() as i64 - sent).max(0) as u64,
        ));
        next = until;
    }
    let (p50, p99) = percentiles(&mut behind);
    let worst = behind.last().copied().unwrap_or_default();
    println!(
        "3. mass finish, {total} reads over {:.0} s ({speed}x real time) in {batches} commits: \
         {scored} finishers placed; results behind the newest read p50 {:.0} ms, p99 {:.0} ms, \
         at most {:.0} ms",
        600.0 / speed as f64,
        ms(p50),
        ms(p99),
        ms(worst)
    );
    file.close().await;
    Ok(())
}
