//! Scoring: places overall, by gender and by age category, from the
//! captured facts alone. Pure: the same facts always give the same results.

use std::collections::HashMap;

use crate::model::{Checkpoint, Race, format_result_time};

/// A runner as scoring needs them.
#[derive(Debug, Clone)]
pub(crate) struct Runner {
    pub bib: String,
    /// The race's code.
    pub race: String,
    /// "Given Family", or the native name when there is no other.
    pub name: String,
    pub native_name: Option<String>,
    pub gender: String,
    /// Age on race day.
    pub age: Option<i64>,
    pub nationality: Option<String>,
    pub group: Option<String>,
    /// The start wave the roster gave (a `wave` column).
    pub wave: Option<String>,
}

/// Everything scoring reads, already loaded.
pub(crate) struct Facts<'a> {
    pub races: &'a [Race],
    pub runners: &'a [Runner],
    /// Standing starts: race code, wave ('' for the whole race), instant.
    pub starts: &'a [(String, String, i64)],
    /// Captures that stand (not void) with a bib, in crossing order:
    /// point, instant, bib.
    pub passings: &'a [(String, i64, String)],
    /// Bib to DNS, DNF or DQ.
    pub statuses: &'a HashMap<String, String>,
}

/// One race's results: the ranked finishers by place, then everyone else
/// with a finish or a status, apart.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct RaceResults {
    pub code: String,
    pub name: String,
    pub distance_m: u32,
    /// Ranked by net time rather than gun time.
    pub net_time: bool,
    pub checkpoints: Vec<Checkpoint>,
    /// Entrants in the race, for "n of m finished".
    pub entrants: u32,
    pub rows: Vec<ResultRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ResultRow {
    /// Overall place; none for an unranked entry.
    pub place: Option<u32>,
    pub bib: String,
    pub name: String,
    pub native_name: Option<String>,
    pub gender: String,
    /// Age on race day.
    pub age: Option<i64>,
    /// Gender and age band: F40-44; none without an age.
    pub category: Option<String>,
    pub gender_place: Option<u32>,
    pub category_place: Option<u32>,
    /// ISO 3166 alpha-3 code.
    pub nationality: Option<String>,
    pub group: Option<String>,
    /// Full-precision times in ms, for sorting and checks.
    pub gun_ms: Option<i64>,
    pub net_ms: Option<i64>,
    /// As published: rounded up to the whole second, H:MM:SS.
    pub gun_time: Option<String>,
    pub net_time: Option<String>,
    /// Pace per km over the whole race, m:ss.
    pub pace: Option<String>,
    /// finished, over cutoff, no start, DNF, DQ or DNS.
    pub status: String,
    /// One per checkpoint of the race, in order; none where not captured.
    pub splits: Vec<Option<Split>>,
    /// When the runner crossed the finish (for "latest finishers").
    pub finished_at_ms: Option<i64>,
}

/// A runner's time at a checkpoint, from their start.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Split {
    pub ms: i64,
    pub time: String,
    /// Pace per km from the start to here, m:ss.
    pub pace: String,
}

/// What one bib passed, first passing at each point.
#[derive(Default)]
pub(crate) struct Passed<'a> {
    pub start: Option<i64>,
    /// Instant and crossing order.
    pub finish: Option<(i64, usize)>,
    /// Checkpoints: a handful, so a list beats a map.
    pub points: Vec<(&'a str, i64)>,
}

/// Each bib's first passing at each point (`runners`: about how many bibs).
pub(crate) fn passed_by_bib(
    passings: &[(String, i64, String)],
    runners: usize,
) -> HashMap<&str, Passed<'_>> {
    let mut passed: HashMap<&str, Passed> = HashMap::with_capacity(runners);
    for (order, (point, at_ms, bib)) in passings.iter().enumerate() {
        let entry = passed.entry(bib.as_str()).or_default();
        match point.as_str() {
            crate::timing::START => {
                entry.start.get_or_insert(*at_ms);
            }
            crate::timing::FINISH => {
                entry.finish.get_or_insert((*at_ms, order));
            }
            other => {
                if !entry.points.iter().any(|(p, _)| *p == other) {
                    entry.points.push((other, *at_ms));
                }
            }
        }
    }
    passed
}

/// The start of a runner in `wave` of `race`: their wave's, else the
/// race's; a runner with no wave (or one the race does not have) starts
/// with the race, else with its first wave: never later than they could
/// have.
pub(crate) fn start_of(
    starts: &[(String, String, i64)],
    race: &Race,
    wave: Option<&str>,
) -> Option<i64> {
    let code = race.code.as_str();
    let start_of = |wave: &str| {
        starts
            .iter()
            .find(|(r, w, _)| r == code && w == wave)
            .map(|s| s.2)
    };
    let race_start = start_of("").or_else(|| {
        starts
            .iter()
            .filter(|(r, _, _)| r == code)
            .map(|s| s.2)
            .min()
    });
    wave.and_then(|w| race.waves.iter().find(|rw| rw.eq_ignore_ascii_case(w)))
        .and_then(|w| start_of(w))
        .or(race_start)
}

pub(crate) fn score(facts: &Facts) -> Vec<RaceResults> {
    let passed = passed_by_bib(facts.passings, facts.runners.len());
    // One thread per race: the races share nothing but what was read.
    std::thread::scope(|scope| {
        let workers: Vec<_> = facts
            .races
            .iter()
            .map(|race| scope.spawn(|| score_race(facts, race, &passed)))
            .collect();
        // A panic in a worker is a bug here, passed on as it was.
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
            .collect()
    })
}

/// Counts one more in `key`'s group and returns the count (a place).
fn next_in(groups: &mut HashMap<String, u32>, key: &str) -> u32 {
    match groups.get_mut(key) {
        Some(n) => {
            *n += 1;
            *n
        }
        None => {
            groups.insert(key.to_owned(), 1);
            1
        }
    }
}

/// A runner's row before places are given, with what orders it.
struct Scored {
    row: ResultRow,
    official_ms: Option<i64>,
    finish_order: usize,
}

fn score_race(facts: &Facts, race: &Race, passed: &HashMap<&str, Passed>) -> RaceResults {
    let code = race.code.as_str();
    let mut entrants = 0;
    let mut scored = Vec::new();
    for runner in facts.runners.iter().filter(|r| r.race == code) {
        entrants += 1;
        let bib = runner.bib.clone();
        let mine = passed.get(bib.as_str());
        let status = facts.statuses.get(&bib);
        let finish = mine.and_then(|p| p.finish);
        if finish.is_none() && status.is_none() {
            continue;
        }
        let start = start_of(facts.starts, race, runner.wave.as_deref());
        let gun_ms = finish.zip(start).map(|((at, _), start)| at - start);
        let net_ms = finish
            .zip(mine.and_then(|p| p.start))
            .map(|((at, _), own)| at - own);
        let official_ms = if race.net_time {
            net_ms.or(gun_ms)
        } else {
            gun_ms
        };
        let status = match (status, official_ms) {
            (Some(s), _) => s.clone(),
            (None, None) => "no start".to_owned(),
            (None, Some(ms)) if ms < 0 => "before start".to_owned(),
            (None, Some(ms)) if race.cutoff_ms.is_some_and(|cut| ms > cut) => {
                "over cutoff".to_owned()
            }
            (None, Some(_)) => "finished".to_owned(),
        };
        // A DNS, DNF or DQ publishes no time.
        let timed = matches!(status.as_str(), "finished" | "over cutoff");
        let age = runner.age;
        let gender = runner.gender.as_str();
        let category = age
            .and_then(|a| u8::try_from(a).ok())
            .and_then(|a| race.age_groups.band_for(a))
            .map(|band| {
                if band.from == 0 && band.to.is_none() {
                    gender.to_owned()
                } else {
                    format!("{gender}{band}")
                }
            });
        let splits = race
            .checkpoints
            .iter()
            .map(|c| {
                let at = mine.and_then(|p| {
                    p.points
                        .iter()
                        .find(|(point, _)| *point == c.point)
                        .map(|(_, at)| *at)
                })?;
                let ms = at - start?;
                (timed && ms > 0).then(|| Split {
                    ms,
                    time: format_result_time(ms),
                    pace: pace(ms, c.distance_m),
                })
            })
            .collect();
        scored.push(Scored {
            row: ResultRow {
                place: None,
                bib,
                name: runner.name.clone(),
                native_name: runner.native_name.clone(),
                gender: gender.to_owned(),
                age,
                category,
                gender_place: None,
                category_place: None,
                nationality: runner.nationality.clone(),
                group: runner.group.clone(),
                gun_ms: gun_ms.filter(|_| timed),
                net_ms: net_ms.filter(|_| timed),
                gun_time: gun_ms.filter(|_| timed).map(format_result_time),
                net_time: net_ms.filter(|_| timed).map(format_result_time),
                pace: official_ms
                    .filter(|&ms| timed && ms > 0)
                    .map(|ms| pace(ms, race.distance_m)),
                status,
                splits,
                finished_at_ms: finish.map(|(at, _)| at),
            },
            official_ms,
            finish_order: finish.map_or(usize::MAX, |(_, order)| order),
        });
    }

    // Ranked: by the full-precision official time, then crossing order.
    let (mut ranked, mut apart): (Vec<Scored>, Vec<Scored>) =
        scored.into_iter().partition(|s| s.row.status == "finished");
    ranked.sort_by_key(|s| (s.official_ms, s.finish_order));
    let mut by_gender: HashMap<String, u32> = HashMap::new();
    let mut by_category: HashMap<String, u32> = HashMap::new();
    for (i, s) in ranked.iter_mut().enumerate() {
        s.row.place = Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
        s.row.gender_place = Some(next_in(&mut by_gender, &s.row.gender));
        if let Some(category) = &s.row.category {
            s.row.category_place = Some(next_in(&mut by_category, category));
        }
    }
    // Apart: over the cutoff by time, then the rest by kind and bib.
    let rank_of = |status: &str| match status {
        "over cutoff" => 0,
        "before start" | "no start" => 1,
        "DNF" => 2,
        "DQ" => 3,
        _ => 4,
    };
    apart.sort_by(|a, b| {
        (
            rank_of(&a.row.status),
            a.official_ms,
            a.row.bib.len(),
            &a.row.bib,
        )
            .cmp(&(
                rank_of(&b.row.status),
                b.official_ms,
                b.row.bib.len(),
                &b.row.bib,
            ))
    });
    RaceResults {
        code: code.to_owned(),
        name: race.name.clone(),
        distance_m: race.distance_m,
        net_time: race.net_time,
        checkpoints: race.checkpoints.clone(),
        entrants,
        rows: ranked.into_iter().chain(apart).map(|s| s.row).collect(),
    }
}

/// Pace per km as m:ss, rounded up like the times.
fn pace(ms: i64, metres: u32) -> String {
    if metres == 0 {
        return String::new();
    }
    // Seconds per km is ms per metre.
    let metres = i64::from(metres);
    let seconds = (ms.max(0) + metres - 1) / metres;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::{Facts, Runner, pace, score};
    use crate::model::{AgeGroups, Race, RaceCode, format_result_time};

    #[test]
    fn pace_is_per_km_rounded_up() {
        // A 3:00:00 marathon is 4:15.9 per km.
        assert_eq!(pace(10_800_000, 42_195), "4:16");
        assert_eq!(pace(1_500_000, 5_000), "5:00");
    }

    fn runner(n: usize, gender: &str, age: u8) -> Runner {
        Runner {
            bib: (n + 1).to_string(),
            race: "10K".into(),
            name: format!("Runner {n}"),
            native_name: None,
            gender: gender.into(),
            age: Some(i64::from(age)),
            nationality: None,
            group: None,
            wave: None,
        }
    }

    fn seconds(time: &str) -> i64 {
        time.split(':')
            .fold(0, |t, part| t * 60 + part.parse::<i64>().unwrap())
    }

    proptest! {
        /// Places in every group run 1..n without a gap, and the published
        /// (rounded) time never puts a slower runner ahead.
        #[test]
        fn places_are_gapless_and_never_out_of_time_order(
            field in prop::collection::vec(
                (0..3u8, 18..80u8, 1_500_000..1_600_000i64, prop::option::weighted(0.1, 0..3u8)),
                1..120,
            )
        ) {
            let race = Race {
                code: RaceCode::parse("10K").unwrap(),
                name: "10 km".into(),
                distance_m: 10_000,
                age_groups: AgeGroups::parse("five-year").unwrap(),
                bibs: None,
                waves: Vec::new(),
                checkpoints: Vec::new(),
                net_time: false,
                cutoff_ms: None,
                overdue_ms: None,
                records: Vec::new(),
            };
            let genders = ["F", "M", "X"];
            let runners: Vec<Runner> = field
                .iter()
                .enumerate()
                .map(|(n, (g, age, _, _))| runner(n, genders[usize::from(*g)], *age))
                .collect();
            // Crossing order is by time; a tie (the same ms) keeps input order.
            let mut passings: Vec<(String, i64, String)> = field
                .iter()
                .enumerate()
                .map(|(n, (_, _, ms, _))| ("finish".to_owned(), *ms, (n + 1).to_string()))
                .collect();
            passings.sort_by_key(|p| p.1);
            let statuses: HashMap<String, String> = field
                .iter()
                .enumerate()
                .filter_map(|(n, (_, _, _, s))| {
                    s.map(|s| ((n + 1).to_string(), ["DNF", "DQ", "DNS"][usize::from(s)].to_owned()))
                })
                .collect();
            let results = score(&Facts {
                races: std::slice::from_ref(&race),
                runners: &runners,
                starts: &[("10K".into(), String::new(), 0)],
                passings: &passings,
                statuses: &statuses,
            });
            let rows = &results[0].rows;
            prop_assert_eq!(rows.len(), field.len());
            let ranked: Vec<_> = rows.iter().filter(|r| r.place.is_some()).collect();
            prop_assert_eq!(ranked.len(), field.len() - statuses.len());
            let mut groups: HashMap<String, Vec<u32>> = HashMap::new();
            for r in &ranked {
                groups.entry("all".into()).or_default().push(r.place.unwrap());
                groups.entry(r.gender.clone()).or_default().push(r.gender_place.unwrap());
                let category = r.category.clone().unwrap();
                groups.entry(category).or_default().push(r.category_place.unwrap());
            }
            for places in groups.values() {
                let expected: Vec<u32> = (1..=places.len() as u32).collect();
                prop_assert_eq!(places, &expected);
            }
            for pair in ranked.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                prop_assert!(a.gun_ms <= b.gun_ms);
                prop_assert!(
                    seconds(a.gun_time.as_deref().unwrap()) <= seconds(b.gun_time.as_deref().unwrap())
                );
                prop_assert_eq!(a.gun_time.clone().unwrap(), format_result_time(a.gun_ms.unwrap()));
            }
        }
    }
}
