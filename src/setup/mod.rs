//! Setting the event up: its details and its races.
//!
//! Setup data is edited in place; every change writes an audit row in the
//! same transaction, saying what changed, from what, to what, when and by
//! whom.

mod event;
pub(crate) mod races;

pub use event::{EventForm, event, init_event, time_zones, update_event};
pub(crate) use races::race_list;
pub use races::{
    BibBlock, RaceForm, RaceSummary, add_race, give_blocks, races, remove_race, rename_race,
    set_block, update_race,
};

pub use crate::store::audit::AuditEntry;

/// The audit trail of one thing (`entity` is event, race or entrant; `key`
/// its race code or bib), newest first.
pub async fn history(
    file: &crate::EventFile,
    entity: &str,
    key: &str,
) -> crate::Result<Vec<AuditEntry>> {
    Ok(crate::store::audit::history(file.reader(), entity, key).await?)
}

/// Audit JSON of a stored row. Rows are plain data, so this cannot fail;
/// an empty object would still record that a change happened.
pub(crate) fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}
