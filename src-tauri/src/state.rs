//! The app's state: the open event file and the settings.
//!
//! At start the last event file is opened again; on the first launch (or
//! when the last file is gone) a ready demo event is opened instead, made
//! by the core's `demo` function, so a newcomer sees a populated app.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use racedesk::changes::Marks;
use racedesk::checkin::Finder;
use racedesk::roster::RosterTable;
use racedesk::timing::CaptureClock;
use racedesk::{EventFile, roster};
use tauri::Manager;
use tokio::sync::RwLock;

use crate::error::{CommandError, CommandResult};
use crate::settings::{Preferences, Settings};

/// Runners in the demo event of a first launch.
const DEMO_ENTRANTS: usize = 500;

/// The backup intervals offered, in minutes.
pub const BACKUP_MINUTES: [u32; 5] = [1, 2, 5, 10, 15];

/// What a cache was built from: the file and its marks then.
struct Built {
    path: PathBuf,
    marks: Marks,
}

impl Built {
    async fn of(file: &EventFile) -> CommandResult<Self> {
        Ok(Self {
            path: file.path().to_owned(),
            marks: Marks::of(file).await?,
        })
    }

    fn same_setup(&self, now: &Self) -> bool {
        self.path == now.path && self.marks.same_setup(&now.marks)
    }
}

pub struct AppState {
    data_dir: PathBuf,
    settings: Mutex<Settings>,
    file: RwLock<EventFile>,
    /// Set by `roster_cancel` to stop the import under way.
    pub import_cancel: Mutex<Option<Arc<AtomicBool>>>,
    /// Said once to the UI: why the last event did not reopen.
    pub notice: Mutex<Option<String>>,
    /// The roster as a table for the app's list, with the file and the
    /// marks it was built from: built again when setup moved, whoever
    /// moved it (no command has to say so).
    roster: tokio::sync::Mutex<Option<(Built, RosterTable)>>,
    /// The check-in desk's search index, likewise.
    finder: tokio::sync::Mutex<Option<(Built, Finder)>>,
    /// The capture clock: the wall clock read once at start, then monotonic.
    pub clock: CaptureClock,
    /// A rehearsal today: typed times are read on today's date (not kept
    /// over a restart, so race day never starts in rehearsal).
    pub rehearsal: AtomicBool,
    /// The last backup: where, and when (Unix epoch ms).
    pub last_backup: Mutex<Option<(String, i64)>>,
    /// The results last scored, under the file's fingerprint.
    pub results: Mutex<Option<(String, Arc<Vec<racedesk::results::RaceResults>>)>>,
}

impl AppState {
    pub async fn start(app: &tauri::AppHandle) -> Result<Self, Box<dyn std::error::Error>> {
        // RACEDESK_DATA_DIR moves everything the app keeps (tests, a
        // portable copy on a USB stick).
        let data_dir = match std::env::var_os("RACEDESK_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => app.path().app_data_dir()?,
        };
        std::fs::create_dir_all(&data_dir)?;
        let mut settings = Settings::load(&data_dir);
        if settings.station.is_empty() {
            settings.station = racedesk::model::Station::new_id();
        }
        let mut notice = None;
        let file = match &settings.last_event {
            Some(path) => match EventFile::open(path).await {
                Ok(file) => Some(file),
                Err(e) => {
                    notice = Some(e.to_string());
                    None
                }
            },
            None => None,
        };
        let file = match file {
            Some(file) => file,
            None => open_demo(&data_dir).await?,
        };
        settings.last_event = Some(file.path().to_owned());
        settings.save(&data_dir)?;
        Ok(Self {
            data_dir,
            settings: Mutex::new(settings),
            file: RwLock::new(file),
            import_cancel: Mutex::new(None),
            notice: Mutex::new(notice),
            roster: tokio::sync::Mutex::new(None),
            finder: tokio::sync::Mutex::new(None),
            clock: CaptureClock::system(),
            rehearsal: AtomicBool::new(false),
            last_backup: Mutex::new(None),
            results: Mutex::new(None),
        })
    }

    /// The open event file (a cheap handle on its connection pools).
    pub async fn file(&self) -> EventFile {
        self.file.read().await.clone()
    }

    /// The roster table, built again from the event file when its setup
    /// moved since it was built.
    pub async fn roster(&self) -> CommandResult<tokio::sync::MappedMutexGuard<'_, RosterTable>> {
        let file = self.file().await;
        let now = Built::of(&file).await?;
        let mut table = self.roster.lock().await;
        if !table
            .as_ref()
            .is_some_and(|(built, _)| built.same_setup(&now))
        {
            *table = Some((now, RosterTable::load(&file).await?));
        }
        tokio::sync::MutexGuard::try_map(table, |t| t.as_mut().map(|(_, table)| table))
            .map_err(|_| CommandError::new("internal", "the roster table is unavailable"))
    }

    /// The desk's search index, likewise.
    pub async fn finder(&self) -> CommandResult<tokio::sync::MappedMutexGuard<'_, Finder>> {
        let file = self.file().await;
        let now = Built::of(&file).await?;
        let mut finder = self.finder.lock().await;
        if !finder
            .as_ref()
            .is_some_and(|(built, _)| built.same_setup(&now))
        {
            *finder = Some((now, Finder::load(&file).await?));
        }
        tokio::sync::MutexGuard::try_map(finder, |f| f.as_mut().map(|(_, finder)| finder))
            .map_err(|_| CommandError::new("internal", "the search index is unavailable"))
    }

    /// This running copy's station id, kept in the settings.
    pub fn station(&self) -> String {
        self.settings
            .lock()
            .map(|s| s.station.clone())
            .unwrap_or_default()
    }

    /// Switches to another event file and remembers it for the next start.
    pub async fn switch_to(&self, file: EventFile) -> CommandResult<()> {
        let path = file.path().to_owned();
        let old = std::mem::replace(&mut *self.file.write().await, file);
        if old.path() != path {
            old.close().await;
        }
        self.update_settings(|s| s.last_event = Some(path))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where backups go: the folder chosen in the settings, else the
    /// `backups` folder beside the app's data.
    pub fn backup_folder(&self) -> PathBuf {
        self.settings
            .lock()
            .ok()
            .and_then(|s| s.backup_folder.clone())
            .unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// Where results are exported: the folder chosen, else `results`
    /// beside the app's data.
    pub fn results_folder(&self) -> PathBuf {
        self.settings
            .lock()
            .ok()
            .and_then(|s| s.results_folder.clone())
            .unwrap_or_else(|| self.data_dir.join("results"))
    }

    /// Minutes between automatic backups: the setting, else 5.
    pub fn backup_minutes(&self) -> u32 {
        self.settings
            .lock()
            .ok()
            .and_then(|s| s.backup_minutes)
            .filter(|m| BACKUP_MINUTES.contains(m))
            .unwrap_or(5)
    }

    /// Backs the event file up now and remembers it.
    pub async fn backup_now(&self) -> CommandResult<(String, i64)> {
        let copy = racedesk::backup::backup(&self.file().await, &self.backup_folder()).await?;
        let done = (copy.display().to_string(), self.clock.now_ms());
        if let Ok(mut last) = self.last_backup.lock() {
            *last = Some(done.clone());
        }
        Ok(done)
    }

    pub fn preferences(&self) -> Preferences {
        self.settings
            .lock()
            .map(|s| s.preferences.clone())
            .unwrap_or_default()
    }

    /// Who the audit trail names for changes made in this app.
    pub fn operator(&self) -> String {
        format!(
            "app:{}",
            self.preferences().role.unwrap_or_else(|| "director".into())
        )
    }

    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) -> CommandResult<()> {
        let mut settings = self
            .settings
            .lock()
            .map_err(|_| CommandError::new("internal", "settings are unavailable"))?;
        change(&mut settings);
        settings.save(&self.data_dir).map_err(|e| {
            CommandError::new("settings", format!("the settings could not be saved: {e}"))
        })
    }
}

/// The demo event in the data folder, made on first use.
/// Where the demo event of a first launch lives.
pub fn demo_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo.racedesk")
}

async fn open_demo(data_dir: &Path) -> Result<EventFile, racedesk::Error> {
    let path = demo_path(data_dir);
    if path.exists() {
        return Ok(EventFile::open(&path).await?);
    }
    let file = EventFile::create(&path).await?;
    roster::demo(&file, DEMO_ENTRANTS, "app").await?;
    Ok(file)
}
