//! An open event: what the app and the CLI's long-running commands hold
//! while an event file is in use. The file, this station, the capture
//! clock, the caches derived from the file (kept only as long as the file's
//! marks have not moved, whoever moved them) and the work that runs beside
//! an open event: the watch that tells screens what changed, and automatic
//! backups. The LAN sync and decoder connections start and stop here too.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{MappedMutexGuard, MutexGuard, RwLock, broadcast};
use tokio::task::JoinHandle;

use crate::changes::{Change, Marks, Watch};
use crate::checkin::Finder;
use crate::error::Result;
use crate::results::RaceResults;
use crate::roster::RosterTable;
use crate::store::EventFile;
use crate::sync::Sharing;
use crate::timing::CaptureClock;

/// How often the backup loop looks at the clock and its interval.
const BACKUP_TICK: Duration = Duration::from_secs(15);

/// A cache and the file and marks it was built from.
struct Cached<T> {
    path: PathBuf,
    marks: Marks,
    value: T,
}

/// Automatic backups: where to, and how often (only when something
/// changed since the last one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backups {
    pub folder: PathBuf,
    pub every: Duration,
}

/// The open event. Made with [`Session::start`]; its background work stops
/// when the last handle is dropped or [`Session::close`] is called.
pub struct Session {
    file: RwLock<EventFile>,
    /// The station this running copy writes as: the one the open file
    /// joined its hub as, or `own`.
    station: Mutex<String>,
    own: String,
    clock: CaptureClock,
    /// A rehearsal day: typed times are read on today's date (never kept
    /// over a restart, so race day never starts in rehearsal).
    rehearsal: AtomicBool,
    roster: tokio::sync::Mutex<Option<Cached<RosterTable>>>,
    finder: tokio::sync::Mutex<Option<Cached<Finder>>>,
    results: tokio::sync::Mutex<Option<Cached<Arc<Vec<RaceResults>>>>>,
    changes: broadcast::Sender<Change>,
    backups: Mutex<Option<Backups>>,
    last_backup: Mutex<Option<(PathBuf, i64)>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// This event shared on the network, while it is.
    sharing: tokio::sync::Mutex<Option<Sharing>>,
    /// The results site for phones, while it is served.
    site: tokio::sync::Mutex<Option<crate::publish::Publishing>>,
    /// The link to the hub this file joined, while it runs.
    link: Mutex<Option<JoinHandle<()>>>,
    /// The chip decoders read now.
    decoders: crate::decoders::Running,
}

/// The event as this station shares it: where stations reach it, and the
/// code they join with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Shared {
    pub addresses: Vec<String>,
    pub code: String,
}

impl Shared {
    fn of(sharing: &crate::sync::Sharing) -> Self {
        Self {
            addresses: crate::sync::hub::reachable_at(sharing.address())
                .iter()
                .map(ToString::to_string)
                .collect(),
            code: sharing.code().to_string(),
        }
    }
}

impl Session {
    /// Opens a session on `file` for `station`, and starts the work beside
    /// it (inside a tokio runtime).
    pub fn start(file: EventFile, station: impl Into<String>) -> Arc<Self> {
        let (changes, _) = broadcast::channel(64);
        let station = station.into();
        let session = Arc::new(Self {
            file: RwLock::new(file.writes_as(&station)),
            station: Mutex::new(station.clone()),
            own: station,
            clock: CaptureClock::system(),
            rehearsal: AtomicBool::new(false),
            roster: Default::default(),
            finder: Default::default(),
            results: Default::default(),
            changes,
            backups: Mutex::new(None),
            last_backup: Mutex::new(None),
            tasks: Mutex::new(Vec::new()),
            sharing: Default::default(),
            site: Default::default(),
            link: Mutex::new(None),
            decoders: Default::default(),
        });
        let weak = Arc::downgrade(&session);
        let tasks = vec![
            tokio::spawn(watch(weak.clone())),
            tokio::spawn(back_up(weak)),
        ];
        if let Ok(mut held) = session.tasks.lock() {
            *held = tasks;
        }
        session
    }

    /// The open event file (a cheap handle on its connection pools).
    pub async fn file(&self) -> EventFile {
        self.file.read().await.clone()
    }

    /// The station id recorded with what this copy captures: the one the
    /// open file joined its hub as (a file joined from the command line
    /// is still that station in the app), or this copy's own.
    pub fn station(&self) -> String {
        self.station
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|_| self.own.clone())
    }

    /// Writes as the station the open file joined its hub as, if it did.
    pub async fn identify(&self) {
        let mut file = self.file.write().await;
        let station = self.station_of(&file).await;
        *file = file.clone().writes_as(&station);
        if let Ok(mut held) = self.station.lock() {
            *held = station;
        }
    }

    /// The station `file` is written as: the one it joined as, or ours.
    async fn station_of(&self, file: &EventFile) -> String {
        crate::sync::joined_as(file)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| self.own.clone())
    }

    /// The capture clock: the wall clock read once, then monotonic.
    pub fn clock(&self) -> &CaptureClock {
        &self.clock
    }

    pub fn rehearsal(&self) -> bool {
        self.rehearsal.load(Ordering::Relaxed)
    }

    pub fn set_rehearsal(&self, on: bool) {
        self.rehearsal.store(on, Ordering::Relaxed);
    }

    /// Switches to another event file; the old one is closed. The next
    /// change said is a change of everything. Sharing and the link to a
    /// hub belong to the old file: they stop.
    pub async fn switch_to(&self, file: EventFile) {
        self.stop_sharing().await;
        self.stop_publishing().await;
        self.stop_link();
        self.decoders.stop_all();
        let path = file.path().to_owned();
        let station = self.station_of(&file).await;
        let file = file.writes_as(&station);
        let old = std::mem::replace(&mut *self.file.write().await, file);
        if let Ok(mut held) = self.station.lock() {
            *held = station;
        }
        if old.path() != path {
            old.close().await;
        }
    }

    /// What changed in the file, as it is seen (within
    /// [`crate::changes::EVERY`]), whoever changed it.
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// The roster as a table, built again when setup moved since.
    pub async fn roster(&self) -> Result<MappedMutexGuard<'_, RosterTable>> {
        let file = self.file().await;
        let guard = self.roster.lock().await;
        let guard = fresh(guard, &file, Marks::same_setup, RosterTable::load).await?;
        Ok(MappedMutexGuard::map(guard, |c| &mut c.value))
    }

    /// The check-in desk's search index, likewise.
    pub async fn finder(&self) -> Result<MappedMutexGuard<'_, Finder>> {
        let file = self.file().await;
        let guard = self.finder.lock().await;
        let guard = fresh(guard, &file, Marks::same_setup, Finder::load).await?;
        Ok(MappedMutexGuard::map(guard, |c| &mut c.value))
    }

    /// The results as they stand, scored again only when anything moved.
    pub async fn results(&self) -> Result<Arc<Vec<RaceResults>>> {
        let file = self.file().await;
        let guard = self.results.lock().await;
        let guard = fresh(
            guard,
            &file,
            |a, b| a == b,
            |file| async move { Ok(Arc::new(crate::results::results(file).await?)) },
        )
        .await?;
        Ok(guard.value.clone())
    }

    /// Sets (or with `None` stops) automatic backups.
    pub fn set_backups(&self, backups: Option<Backups>) {
        if let Ok(mut held) = self.backups.lock() {
            *held = backups;
        }
    }

    /// Backs the file up now into `folder`; remembered as the last backup.
    pub async fn backup_now(&self, folder: &Path) -> Result<(PathBuf, i64)> {
        let copy = crate::backup::backup(&self.file().await, folder).await?;
        let done = (copy, self.clock.now_ms());
        if let Ok(mut last) = self.last_backup.lock() {
            *last = Some(done.clone());
        }
        Ok(done)
    }

    /// The last backup made in this session: where, and when (epoch ms).
    pub fn last_backup(&self) -> Option<(PathBuf, i64)> {
        self.last_backup.lock().ok().and_then(|l| l.clone())
    }

    /// Shares the open event on the network at `listen`; sharing already
    /// on is stopped first (a new code). A hub is no station: a link to
    /// another hub (the one this laptop replaces) stops.
    pub async fn share(&self, listen: std::net::SocketAddr) -> Result<Shared> {
        self.stop_link();
        let mut sharing = self.sharing.lock().await;
        if let Some(old) = sharing.take() {
            old.stop();
        }
        let shared = crate::sync::share(&self.file().await, listen).await?;
        let said = Shared::of(&shared);
        *sharing = Some(shared);
        Ok(said)
    }

    /// Where and with which code the event is shared; none when it is not.
    pub async fn shared(&self) -> Option<Shared> {
        self.sharing.lock().await.as_ref().map(Shared::of)
    }

    /// Stops listening; the stations keep their copies and wait.
    pub async fn stop_sharing(&self) {
        if let Some(sharing) = self.sharing.lock().await.take() {
            sharing.stop();
        }
    }

    /// Serves the open event's results to phones at `listen` (again, if
    /// it was served elsewhere).
    pub async fn publish(&self, listen: std::net::SocketAddr) -> Result<crate::publish::Site> {
        let mut site = self.site.lock().await;
        if let Some(old) = site.take() {
            old.stop();
        }
        let serving = crate::publish::publish(&self.file().await, listen).await?;
        let said = crate::publish::Site::of(&serving);
        *site = Some(serving);
        Ok(said)
    }

    /// Where the results site is served; none when it is not.
    pub async fn published(&self) -> Option<crate::publish::Site> {
        self.site
            .lock()
            .await
            .as_ref()
            .map(crate::publish::Site::of)
    }

    pub async fn stop_publishing(&self) {
        if let Some(site) = self.site.lock().await.take() {
            site.stop();
        }
    }

    /// Keeps the open file in step with the hub it joined (from now, and
    /// until the file is switched or the hub refuses this station).
    pub fn start_link(self: &Arc<Self>) {
        self.stop_link();
        let weak = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            let Some(session) = weak.upgrade() else {
                return;
            };
            let file = session.file().await;
            let station = session.station();
            drop(session);
            // Why it stopped (the hub refused this station) is in the
            // file's link, for every screen.
            if let Err(e) = crate::sync::run(file, &station).await {
                tracing::warn!(error = %e, "the link to the hub stopped");
            }
        });
        if let Ok(mut link) = self.link.lock() {
            *link = Some(task);
        }
    }

    /// Whether the link to a hub runs now.
    pub fn linked(&self) -> bool {
        self.link
            .lock()
            .ok()
            .is_some_and(|l| l.as_ref().is_some_and(|t| !t.is_finished()))
    }

    /// Stops keeping in step with the hub (the file stays as it is).
    pub fn stop_link(&self) {
        if let Some(task) = self.link.lock().ok().and_then(|mut l| l.take()) {
            task.abort();
        }
    }

    /// Sets up `decoder` (by its name) and reads it from now on, as this
    /// station: its reads are kept and made passings, and its connection
    /// comes back by itself when lost.
    pub async fn read_decoder(&self, decoder: crate::decoders::Decoder) -> Result<()> {
        let file = self.file().await;
        crate::decoders::readable(&decoder)?;
        crate::decoders::save_decoder(&file, &decoder).await?;
        crate::decoders::set_reading(&file, &decoder.name, true).await?;
        self.start_decoder(file, decoder, None);
        Ok(())
    }

    /// Reads `decoder` as this station, its name the operator's, with
    /// `beside` (a simulated decoder) running until it stops.
    fn start_decoder(
        &self,
        file: EventFile,
        decoder: crate::decoders::Decoder,
        beside: Option<JoinHandle<()>>,
    ) {
        let station = crate::model::Station {
            id: self.station(),
            name: decoder.name.clone(),
            operator: decoder.name.clone(),
        };
        self.decoders.start(file, decoder, station, beside);
    }

    /// A dry run: plays a decoder of `kind` on this laptop's loopback (the
    /// roster's runners crossing the finish over 10 minutes, read 4 times
    /// each, the link dropped once) and reads it as a decoder called
    /// `simulated <kind>` at the finish, so a timer sees chip reads arrive
    /// before the race. Its reads are real passings in this file; it is
    /// not read again when the app starts. The decoder's name.
    pub async fn dry_run(&self, kind: crate::decoders::Kind) -> Result<String> {
        use crate::decoders::simulate;
        let file = self.file().await;
        let event = crate::setup::event(&file).await?;
        let chips = simulate::roster_chips(&file).await?;
        let plan = simulate::Plan {
            runners: chips.len(),
            finish: std::time::Duration::from_secs(600),
            rereads: 3,
            drop_after: Some(std::time::Duration::from_secs(240)),
            clock_off: chrono::Duration::zero(),
            seed: crate::store::now_ms().unsigned_abs(),
        };
        let unreachable = |e: std::io::Error| {
            crate::Error::Conflict(crate::said!("error.dry_run", reason = e.to_string()))
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(unreachable)?;
        let port = listener.local_addr().map_err(unreachable)?.port();
        let (target, address, ours) = if kind.listens() {
            // Our side listens on the port; the simulator calls it.
            drop(listener);
            (
                simulate::Target::Connect(format!("127.0.0.1:{port}")),
                None,
                Some(port),
            )
        } else {
            (
                simulate::Target::Listen(listener),
                Some(format!("127.0.0.1:{port}")),
                None,
            )
        };
        let decoder = crate::decoders::Decoder {
            name: format!("simulated {}", kind.name()),
            kind,
            address,
            port: ours,
            point: "finish".into(),
            window_ms: 3000,
            bib_as_chip: false,
            last_read: false,
            points: None,
        };
        crate::decoders::save_decoder(&file, &decoder).await?;
        crate::decoders::set_reading(&file, &decoder.name, false).await?;
        let start = chrono::Utc::now()
            .with_timezone(&event.time_zone.0)
            .naive_local();
        let reads = simulate::finish(&chips, &plan, start);
        let zone = event.time_zone;
        let playing = tokio::spawn(async move {
            let (said, _quiet) = tokio::sync::mpsc::unbounded_channel();
            if let Err(e) = simulate::play(kind, target, reads, &plan, zone, said).await {
                tracing::warn!(error = %e, "the simulated decoder stopped");
            }
        });
        let name = decoder.name.clone();
        self.start_decoder(file, decoder, Some(playing));
        Ok(name)
    }

    /// Reads again the decoders the app was reading when it last ran on
    /// the open file.
    pub async fn resume_decoders(&self) -> Result<()> {
        let file = self.file().await;
        for decoder in crate::decoders::were_reading(&file).await? {
            self.start_decoder(file.clone(), decoder, None);
        }
        Ok(())
    }

    /// Sets the clock of the decoder called `name` to this laptop's, on
    /// the timer's say-so (never by itself): RACE RESULT and Ultra, while
    /// it is being read. Its new offset shows once it is read back.
    pub async fn set_decoder_clock(&self, name: &str) -> Result<()> {
        let file = self.file().await;
        let decoder = crate::decoders::decoders(&file)
            .await?
            .into_iter()
            .find(|d| d.name == name)
            .ok_or_else(|| crate::Error::NotFound(crate::said!("error.no_decoder", name = name)))?;
        if !decoder.kind.sets_clock() {
            return Err(crate::Error::Conflict(crate::said!(
                "error.decoder_clock",
                name = name
            )));
        }
        if !self.decoders.set_clock(name) {
            return Err(crate::Error::Conflict(crate::said!(
                "error.decoder_not_read",
                name = name
            )));
        }
        Ok(())
    }

    /// Stops reading the decoder called `name` (its reads stay), also
    /// when the app starts again.
    pub async fn stop_decoder(&self, name: &str) -> Result<()> {
        self.decoders.stop(name);
        crate::decoders::set_reading(&self.file().await, name, false).await
    }

    /// The decoders set up in the open file, what each read, and the
    /// connection of each being read.
    pub async fn decoders(&self) -> Result<Vec<crate::decoders::DecoderView>> {
        let file = self.file().await;
        Ok(crate::decoders::seen(&file)
            .await?
            .into_iter()
            .map(|seen| crate::decoders::DecoderView {
                live: self.decoders.live(&seen.decoder.name),
                seen,
            })
            .collect())
    }

    /// Stops the work beside the event and closes the file (checkpointed,
    /// so the file alone holds everything when it is copied).
    pub async fn close(&self) {
        self.stop_sharing().await;
        self.stop_publishing().await;
        self.stop_link();
        self.decoders.stop_all();
        self.stop();
        self.file().await.close().await;
    }

    fn stop(&self) {
        if let Ok(mut tasks) = self.tasks.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The cache in `guard`, built again from `file` when it was built from
/// another file or `same` says its marks differ from the file's now.
async fn fresh<'g, 'f, T, F, Fut>(
    mut guard: MutexGuard<'g, Option<Cached<T>>>,
    file: &'f EventFile,
    same: fn(&Marks, &Marks) -> bool,
    build: F,
) -> Result<MappedMutexGuard<'g, Cached<T>>>
where
    F: FnOnce(&'f EventFile) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let marks = Marks::of(file).await?;
    let current = guard
        .as_ref()
        .is_some_and(|c| c.path == file.path() && same(&c.marks, &marks));
    if !current {
        // Marks read before building: a write during the build moves them
        // again, so the next call builds once more rather than missing it.
        let value = build(file).await?;
        *guard = Some(Cached {
            path: file.path().to_owned(),
            marks,
            value,
        });
    }
    Ok(MutexGuard::map(guard, |c| match c {
        Some(cached) => cached,
        None => unreachable!("filled above"),
    }))
}

/// Looks at the file every [`crate::changes::EVERY`] and says each change.
async fn watch(session: Weak<Session>) {
    let mut watch = Watch::new();
    let mut path = PathBuf::new();
    loop {
        let Some(session) = session.upgrade() else {
            return;
        };
        let file = session.file().await;
        if file.path() != path {
            path = file.path().to_owned();
            watch.reset();
        }
        match watch.look(&file).await {
            // Nobody listening is fine: the next listener reloads anyway.
            Ok(Some(change)) => drop(session.changes.send(change)),
            Ok(None) => {}
            // A file busy or damaged for a moment: the next look says.
            Err(e) => tracing::debug!(error = %e, "the file could not be looked at"),
        }
        // The network moves without a row added: the link's state in the
        // file, and this session's sharing and link starting or stopping.
        if let Ok(pulse) = crate::sync::pulse(&file).await {
            let shared = session.sharing.lock().await.is_some();
            let site = session.site.lock().await.is_some();
            let pulse = pulse
                .wrapping_mul(8)
                .wrapping_add(
                    u64::from(site) * 4 + u64::from(shared) * 2 + u64::from(session.linked()),
                )
                .wrapping_mul(31)
                .wrapping_add(session.decoders.pulse());
            if let Some(change) = watch.see_network(pulse) {
                drop(session.changes.send(change));
            }
        }
        drop(session);
        tokio::time::sleep(crate::changes::EVERY).await;
    }
}

/// Backs the file up every few minutes when backups are set and something
/// changed, so a dead laptop or disk loses at most those minutes.
async fn back_up(session: Weak<Session>) {
    let mut last_seen: Option<(PathBuf, Marks)> = None;
    let mut last_try = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(BACKUP_TICK).await;
        let Some(session) = session.upgrade() else {
            return;
        };
        let Some(backups) = session.backups.lock().ok().and_then(|b| b.clone()) else {
            continue;
        };
        if last_try.elapsed() < backups.every {
            continue;
        }
        last_try = tokio::time::Instant::now();
        let file = session.file().await;
        let Ok(marks) = Marks::of(&file).await else {
            continue;
        };
        let now = Some((file.path().to_owned(), marks));
        if now != last_seen {
            match session.backup_now(&backups.folder).await {
                Ok(_) => last_seen = now,
                Err(e) => tracing::error!(error = %e, "automatic backup failed"),
            }
        }
    }
}
