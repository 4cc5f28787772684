//! Capturing at a timing point and correcting afterwards. Every function
//! here writes one transaction and returns after its COMMIT, so what the
//! timer is shown as captured is on disk.

use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::model::{Bib, ParseError, Station};
use crate::store::EventFile;
use crate::store::timing::{self as store, Captured, CorrectionRow, PassingRow, StartRow};

/// The timing points every race has; checkpoints add their own names.
pub const START: &str = "start";
pub const FINISH: &str = "finish";

/// A capture as acknowledged: on disk when the timer sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    pub id: String,
    /// The station's sequence number of the row.
    pub seq: i64,
    pub point: String,
    pub at_ms: i64,
    pub bib: Option<String>,
}

impl Capture {
    fn of(by: Captured, row: PassingRow) -> Self {
        Self {
            id: by.id,
            seq: by.seq,
            point: row.point,
            at_ms: row.at_ms,
            bib: row.bib,
        }
    }
}

/// Records a passing at `point` at `at_ms`: with a bib (typed, or read by
/// a scanner), or none (a tap: the bib comes later).
pub async fn capture(
    file: &EventFile,
    point: &str,
    at_ms: i64,
    bib: Option<&str>,
    station: &Station,
) -> Result<Capture> {
    let point = parse_point(point)?;
    let bib = bib.map(parse_bib).transpose()?;
    let source = if bib.is_some() { "bib" } else { "tap" };
    let row = PassingRow {
        point,
        at_ms,
        bib: bib.map(|b| b.to_string()),
        chip: None,
        source,
        import_key: None,
    };
    write_passing(file, row, station).await
}

/// The timing points a station can capture at: finish and start, then
/// every race's checkpoints from the start outwards (a name shared by two
/// races, such as 10k, once).
pub fn points(races: &[crate::model::Race]) -> Vec<String> {
    let mut checkpoints: Vec<(u32, &str)> = races
        .iter()
        .flat_map(|r| r.checkpoints.iter())
        .map(|c| (c.distance_m, c.point.as_str()))
        .collect();
    checkpoints.sort();
    let mut points = vec![FINISH.to_owned(), START.to_owned()];
    for (_, point) in checkpoints {
        if !points.iter().any(|p| p == point) {
            points.push(point.to_owned());
        }
    }
    points
}

/// Records passings at `point` that arrived together (a pipe of captures,
/// a decoder's burst) in one transaction: each is acknowledged after that
/// one COMMIT, so a burst does not wait for one fsync per capture. Each
/// `(at_ms, bib)` gets its own outcome: a bad bib is refused alone. When
/// the lot cannot be written (a disk nearly full), nothing of it is kept
/// and each is tried on its own, so as many as fit are captured and the
/// others refused one by one.
pub async fn capture_all(
    file: &EventFile,
    point: &str,
    items: &[(i64, Option<&str>)],
    station: &Station,
) -> Result<Vec<Result<Capture>>> {
    let point = parse_point(point)?;
    let rows: Vec<Result<PassingRow>> = items
        .iter()
        .map(|(at_ms, bib)| {
            let bib = bib.map(parse_bib).transpose()?;
            Ok(PassingRow {
                point: point.clone(),
                at_ms: *at_ms,
                source: if bib.is_some() { "bib" } else { "tap" },
                bib: bib.map(|b| b.to_string()),
                chip: None,
                import_key: None,
            })
        })
        .collect();
    let valid: Vec<&PassingRow> = rows.iter().filter_map(|r| r.as_ref().ok()).collect();
    if valid.len() > 1 {
        match write_together(file, &valid, station).await {
            // One capture per valid row, in order.
            Ok(written) => {
                let mut written = written.into_iter();
                return Ok(rows
                    .into_iter()
                    .filter_map(|row| match row {
                        Ok(_) => written.next().map(Ok),
                        Err(e) => Some(Err(e)),
                    })
                    .collect());
            }
            Err(e) => tracing::warn!(error = %e, "captures written one by one"),
        }
    }
    let mut done = Vec::with_capacity(rows.len());
    for row in rows {
        done.push(match row {
            Ok(row) => write_passing(file, row, station).await,
            Err(e) => Err(e),
        });
    }
    Ok(done)
}

/// The rows in one transaction, numbered in order.
async fn write_together(
    file: &EventFile,
    rows: &[&PassingRow],
    station: &Station,
) -> Result<Vec<Capture>> {
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let first = captured(&mut tx, station).await?;
    let mut done = Vec::with_capacity(rows.len());
    for (row, seq) in rows.iter().zip(first.seq..) {
        let by = Captured {
            id: uuid::Uuid::now_v7().to_string(),
            seq,
            ..first.clone()
        };
        store::insert_passing(&mut tx, row, &by).await?;
        done.push(Capture::of(by, (*row).clone()));
    }
    tx.commit().await?;
    Ok(done)
}

/// Inserts a finisher the timers missed, with the time they give and the
/// reason: a passing of its own (source "manual").
pub async fn insert_missed(
    file: &EventFile,
    point: &str,
    bib: &str,
    at_ms: i64,
    reason: &str,
    station: &Station,
) -> Result<Capture> {
    let reason = required_reason(reason)?;
    let row = PassingRow {
        point: parse_point(point)?,
        at_ms,
        bib: Some(parse_bib(bib)?.to_string()),
        chip: None,
        source: "manual",
        import_key: None,
    };
    let why = CorrectionRow {
        passing: String::new(),
        kind: "bib",
        bib: row.bib.clone(),
        at_ms: None,
        reason: Some(reason),
    };
    write_with_reason(file, row, why, station).await
}

/// Writes a passing a person added and, in the same transaction, the
/// correction row that says why, so the passing's history shows it.
async fn write_with_reason(
    file: &EventFile,
    row: PassingRow,
    mut why: CorrectionRow,
    station: &Station,
) -> Result<Capture> {
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let by = captured(&mut tx, station).await?;
    store::insert_passing(&mut tx, &row, &by).await?;
    why.passing.clone_from(&by.id);
    let by_why = captured(&mut tx, station).await?;
    store::insert_correction(&mut tx, &why, &by_why).await?;
    tx.commit().await?;
    Ok(Capture::of(by, row))
}

/// A time with no bib that the timers missed, for two-operator timing:
/// its bib comes from the crossing order.
pub(crate) async fn insert_untyped(
    file: &EventFile,
    point: &str,
    at_ms: i64,
    reason: &str,
    station: &Station,
) -> Result<Capture> {
    let row = PassingRow {
        point: point.to_owned(),
        at_ms,
        bib: None,
        chip: None,
        source: "manual",
        import_key: None,
    };
    // The reason is a time correction to the same instant.
    let why = CorrectionRow {
        passing: String::new(),
        kind: "time",
        bib: None,
        at_ms: Some(at_ms),
        reason: Some(reason.to_owned()),
    };
    write_with_reason(file, row, why, station).await
}

async fn write_passing(file: &EventFile, row: PassingRow, station: &Station) -> Result<Capture> {
    let mut by = stamp(station)?;
    // One statement, committed when it returns: the hot path of a finish.
    by.seq = store::record_passing(file.writer(), &row, &by).await?;
    Ok(Capture::of(by, row))
}

/// Time then bib: gives `bib` to the oldest passing at `point` that has
/// none yet. `None` when every passing there has a bib (the bib is then
/// better captured with its own time).
pub async fn assign_next(
    file: &EventFile,
    point: &str,
    bib: &str,
    station: &Station,
) -> Result<Option<String>> {
    let point = parse_point(point)?;
    let bib = parse_bib(bib)?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    if crate::store::crossings::has_crossings(&mut *tx, &point).await? {
        return Err(Error::Conflict(crate::said!(
            "error.two_operator_point",
            point = point
        )));
    }
    let Some(passing) = store::oldest_unassigned(&mut *tx, &point).await? else {
        return Ok(None);
    };
    let row = CorrectionRow {
        passing: passing.clone(),
        kind: "bib",
        bib: Some(bib.to_string()),
        at_ms: None,
        reason: None,
    };
    let by = captured(&mut tx, station).await?;
    store::insert_correction(&mut tx, &row, &by).await?;
    tx.commit().await?;
    Ok(Some(passing))
}

/// A correction of one passing, always a new row pointing at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Correction {
    /// Give the passing this bib (or change the one it had).
    Bib(String),
    /// The passing happened at this instant instead.
    Time(i64),
    /// The passing did not happen (a double tap, a spectator).
    Void,
}

pub async fn correct(
    file: &EventFile,
    passing: &str,
    correction: Correction,
    reason: Option<&str>,
    station: &Station,
) -> Result<()> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let row = match correction {
        Correction::Bib(bib) => CorrectionRow {
            passing: passing.to_owned(),
            kind: "bib",
            bib: Some(parse_bib(&bib)?.to_string()),
            at_ms: None,
            reason: reason.map(str::to_owned),
        },
        Correction::Time(at_ms) => CorrectionRow {
            passing: passing.to_owned(),
            kind: "time",
            bib: None,
            at_ms: Some(at_ms),
            reason: reason.map(str::to_owned),
        },
        Correction::Void => CorrectionRow {
            passing: passing.to_owned(),
            kind: "void",
            bib: None,
            at_ms: None,
            reason: Some(required_reason(reason.unwrap_or_default())?),
        },
    };
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    if !store::passing_exists(&mut *tx, passing).await? {
        return Err(Error::NotFound(crate::said!(
            "error.no_capture",
            id = passing
        )));
    }
    let by = captured(&mut tx, station).await?;
    store::insert_correction(&mut tx, &row, &by).await?;
    tx.commit().await?;
    Ok(())
}

/// A runner's status besides finishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Dns,
    Dnf,
    Dq,
    /// Takes the last DNS, DNF or DQ back.
    Ok,
}

impl Status {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "DNS" => Ok(Self::Dns),
            "DNF" => Ok(Self::Dnf),
            "DQ" | "DSQ" => Ok(Self::Dq),
            "OK" => Ok(Self::Ok),
            _ => Err(ParseError::new(crate::said!(
                "invalid.status",
                text = text.trim()
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "DNS",
            Self::Dnf => "DNF",
            Self::Dq => "DQ",
            Self::Ok => "ok",
        }
    }
}

/// Marks a runner DNS, DNF or DQ (a reason is required), or takes it back.
pub async fn set_status(
    file: &EventFile,
    bib: &str,
    status: Status,
    reason: &str,
    station: &Station,
) -> Result<()> {
    let bib = parse_bib(bib)?;
    let reason = match status {
        Status::Ok => Some(reason.trim())
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        _ => Some(required_reason(reason)?),
    };
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    // A status for a bib nobody has would mark no one, silently.
    match crate::store::entrants::uid(&mut *tx, None, bib.as_str()).await {
        Err(sqlx::Error::RowNotFound) => {
            return Err(Error::NotFound(crate::said!("error.no_runner", bib = bib)));
        }
        other => {
            other?;
        }
    }
    let by = captured(&mut tx, station).await?;
    store::insert_status(
        &mut tx,
        bib.as_str(),
        status.as_str(),
        reason.as_deref(),
        &by,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a race's (or a wave's) start: the gun pressed now (`source`
/// "gun") or a time entered; a second start replaces the first, which
/// stays on file, and needs a reason.
pub async fn start_race(
    file: &EventFile,
    race: &str,
    wave: Option<&str>,
    at_ms: i64,
    entered: bool,
    reason: Option<&str>,
    station: &Station,
) -> Result<()> {
    let (race_uid, code, wave) = race_and_wave(file, race, wave).await?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let latest = store::start_of(&mut *tx, &race_uid, &wave).await?;
    // A start taken back left no start standing: the next one needs no
    // reason, though it still names the row it follows.
    let standing = latest.as_ref().is_some_and(|(_, undone)| !undone);
    let replaces = latest.map(|(id, _)| id);
    if standing && reason.is_none() {
        return Err(Error::invalid(
            "reason",
            ParseError::new(if wave.is_empty() {
                crate::said!("invalid.start_reason", race = code)
            } else {
                crate::said!("invalid.wave_start_reason", race = code, wave = wave)
            }),
        ));
    }
    let start = StartRow {
        race_uid,
        wave,
        at_ms,
        source: if entered { "entered" } else { "gun" },
        replaces,
        reason: reason.map(str::to_owned),
    };
    let by = captured(&mut tx, station).await?;
    store::insert_start(&mut tx, &start, &by).await?;
    tx.commit().await?;
    Ok(())
}

/// Takes back the standing start of a race (or wave): a new row, the
/// start stays on file, and the race has no start until the next one.
pub async fn undo_start(
    file: &EventFile,
    race: &str,
    wave: Option<&str>,
    reason: Option<&str>,
    station: &Station,
) -> Result<()> {
    let (race_uid, code, wave) = race_and_wave(file, race, wave).await?;
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("undone at the start line");
    crate::model::no_controls(reason, false).map_err(|e| Error::invalid("reason", e))?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let Some((start, false)) = store::start_of(&mut *tx, &race_uid, &wave).await? else {
        return Err(Error::NotFound(if wave.is_empty() {
            crate::said!("error.no_start_to_undo", race = code)
        } else {
            crate::said!("error.no_wave_start_to_undo", race = code, wave = wave)
        }));
    };
    let by = captured(&mut tx, station).await?;
    store::insert_undo(&mut tx, &start, reason, &by).await?;
    tx.commit().await?;
    Ok(())
}

/// The race (its uid and code) and the wave a start is for, both checked.
async fn race_and_wave(
    file: &EventFile,
    race: &str,
    wave: Option<&str>,
) -> Result<(Vec<u8>, String, String)> {
    let races = crate::store::races::all(file.reader()).await?;
    let code = race.trim().to_ascii_uppercase();
    let row = races
        .iter()
        .find(|r| r.code == code)
        .ok_or_else(|| Error::NotFound(crate::said!("error.no_race", race = race)))?;
    let wave = wave.map(str::trim).unwrap_or_default().to_owned();
    if !wave.is_empty() && !row.waves.split(',').any(|w| w == wave) {
        return Err(Error::NotFound(if row.waves.is_empty() {
            crate::said!("error.no_waves", race = code, wave = wave)
        } else {
            crate::said!("error.no_wave", race = code, wave = wave, waves = row.waves)
        }));
    }
    Ok((row.uid.clone(), code, wave))
}

/// A new row's id, station, sequence number, operator and capture time.
pub(crate) async fn captured(tx: &mut SqliteConnection, station: &Station) -> Result<Captured> {
    let mut by = stamp(station)?;
    by.seq = crate::store::next_seq(&mut *tx, &station.id).await?;
    Ok(by)
}

/// A new row's id, station, operator and capture time; its sequence
/// number (0 here) is taken where it is written.
fn stamp(station: &Station) -> Result<Captured> {
    if station.id.trim().is_empty() || station.name.trim().is_empty() {
        return Err(Error::invalid(
            "station",
            ParseError::new(crate::said!("invalid.station_name")),
        ));
    }
    Ok(Captured {
        id: uuid::Uuid::now_v7().to_string(),
        station: station.id.clone(),
        seq: 0,
        operator: if station.operator.trim().is_empty() {
            station.name.clone()
        } else {
            station.operator.clone()
        },
        captured_ms: crate::store::now_ms(),
    })
}

pub(crate) fn parse_bib(text: &str) -> Result<Bib> {
    Bib::parse(text).map_err(|e| Error::invalid("bib", e))
}

/// A timing point's name: start, finish or a checkpoint such as 10K.
pub(crate) fn parse_point(text: &str) -> Result<String> {
    let point = text.trim().to_lowercase();
    if point.is_empty() || point.chars().count() > 24 || point.chars().any(char::is_control) {
        return Err(Error::invalid(
            "point",
            ParseError::new(crate::said!(
                "invalid.point",
                text = crate::model::shorten(text)
            )),
        ));
    }
    Ok(point)
}

pub(crate) fn required_reason(reason: &str) -> Result<String> {
    let reason = reason.trim();
    crate::model::no_controls(reason, true).map_err(|e| Error::invalid("reason", e))?;
    if reason.is_empty() {
        return Err(Error::invalid(
            "reason",
            ParseError::new(crate::said!("invalid.reason_required")),
        ));
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AgeGroups, Checkpoint, Race, RaceCode};

    fn race(code: &str, checkpoints: &[(&str, u32)]) -> Race {
        Race {
            code: RaceCode::parse(code).unwrap(),
            name: code.into(),
            distance_m: 42_195,
            age_groups: AgeGroups::open(),
            bibs: None,
            waves: Vec::new(),
            checkpoints: checkpoints
                .iter()
                .map(|(point, distance_m)| Checkpoint {
                    point: (*point).into(),
                    distance_m: *distance_m,
                })
                .collect(),
            net_time: false,
            cutoff_ms: None,
            overdue_ms: None,
            records: Vec::new(),
        }
    }

    #[test]
    fn points_are_finish_start_then_checkpoints_outwards_once_each() {
        let races = [
            race("MAR", &[("30k", 30_000), ("10k", 10_000), ("half", 21_098)]),
            race("HALF", &[("10k", 10_000), ("5k", 5_000)]),
        ];
        assert_eq!(
            points(&races),
            ["finish", "start", "5k", "10k", "half", "30k"]
        );
        assert_eq!(points(&[]), ["finish", "start"]);
    }
}
