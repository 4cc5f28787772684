//! One event shared by several stations. What each station captured (a
//! check-in, a tap, a correction, a start) is a fact: a row keyed by a
//! UUID, never changed once written, with the station that made it and
//! that station's own sequence number. Sharing facts is a union of rows:
//! in any order, any number of times, the result is the same.
//!
//! - [`facts`]: the fact tables, read out as rows that travel and written
//!   in once each;
//! - [`merge`]: another station's copy of the event (a file on a stick)
//!   brought into this one.

pub mod facts;
pub mod merge;

pub use facts::{Added, EntrantsAdded, TableAdded};
pub use merge::{Merged, merge_file};
