//! Stations sharing one event, measured on loopback with real TLS and real
//! files (on the target folder's disk: a commit is an fsync). Four figures,
//! each beside a baseline of the same run through SQLite's C API, the real
//! limit of what must be durable:
//!
//! 1. a check-in at one desk shown on another desk, p50 and p99 over many
//!    check-ins with 6 stations joined (target p99 under 500 ms); baseline:
//!    the three one-row commits it takes at the least (desk, hub, the other
//!    desk);
//! 2. the desk's own acknowledgement with sync running (target p99 within
//!    1.5x of a bare one-row commit, measured interleaved);
//! 3. a station that was offline catching up on 10,000 facts (target under
//!    3 s); baseline: the same rows inserted in one transaction;
//! 4. the hub taking facts from 8 stations at once (target at least 5,000
//!    durable facts a second); baseline: the same rows committed in the
//!    same batches;
//! 5. a desk back after an hour offline with 5,000 check-ins and 200
//!    walk-ups from its bib block: how long it takes to catch up, and its
//!    check-in acknowledgements meanwhile (the volunteer goes on checking
//!    runners in) against bare one-row commits interleaved with them.
//!
//! `cargo bench --bench sync` (a smaller smoke run under `cargo test`).

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use racedesk::checkin::{self, Desk};
use racedesk::model::Station;
use racedesk::{EventFile, roster};
use support::{Args, Bare, commit_one, ms, percentiles};

fn main() -> anyhow::Result<()> {
    let args = Args::get();
    let sizes = Sizes {
        entrants: args.size("--entrants", 10_000, 500),
        stations: args.size("--stations", 6, 2),
        checkins: args.size("--checkins", 1_000, 20),
        catch_up: args.size("--catch-up", 10_000, 500),
        pushers: args.size("--pushers", 8, 2),
        per_pusher: args.size("--per-pusher", 2_500, 100),
        offline_checkins: args.size("--offline-checkins", 5_000, 200),
        walk_ups: args.size("--walk-ups", 200, 20),
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(sizes))
}

struct Sizes {
    entrants: usize,
    stations: usize,
    checkins: usize,
    catch_up: usize,
    pushers: usize,
    per_pusher: usize,
    offline_checkins: usize,
    walk_ups: usize,
}

/// A station joined to the hub, its link running.
struct Joined {
    id: String,
    file: EventFile,
    link: Option<tokio::task::JoinHandle<()>>,
}

async fn join(
    dir: &Path,
    hub: &racedesk::sync::Sharing,
    id: &str,
    run: bool,
) -> anyhow::Result<Joined> {
    let path: PathBuf = dir.join(format!("{id}.racedesk"));
    let file = racedesk::sync::join(
        &path,
        &hub.address().to_string(),
        &hub.code().to_string(),
        id,
        id,
        "desk",
    )
    .await?;
    let mut joined = Joined {
        id: id.to_owned(),
        file,
        link: None,
    };
    if run {
        start(&mut joined);
    }
    Ok(joined)
}

fn start(joined: &mut Joined) {
    let file = joined.file.clone();
    let id = joined.id.clone();
    joined.link = Some(tokio::spawn(async move {
        let _ = racedesk::sync::run(file, &id).await;
    }));
}

async fn count(file: &EventFile, sql: &str) -> anyhow::Result<i64> {
    let pool =
        sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", file.path().display())).await?;
    let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    Ok(n)
}

/// Waits until `file` holds the check-in `id`, looking every millisecond.
async fn arrived(file: &EventFile, id: &str, limit: Duration) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let pool =
        sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", file.path().display())).await?;
    loop {
        let there: Option<i64> = sqlx::query_scalar("SELECT 1 FROM checkin WHERE id = ?")
            .bind(id)
            .fetch_optional(&pool)
            .await?;
        if there.is_some() {
            pool.close().await;
            return Ok(t.elapsed());
        }
        anyhow::ensure!(t.elapsed() < limit, "check-in {id} never arrived");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn run(sizes: Sizes) -> anyhow::Result<()> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let hub_file = EventFile::create(&dir.path().join("hub.racedesk")).await?;
    roster::demo(&hub_file, sizes.entrants, "bench").await?;
    let bibs: Vec<String> = roster::entrants(&hub_file)
        .await?
        .iter()
        .map(|e| e.bib.to_string())
        .collect();
    let hub = racedesk::sync::share(&hub_file, "127.0.0.1:0".parse()?).await?;
    let bare = Bare::open(&dir.path().join("bare.db"))?;
    bare.exec(
        "CREATE TABLE t (id TEXT PRIMARY KEY, entrant TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    )?;
    let mut insert = bare.prepare("INSERT INTO t VALUES (?, ?, ?)")?;
    let mut bare_rows = 0i64;
    let mut bare_commit =
        |bare: &Bare, insert: &mut support::Statement<'_>| -> anyhow::Result<Duration> {
            let t = Instant::now();
            bare_rows += 1;
            commit_one(bare, insert, |row| {
                row.text(1, &format!("row-{bare_rows}"))?;
                row.text(2, "1234")?;
                row.int(3, bare_rows)
            })?;
            Ok(t.elapsed())
        };

    // 1 and 2: check-ins at one desk, seen at another.
    let mut stations = Vec::new();
    for n in 0..sizes.stations {
        stations.push(join(dir.path(), &hub, &format!("desk-{n}"), true).await?);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut rng = fastrand::Rng::with_seed(14);
    let (mut shown, mut three_commits, mut acks, mut commits) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for k in 0..sizes.checkins {
        let at = &stations[k % stations.len()];
        let other = &stations[(k + 1) % stations.len()];
        let desk = Desk {
            id: at.id.clone(),
            name: at.id.clone(),
            operator: "bench".into(),
        };
        let bib = &bibs[rng.usize(0..bibs.len())];
        let t = Instant::now();
        let outcome = checkin::check_in(&at.file, bib, &desk, None).await?;
        acks.push(t.elapsed());
        // A runner drawn twice is already checked in: nothing travels.
        let Some(id) = outcome.checked_in.filter(|_| outcome.changed).map(|c| c.id) else {
            continue;
        };
        arrived(&other.file, &id, Duration::from_secs(30)).await?;
        shown.push(t.elapsed());
        commits.push(bare_commit(&bare, &mut insert)?);
        let t = Instant::now();
        for _ in 0..3 {
            bare_commit(&bare, &mut insert)?;
        }
        three_commits.push(t.elapsed());
    }
    let (s50, s99) = percentiles(&mut shown);
    let (t50, t99) = percentiles(&mut three_commits);
    println!(
        "{} check-ins, {} stations joined on loopback, {} entrants",
        shown.len(),
        stations.len(),
        bibs.len()
    );
    println!(
        "check-in at one desk shown at another: p50 {:>7.1} ms  p99 {:>7.1} ms (target p99 under 500 ms)",
        ms(s50),
        ms(s99)
    );
    println!(
        "three bare one-row commits (C API):   p50 {:>7.1} ms  p99 {:>7.1} ms (baseline); ratio p50 {:.1}x, p99 {:.1}x",
        ms(t50),
        ms(t99),
        ms(s50) / ms(t50),
        ms(s99) / ms(t99)
    );
    let (a50, a99) = percentiles(&mut acks);
    let (c50, c99) = percentiles(&mut commits);
    println!(
        "desk's acknowledgement with sync running: p50 {:>6.2} ms  p99 {:>6.2} ms; bare commit p50 {:>6.2} ms p99 {:>6.2} ms; ratio p99 {:.2}x (target under 1.5x)",
        ms(a50),
        ms(a99),
        ms(c50),
        ms(c99),
        ms(a99) / ms(c99)
    );

    // 3: a station that was offline catches up.
    let mut late = join(dir.path(), &hub, "late", false).await?;
    let station = Station {
        id: "finish-bench".into(),
        name: "Finish".into(),
        operator: "bench".into(),
    };
    let base_ms = racedesk::timing::wall_ms();
    let items: Vec<(i64, Option<&str>)> = (0..sizes.catch_up)
        .map(|i| (base_ms + i as i64, Some(bibs[i % bibs.len()].as_str())))
        .collect();
    racedesk::timing::capture_all(&hub_file, "finish", &items, &station).await?;
    let target = count(&hub_file, "SELECT count(*) FROM passing").await?;
    let t = Instant::now();
    start(&mut late);
    while count(&late.file, "SELECT count(*) FROM passing").await? < target {
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(120),
            "catch-up never ended"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let caught_up = t.elapsed();
    let t = Instant::now();
    bare.exec("BEGIN IMMEDIATE")?;
    for i in 0..sizes.catch_up {
        insert.text(1, &format!("catch-{i}"))?;
        insert.text(2, &bibs[i % bibs.len()])?;
        insert.int(3, i as i64)?;
        insert.run()?;
    }
    bare.exec("COMMIT")?;
    let one_transaction = t.elapsed();
    println!(
        "catch-up of {} facts after being offline: {:>7.0} ms (target under 3 s); the rows in one C API transaction: {:.0} ms (baseline); ratio {:.1}x",
        sizes.catch_up,
        ms(caught_up),
        ms(one_transaction),
        ms(caught_up) / ms(one_transaction)
    );

    // 5: a desk back after an hour offline.
    racedesk::setup::give_blocks(&hub_file, &["back".to_owned()], sizes.walk_ups, "bench").await?;
    let mut back = join(dir.path(), &hub, "back", false).await?;
    let desk = Desk {
        id: "back".into(),
        name: "back".into(),
        operator: "bench".into(),
    };
    let fresh: Vec<&String> = bibs.iter().rev().collect();
    for bib in fresh.iter().take(sizes.offline_checkins) {
        checkin::check_in(&back.file, bib, &desk, None).await?;
    }
    for n in 0..sizes.walk_ups {
        let bib = checkin::suggest_bib(&back.file, "MAR")
            .await?
            .ok_or_else(|| anyhow::anyhow!("the block is used up"))?;
        let form = roster::EntrantForm {
            bib,
            first_name: format!("Walker{n}"),
            last_name: "Back".into(),
            gender: "F".into(),
            race: "MAR".into(),
            age: "30".into(),
            ..Default::default()
        };
        checkin::register_walk_up(&back.file, &form, &desk, None).await?;
    }
    let theirs = "SELECT count(*) FROM checkin WHERE station = 'back'";
    let (mut during, mut bare_during) = (Vec::new(), Vec::new());
    let mut more = fresh.iter().skip(sizes.offline_checkins);
    let t = Instant::now();
    start(&mut back);
    loop {
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(120),
            "the desk never caught up"
        );
        if let Some(bib) = more.next() {
            let a = Instant::now();
            checkin::check_in(&back.file, bib, &desk, None).await?;
            during.push(a.elapsed());
            bare_during.push(bare_commit(&bare, &mut insert)?);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        if count(&hub_file, theirs).await? >= count(&back.file, theirs).await? {
            break;
        }
    }
    let back_in = t.elapsed();
    let (d50, d99) = percentiles(&mut during);
    let (b50, b99) = percentiles(&mut bare_during);
    println!(
        "desk back after an hour offline ({} check-ins, {} walk-ups): caught up in {:>6.0} ms; its {} check-ins meanwhile: p50 {:>6.2} ms p99 {:>6.2} ms; bare commit p50 {:>6.2} ms p99 {:>6.2} ms (baseline); ratio p99 {:.2}x",
        sizes.offline_checkins,
        sizes.walk_ups,
        ms(back_in),
        during.len(),
        ms(d50),
        ms(d99),
        ms(b50),
        ms(b99),
        ms(d99) / ms(b99)
    );
    if let Some(link) = &back.link {
        link.abort();
    }

    // 4: the hub takes facts from 8 stations at once.
    for joined in &stations {
        if let Some(link) = &joined.link {
            link.abort();
        }
    }
    if let Some(link) = &late.link {
        link.abort();
    }
    let mut pushers = Vec::new();
    for n in 0..sizes.pushers {
        let mut joined = join(dir.path(), &hub, &format!("pusher-{n}"), false).await?;
        let station = Station {
            id: joined.id.clone(),
            name: joined.id.clone(),
            operator: "bench".into(),
        };
        let start_ms = base_ms + 10_000_000 * (n as i64 + 1);
        let items: Vec<(i64, Option<&str>)> = (0..sizes.per_pusher)
            .map(|i| (start_ms + i as i64, Some(bibs[i % bibs.len()].as_str())))
            .collect();
        racedesk::timing::capture_all(&joined.file, "finish", &items, &station).await?;
        joined.link = None;
        pushers.push(joined);
    }
    let before = count(&hub_file, "SELECT count(*) FROM passing").await?;
    let total = (sizes.pushers * sizes.per_pusher) as i64;
    let t = Instant::now();
    for joined in &mut pushers {
        start(joined);
    }
    while count(&hub_file, "SELECT count(*) FROM passing").await? < before + total {
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(300),
            "the pushes never ended"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let taken = t.elapsed();
    // The same rows committed in batches of the size a station pushes.
    let t = Instant::now();
    let batch = 2_000;
    for chunk in 0..(total as usize).div_ceil(batch) {
        bare.exec("BEGIN IMMEDIATE")?;
        for i in chunk * batch..((chunk + 1) * batch).min(total as usize) {
            insert.text(1, &format!("push-{i}"))?;
            insert.text(2, &bibs[i % bibs.len()])?;
            insert.int(3, i as i64)?;
            insert.run()?;
        }
        bare.exec("COMMIT")?;
    }
    let batches = t.elapsed();
    println!(
        "hub taking {total} facts from {} stations at once: {:>7.0} ms, {:.0} facts/s (target at least 5,000/s); the rows in batches of {batch} through the C API: {:.0} ms (baseline); ratio {:.1}x",
        sizes.pushers,
        ms(taken),
        total as f64 / taken.as_secs_f64(),
        ms(batches),
        ms(taken) / ms(batches)
    );

    for joined in stations
        .iter()
        .chain(pushers.iter())
        .chain(std::iter::once(&late))
    {
        if let Some(link) = &joined.link {
            link.abort();
        }
    }
    hub.stop();
    drop(insert);
    drop(bare);
    Ok(())
}
