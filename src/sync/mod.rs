//! One event shared by several stations. What each station captured (a
//! check-in, a tap, a correction, a start) is a fact: a row keyed by a
//! UUID, never changed once written, with the station that made it and
//! that station's own sequence number. Sharing facts is a union of rows:
//! in any order, any number of times, the result is the same.
//!
//! - [`facts`]: the fact tables, read out as rows that travel and written
//!   in once each;
//! - [`conflicts`]: walk-ups registered under one bib at two stations,
//!   and races made under one code, kept for the director to settle;
//! - [`merge`]: another station's copy of the event (a file on a stick)
//!   brought into this one;
//! - [`hub`]: a station sharing its event on the venue's network;
//! - [`station`]: a station's link to the hub it joined;
//! - [`discover`]: finding a hub by mDNS, without typing its address;
//! - [`trust`]: the join code, and the hub's certificate it pins;
//! - [`wire`]: what travels between them.

pub mod conflicts;
pub mod discover;
pub(crate) mod edits;
pub mod facts;
pub mod hub;
pub mod merge;
pub mod station;
pub mod trust;
pub mod wire;

pub use conflicts::{RaceClash, WalkUpConflict, conflicts, race_clashes, resolve};
pub use discover::{FoundHub, find_hubs};
pub use facts::{Added, EntrantsAdded, TableAdded};
pub use hub::{Sharing, StationSeen, remove_station, share, stations};
pub use merge::{Merged, merge_file};
pub use station::{LinkStatus, Waiting, join, joined_as, run, status};
pub use trust::JoinCode;

/// The network's state in this file summed up in one number, which moves
/// whenever what the network panel shows of it moves: the link to the hub
/// (heard, confirmed, refused, its clock, and whether it counts as
/// connected now) and the hub's stations (seen, waiting, removed, silent).
/// The session looks at it beside the file's marks and says a change of
/// the network when it moved, so no screen asks every second.
pub(crate) async fn pulse(file: &crate::EventFile) -> crate::error::Result<u64> {
    use std::hash::{Hash, Hasher};
    type Link = (
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    type Seen = (String, Option<i64>, Option<i64>, i64, Option<i64>);
    let mut reader = file.reader().begin().await?;
    let link: Option<Link> = sqlx::query_as(
        "SELECT address, pulled, confirmed, last_heard_ms, offset_ms, error FROM sync_link",
    )
    .fetch_optional(&mut *reader)
    .await?;
    let seen: Vec<Seen> = sqlx::query_as(
        "SELECT id, last_seen_ms, offset_ms, waiting, removed_ms FROM sync_station ORDER BY id",
    )
    .fetch_all(&mut *reader)
    .await?;
    reader.commit().await?;
    let now = crate::store::now_ms();
    let mut hasher = std::hash::DefaultHasher::new();
    if let Some(link) = &link {
        link.hash(&mut hasher);
        // Connected turns to not connected by the clock alone.
        (link.5.is_none() && link.3.is_some_and(|t| now - t < station::SILENT_AFTER_MS))
            .hash(&mut hasher);
    }
    for station in &seen {
        station.hash(&mut hasher);
        (station.4.is_none() && station.1.is_none_or(|t| now - t > hub::SILENT_MS))
            .hash(&mut hasher);
    }
    Ok(hasher.finish())
}
