//! Integration tests of the racedesk core and CLI, on real SQLite files in
//! temporary folders. One binary, one module per area.

mod support;

// Opening, creating and refusing event files.
mod event_file;
// The event, its races and the audit trail.
mod setup;
// Roster import: formats, column guessing, every bad input.
mod import;
// One entrant added or corrected from a form.
mod entrants;
// The check-in desk: check in, undo, groups, fixes, walk-ups, counts.
mod checkin;
// The finish line: starts, captures, corrections, reads.
mod timing;
// Results: scoring rules and every export read back.
mod results;
// Who is still out on the course, replayed from real splits.
mod course;
// The results site phones open at the venue.
mod publish;
// Knowing that the file changed, whoever changed it.
mod changes;
// What a station captured, numbered in one sequence.
mod stations;
// Stations sharing one event: merging their files.
mod sync;
// Stations sharing one event over the network: hub, join, refusals.
mod share;
// Chip decoders read live over TCP and from their files.
mod decoders;
// Killed processes and full disks lose nothing acknowledged.
mod reliability;
// The `racedesk` command line: exit codes and output.
mod cli;
