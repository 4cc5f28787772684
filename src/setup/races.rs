//! The races of the event: marathon, half, 10 km, 5 km, each with its
//! distance, age-group scheme, reserved bibs and start waves.

use crate::error::{Error, Result};
use crate::model::{AgeGroups, BibRanges, Checkpoint, Gender, ParseError, Race, RaceCode};
use crate::store::EventFile;
use crate::store::audit::{self, Change};
use crate::store::edits::{self, Edit};
use crate::store::races::{self as rows, RaceRow};

/// A race with how many entrants it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaceSummary {
    pub race: Race,
    pub entrants: u64,
    /// The walk-up bibs given to each station, by station id.
    pub blocks: Vec<BibBlock>,
}

/// A block of a race's bibs a station hands walk-ups.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct BibBlock {
    pub station: String,
    /// Canonical ranges: `900-949`.
    pub bibs: String,
}

/// A race as a form gives it: text fields, checked by [`RaceForm::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct RaceForm {
    pub code: String,
    pub name: String,
    pub distance_m: u32,
    /// Age bands (`18-39,40-44,...,80+`) or a preset name.
    pub age_groups: String,
    /// Reserved bibs (`1-4999,F1-F99`); empty for any bib.
    pub bibs: String,
    /// Start waves in order, such as Elite, A, B; empty for one start.
    pub waves: Vec<String>,
    /// Checkpoints on the route: `5k, 10k, half=21.0975`.
    #[serde(default)]
    pub checkpoints: String,
    /// Ranked by net time (from each runner's own start passing).
    #[serde(default)]
    pub net_time: bool,
    /// The cutoff, `H:MM[:SS]`; empty for none.
    #[serde(default)]
    pub cutoff: String,
    /// Minutes late at the next point that mark a runner overdue on
    /// the still-on-the-course list; empty for 15.
    #[serde(default)]
    pub overdue: String,
    /// Course records: `2:05:30` for anyone, or `M=2:05:30, F=2:23:00`;
    /// empty for none.
    #[serde(default)]
    pub records: String,
}

impl RaceForm {
    /// The race, or the first field that is wrong.
    pub fn parse(&self) -> Result<Race> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Error::invalid(
                "name",
                ParseError::new(crate::said!("invalid.race_name")),
            ));
        }
        if self.distance_m == 0 {
            return Err(Error::invalid(
                "distanceM",
                ParseError::new(crate::said!("invalid.race_distance")),
            ));
        }
        let mut waves: Vec<String> = Vec::new();
        for wave in self
            .waves
            .iter()
            .map(|w| w.trim())
            .filter(|w| !w.is_empty())
        {
            if waves.iter().any(|w| w.eq_ignore_ascii_case(wave)) {
                return Err(Error::invalid(
                    "waves",
                    ParseError::new(crate::said!("invalid.wave_twice", wave = wave)),
                ));
            }
            waves.push(wave.to_owned());
        }
        Ok(Race {
            code: RaceCode::parse(&self.code).map_err(|e| Error::invalid("code", e))?,
            name: name.to_owned(),
            distance_m: self.distance_m,
            age_groups: AgeGroups::parse(&self.age_groups)
                .map_err(|e| Error::invalid("ageGroups", e))?,
            bibs: match self.bibs.trim() {
                "" => None,
                bibs => Some(BibRanges::parse(bibs).map_err(|e| Error::invalid("bibs", e))?),
            },
            waves,
            checkpoints: Checkpoint::parse_list(&self.checkpoints, self.distance_m)
                .map_err(|e| Error::invalid("checkpoints", e))?,
            net_time: self.net_time,
            cutoff_ms: match self.cutoff.trim() {
                "" => None,
                text => Some(parse_cutoff(text).map_err(|e| Error::invalid("cutoff", e))?),
            },
            overdue_ms: match self.overdue.trim() {
                "" => None,
                text => Some(parse_minutes(text).map_err(|e| Error::invalid("overdue", e))?),
            },
            records: parse_records(&self.records).map_err(|e| Error::invalid("records", e))?,
        })
    }

    pub fn from_race(race: &Race) -> Self {
        Self {
            code: race.code.to_string(),
            name: race.name.clone(),
            distance_m: race.distance_m,
            age_groups: race.age_groups.to_string(),
            bibs: race
                .bibs
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            waves: race.waves.clone(),
            checkpoints: Checkpoint::list_text(&race.checkpoints),
            net_time: race.net_time,
            cutoff: race
                .cutoff_ms
                .map(crate::model::format_result_time)
                .unwrap_or_default(),
            overdue: race
                .overdue_ms
                .map(|ms| (ms / 60_000).to_string())
                .unwrap_or_default(),
            records: records_text(&race.records),
        }
    }
}

/// Adds a race. Its code must be new, and its bibs may not overlap
/// another race's, so a bib always says which race a runner is in.
pub async fn add_race(file: &EventFile, race: &Race, operator: &str) -> Result<()> {
    save(file, None, race, operator).await
}

/// Changes a race (its code too). Its entrants stay with it; a bib range
/// that would leave some of them outside is refused.
pub async fn update_race(
    file: &EventFile,
    code: &RaceCode,
    race: &Race,
    operator: &str,
) -> Result<()> {
    save(file, Some(code), race, operator).await
}

async fn save(
    file: &EventFile,
    replacing: Option<&RaceCode>,
    race: &Race,
    operator: &str,
) -> Result<()> {
    crate::model::no_controls(&race.name, false).map_err(|e| Error::invalid("name", e))?;
    for wave in &race.waves {
        crate::model::no_controls(wave, false).map_err(|e| Error::invalid("waves", e))?;
    }
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let existing = rows::all(&mut *tx).await?;
    let old = match replacing {
        Some(code) => Some(
            existing
                .iter()
                .find(|r| r.code == code.as_str())
                .ok_or_else(|| no_race(code))?,
        ),
        None => None,
    };
    for other in existing.iter().filter(|r| Some(r.id) != old.map(|o| o.id)) {
        let other = from_row(other)?;
        if other.race.code == race.code {
            return Err(Error::Conflict(crate::said!(
                "error.race_exists",
                code = race.code
            )));
        }
        if let (Some(a), Some(b)) = (&race.bibs, &other.race.bibs)
            && a.overlaps(b)
        {
            return Err(Error::Conflict(crate::said!(
                "error.bibs_overlap",
                bibs = a,
                race = other.race.code,
                theirs = b
            )));
        }
    }
    let mut row = to_row(race);
    match old {
        None => {
            row.id = rows::insert(&mut *tx, &row).await?;
        }
        Some(old) => {
            row.id = old.id;
            row.blocks = old.blocks.clone();
            if let Some(ranges) = &race.bibs {
                let outside = rows::bibs_of(&mut *tx, old.id)
                    .await?
                    .iter()
                    .filter(|bib| {
                        crate::model::Bib::parse(bib).is_ok_and(|bib| !ranges.contains(&bib))
                    })
                    .count();
                if outside > 0 {
                    return Err(Error::Conflict(crate::said!(
                        "error.bibs_strand",
                        count = outside,
                        race = old.code,
                        ranges = ranges
                    )));
                }
            }
            rows::update(&mut *tx, &row).await?;
        }
    }
    rows::set_waves(&mut tx, row.id, &race.waves).await?;
    rows::set_checkpoints(&mut tx, row.id, &race.checkpoints).await?;
    let key = old.map_or(race.code.as_str(), |o| o.code.as_str());
    record(&mut tx, (file.station(), operator), key, old, Some(&row)).await?;
    // A code given up here may go to a race that wanted it elsewhere.
    crate::sync::edits::settle_codes(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Gives the race `current` the code `code`, nothing else changed (a race
/// made elsewhere under a code a race here had first).
pub async fn rename_race(
    file: &EventFile,
    current: &str,
    code: &str,
    operator: &str,
) -> Result<()> {
    let current = RaceCode::parse(current).map_err(|e| Error::invalid("race", e))?;
    let summary = races(file)
        .await?
        .into_iter()
        .find(|s| s.race.code == current)
        .ok_or_else(|| no_race(&current))?;
    let mut race = summary.race;
    race.code = RaceCode::parse(code).map_err(|e| Error::invalid("code", e))?;
    update_race(file, &current, &race, operator).await
}

/// Removes a race that has no entrants.
pub async fn remove_race(file: &EventFile, code: &RaceCode, operator: &str) -> Result<()> {
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let existing = rows::all(&mut *tx).await?;
    let old = row_of(&existing, code)?;
    if old.entrants > 0 {
        return Err(Error::Conflict(crate::said!(
            "error.race_has_entrants",
            race = code,
            count = old.entrants
        )));
    }
    rows::delete(&mut *tx, old.id).await?;
    record(
        &mut tx,
        (file.station(), operator),
        code.as_str(),
        Some(old),
        None,
    )
    .await?;
    crate::sync::edits::settle_codes(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Audits a change of a race (`old` none for a new race, `new` none for
/// one removed) made by `who` (station, operator), and records it as an
/// edit that travels to the other stations.
async fn record(
    tx: &mut sqlx::SqliteConnection,
    who: (&str, &str),
    key: &str,
    old: Option<&RaceRow>,
    new: Option<&RaceRow>,
) -> Result<()> {
    let (station, operator) = who;
    let action = match (old, new) {
        (None, _) => "create",
        (_, None) => "delete",
        _ => "update",
    };
    let Some(uid) = old.or(new).map(|r| &r.uid) else {
        return Ok(());
    };
    edits::record(
        &mut *tx,
        Edit {
            entity: "race",
            target: &edits::hex(uid),
            action,
            before: old.map(edits::race_state),
            after: new.map(edits::race_state),
            station,
            operator,
            at_ms: crate::store::now_ms(),
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        Change {
            operator,
            station,
            entity: "race",
            key,
            action,
            old: old.map(super::to_json),
            new: new.map(super::to_json),
        },
    )
    .await?;
    Ok(())
}

/// The event's races in the order they were added.
pub async fn races(file: &EventFile) -> Result<Vec<RaceSummary>> {
    rows::all(file.reader())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The races alone, for the checks that need them (import, forms).
pub(crate) async fn race_list(file: &EventFile) -> Result<Vec<Race>> {
    Ok(races(file).await?.into_iter().map(|s| s.race).collect())
}

fn row_of<'a>(rows: &'a [RaceRow], code: &RaceCode) -> Result<&'a RaceRow> {
    rows.iter()
        .find(|r| r.code == code.as_str())
        .ok_or_else(|| no_race(code))
}

fn no_race(code: &RaceCode) -> Error {
    Error::NotFound(crate::said!("error.no_race", race = code))
}

fn to_row(race: &Race) -> RaceRow {
    RaceRow {
        id: 0,
        // Used when the race is added; an update keeps the race's own.
        uid: uuid::Uuid::now_v7().as_bytes().to_vec(),
        code: race.code.to_string(),
        name: race.name.trim().to_owned(),
        distance_m: i64::from(race.distance_m),
        age_groups: race.age_groups.to_string(),
        bibs: race.bibs.as_ref().map(ToString::to_string),
        waves: race.waves.join(","),
        checkpoints: race
            .checkpoints
            .iter()
            .map(|c| format!("{}={}", c.point, c.distance_m))
            .collect::<Vec<_>>()
            .join(","),
        net_time: race.net_time,
        cutoff_ms: race.cutoff_ms,
        overdue_ms: race.overdue_ms,
        records: Some(records_text(&race.records)).filter(|r| !r.is_empty()),
        blocks: "{}".into(),
        entrants: 0,
    }
}

/// A cutoff as `H:MM` or `H:MM:SS`, in ms.
fn parse_cutoff(text: &str) -> std::result::Result<i64, ParseError> {
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let numbers: Option<Vec<i64>> = parts.iter().map(|p| p.parse::<i64>().ok()).collect();
    let ms = match (parts.len(), numbers) {
        (2 | 3, Some(n)) if n.iter().all(|&x| x >= 0) && n[1..].iter().all(|&x| x < 60) => {
            (n[0] * 3600 + n[1] * 60 + n.get(2).copied().unwrap_or(0)) * 1000
        }
        _ => 0,
    };
    if ms <= 0 {
        return Err(ParseError::new(crate::said!(
            "invalid.cutoff",
            text = crate::model::shorten(text)
        )));
    }
    Ok(ms)
}

/// Course records as a form or the file holds them: `2:05:30` for anyone,
/// or per gender, `M=2:05:30, F=2:23:00` (`M 2:05:30` too).
fn parse_records(text: &str) -> std::result::Result<Vec<(Option<Gender>, i64)>, ParseError> {
    let mut records: Vec<(Option<Gender>, i64)> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (gender, time) = match part.split_once(['=', ' ']) {
            Some((gender, time)) => {
                let gender = Gender::parse(gender.trim()).map_err(|_| {
                    ParseError::new(crate::said!(
                        "invalid.records",
                        text = crate::model::shorten(part)
                    ))
                })?;
                (Some(gender), time.trim())
            }
            None => (None, part),
        };
        let ms = parse_cutoff(time).map_err(|_| {
            ParseError::new(crate::said!(
                "invalid.records",
                text = crate::model::shorten(part)
            ))
        })?;
        if records.iter().any(|(g, _)| *g == gender) {
            return Err(ParseError::new(crate::said!(
                "invalid.records",
                text = crate::model::shorten(part)
            )));
        }
        records.push((gender, ms));
    }
    Ok(records)
}

/// Course records as [`parse_records`] reads them.
fn records_text(records: &[(Option<Gender>, i64)]) -> String {
    records
        .iter()
        .map(|(gender, ms)| {
            let time = crate::model::format_result_time(*ms);
            match gender {
                Some(gender) => format!("{gender}={time}"),
                None => time,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whole minutes, 1 to a day, in ms.
fn parse_minutes(text: &str) -> std::result::Result<i64, ParseError> {
    match text.parse::<i64>() {
        Ok(minutes) if (1..=1440).contains(&minutes) => Ok(minutes * 60_000),
        _ => Err(ParseError::new(crate::said!(
            "invalid.overdue",
            text = crate::model::shorten(text)
        ))),
    }
}

pub(crate) fn from_row(row: &RaceRow) -> Result<RaceSummary> {
    let damaged = |e: ParseError| {
        Error::Storage(sqlx::Error::Decode(
            format!("race {}: {e}", row.code).into(),
        ))
    };
    Ok(RaceSummary {
        race: Race {
            code: RaceCode::parse(&row.code).map_err(damaged)?,
            name: row.name.clone(),
            distance_m: u32::try_from(row.distance_m).unwrap_or(u32::MAX),
            age_groups: AgeGroups::parse(&row.age_groups).map_err(damaged)?,
            bibs: row
                .bibs
                .as_deref()
                .map(BibRanges::parse)
                .transpose()
                .map_err(damaged)?,
            waves: row
                .waves
                .split(',')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect(),
            checkpoints: row
                .checkpoints
                .split(',')
                .filter(|c| !c.is_empty())
                .map(|c| {
                    let (point, metres) = c.rsplit_once('=').unwrap_or((c, ""));
                    Ok(Checkpoint {
                        point: point.to_owned(),
                        distance_m: metres.parse().map_err(|_| {
                            damaged(ParseError::new(crate::said!(
                                "invalid.stored_checkpoint",
                                text = c
                            )))
                        })?,
                    })
                })
                .collect::<Result<_>>()?,
            net_time: row.net_time,
            cutoff_ms: row.cutoff_ms,
            overdue_ms: row.overdue_ms,
            records: parse_records(row.records.as_deref().unwrap_or_default()).map_err(damaged)?,
        },
        entrants: u64::try_from(row.entrants).unwrap_or(0),
        blocks: blocks_of(row),
    })
}

/// A race's blocks, by station id.
fn blocks_of(row: &RaceRow) -> Vec<BibBlock> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.blocks).unwrap_or_default();
    map.into_iter()
        .filter_map(|(station, bibs)| {
            Some(BibBlock {
                station,
                bibs: bibs.as_str()?.to_owned(),
            })
        })
        .collect()
}

/// The walk-up bibs of `station` for a race, if it was given a block.
pub(crate) fn block_of(summary: &RaceSummary, station: &str) -> Option<BibRanges> {
    summary
        .blocks
        .iter()
        .find(|b| b.station == station)
        .and_then(|b| BibRanges::parse(&b.bibs).ok())
}

/// Gives `station` the block `bibs` of the race `code` (empty: takes its
/// block back). The block must lie within the race's bibs and share none
/// with another station's block; audited, and it travels to every station.
pub async fn set_block(
    file: &EventFile,
    race: &str,
    station: &str,
    bibs: &str,
    operator: &str,
) -> Result<()> {
    let code = &RaceCode::parse(race).map_err(|e| Error::invalid("race", e))?;
    let station = station.trim();
    if station.is_empty() {
        return Err(Error::invalid(
            "station",
            ParseError::new(crate::said!("invalid.block_station")),
        ));
    }
    let bibs = bibs.trim();
    let block = if bibs.is_empty() {
        None
    } else {
        Some(BibRanges::parse(bibs).map_err(|e| Error::invalid("bibs", e))?)
    };
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let existing = rows::all(&mut *tx).await?;
    let old = row_of(&existing, code)?;
    let summary = from_row(old)?;
    if let Some(block) = &block {
        if let Some(ranges) = &summary.race.bibs
            && !block.within(ranges)
        {
            return Err(Error::invalid(
                "bibs",
                ParseError::new(crate::said!(
                    "invalid.block_outside",
                    bibs = block,
                    race = code,
                    ranges = ranges
                )),
            ));
        }
        for other in summary.blocks.iter().filter(|b| b.station != station) {
            if let Ok(theirs) = BibRanges::parse(&other.bibs)
                && theirs.overlaps(block)
            {
                return Err(Error::Conflict(crate::said!(
                    "error.block_overlaps",
                    bibs = block,
                    station = other.station,
                    theirs = theirs
                )));
            }
        }
    }
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&old.blocks).unwrap_or_default();
    match &block {
        Some(block) => map.insert(station.to_owned(), block.to_string().into()),
        None => map.remove(station),
    };
    let mut row = old.clone();
    row.blocks = serde_json::Value::Object(map).to_string();
    rows::update(&mut *tx, &row).await?;
    record(
        &mut tx,
        (file.station(), operator),
        code.as_str(),
        Some(old),
        Some(&row),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives each of `stations` that has no block of a race yet a block of
/// `size` of that race's free bibs (from the top of its ranges, where a
/// roster rarely reaches), for every race that reserves bibs.
pub async fn give_blocks(
    file: &EventFile,
    stations: &[String],
    size: usize,
    operator: &str,
) -> Result<Vec<(String, BibBlock)>> {
    if size == 0 || size > 10_000 {
        return Err(Error::invalid(
            "size",
            ParseError::new(crate::said!("invalid.block_size")),
        ));
    }
    let taken: std::collections::HashSet<String> = crate::store::entrants::bibs(file.reader())
        .await?
        .into_iter()
        .collect();
    let mut given = Vec::new();
    for summary in races(file).await? {
        let Some(ranges) = &summary.race.bibs else {
            continue;
        };
        let mut blocked: Vec<BibRanges> = summary
            .blocks
            .iter()
            .filter_map(|b| BibRanges::parse(&b.bibs).ok())
            .collect();
        for station in stations {
            if summary.blocks.iter().any(|b| &b.station == station) {
                continue;
            }
            let free = ranges.last_free(size, |bib| {
                taken.contains(bib.as_str()) || blocked.iter().any(|b| b.contains(bib))
            });
            let Some(block) = free else {
                continue;
            };
            let code = summary.race.code.as_str();
            set_block(file, code, station, &block.to_string(), operator).await?;
            given.push((
                summary.race.code.to_string(),
                BibBlock {
                    station: station.clone(),
                    bibs: block.to_string(),
                },
            ));
            blocked.push(block);
        }
    }
    Ok(given)
}
