//! racedesk runs a road race on the day: check-in desks, finish-line
//! timing, results. This library is all of its behaviour; the desktop app
//! and the `racedesk` CLI are thin layers over the same functions.
//!
//! The modules follow what race-day people do:
//! - [`setup`]: the event and its races (the race director);
//! - [`roster`]: who is entered, imported from CSV or XLSX;
//! - [`checkin`]: the start-line desk: find, check in, undo, counts;
//! - [`timing`]: the finish line: starts, captures, corrections, reads;
//! - [`session`]: an open event, its caches and the work beside it;
//! - [`backup`]: copies of the event file while timing;
//! - [`changes`]: when the file changed, whoever changed it, and what;
//! - [`sync`]: one event shared by several stations (merging their facts);
//! - [`files`]: what every file read or written gets (checks, atomic writes);
//! - [`store`]: the event file, one SQLite file per event;
//! - [`words`]: English and Korean, for files and messages;
//! - [`model`]: the plain types, which only hold valid values.

pub mod backup;
pub mod changes;
pub mod checkin;
pub mod decoders;
pub mod error;
pub mod files;
pub mod model;
pub mod publish;
pub mod results;
pub mod roster;
pub mod session;
pub mod setup;
pub mod store;
pub mod sync;
pub mod timing;
pub mod words;

pub use error::{Error, OpenError, Result};
pub use store::EventFile;
