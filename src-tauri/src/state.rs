//! The app's state: the open event file and the settings.
//!
//! At start the last event file is opened again; on the first launch (or
//! when the last file is gone) a ready demo event is opened instead, made
//! by the core's `demo` function, so a newcomer sees a populated app.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use racedesk::checkin::Finder;
use racedesk::roster::RosterTable;
use racedesk::session::{Backups, Session};
use racedesk::{EventFile, roster};
use tauri::Manager;
use tokio::sync::MappedMutexGuard;

use crate::error::{CommandError, CommandResult};
use crate::settings::{Preferences, Settings};

/// Runners in the demo event of a first launch.
const DEMO_ENTRANTS: usize = 500;

/// The backup intervals offered, in minutes.
pub const BACKUP_MINUTES: [u32; 5] = [1, 2, 5, 10, 15];

pub struct AppState {
    data_dir: PathBuf,
    settings: Mutex<Settings>,
    /// The open event, with its caches and the work beside it (the
    /// watch that tells the screens what changed, automatic backups).
    pub session: Arc<Session>,
    /// Set by `roster_cancel` to stop the import under way.
    pub import_cancel: Mutex<Option<Arc<AtomicBool>>>,
    /// Said once to the UI: why the last event did not reopen.
    pub notice: Mutex<Option<String>>,
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
        let session = Session::start(file, settings.station.clone());
        // A file joined from the command line is that station's copy.
        session.identify().await;
        let state = Self {
            data_dir,
            settings: Mutex::new(settings),
            session,
            import_cancel: Mutex::new(None),
            notice: Mutex::new(notice),
        };
        state.session.set_backups(Some(state.backups()));
        state.resume_network().await;
        Ok(state)
    }

    /// The open event file (a cheap handle on its connection pools).
    pub async fn file(&self) -> EventFile {
        self.session.file().await
    }

    /// The roster table, as it stands in the file now.
    pub async fn roster(&self) -> CommandResult<MappedMutexGuard<'_, RosterTable>> {
        Ok(self.session.roster().await?)
    }

    /// The desk's search index, likewise.
    pub async fn finder(&self) -> CommandResult<MappedMutexGuard<'_, Finder>> {
        Ok(self.session.finder().await?)
    }

    /// After a restart: shares the event again if it was shared, and keeps
    /// it in step with the hub it joined. A failure is said on the network
    /// panel, never stops the app.
    async fn resume_network(&self) {
        let sharing = self.settings.lock().ok().and_then(|s| s.sharing.clone());
        if let Some(listen) = sharing.and_then(|l| l.parse().ok())
            && let Err(e) = self.session.share(listen).await
        {
            tracing::warn!(error = %e, "the event could not be shared again");
        }
        let site = self.settings.lock().ok().and_then(|s| s.site.clone());
        if let Some(listen) = site.and_then(|l| l.parse().ok())
            && let Err(e) = self.session.publish(listen).await
        {
            tracing::warn!(error = %e, "the results site could not be served again");
        }
        if let Err(e) = self.session.resume_decoders().await {
            tracing::warn!(error = %e, "the decoders could not be read again");
        }
        // A hub is no station: its old link (to the hub it replaced) stays off.
        if self.session.shared().await.is_none()
            && let Ok(Some(_)) = racedesk::sync::status(&self.file().await).await
        {
            self.session.start_link();
        }
    }

    /// Switches to another event file and remembers it for the next start.
    pub async fn switch_to(&self, file: EventFile) -> CommandResult<()> {
        let path = file.path().to_owned();
        self.session.switch_to(file).await;
        // The decoders the new file was read with.
        if let Err(e) = self.session.resume_decoders().await {
            tracing::warn!(error = %e, "the decoders could not be read again");
        }
        // Sharing was the old file's.
        self.update_settings(|s| {
            s.last_event = Some(path);
            s.sharing = None;
            s.site = None;
        })
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

    /// Automatic backups as the settings say.
    pub fn backups(&self) -> Backups {
        Backups {
            folder: self.backup_folder(),
            every: std::time::Duration::from_secs(u64::from(self.backup_minutes()) * 60),
        }
    }

    /// Backs the event file up now into the backup folder.
    pub async fn backup_now(&self) -> CommandResult<(String, i64)> {
        let (copy, at) = self.session.backup_now(&self.backup_folder()).await?;
        Ok((copy.display().to_string(), at))
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
