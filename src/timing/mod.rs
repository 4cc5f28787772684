//! Finish-line timing: race starts, captures at timing points (a tap with
//! no bib, a bib with its time, chip and file reads), corrections as new
//! rows, runner statuses, and the capture clock that a change of the
//! laptop's clock cannot move.

mod capture;
mod clock;
mod flag;
mod import;
mod offsets;
mod order;
mod reads;

pub use crate::store::timing::HistoryEntry;
pub use capture::{
    Capture, Correction, FINISH, START, Status, assign_next, capture, capture_all, correct,
    insert_missed, points, set_status, start_race, undo_start,
};
pub(crate) use capture::{captured, parse_point};
pub use clock::{CaptureClock, SystemClock, WallClock, wall_ms};
pub use flag::Flag;
pub use import::{ReadsImport, import_reads};
pub use offsets::{StationOffset, apply_offset, station_offsets};
pub use order::{Crossing, Pair, drop_crossing, enter_crossing, insert_crossing, insert_time};
pub(crate) use reads::effective;
pub use reads::{
    Read, RunnerStatus, Start, bibs_at, history, latest_at, pairing, reads, reads_at, starts,
    statuses, write_reads_csv,
};
