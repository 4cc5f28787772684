//! The races of the event: marathon, half, 10 km, 5 km, each with its
//! distance, age-group scheme and reserved bibs.

use crate::error::{Error, Result};
use crate::model::{AgeGroups, BibRanges, Race, RaceCode};
use crate::store::EventFile;
use crate::store::audit::{self, Change};
use crate::store::races::{self as rows, RaceRow};

/// A race with how many entrants it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaceSummary {
    pub race: Race,
    pub entrants: u64,
}

/// Adds a race. Its code must be new, and its bibs may not overlap
/// another race's, so a bib always says which race a runner is in.
pub async fn add_race(file: &EventFile, race: &Race, operator: &str) -> Result<()> {
    if race.name.trim().is_empty() {
        return Err(Error::invalid(
            "name",
            crate::model::ParseError::new("a race needs a name"),
        ));
    }
    if race.distance_m == 0 {
        return Err(Error::invalid(
            "distance",
            crate::model::ParseError::new("a race needs a distance above 0 m"),
        ));
    }
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let existing = rows::all(&mut *tx).await?;
    for other in existing.iter().map(from_row).collect::<Result<Vec<_>>>()? {
        if other.race.code == race.code {
            return Err(Error::Conflict(format!(
                "there is already a race {}",
                race.code
            )));
        }
        if let (Some(a), Some(b)) = (&race.bibs, &other.race.bibs)
            && a.overlaps(b)
        {
            return Err(Error::Conflict(format!(
                "the bibs {a} overlap those of {} ({b})",
                other.race.code
            )));
        }
    }
    let row = to_row(race);
    rows::insert(&mut *tx, &row).await?;
    audit::record(
        &mut *tx,
        Change {
            operator,
            entity: "race",
            key: race.code.as_str(),
            action: "create",
            old: None,
            new: Some(super::to_json(&row)),
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

fn to_row(race: &Race) -> RaceRow {
    RaceRow {
        id: 0,
        code: race.code.to_string(),
        name: race.name.trim().to_owned(),
        distance_m: i64::from(race.distance_m),
        age_groups: race.age_groups.to_string(),
        bibs: race.bibs.as_ref().map(ToString::to_string),
        entrants: 0,
    }
}

pub(crate) fn from_row(row: &RaceRow) -> Result<RaceSummary> {
    let damaged = |e: crate::model::ParseError| {
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
        },
        entrants: u64::try_from(row.entrants).unwrap_or(0),
    })
}
