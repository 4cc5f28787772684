//! Two operators at one timing point: one taps a time as each runner
//! crosses, the other types the bibs in the order they crossed. The n-th
//! bib goes with the n-th time, by query, so a fix anywhere (a time
//! inserted or dropped, a bib inserted or dropped) shifts every pair after
//! it, and nothing captured is ever changed.

use super::capture::{captured, parse_bib, parse_point};
use crate::error::{Error, Result};
use crate::model::{ParseError, Station};
use crate::store::EventFile;
use crate::store::crossings::{self as store, CrossingView};

/// A bib in the crossing order, once on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Crossing {
    pub id: String,
    pub point: String,
    /// None: a runner crossed whose bib nobody caught.
    pub bib: Option<String>,
}

/// The n-th time at a point with the n-th bib in crossing order; either
/// may be missing at the end, where one operator is ahead of the other.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Pair {
    /// 1 for the first runner across.
    pub n: u32,
    /// The tapped time: its capture id, instant and time of day.
    pub time_id: Option<String>,
    pub at_ms: Option<i64>,
    pub time: Option<String>,
    /// The crossing-order row and the bib typed there.
    pub crossing_id: Option<String>,
    pub typed: Option<String>,
    /// The bib the time ends up with: the typed one, unless a correction
    /// of the capture gave it another.
    pub bib: Option<String>,
    /// What needs a look: waiting for a bib / a time, and the capture's
    /// own review flags.
    pub flags: Vec<super::Flag>,
}

/// Appends a bib (or, with `None`, a runner whose bib nobody caught) to
/// the crossing order at `point`.
pub async fn enter_crossing(
    file: &EventFile,
    point: &str,
    bib: Option<&str>,
    station: &Station,
) -> Result<Crossing> {
    let point = parse_point(point)?;
    let bib = bib.map(parse_bib).transpose()?.map(|b| b.to_string());
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let ord = store::next_ord(&mut *tx, &point).await?;
    let by = captured(&mut tx, station).await?;
    store::insert_crossing(&mut tx, &point, ord, bib.as_deref(), None, &by).await?;
    tx.commit().await?;
    Ok(Crossing {
        id: by.id,
        point,
        bib,
    })
}

/// Inserts a bib (or an uncaught one, `None`) just before the crossing
/// row `before`: every bib from there on moves one time later.
pub async fn insert_crossing(
    file: &EventFile,
    before: &str,
    bib: Option<&str>,
    reason: &str,
    station: &Station,
) -> Result<Crossing> {
    let reason = super::capture::required_reason(reason)?;
    let bib = bib.map(parse_bib).transpose()?.map(|b| b.to_string());
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let place = store::crossing_place(&mut *tx, before)
        .await?
        .ok_or_else(|| Error::NotFound(crate::said!("error.no_crossing", bib = before)))?;
    let below = place.before.unwrap_or(place.ord - 1.0);
    let ord = (below + place.ord) / 2.0;
    if ord <= below || ord >= place.ord {
        return Err(Error::Conflict(crate::said!("error.crossing_crowded")));
    }
    let by = captured(&mut tx, station).await?;
    store::insert_crossing(
        &mut tx,
        &place.point,
        ord,
        bib.as_deref(),
        Some(&reason),
        &by,
    )
    .await?;
    tx.commit().await?;
    Ok(Crossing {
        id: by.id,
        point: place.point,
        bib,
    })
}

/// Takes a bib out of the crossing order (typed twice, or for a runner
/// who did not cross): every bib after it moves one time earlier.
pub async fn drop_crossing(
    file: &EventFile,
    id: &str,
    reason: &str,
    station: &Station,
) -> Result<()> {
    let reason = super::capture::required_reason(reason)?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let place = store::crossing_place(&mut *tx, id)
        .await?
        .ok_or_else(|| Error::NotFound(crate::said!("error.no_crossing", bib = id)))?;
    if place.dropped {
        return Err(Error::Conflict(crate::said!("error.crossing_dropped")));
    }
    let by = captured(&mut tx, station).await?;
    store::insert_crossing_drop(&mut tx, &place.point, id, &reason, &by).await?;
    tx.commit().await?;
    Ok(())
}

/// A time the tapping operator missed, at the instant given (usually
/// between the times either side): a capture with no bib, so the typed
/// bibs from there on move one time later.
pub async fn insert_time(
    file: &EventFile,
    point: &str,
    at_ms: i64,
    reason: &str,
    station: &Station,
) -> Result<super::Capture> {
    let reason = super::capture::required_reason(reason)?;
    let point = parse_point(point)?;
    if !store::has_crossings(file.reader(), &point).await? {
        return Err(Error::invalid(
            "point",
            ParseError::new(crate::said!("invalid.no_crossing_bibs", point = point)),
        ));
    }
    super::capture::insert_untyped(file, &point, at_ms, &reason, station).await
}

/// Pairs the times at one point (`slots`: index into `reads`, and the
/// capture's own bib from a correction, if any) with the bibs in
/// crossing order there.
pub(crate) fn pair_up(
    slots: &[(usize, Option<String>)],
    crossings: &[&CrossingView],
) -> Vec<(Option<usize>, Pair)> {
    let count = slots.len().max(crossings.len());
    (0..count)
        .map(|i| {
            let slot = slots.get(i);
            let crossing = crossings.get(i);
            let typed = crossing.and_then(|c| c.bib.clone());
            let fixed = slot.and_then(|(_, fixed)| fixed.clone());
            let mut flags = Vec::new();
            match (slot, crossing) {
                (Some(_), None) => flags.push(super::Flag::WaitingForABib),
                (None, Some(_)) => flags.push(super::Flag::WaitingForATime),
                _ => {}
            }
            let pair = Pair {
                n: u32::try_from(i + 1).unwrap_or(u32::MAX),
                time_id: None,
                at_ms: None,
                time: None,
                crossing_id: crossing.map(|c| c.id.clone()),
                bib: fixed.or_else(|| slot.and(typed.clone())),
                typed,
                flags,
            };
            (slot.map(|(i, _)| *i), pair)
        })
        .collect()
}
