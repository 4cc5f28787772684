//! The start-line check-in desk: finding a runner as the volunteer types.
//!
//! Check-ins themselves (append-only rows, undo, group check-in) come next;
//! this module holds the search they start from.

mod romanise;
mod search;

pub use search::{Hit, Rank, SearchIndex};
