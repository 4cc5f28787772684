//! A station: one running copy of racedesk on one laptop, and who works it.

/// Who records a captured fact: the station's stable `id` (a UUID v7 made
/// once per installation, or `cli@host` for the CLI), the name people call
/// it by (Desk 1, Finish A), and the person at it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Station {
    pub id: String,
    pub name: String,
    pub operator: String,
}

impl Station {
    /// A new station id, for a copy of racedesk that has none yet.
    pub fn new_id() -> String {
        uuid::Uuid::now_v7().to_string()
    }
}
