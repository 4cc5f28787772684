//! The event's own details: name, race day, time zone, place.

use crate::error::{Error, Result};
use crate::model::{Event, EventDate, TimeZone};
use crate::store::EventFile;
use crate::store::audit::{self, Change};
use crate::store::edits::{self, Edit};
use crate::store::setup::{self as rows, EventRow};

/// The event as a form gives it: text fields, checked by [`EventForm::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct EventForm {
    pub name: String,
    /// Race day, YYYY-MM-DD.
    pub date: String,
    /// IANA time zone, such as Asia/Pyongyang.
    pub time_zone: String,
    pub place: String,
}

impl EventForm {
    /// The event, or the first field that is wrong.
    pub fn parse(&self) -> Result<Event> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Error::invalid(
                "name",
                crate::model::ParseError::new(crate::said!("invalid.event_name")),
            ));
        }
        Ok(Event {
            name: name.to_owned(),
            date: EventDate::parse(&self.date).map_err(|e| Error::invalid("date", e))?,
            time_zone: TimeZone::parse(&self.time_zone)
                .map_err(|e| Error::invalid("timeZone", e))?,
            place: Some(self.place.trim().to_owned()).filter(|p| !p.is_empty()),
        })
    }

    pub fn from_event(event: &Event) -> Self {
        Self {
            name: event.name.clone(),
            date: event.date.to_string(),
            time_zone: event.time_zone.to_string(),
            place: event.place.clone().unwrap_or_default(),
        }
    }
}

/// Every IANA time zone name, for a picker.
pub fn time_zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

/// Records the event in a file that has none yet.
pub async fn init_event(file: &EventFile, event: &Event, operator: &str) -> Result<()> {
    plain(event)?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    if rows::get(&mut *tx).await?.is_some() {
        return Err(Error::Conflict(crate::said!(
            "error.event_exists",
            path = file.path().display()
        )));
    }
    let row = to_row(event);
    rows::insert(&mut *tx, &row).await?;
    audit::record(
        &mut *tx,
        Change {
            operator,
            station: file.station(),
            entity: "event",
            key: "event",
            action: "create",
            old: None,
            new: Some(super::to_json(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the event's details.
pub async fn update_event(file: &EventFile, event: &Event, operator: &str) -> Result<()> {
    plain(event)?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let old = rows::get(&mut *tx).await?.ok_or_else(no_event)?;
    let row = to_row(event);
    rows::update(&mut *tx, &row).await?;
    let target = edits::event_uid(&mut tx).await?;
    edits::record(
        &mut tx,
        Edit {
            entity: "event",
            target: &target,
            action: "update",
            before: Some(edits::event_state(&old)),
            after: Some(edits::event_state(&row)),
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
            entity: "event",
            key: "event",
            action: "update",
            old: Some(super::to_json(&old)),
            new: Some(super::to_json(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The event this file holds.
pub async fn event(file: &EventFile) -> Result<Event> {
    let row = rows::get(file.reader()).await?.ok_or_else(no_event)?;
    let damaged =
        |field| move |e| Error::Storage(sqlx::Error::Decode(format!("event {field}: {e}").into()));
    Ok(Event {
        name: row.name,
        date: EventDate::parse(&row.date).map_err(damaged("date"))?,
        time_zone: TimeZone::parse(&row.time_zone).map_err(damaged("time zone"))?,
        place: row.place,
    })
}

/// The event's texts hold no control characters.
fn plain(event: &Event) -> Result<()> {
    crate::model::no_controls(&event.name, false).map_err(|e| Error::invalid("name", e))?;
    if let Some(place) = &event.place {
        crate::model::no_controls(place, false).map_err(|e| Error::invalid("place", e))?;
    }
    Ok(())
}

fn no_event() -> Error {
    Error::NotFound(crate::said!("error.no_event"))
}

fn to_row(event: &Event) -> EventRow {
    EventRow {
        name: event.name.trim().to_owned(),
        date: event.date.to_string(),
        time_zone: event.time_zone.to_string(),
        place: event
            .place
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
    }
}
