//! How the desks are doing: checked in against expected per race and per
//! tour group, and who has not come yet, read from the file each time so
//! every desk's check-ins count.

use std::io::Write;

use crate::error::{Error, Result};
use crate::model::Entrant;
use crate::store::EventFile;
use crate::store::checkins as store;

/// Checked in out of expected, for a race (by code) or a group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Count {
    pub name: String,
    pub checked_in: i64,
    pub expected: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub total: Count,
    pub races: Vec<Count>,
    pub groups: Vec<Count>,
}

pub async fn counts(file: &EventFile) -> Result<Counts> {
    let mut counts = Counts {
        total: Count {
            name: String::new(),
            checked_in: 0,
            expected: 0,
        },
        races: Vec::new(),
        groups: Vec::new(),
    };
    for row in store::counts(file.reader()).await? {
        let count = Count {
            name: row.name,
            checked_in: row.checked_in,
            expected: row.expected,
        };
        if row.kind == "race" {
            counts.total.checked_in += count.checked_in;
            counts.total.expected += count.expected;
            counts.races.push(count);
        } else {
            counts.groups.push(count);
        }
    }
    Ok(counts)
}

/// The counts as CSV: `kind,name,checked_in,expected`, kind being total,
/// race or group.
pub fn write_counts_csv(counts: &Counts, out: impl Write) -> Result<()> {
    let mut writer = crate::files::SafeCsv::new(out);
    let rows = std::iter::once(("total", &counts.total))
        .chain(counts.races.iter().map(|c| ("race", c)))
        .chain(counts.groups.iter().map(|c| ("group", c)));
    writer
        .row(["kind", "name", "checked_in", "expected"])
        .map_err(csv_error)?;
    for (kind, count) in rows {
        writer
            .row([
                kind,
                &count.name,
                &count.checked_in.to_string(),
                &count.expected.to_string(),
            ])
            .map_err(csv_error)?;
    }
    writer.flush().map_err(|e| csv_error(e.into()))?;
    Ok(())
}

fn csv_error(e: csv::Error) -> Error {
    Error::Unreadable {
        path: "output".into(),
        reason: e.to_string(),
    }
}

/// A runner not yet checked in, as the list at the desk shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct MissingLine {
    pub bib: String,
    pub name: String,
    pub native_name: String,
    pub race: String,
    pub group: String,
    pub country: String,
    pub phone: String,
}

impl MissingLine {
    fn new(e: &Entrant) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            bib: e.bib.to_string(),
            name: format!("{} {}", e.given_name, e.family_name)
                .trim()
                .to_owned(),
            native_name: text(&e.native_name),
            race: e.race.to_string(),
            group: text(&e.group),
            country: e.nationality.map(|c| c.code()).unwrap_or_default(),
            phone: text(&e.phone),
        }
    }
}

/// Who has not checked in, optionally of one race and one group, by race
/// and bib.
pub async fn missing(
    file: &EventFile,
    race: Option<&str>,
    group: Option<&str>,
) -> Result<Vec<MissingLine>> {
    store::missing(file.reader(), race, group)
        .await?
        .into_iter()
        .map(|row| crate::roster::to_entrant(row).map(|e| MissingLine::new(&e)))
        .collect()
}

/// The not-checked-in list as CSV (RFC 4180), cells that a spreadsheet
/// would run as a formula guarded.
pub fn write_missing_csv(lines: &[MissingLine], out: impl Write) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    if lines.is_empty() {
        // serialize() writes the header with the first row; an empty list
        // still says what its columns are.
        writer
            .write_record([
                "bib",
                "name",
                "native_name",
                "race",
                "group",
                "country",
                "phone",
            ])
            .map_err(csv_error)?;
    }
    for line in lines {
        let mut line = line.clone();
        for cell in [
            &mut line.name,
            &mut line.native_name,
            &mut line.group,
            &mut line.phone,
        ] {
            crate::roster::guard(cell);
        }
        writer.serialize(line).map_err(csv_error)?;
    }
    writer.flush().map_err(|e| csv_error(e.into()))?;
    Ok(())
}

/// What a walk-up gets: the first free bib of this station's block of the
/// race when the director gave it one (none when the block is used up:
/// two desks never hand out one bib), else the first free bib of the
/// race's reserved ranges, or past the highest bib of the event when the
/// race reserves none.
pub async fn suggest_bib(file: &EventFile, race: &str) -> Result<Option<String>> {
    let races = crate::setup::races(file).await?;
    let summary = races
        .iter()
        .find(|r| r.race.code.as_str() == race)
        .ok_or_else(|| Error::NotFound(crate::said!("error.no_race", race = race)))?;
    let taken: std::collections::HashSet<String> = crate::store::entrants::bibs(file.reader())
        .await?
        .into_iter()
        .collect();
    if let Some(block) = crate::setup::races::block_of(summary, file.station()) {
        return Ok(block
            .first_free(|bib| taken.contains(bib.as_str()))
            .map(|b| b.to_string()));
    }
    let race = &summary.race;
    Ok(match &race.bibs {
        Some(ranges) => ranges
            .first_free(|bib| taken.contains(bib.as_str()))
            .map(|b| b.to_string()),
        None => {
            let highest = taken.iter().filter_map(|b| b.parse::<u64>().ok()).max();
            Some((highest.unwrap_or(0) + 1).to_string())
        }
    })
}

/// The members of a tour group with their check-in status, by bib.
pub async fn group_members(file: &EventFile, group: &str) -> Result<Vec<super::Found>> {
    let members = crate::store::entrants::of_team(file.reader(), group)
        .await?
        .into_iter()
        .map(crate::roster::to_entrant)
        .collect::<Result<Vec<Entrant>>>()?;
    if members.is_empty() {
        return Err(Error::NotFound(crate::said!(
            "error.no_group",
            group = group
        )));
    }
    super::find::with_status(file, &members, crate::setup::event(file).await?.date).await
}
