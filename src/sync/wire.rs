//! What travels between a hub and its stations: JSON over HTTPS. A
//! request of another racedesk version is refused before anything is read
//! (two schemas are never mixed).

use serde::{Deserialize, Serialize};

use super::facts::Cursor;

/// Every request and reply carries the protocol in this header.
pub const PROTOCOL_HEADER: &str = "x-racedesk-protocol";
/// The station a request comes from (with its credential as a bearer).
pub const STATION_HEADER: &str = "x-racedesk-station";
/// The hub's position at the moment a snapshot was taken.
pub const POSITION_HEADER: &str = "x-racedesk-position";

/// The protocol spoken: racedesk's version and the newest migration of its
/// event files. Stations of another version are refused with both named.
pub fn protocol() -> String {
    let schema = crate::store::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    format!("racedesk {} schema {schema}", env!("CARGO_PKG_VERSION"))
}

/// How far a reader of a file got: its facts, then its entrants (the
/// largest entrant id read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub facts: Cursor,
    pub entrants: i64,
}

/// Rows of a file past a position: entrants (walk-ups) and the fact
/// tables, as `facts` reads them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Rows {
    pub entrants: String,
    pub tables: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The join code's secret (hex).
    pub secret: String,
    pub station: String,
    pub name: String,
    /// What the station does: `desk`, `finish` or `director`.
    #[serde(default)]
    pub role: String,
    /// The event the station's file holds already, if it has one.
    pub event: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Joined {
    pub credential: String,
    pub epoch: String,
    pub event: String,
}

/// What a station says of itself with every exchange.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// When the station sent the request, by its clock (ms since 1970).
    pub sent_ms: i64,
    /// Its clock minus the hub's, as measured at its last exchange.
    pub offset_ms: Option<i64>,
    /// Facts it holds that the hub has not confirmed.
    pub waiting: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Push {
    pub event: String,
    pub report: Report,
    pub rows: Rows,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Pull {
    pub event: String,
    pub report: Report,
    pub after: Position,
    pub limit: i64,
}

/// The hub's clock at an exchange: when the request came and when the
/// reply left, for the station's offset (as NTP measures one).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Stamps {
    pub received_ms: i64,
    pub replied_ms: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Pushed {
    pub epoch: String,
    /// Rows new to the hub; the rest it had.
    pub added: u64,
    /// Rows not stored: they claim another joined station made them.
    pub refused: u64,
    pub stamps: Stamps,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Pulled {
    pub epoch: String,
    pub rows: Rows,
    pub next: Position,
    /// Whether more rows lie past `next`.
    pub more: bool,
    pub stamps: Stamps,
}

/// Why the hub refused a request: a stable code the station turns into a
/// message in its volunteer's language.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refusal {
    pub code: String,
    pub detail: String,
}
