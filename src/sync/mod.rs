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
