//! The clock of each station that captured, against the hub's, as it was
//! when each capture was made (`passing.clock_offset_ms`). A checkpoint
//! laptop whose clock ran 90 s fast gave splits 90 s late: the timer sees
//! it here and, when they say so, corrects that station's captures at one
//! point by the offset each was made with. Nothing moves on its own, the
//! finish least of all.

use crate::error::{Error, Result};
use crate::model::Station;
use crate::store::EventFile;
use crate::store::timing::{self as store, CorrectionRow};

use super::capture::captured;

/// A station's captures at one point made while it was joined to a hub.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct StationOffset {
    /// The station's id.
    pub station: String,
    /// Its name, where this file knows it (the hub does).
    pub name: String,
    pub point: String,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub captures: i64,
    /// The smallest and largest offset its captures were made with (its
    /// clock minus the hub's), in milliseconds.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub min_offset_ms: i64,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub max_offset_ms: i64,
    /// Captures whose time a correction already set (by this or by hand):
    /// applying the offset leaves them as they are.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub corrected: i64,
}

/// Every station's captures with a known offset, point by point.
pub async fn station_offsets(file: &EventFile) -> Result<Vec<StationOffset>> {
    let rows: Vec<(String, String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT p.station,
                coalesce((SELECT s.name FROM sync_station s WHERE s.id = p.station), p.station),
                p.point, count(*), min(p.clock_offset_ms), max(p.clock_offset_ms),
                sum(EXISTS (SELECT 1 FROM correction c WHERE c.passing = p.id AND c.kind = 'time'))
         FROM passing p WHERE p.clock_offset_ms IS NOT NULL
         GROUP BY p.station, p.point ORDER BY p.station, p.point",
    )
    .fetch_all(file.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(station, name, point, captures, min_offset_ms, max_offset_ms, corrected)| {
                StationOffset {
                    station,
                    name,
                    point,
                    captures,
                    min_offset_ms,
                    max_offset_ms,
                    corrected,
                }
            },
        )
        .collect())
}

/// Corrects the time of each capture `of` made at `point` by the offset
/// it was made with (its reading minus the offset: the hub's time), as
/// time corrections made by `by`, in one transaction. Captures with a time
/// correction already, or made with no offset, are left as they are, so
/// doing it twice changes nothing. How many it corrected.
pub async fn apply_offset(file: &EventFile, of: &str, point: &str, by: &Station) -> Result<u64> {
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let captures: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT p.id, p.at_ms, p.clock_offset_ms FROM passing p
         WHERE p.station = ? AND p.point = ? AND p.clock_offset_ms IS NOT NULL
           AND p.clock_offset_ms <> 0
           AND NOT EXISTS (SELECT 1 FROM correction c WHERE c.passing = p.id AND c.kind = 'time')
         ORDER BY p.at_ms",
    )
    .bind(of)
    .bind(point)
    .fetch_all(&mut *tx)
    .await?;
    let known: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM passing WHERE station = ? AND point = ?)")
            .bind(of)
            .bind(point)
            .fetch_one(&mut *tx)
            .await?;
    if !known {
        return Err(Error::NotFound(crate::said!(
            "error.no_station_captures",
            station = of,
            point = point
        )));
    }
    for (passing, at_ms, offset_ms) in &captures {
        let row = CorrectionRow {
            passing: passing.clone(),
            kind: "time",
            bib: None,
            at_ms: Some(at_ms - offset_ms),
            // Numbers only: it reads the same in every language.
            reason: Some(format!("clock {offset_ms:+} ms")),
        };
        let stamp = captured(&mut tx, by).await?;
        store::insert_correction(&mut tx, &row, &stamp).await?;
    }
    tx.commit().await?;
    Ok(captures.len() as u64)
}
