//! Check-in search benchmark: 1,000 mixed queries (bibs, partial names,
//! Hangul, romanised Korean, groups, typos) on a 100,000-entrant demo
//! roster; p50 and p99 of the index, beside the same queries answered by a
//! plain scan of every entrant's folded name in the same run (the baseline).
//!
//! `cargo bench --bench search` (`-- --entrants N` to change the size).
//! Target: p99 under 2 ms.

use std::time::{Duration, Instant};

use racedesk::checkin::SearchIndex;
use racedesk::model::{Entrant, fold};
use racedesk::{EventFile, roster};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let entrants_wanted = args
        .iter()
        .position(|a| a == "--entrants")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 100_000 } else { 2_000 });
    let entrants = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let dir = tempfile::tempdir()?;
            let file = EventFile::create(&dir.path().join("demo.db")).await?;
            roster::demo(&file, entrants_wanted, "bench").await?;
            anyhow::Ok(roster::entrants(&file).await?)
        })?;

    let started = Instant::now();
    let index = SearchIndex::new(&entrants);
    println!(
        "index of {} entrants built in {:.0} ms",
        entrants.len(),
        ms(started.elapsed())
    );

    let queries = queries(&entrants, 1000);
    let scan_keys: Vec<String> = entrants
        .iter()
        .map(|e| fold(&format!("{} {}", e.given_name, e.family_name)))
        .collect();
    let (mut ours, mut scan) = (Vec::new(), Vec::new());
    let mut found = 0;
    for query in &queries {
        let t = Instant::now();
        let hits = index.search(query, 20);
        ours.push(t.elapsed());
        found += usize::from(!hits.is_empty());

        let folded = fold(query);
        let t = Instant::now();
        let hits: Vec<usize> = scan_keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.contains(&folded))
            .map(|(i, _)| i)
            .take(20)
            .collect();
        scan.push(t.elapsed());
        std::hint::black_box(hits);
    }
    let (p50, p99) = percentiles(&mut ours);
    let (s50, s99) = percentiles(&mut scan);
    println!("{} queries, {found} with hits", queries.len());
    println!(
        "index search: p50 {:>7.3} ms  p99 {:>7.3} ms  (target p99 < 2 ms)",
        ms(p50),
        ms(p99)
    );
    println!(
        "plain scan:   p50 {:>7.3} ms  p99 {:>7.3} ms  (baseline: substring of folded names only)",
        ms(s50),
        ms(s99)
    );
    println!("ratio p99 index / scan: {:.3}x", ms(p99) / ms(s99));
    Ok(())
}

/// Queries as desks type them, drawn from the roster itself.
fn queries(entrants: &[Entrant], n: usize) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..n)
        .map(|k| {
            let e = &entrants[rng.usize(0..entrants.len())];
            match k % 8 {
                0 => e.bib.to_string(),
                1 => e.bib.as_str()[..e.bib.as_str().len().div_ceil(2)].to_string(),
                2 => e.family_name.chars().take(4).collect(),
                3 => format!("{} {}", e.family_name, e.given_name),
                4 => e
                    .native_name
                    .clone()
                    .unwrap_or_else(|| e.family_name.clone()),
                5 => e
                    .group
                    .clone()
                    .unwrap_or_else(|| e.given_name.clone())
                    .chars()
                    .take(6)
                    .collect(),
                6 => typo(
                    if e.family_name.chars().count() >= 5 {
                        &e.family_name
                    } else {
                        &e.given_name
                    },
                    &mut rng,
                ),
                _ => e.given_name.to_lowercase(),
            }
        })
        .collect()
}

fn typo(name: &str, rng: &mut fastrand::Rng) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    if chars.len() > 5 {
        let at = rng.usize(1..chars.len());
        chars.remove(at);
    }
    chars.into_iter().collect()
}

fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
