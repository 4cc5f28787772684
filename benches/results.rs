//! Results benchmark: 50,000 finishers over the demo's four races, with
//! age categories and splits at every checkpoint (marathon 10k, half, 30k;
//! half 10k; 10K 5k), each figure beside a bare baseline from the same run:
//! a single SQL `SELECT ... ORDER BY` of the same passings.
//! 1. full scoring (`results::results`: load, derive, place, categorise);
//! 2. CSV of every race;
//! 3. the HTML page of every race.
//!
//! `cargo bench --bench results` (`-- --finishers N --runs N`).
//! Targets: scoring under 300 ms, CSV under 500 ms, HTML under 1 s.

mod support;

use std::time::{Duration, Instant};

use racedesk::model::Station;
use racedesk::results::{self, Heading};
use racedesk::{EventFile, roster, timing};
use support::{Args, Bare, ms, ratios};

fn main() -> anyhow::Result<()> {
    let args = Args::get();
    let finishers = args.size("--finishers", 50_000, 2_000);
    let runs = args.size("--runs", 5, 1);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(finishers, runs))
}

/// The median of `runs` timings of `work`.
async fn median<T, F: std::future::Future<Output = anyhow::Result<T>>>(
    runs: usize,
    mut work: impl FnMut() -> F,
) -> anyhow::Result<(Duration, T)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        // The previous run's result is dropped before the clock starts:
        // freeing it is not part of the work measured.
        drop(last.take());
        let t = Instant::now();
        last = Some(work().await?);
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], last.expect("at least one run")))
}

async fn run(finishers: usize, runs: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let path = dir.path().join("event.db");
    let file = EventFile::create(&path).await?;
    roster::demo(&file, finishers, "bench").await?;
    let station = Station {
        id: "bench".into(),
        name: "Finish".into(),
        operator: "bench".into(),
    };
    let event = racedesk::setup::event(&file).await?;
    let gun = racedesk::model::parse_instant("07:30:00", event.date, event.time_zone)?;
    for race in ["HALF", "10K", "5K"] {
        timing::start_race(&file, race, None, gun, true, None, &station).await?;
    }
    for wave in ["Elite", "A", "B"] {
        timing::start_race(&file, "MAR", Some(wave), gun, true, None, &station).await?;
    }
    // Every entrant finishes; each passes the checkpoints of their race.
    let races = racedesk::setup::races(&file).await?;
    let mut csv = String::from("bib,time,point\n");
    let mut rng = fastrand::Rng::with_seed(42);
    for entrant in roster::entrants(&file).await? {
        let race = races
            .iter()
            .find(|r| r.race.code == entrant.race)
            .map(|r| &r.race)
            .ok_or_else(|| anyhow::anyhow!("no race"))?;
        // About 4 to 7 min per km.
        let per_km = rng.u64(240_000..420_000);
        let at = |metres: u32| {
            let ms = per_km * u64::from(metres) / 1000 + 8 * 3_600_000;
            format!(
                "{:02}:{:02}:{:02}.{:03}",
                ms / 3_600_000,
                ms / 60_000 % 60,
                ms / 1000 % 60,
                ms % 1000
            )
        };
        for checkpoint in &race.checkpoints {
            csv.push_str(&format!(
                "{},{},{}\n",
                entrant.bib,
                at(checkpoint.distance_m),
                checkpoint.point
            ));
        }
        csv.push_str(&format!("{},{},finish\n", entrant.bib, at(race.distance_m)));
    }
    let reads = dir.path().join("reads.csv");
    std::fs::write(&reads, &csv)?;
    let imported = timing::import_reads(&file, &reads, "finish", &station).await?;
    file.close().await;
    let file = EventFile::open(&path).await?;

    let plain = Bare::open_read_only(&path)?;
    let (bare, rows) = median(runs, || async {
        let mut select =
            plain.prepare("SELECT rowid, point, at_ms, bib FROM passing ORDER BY point, at_ms")?;
        let mut rows: Vec<(i64, Option<String>, i64, Option<String>)> = Vec::new();
        while select.step()? {
            rows.push((
                select.column_int(0),
                select.column_text(1),
                select.column_int(2),
                select.column_text(3),
            ));
        }
        Ok(rows.len())
    })
    .await?;
    // The same SELECT through sqlx, the driver racedesk reads with.
    let driver = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", path.display())).await?;
    let (through_sqlx, _) = median(runs, || async {
        let rows: Vec<(i64, Option<String>, i64, Option<String>)> =
            sqlx::query_as("SELECT rowid, point, at_ms, bib FROM passing ORDER BY point, at_ms")
                .fetch_all(&driver)
                .await?;
        Ok(rows.len())
    })
    .await?;
    driver.close().await;
    let (scoring, races) = median(runs, || async { Ok(results::results(&file).await?) }).await?;
    let ranked: usize = races
        .iter()
        .map(|r| r.rows.iter().filter(|row| row.place.is_some()).count())
        .sum();
    let heading = Heading::of(&file, racedesk::results::Language::En).await?;
    let (csv_time, csv_bytes) = median(runs, || async {
        let races = results::results(&file).await?;
        let mut bytes = 0;
        for race in &races {
            let mut out = Vec::new();
            results::write_csv(&heading, race, &mut out)?;
            bytes += out.len();
        }
        Ok(bytes)
    })
    .await?;
    let (html_time, html_bytes) = median(runs, || async {
        let races = results::results(&file).await?;
        let mut out = Vec::new();
        results::write_html(&heading, &races, &mut out)?;
        Ok(out.len())
    })
    .await?;

    println!(
        "{finishers} finishers, {} passings ({} reads imported), {ranked} ranked",
        rows, imported.added
    );
    println!(
        "bare SELECT ... ORDER BY of the same {rows} passings: {:.0} ms through the C API, {:.0} ms through sqlx",
        ms(bare),
        ms(through_sqlx)
    );
    println!(
        "full scoring: {:.0} ms (target < 300 ms); {}",
        ms(scoring),
        ratios(scoring, bare, through_sqlx)
    );
    println!(
        "CSV of every race, scoring included: {:.0} ms, {} KiB (target < 500 ms); {}",
        ms(csv_time),
        csv_bytes / 1024,
        ratios(csv_time, bare, through_sqlx)
    );
    println!(
        "HTML page of every race, scoring included: {:.0} ms, {} KiB (target < 1000 ms); {}",
        ms(html_time),
        html_bytes / 1024,
        ratios(html_time, bare, through_sqlx)
    );
    Ok(())
}
