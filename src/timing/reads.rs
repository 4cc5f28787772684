//! The captures as they stand after corrections, with what needs a
//! person's look flagged.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use super::Flag;
use super::capture::{FINISH, START, parse_point};
use super::order::Pair;
use crate::error::{Error, Result};
use crate::model::format_instant;
use crate::store::EventFile;
use crate::store::timing as store;

/// A capture as it stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Read {
    pub id: String,
    pub point: String,
    pub at_ms: i64,
    /// The time of day in the event's zone, HH:MM:SS.mmm.
    pub time: String,
    /// The bib after corrections (a chip read gives its holder's bib).
    pub bib: Option<String>,
    pub chip: Option<String>,
    pub station: String,
    pub seq: i64,
    /// tap, bib, chip, import or manual.
    pub source: String,
    /// ok, void, or review when something needs a person's look.
    pub status: String,
    /// What needs a look: duplicate, unknown bib, unknown chip, race not
    /// started, before start, too fast, not on its route.
    pub flags: Vec<Flag>,
    pub corrected: bool,
    /// The race (code) of the bib, when the roster has the bib.
    pub race: Option<String>,
    /// Time from the race's start (its first wave's) to this capture, at
    /// any point but the start; none before the race is started.
    pub elapsed_ms: Option<i64>,
    /// The runner's name, Latin and Hangul where on file: filled only for
    /// the newest captures ([`latest_at`]), which a timer reads.
    pub name: Option<String>,
    pub native_name: Option<String>,
}

/// World records (men's road or track) by distance in metres, in ms: a
/// finish faster than the record for its distance (scaled by Riegel's
/// formula between them) is flagged, not dropped.
const RECORDS: [(i64, i64); 4] = [
    (5_000, 755_000),
    (10_000, 1_571_000),
    (21_097, 3_451_000),
    (42_195, 7_235_000),
];

fn record_for(distance_m: i64) -> i64 {
    let (d, t) = RECORDS
        .iter()
        .copied()
        .min_by_key(|(d, _)| (d - distance_m).abs())
        .unwrap_or(RECORDS[3]);
    (t as f64 * (distance_m as f64 / d as f64).powf(1.06)) as i64
}

/// Every capture, in crossing order, as the corrections leave it.
pub async fn reads(file: &EventFile) -> Result<Vec<Read>> {
    Ok(derive(file, None).await?.0)
}

/// The captures at one timing point, as [`reads`] gives them: what is
/// flagged there depends only on that point's captures.
pub async fn reads_at(file: &EventFile, point: &str) -> Result<Vec<Read>> {
    let point = parse_point(point)?;
    Ok(derive(file, Some(&point)).await?.0)
}

/// The newest `limit` captures at a point, newest first, each with its
/// runner's name: what the finish screen lists, its last one in big type.
pub async fn latest_at(file: &EventFile, point: &str, limit: usize) -> Result<Vec<Read>> {
    let mut reads = reads_at(file, point).await?;
    reads.reverse();
    reads.truncate(limit);
    for read in &mut reads {
        if let Some(bib) = &read.bib
            && let Some((name, native)) = store::runner_name(file.reader(), bib).await?
        {
            read.name = Some(name).filter(|n| !n.is_empty());
            read.native_name = native;
        }
    }
    Ok(reads)
}

/// The two-operator pairs at `point`, first across first: derived with
/// the reads, since a pair's time is a read (order.rs only pairs them).
pub async fn pairing(file: &EventFile, point: &str) -> Result<Vec<Pair>> {
    let point = parse_point(point)?;
    Ok(derive(file, Some(&point))
        .await?
        .1
        .into_iter()
        .filter(|(p, _)| *p == point)
        .flat_map(|(_, pairs)| pairs)
        .collect())
}

/// The pairs of two-operator timing at each point that has them.
pub(crate) type Pairing = Vec<(String, Vec<Pair>)>;

/// A capture as its corrections and the crossing order leave it.
pub(crate) struct Effective {
    pub view: store::PassingView,
    /// The bib after corrections, chip holder or crossing order.
    pub bib: Option<String>,
    /// The instant after corrections.
    pub at_ms: i64,
}

/// Each pair with the index of its time among the captures.
type Slotted = Vec<(Option<usize>, Pair)>;

/// The captures (at `only` that point, or everywhere) in crossing order,
/// and the two-operator pairs at each point that has them (at `only`
/// even before its first bib is typed). `lean` reads no ids, sources or
/// stations (for scoring).
pub(crate) async fn effective(
    file: &EventFile,
    only: Option<&str>,
    lean: bool,
) -> Result<(Vec<Effective>, Vec<(String, Slotted)>)> {
    // One read transaction, so the captures and their corrections agree.
    let mut tx = file.reader().begin().await?;
    let passings = store::passings(&mut tx, only, lean).await?;
    let crossings = crate::store::crossings::crossings(&mut *tx).await?;
    tx.commit().await?;
    let mut captures: Vec<Effective> = passings
        .into_iter()
        .map(|p| Effective {
            bib: p
                .bib_fix
                .clone()
                .or_else(|| p.bib.clone())
                .or_else(|| p.chip_bib.clone()),
            at_ms: p.time_fix.unwrap_or(p.at_ms),
            view: p,
        })
        .collect();
    // The crossing order, as corrected times put it; a tie keeps the order
    // of the times as captured, then of the writing (rowids). Sorted by
    // keys taken once, so the captures themselves move once.
    captures.sort_by_cached_key(|c| (c.at_ms, c.view.at_ms, c.view.key));

    // Two operators: the n-th bib typed at a point goes to its n-th time
    // there, a time that came with no bib of its own and is not void.
    let mut pairing = Vec::new();
    let mut by_point: std::collections::BTreeMap<&str, Vec<_>> = Default::default();
    for crossing in crossings
        .iter()
        .filter(|c| only.is_none_or(|point| c.point == point))
    {
        by_point.entry(&crossing.point).or_default().push(crossing);
    }
    if let Some(point) = only {
        by_point.entry(point).or_default();
    }
    for (point, group) in by_point {
        let slots: Vec<(usize, Option<String>)> = captures
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.view.point == point
                    && c.view.bib.is_none()
                    && c.view.chip.is_none()
                    && !c.view.voided
            })
            .map(|(i, c)| (i, c.bib.clone()))
            .collect();
        let pairs = super::order::pair_up(&slots, &group);
        for (slot, pair) in &pairs {
            if let Some(i) = slot {
                captures[*i].bib.clone_from(&pair.bib);
            }
        }
        pairing.push((point.to_owned(), pairs));
    }
    Ok((captures, pairing))
}

/// The reads (at `only` that point, or everywhere), and the two-operator
/// pairs they were given bibs from.
pub(crate) async fn derive(file: &EventFile, only: Option<&str>) -> Result<(Vec<Read>, Pairing)> {
    let zone = crate::setup::event(file).await?.time_zone;
    let (captures, pairing) = effective(file, only, false).await?;
    let races = crate::store::races::all(file.reader()).await?;
    let distance: HashMap<i64, i64> = races.iter().map(|r| (r.id, r.distance_m)).collect();
    let race_code: HashMap<&str, i64> = races.iter().map(|r| (r.code.as_str(), r.id)).collect();
    let code_of: HashMap<i64, &str> = races.iter().map(|r| (r.id, r.code.as_str())).collect();
    // Each race's checkpoints (`point=metres,...`).
    let route: HashMap<i64, HashSet<&str>> = races
        .iter()
        .map(|r| {
            let points = r
                .checkpoints
                .split(',')
                .filter_map(|c| c.rsplit_once('=').map(|(point, _)| point))
                .collect();
            (r.id, points)
        })
        .collect();
    let race_of: HashMap<String, i64> =
        store::bib_races(file.reader()).await?.into_iter().collect();
    // A race's start: the whole race's, else its first wave's.
    let mut starts: HashMap<i64, i64> = HashMap::new();
    for start in store::current_starts(file.reader()).await? {
        if let Some(&race) = race_code.get(start.race.as_str()) {
            let at = starts.entry(race).or_insert(start.at_ms);
            if start.wave.is_empty() || start.at_ms < *at {
                *at = start.at_ms;
            }
        }
    }

    let mut reads: Vec<Read> = captures
        .into_iter()
        .map(|c| {
            let p = c.view;
            Read {
                time: format_instant(c.at_ms, zone),
                id: p.id,
                point: p.point,
                at_ms: c.at_ms,
                bib: c.bib,
                chip: p.chip,
                station: p.station,
                seq: p.seq,
                source: p.source,
                status: if p.voided { "void" } else { "ok" }.into(),
                flags: Vec::new(),
                corrected: p.corrections > 0,
                race: None,
                elapsed_ms: None,
                name: None,
                native_name: None,
            }
        })
        .collect();

    let mut seen_at_finish: HashMap<String, usize> = HashMap::new();
    for read in reads
        .iter()
        .filter(|r| r.status == "ok" && r.point == FINISH)
    {
        if let Some(bib) = &read.bib {
            *seen_at_finish.entry(bib.clone()).or_default() += 1;
        }
    }
    for read in reads.iter_mut().filter(|r| r.status == "ok") {
        let Some(bib) = read.bib.clone() else {
            if read.chip.is_some() {
                read.flags.push(Flag::UnknownChip);
            }
            continue;
        };
        let Some(race) = race_of.get(&bib) else {
            read.flags.push(Flag::UnknownBib);
            continue;
        };
        read.race = code_of.get(race).map(|code| (*code).to_owned());
        if read.point != START {
            read.elapsed_ms = starts.get(race).map(|start| read.at_ms - start);
        }
        if read.point == FINISH && seen_at_finish.get(&bib).copied().unwrap_or(0) > 1 {
            read.flags.push(Flag::Duplicate);
        }
        if read.point != START
            && read.point != FINISH
            && !route
                .get(race)
                .is_some_and(|points| points.contains(read.point.as_str()))
        {
            read.flags.push(Flag::NotOnItsRoute);
        }
        if read.point != START {
            // A bib of a race with no gun yet has no time: said at once,
            // and gone when the start is entered afterwards.
            let Some(&start) = starts.get(race) else {
                read.flags.push(Flag::RaceNotStarted);
                continue;
            };
            if read.at_ms < start {
                read.flags.push(Flag::BeforeStart);
            } else if read.point == FINISH
                && let Some(&metres) = distance.get(race)
                && read.at_ms - start < record_for(metres)
            {
                read.flags.push(Flag::TooFast);
            }
        }
    }
    for read in &mut reads {
        if !read.flags.is_empty() {
            read.status = "review".into();
        }
    }

    let pairing = pairing
        .into_iter()
        .map(|(point, pairs)| {
            let pairs = pairs
                .into_iter()
                .map(|(slot, mut pair)| {
                    if let Some(read) = slot.map(|i| &reads[i]) {
                        pair.time_id = Some(read.id.clone());
                        pair.at_ms = Some(read.at_ms);
                        pair.time = Some(read.time.clone());
                        pair.flags.extend(read.flags.iter().copied());
                    } else if let Some(bib) = &pair.typed
                        && !race_of.contains_key(bib)
                    {
                        pair.flags.push(Flag::UnknownBib);
                    }
                    pair
                })
                .collect();
            (point, pairs)
        })
        .collect();
    Ok((reads, pairing))
}

/// A race's (or wave's) standing start.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Start {
    pub race: String,
    /// Empty for the whole race.
    pub wave: String,
    pub id: String,
    pub at_ms: i64,
    pub time: String,
}

pub async fn starts(file: &EventFile) -> Result<Vec<Start>> {
    let zone = crate::setup::event(file).await?.time_zone;
    Ok(store::current_starts(file.reader())
        .await?
        .into_iter()
        .map(|s| Start {
            time: format_instant(s.at_ms, zone),
            race: s.race,
            wave: s.wave,
            id: s.id,
            at_ms: s.at_ms,
        })
        .collect())
}

/// A runner marked DNS, DNF or DQ, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct RunnerStatus {
    pub bib: String,
    pub status: String,
    pub reason: Option<String>,
}

pub async fn statuses(file: &EventFile) -> Result<Vec<RunnerStatus>> {
    Ok(store::statuses(file.reader())
        .await?
        .into_iter()
        .map(|s| RunnerStatus {
            bib: s.bib,
            status: s.status,
            reason: s.reason,
        })
        .collect())
}

/// The history of one capture: the passing, then each correction of it.
pub async fn history(file: &EventFile, id: &str) -> Result<Vec<store::HistoryEntry>> {
    let history = store::history(file.reader(), id).await?;
    if history.is_empty() {
        return Err(Error::NotFound(crate::said!("error.no_capture", id = id)));
    }
    Ok(history)
}

/// The reads as CSV: id, point, time, bib, station, source, status, flags.
pub fn write_reads_csv(reads: &[Read], out: impl Write) -> Result<()> {
    let mut writer = crate::files::SafeCsv::new(out);
    let io = |e: csv::Error| Error::Unreadable {
        path: "output".into(),
        reason: e.to_string(),
    };
    writer
        .row([
            "id", "point", "time", "bib", "chip", "station", "source", "status", "flags",
        ])
        .map_err(io)?;
    for r in reads {
        writer
            .row([
                r.id.as_str(),
                &r.point,
                &r.time,
                r.bib.as_deref().unwrap_or(""),
                r.chip.as_deref().unwrap_or(""),
                &r.station,
                &r.source,
                &r.status,
                &r.flags
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ])
            .map_err(io)?;
    }
    writer.flush().map_err(|e| io(e.into()))?;
    Ok(())
}

/// Bibs seen at `point`, for tests and the finish screen's counters.
pub fn bibs_at(reads: &[Read], point: &str) -> HashSet<String> {
    reads
        .iter()
        .filter(|r| r.status != "void" && r.point == point)
        .filter_map(|r| r.bib.clone())
        .collect()
}
