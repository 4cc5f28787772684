//! Still on the course: every runner who started and has neither finished
//! nor been marked out (DNF, DQ, DNS), where each was last seen and how
//! late they are at the next point against their own pace so far. For the
//! sweep vehicle, the medical tent and the race director.

use std::collections::{HashMap, HashSet};

use super::score::{self, Passed};
use crate::error::{Error, Result};
use crate::model::{EventDate, Race, TimeZone, format_instant_for};
use crate::store::EventFile;

/// A runner this late at their next point is overdue, unless the caller
/// says otherwise for the race.
pub const OVERDUE_MS: i64 = 15 * 60_000;
/// The pace taken for a runner seen at no checkpoint yet, in a race with
/// no cutoff: 10 min/km, a walker's (a slower guess marks fewer runners
/// overdue before they could be).
const WALKING_MS_PER_M: f64 = 600.0;

/// A runner out on the course.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct OnCourse {
    pub bib: String,
    pub name: String,
    pub native_name: Option<String>,
    pub nationality: Option<String>,
    pub group: Option<String>,
    /// The furthest point the runner was seen at: a checkpoint, or
    /// `start` (the start mat, or the gun for a runner only checked in).
    pub last_point: String,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub last_at_ms: i64,
    /// The next checkpoint on the route, or `finish`.
    pub next_point: String,
    /// When the runner is due there at their pace so far.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub due_ms: i64,
    /// How late against that (negative: not yet due).
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub late_ms: i64,
    /// When the runner should reach the finish at the pace between their
    /// last two splits (else their pace so far): the announcer's "who is
    /// coming".
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub finish_eta_ms: i64,
    /// Later than the race's threshold.
    pub overdue: bool,
}

/// A race's runners still out, the latest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct RaceOnCourse {
    pub code: String,
    pub name: String,
    pub out: Vec<OnCourse>,
    /// How many were last seen at each point, the furthest first.
    pub by_point: Vec<(String, u32)>,
    pub overdue: u32,
}

/// Who is out on the course at `now_ms`, each race's runners the latest
/// first. A race's threshold is what `overdue_ms` says for it (a report's
/// own), else the race's, else [`OVERDUE_MS`].
pub async fn on_course(
    file: &EventFile,
    now_ms: i64,
    overdue_ms: &(dyn Fn(&str) -> Option<i64> + Sync),
) -> Result<Vec<RaceOnCourse>> {
    let (loaded, checked_in) = tokio::try_join!(super::Loaded::read(file), checked_in(file))?;
    Ok(still_out(&loaded.facts(), &checked_in, now_ms, overdue_ms))
}

/// The bibs checked in and not undone.
async fn checked_in(file: &EventFile) -> Result<HashSet<String>> {
    let bibs: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT e.bib FROM checkin c JOIN entrant e ON e.uid = c.entrant_uid
         WHERE c.action = 'in' AND NOT EXISTS (SELECT 1 FROM checkin u WHERE u.undoes = c.id)",
    )
    .fetch_all(file.reader())
    .await?;
    Ok(bibs.into_iter().collect())
}

pub(crate) fn still_out(
    facts: &score::Facts,
    checked_in: &HashSet<String>,
    now_ms: i64,
    overdue_ms: &(dyn Fn(&str) -> Option<i64> + Sync),
) -> Vec<RaceOnCourse> {
    let passed = score::passed_by_bib(facts.passings, facts.runners.len());
    facts
        .races
        .iter()
        .map(|race| {
            race_out(
                facts,
                race,
                &passed,
                checked_in,
                now_ms,
                overdue_ms(race.code.as_str())
                    .or(race.overdue_ms)
                    .unwrap_or(OVERDUE_MS),
            )
        })
        .collect()
}

fn race_out(
    facts: &score::Facts,
    race: &Race,
    passed: &HashMap<&str, Passed>,
    checked_in: &HashSet<String>,
    now_ms: i64,
    threshold_ms: i64,
) -> RaceOnCourse {
    let code = race.code.as_str();
    let mut out = Vec::new();
    for runner in facts.runners.iter().filter(|r| r.race == code) {
        let mine = passed.get(runner.bib.as_str());
        if mine.is_some_and(|p| p.finish.is_some()) || facts.statuses.contains_key(&runner.bib) {
            continue;
        }
        let gun = score::start_of(facts.starts, race, runner.wave.as_deref());
        // The furthest checkpoint the runner was seen at.
        let splits: Vec<(&str, u32, i64)> = race
            .checkpoints
            .iter()
            .filter_map(|c| {
                let at = mine?.points.iter().find(|(p, _)| *p == c.point)?.1;
                Some((c.point.as_str(), c.distance_m, at))
            })
            .collect();
        let seen = splits.iter().copied().max_by_key(|(_, metres, _)| *metres);
        // The pace between the last two splits: runners slow late in a
        // race, and the finish comes at the pace they hold now.
        let recent = match splits.as_slice() {
            [.., (_, m0, t0), (_, m1, t1)] if m1 > m0 && t1 > t0 => {
                Some((t1 - t0) as f64 / f64::from(m1 - m0))
            }
            _ => None,
        };
        let own_start = mine.and_then(|p| p.start).or(gun);
        // Started: seen on the course, or checked in once the gun went.
        let Some((last_point, last_m, last_at)) = seen.or_else(|| {
            let start = own_start.filter(|_| {
                mine.is_some_and(|p| p.start.is_some()) || checked_in.contains(&runner.bib)
            })?;
            Some((crate::timing::START, 0, start))
        }) else {
            continue;
        };
        let ms_per_m = match own_start {
            Some(start) if last_m > 0 && last_at > start => {
                (last_at - start) as f64 / f64::from(last_m)
            }
            _ => race.cutoff_ms.map_or(WALKING_MS_PER_M, |cut| {
                cut as f64 / f64::from(race.distance_m.max(1))
            }),
        };
        let (next_point, next_m) = race
            .checkpoints
            .iter()
            .find(|c| c.distance_m > last_m)
            .map_or((crate::timing::FINISH, race.distance_m), |c| {
                (c.point.as_str(), c.distance_m)
            });
        let at_pace =
            |metres: u32| last_at + (f64::from(metres - last_m) * ms_per_m).round() as i64;
        let due_ms = at_pace(next_m);
        let late_ms = now_ms - due_ms;
        out.push(OnCourse {
            bib: runner.bib.clone(),
            name: runner.name.clone(),
            native_name: runner.native_name.clone(),
            nationality: runner.nationality.clone(),
            group: runner.group.clone(),
            last_point: last_point.to_owned(),
            last_at_ms: last_at,
            next_point: next_point.to_owned(),
            due_ms,
            late_ms,
            finish_eta_ms: last_at
                + (f64::from(race.distance_m.max(last_m) - last_m) * recent.unwrap_or(ms_per_m))
                    .round() as i64,
            overdue: late_ms > threshold_ms,
        });
    }
    out.sort_by(|a, b| b.late_ms.cmp(&a.late_ms).then_with(|| a.bib.cmp(&b.bib)));
    // Counted per point, the furthest along the route first.
    let distance = |point: &str| {
        race.checkpoints
            .iter()
            .find(|c| c.point == point)
            .map_or(0, |c| c.distance_m)
    };
    let mut by_point: Vec<(String, u32)> = Vec::new();
    for runner in &out {
        match by_point.iter_mut().find(|(p, _)| *p == runner.last_point) {
            Some((_, n)) => *n += 1,
            None => by_point.push((runner.last_point.clone(), 1)),
        }
    }
    by_point.sort_by_key(|(point, _)| std::cmp::Reverse(distance(point)));
    RaceOnCourse {
        code: code.to_owned(),
        name: race.name.clone(),
        overdue: out.iter().filter(|r| r.overdue).count() as u32,
        out,
        by_point,
    }
}

/// The runners expected at the finish next, soonest first: those still out
/// whose finish at their pace so far is at most `behind_ms` ago (later
/// than that they have likely slowed, and are the sweep's), `limit` of
/// them, each with their race's code.
pub fn expected_next(
    races: &[RaceOnCourse],
    now_ms: i64,
    behind_ms: i64,
    limit: usize,
) -> Vec<(String, OnCourse)> {
    let mut next: Vec<(String, OnCourse)> = races
        .iter()
        .flat_map(|race| race.out.iter().map(|r| (race.code.clone(), r.clone())))
        .filter(|(_, r)| r.finish_eta_ms >= now_ms - behind_ms)
        .collect();
    next.sort_by_key(|(_, r)| r.finish_eta_ms);
    next.truncate(limit);
    next
}

/// A runner expected at the finish next, with what the announcer says of
/// them (from the roster).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Coming {
    pub race: String,
    pub runner: OnCourse,
    pub city: Option<String>,
    pub note: Option<String>,
    pub highlight: Option<String>,
}

/// How long past their predicted finish a runner is still expected: later
/// than that they have likely slowed, and are the sweep's.
const STILL_EXPECTED_MS: i64 = 5 * 60_000;

/// The `limit` runners expected at the finish next, soonest first, for the
/// announcer's screen.
pub async fn coming_next(file: &EventFile, now_ms: i64, limit: usize) -> Result<Vec<Coming>> {
    let races = on_course(file, now_ms, &|_| None).await?;
    let mut coming = Vec::new();
    for (race, runner) in expected_next(&races, now_ms, STILL_EXPECTED_MS, limit) {
        let (city, note, highlight) = super::view::said_of(file, &runner.bib)
            .await?
            .unwrap_or_default();
        coming.push(Coming {
            race,
            runner,
            city,
            note,
            highlight,
        });
    }
    Ok(coming)
}

/// The list as CSV for the sweep vehicle and the medical tent: a row a
/// runner out, times of day in the event's zone, lateness in whole
/// minutes; every cell guarded as every CSV racedesk writes.
pub fn write_course_csv(
    races: &[RaceOnCourse],
    day: EventDate,
    zone: TimeZone,
    out: &mut impl std::io::Write,
) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| Error::Unreadable {
        path: "output".into(),
        reason: e.to_string(),
    };
    let clock = |ms: i64| time_of_day(ms, day, zone);
    let mut csv = crate::files::SafeCsv::new(out);
    csv.row([
        "race",
        "bib",
        "name",
        "native_name",
        "country",
        "group",
        "last_point",
        "last_seen",
        "next_point",
        "due",
        "late_min",
        "overdue",
    ])
    .map_err(|e| failed(&e))?;
    for race in races {
        for r in &race.out {
            csv.row([
                race.code.as_str(),
                &r.bib,
                &r.name,
                r.native_name.as_deref().unwrap_or(""),
                r.nationality.as_deref().unwrap_or(""),
                r.group.as_deref().unwrap_or(""),
                &r.last_point,
                &clock(r.last_at_ms),
                &r.next_point,
                &clock(r.due_ms),
                &r.late_ms.div_euclid(60_000).to_string(),
                if r.overdue { "yes" } else { "no" },
            ])
            .map_err(|e| failed(&e))?;
        }
    }
    csv.flush().map_err(|e| failed(&e))
}

/// An instant as the list shows it: the time of day to the second (with
/// the date when it is not race day).
pub fn time_of_day(ms: i64, day: EventDate, zone: TimeZone) -> String {
    let text = format_instant_for(ms, day, zone);
    let time = text.split('.').next().unwrap_or(&text);
    time.to_owned()
}
