//! When an event file changed, whoever changed it: this process, another
//! process on the same file (the CLI in a terminal), or rows merged in from
//! another station. Every committed write moves the file's [`Marks`] (the
//! newest row of each table that grows); a [`Watch`] turns a move into a
//! numbered [`Change`] that says what kind of data it touched, so caches
//! are rebuilt and screens reload only when something they show moved.

use std::time::Duration;

use crate::error::Result;
use crate::store::{self, EventFile, Kind};

/// How often a watch looks at the file: a change shows on every screen
/// well within a second, for a few microseconds of index lookups.
pub const EVERY: Duration = Duration::from_millis(250);

/// The newest row of each table that grows (see `store::marks`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks(Vec<i64>);

impl Marks {
    /// The file's marks now: one read of a few index ends.
    pub async fn of(file: &EventFile) -> Result<Self> {
        Ok(Self(store::marks(file).await?))
    }

    /// Whether `kind` of data differs between the two.
    fn moved(&self, other: &Self, kind: Kind) -> bool {
        store::MARKED
            .iter()
            .enumerate()
            .filter(|(_, (_, k))| *k == kind)
            .any(|(i, _)| self.0.get(i) != other.0.get(i))
    }

    /// Whether setup (the event, races, entrants) differs between the two:
    /// what a roster table or a search index is built from.
    pub fn same_setup(&self, other: &Self) -> bool {
        !self.moved(other, Kind::Setup)
    }
}

/// A change of the file: its revision (counted from the watch's start) and
/// what it touched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Change {
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub revision: u64,
    /// The event, its races, the roster.
    pub setup: bool,
    /// Check-ins and their undos.
    pub checkins: bool,
    /// Starts, captures, corrections, statuses, crossings.
    pub timing: bool,
    /// The network: this laptop's link to its hub (heard, refused, its
    /// clock) or the stations of its hub, sharing started or stopped. It
    /// moves without a row being added, so it is told apart: a screen of
    /// runners does not reload on a station's heartbeat.
    pub network: bool,
}

/// Follows one file: each look that finds its marks moved is a new
/// revision.
#[derive(Debug, Default)]
pub struct Watch {
    revision: u64,
    marks: Option<Marks>,
    /// The network's state as last seen, summed up in one number.
    pulse: Option<u64>,
}

impl Watch {
    pub fn new() -> Self {
        Self::default()
    }

    /// The revision now: how many changes were seen.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Takes the marks of a look; a change when they moved. The first look
    /// (and a look after [`Watch::reset`], another file) is a change of
    /// everything.
    pub fn see(&mut self, marks: Marks) -> Option<Change> {
        let change = match &self.marks {
            Some(old) if *old == marks => return None,
            Some(old) => Change {
                revision: self.revision + 1,
                setup: old.moved(&marks, Kind::Setup),
                checkins: old.moved(&marks, Kind::Checkins),
                timing: old.moved(&marks, Kind::Timing),
                network: false,
            },
            None => Change {
                revision: self.revision + 1,
                setup: true,
                checkins: true,
                timing: true,
                network: true,
            },
        };
        self.revision = change.revision;
        self.marks = Some(marks);
        Some(change)
    }

    /// Takes the network's state (see `sync::pulse`); a change of the
    /// network when it moved since the last look.
    /// The first look is not a change: the first look at the file said
    /// everything changed.
    pub fn see_network(&mut self, pulse: u64) -> Option<Change> {
        match self.pulse.replace(pulse) {
            Some(old) if old != pulse => {}
            _ => return None,
        }
        self.revision += 1;
        Some(Change {
            revision: self.revision,
            setup: false,
            checkins: false,
            timing: false,
            network: true,
        })
    }

    /// Forgets the marks: the next look is a change of everything (another
    /// file was opened).
    pub fn reset(&mut self) {
        self.marks = None;
        self.pulse = None;
    }

    /// Looks at `file` once.
    pub async fn look(&mut self, file: &EventFile) -> Result<Option<Change>> {
        Ok(self.see(Marks::of(file).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_of_one_table_is_a_change_of_its_kind_only() {
        let mut watch = Watch::new();
        let first = watch.see(Marks(vec![5, 1, 0, 0, 0, 0, 0, 0])).unwrap();
        assert!(first.setup && first.checkins && first.timing && first.revision == 1);
        assert_eq!(watch.see(Marks(vec![5, 1, 0, 0, 0, 0, 0, 0])), None);
        let checkin = watch.see(Marks(vec![5, 2, 0, 0, 0, 0, 0, 0])).unwrap();
        assert_eq!(
            (
                checkin.revision,
                checkin.setup,
                checkin.checkins,
                checkin.timing
            ),
            (2, false, true, false)
        );
        let start = watch.see(Marks(vec![5, 2, 0, 0, 1, 0, 0, 0])).unwrap();
        assert!(start.timing && !start.setup && !start.checkins);
        watch.reset();
        assert!(
            watch
                .see(Marks(vec![5, 2, 0, 0, 1, 0, 0, 0]))
                .unwrap()
                .setup
        );
        assert_eq!(watch.revision(), 4);
    }

    #[test]
    fn the_network_moves_on_its_own_and_counts_as_a_revision() {
        let mut watch = Watch::new();
        watch.see(Marks(vec![1, 0, 0, 0, 0, 0, 0, 0])).unwrap();
        assert_eq!(watch.see_network(7), None, "the first look said everything");
        assert_eq!(watch.see_network(7), None);
        let moved = watch.see_network(8).unwrap();
        assert!(moved.network && !moved.setup && !moved.checkins && !moved.timing);
        assert_eq!(moved.revision, 2);
        // A capture is not a change of the network.
        assert!(
            !watch
                .see(Marks(vec![1, 0, 1, 0, 0, 0, 0, 0]))
                .unwrap()
                .network
        );
        watch.reset();
        assert_eq!(watch.see_network(9), None);
        assert!(watch.see_network(10).is_some());
    }
}
