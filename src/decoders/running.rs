//! The decoders an open event reads now (the app's session holds them):
//! each connection's task, and where it stands for the Decoders panel.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use super::live::{self, Event, State};
use super::{Decoder, Kept};
use crate::model::Station;
use crate::store::EventFile;

/// A decoder's connection as it stands.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Live {
    pub state: Option<State>,
    /// Why it was lost, or where it is connected.
    pub detail: Option<String>,
    /// The decoder's clock minus this laptop's, where it can be read.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number | null"))]
    pub offset_ms: Option<i64>,
    /// The reader's battery, where it says it.
    pub volts: Option<f64>,
    /// The reader's status as it says it (Ultra's `S=` digits).
    pub status: Option<String>,
    /// The last read kept: chip, the runner it went to, when.
    pub last_chip: Option<String>,
    pub last_bib: Option<String>,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number | null"))]
    pub last_at_ms: Option<i64>,
    /// The decoder's last gun marker (a MYLAPS Gunshot, a ChronoTrack gun
    /// time): offered to the timer as a race's start, never used by itself.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number | null"))]
    pub gun_at_ms: Option<i64>,
    /// Lines that were not what the protocol says.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub bad_lines: u64,
    /// Locations the decoder began reading at since it connected
    /// (ChronoTrack's), each with the point its reads count at.
    pub locations: Vec<(String, String)>,
    /// When the last read was kept, on this laptop's monotonic clock.
    #[serde(skip)]
    #[cfg_attr(any(test, feature = "ts"), ts(skip))]
    read_at: Option<std::time::Instant>,
}

/// A connection that kept a read within this long is reading.
const READING: std::time::Duration = std::time::Duration::from_secs(60);

impl Live {
    /// As the panel shows it: connected and read from within the last
    /// minute is reading.
    fn now(&self) -> Live {
        let mut live = self.clone();
        if live.state == Some(State::Connected)
            && live.read_at.is_some_and(|at| at.elapsed() < READING)
        {
            live.state = Some(State::Reading);
        }
        live
    }
}

/// A decoder set up here, what it read, and its connection while it is
/// being read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct DecoderView {
    pub seen: super::DecoderSeen,
    /// None when it is not being read.
    pub live: Option<Live>,
}

struct Run {
    task: JoinHandle<()>,
    live: Arc<Mutex<Live>>,
    asks: Arc<live::Asks>,
    /// A simulated decoder played for a dry run, stopped with it.
    beside: Option<JoinHandle<()>>,
}

impl Run {
    fn abort(self) {
        self.task.abort();
        if let Some(beside) = self.beside {
            beside.abort();
        }
    }
}

/// The decoders being read, by name.
#[derive(Default)]
pub struct Running {
    runs: Mutex<HashMap<String, Run>>,
}

impl Running {
    /// Reads `decoder` from now on (again from the start if it ran), with
    /// `beside` (a simulated decoder, for a dry run) running until it is
    /// stopped.
    pub fn start(
        &self,
        file: EventFile,
        decoder: Decoder,
        station: Station,
        beside: Option<JoinHandle<()>>,
    ) {
        self.stop(&decoder.name);
        let live = Arc::new(Mutex::new(Live::default()));
        let seen = live.clone();
        let name = decoder.name.clone();
        let asks = Arc::new(live::Asks::default());
        let asked = asks.clone();
        let task = tokio::spawn(async move {
            let (send, mut events) = tokio::sync::mpsc::unbounded_channel();
            let reading = live::run(file, decoder, station, send, asked);
            let noting = async {
                while let Some(event) = events.recv().await {
                    let Ok(mut live) = seen.lock() else { return };
                    note(&mut live, event);
                }
            };
            tokio::join!(reading, noting);
        });
        if let Ok(mut runs) = self.runs.lock() {
            runs.insert(
                name,
                Run {
                    task,
                    live,
                    asks,
                    beside,
                },
            );
        }
    }

    /// Stops reading the decoder called `name`.
    pub fn stop(&self, name: &str) {
        if let Some(run) = self.runs.lock().ok().and_then(|mut r| r.remove(name)) {
            run.abort();
        }
    }

    pub fn stop_all(&self) {
        if let Ok(mut runs) = self.runs.lock() {
            for (_, run) in runs.drain() {
                run.abort();
            }
        }
    }

    /// Asks the decoder called `name` to set its clock to this laptop's;
    /// false when it is not being read.
    pub fn set_clock(&self, name: &str) -> bool {
        let Ok(runs) = self.runs.lock() else {
            return false;
        };
        runs.get(name).map(|run| run.asks.set_clock()).is_some()
    }

    /// Where the decoder called `name` stands, if it is being read.
    pub fn live(&self, name: &str) -> Option<Live> {
        let runs = self.runs.lock().ok()?;
        let run = runs.get(name)?;
        run.live.lock().ok().map(|l| l.now())
    }

    /// Every connection's state summed up in one number: it moves when a
    /// decoder connects, is lost or reads, so the panel reloads then.
    pub fn pulse(&self) -> u64 {
        let mut hasher = std::hash::DefaultHasher::new();
        if let Ok(runs) = self.runs.lock() {
            let mut names: Vec<&String> = runs.keys().collect();
            names.sort();
            for name in names {
                name.hash(&mut hasher);
                if let Some(live) = runs.get(name).and_then(|r| r.live.lock().ok()) {
                    live.now().state.hash(&mut hasher);
                    live.detail.hash(&mut hasher);
                    live.offset_ms.map(|o| o / 100).hash(&mut hasher);
                    live.bad_lines.hash(&mut hasher);
                    live.gun_at_ms.hash(&mut hasher);
                }
            }
        }
        hasher.finish()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop_all();
    }
}

fn note(live: &mut Live, event: Event) {
    match event {
        Event::State { state, detail } => {
            live.state = Some(state);
            live.detail = detail;
        }
        Event::Read { read, kept } => {
            live.read_at = Some(std::time::Instant::now());
            // The last runner read: a re-read says no runner of its own.
            if let Kept::New {
                bib,
                at_ms,
                passing: Some(_),
            } = kept
            {
                live.last_chip = Some(read.chip);
                live.last_bib = bib;
                live.last_at_ms = Some(at_ms);
            }
        }
        Event::Bad { .. } => live.bad_lines += 1,
        Event::Clock(offset) => live.offset_ms = Some(offset),
        Event::Voltage(volts) => live.volts = Some(volts),
        Event::Status(digits) => live.status = Some(digits),
        Event::Gun(at_ms) => live.gun_at_ms = Some(at_ms),
        Event::Location { location, point } => {
            live.locations.retain(|(l, _)| *l != location);
            live.locations.push((location, point));
        }
    }
}
