//! The races of the event: marathon, half, 10 km, 5 km, each with its
//! distance, age-group scheme, reserved bibs and start waves.

use crate::error::{Error, Result};
use crate::model::{AgeGroups, BibRanges, Checkpoint, ParseError, Race, RaceCode};
use crate::store::EventFile;
use crate::store::audit::{self, Change};
use crate::store::edits::{self, Edit};
use crate::store::races::{self as rows, RaceRow};

/// A race with how many entrants it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaceSummary {
    pub race: Race,
    pub entrants: u64,
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
    let at = crate::store::now_ms();
    edits::record(
        &mut tx,
        Edit {
            entity: "race",
            target: &edits::hex(old.map_or(&row.uid, |o| &o.uid)),
            action: if old.is_some() { "update" } else { "create" },
            before: old.map(edits::race_state),
            after: Some(edits::race_state(&row)),
            station: file.station(),
            operator,
            at_ms: at,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        Change {
            operator,
            station: file.station(),
            entity: "race",
            key,
            action: if old.is_some() { "update" } else { "create" },
            old: old.map(super::to_json),
            new: Some(super::to_json(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a race that has no entrants.
pub async fn remove_race(file: &EventFile, code: &RaceCode, operator: &str) -> Result<()> {
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let existing = rows::all(&mut *tx).await?;
    let old = existing
        .iter()
        .find(|r| r.code == code.as_str())
        .ok_or_else(|| no_race(code))?;
    if old.entrants > 0 {
        return Err(Error::Conflict(crate::said!(
            "error.race_has_entrants",
            race = code,
            count = old.entrants
        )));
    }
    rows::delete(&mut *tx, old.id).await?;
    edits::record(
        &mut tx,
        Edit {
            entity: "race",
            target: &edits::hex(&old.uid),
            action: "delete",
            before: Some(edits::race_state(old)),
            after: None,
            station: file.station(),
            operator,
            at_ms: crate::store::now_ms(),
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        Change {
            operator,
            station: file.station(),
            entity: "race",
            key: code.as_str(),
            action: "delete",
            old: Some(super::to_json(old)),
            new: None,
        },
    )
    .await?;
    tx.commit().await?;
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
        },
        entrants: u64::try_from(row.entrants).unwrap_or(0),
    })
}
