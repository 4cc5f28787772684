//! What the app remembers between runs: the last event file and the
//! person's preferences (language, theme, station role). One small JSON
//! file in the app's data folder, replaced atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase", default)]
pub struct Preferences {
    /// `en` or `ko`.
    pub language: String,
    /// `light`, `dark` or `contrast` (high contrast, for sunlight).
    pub theme: String,
    /// `desk`, `finish` or `director`; `None` until chosen at start.
    pub role: Option<String>,
    /// The desk's name, shown with each check-in it records.
    pub desk: String,
    /// Whether this laptop, as a check-in desk, offers Start: off unless
    /// the director allows it, so a desk never fires a gun by accident.
    pub desk_may_start: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            language: "en".into(),
            theme: "light".into(),
            role: None,
            desk: "Desk 1".into(),
            desk_may_start: false,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub last_event: Option<PathBuf>,
    pub preferences: Preferences,
    /// This running copy of racedesk, as check-ins name it (UUID v7).
    pub station: String,
    /// Where backups go (a USB stick); the data folder's `backups` if unset.
    pub backup_folder: Option<PathBuf>,
    /// Minutes between automatic backups (when something changed); 5 if unset.
    pub backup_minutes: Option<u32>,
    /// Where results are exported; the data folder's `results` if unset.
    pub results_folder: Option<PathBuf>,
    /// The address the open event was shared on, shared again at start
    /// (a hub that restarts serves its stations again); none if not.
    pub sharing: Option<String>,
    /// The address the results site for phones was served on, served
    /// again at start; none if not.
    pub site: Option<String>,
}

impl Settings {
    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("settings.json")
    }

    /// The saved settings; defaults when there are none or they are damaged.
    pub fn load(data_dir: &Path) -> Self {
        std::fs::read(Self::path(data_dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let path = Self::path(data_dir);
        racedesk::files::write_atomic(&path, &serde_json::to_vec_pretty(self).unwrap_or_default())
    }
}
