//! The start-line check-in desk: finding a runner as the volunteer types,
//! checking them in (alone, with their tour group, or as a walk-up), undoing
//! a check-in, and the counts of who has come and who has not.

mod counts;
mod desk;
mod find;
mod romanise;
mod search;

pub use counts::{
    Count, Counts, MissingLine, counts, group_members, missing, suggest_bib, write_counts_csv,
    write_missing_csv,
};
pub use desk::{
    CheckedIn, Desk, GroupOutcome, Outcome, check_in, check_in_group, register_walk_up, status_of,
    undo,
};
pub use find::{Finder, Found};
pub use search::{Hit, Rank, SearchIndex};
