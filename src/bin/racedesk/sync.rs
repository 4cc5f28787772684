//! Sharing the event between stations: `hub` shares it on the network,
//! `join` keeps a station's copy in step with a hub, `sync status` and
//! `stations` say how that goes, and `merge` brings in another station's
//! copy of the event carried on a stick.

use std::net::SocketAddr;
use std::path::Path;

use clap::{Args, Subcommand, ValueEnum};

use crate::common::*;

/// `merge FILE`: every fact of FILE that this file lacks, added once.
pub async fn merge(db: &Path, other: &Path, operator: &str) -> Result<(), Failure> {
    if other.is_dir() {
        return Err(bad("FILE", format!("{} is a folder", other.display())));
    }
    let file = open(db).await?;
    let merged = racedesk::sync::merge_file(&file, other, operator).await?;
    let facts = &merged.facts;
    println!(
        "merged {}: {} new ({}), {} already here; {} entrants new",
        other.display(),
        facts.added(),
        facts.describe(),
        facts.already(),
        merged.entrants.added
    );
    if !merged.entrants.conflicts.is_empty() {
        println!(
            "not added, their bib or chip is another runner's here (or their race is not here): {}",
            merged.entrants.conflicts.join(", ")
        );
    }
    Ok(())
}

#[derive(Args)]
pub struct HubArgs {
    /// Where to listen: an address of this machine and a port (0.0.0.0
    /// for every network it is on).
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:7420")]
    listen: SocketAddr,
}

/// `hub`: shares the event until Ctrl+C or SIGTERM.
pub async fn hub(db: &Path, args: HubArgs) -> Result<(), Failure> {
    let file = open(db).await?;
    let sharing = racedesk::sync::share(&file, args.listen).await?;
    let addresses = racedesk::sync::hub::reachable_at(sharing.address());
    let first = addresses.first().copied().unwrap_or(sharing.address());
    emit(format!("hub {first} {}\n", sharing.code()).as_bytes())?;
    for other in addresses.iter().skip(1) {
        eprintln!("also reachable at {other}");
    }
    stopped().await;
    sharing.stop();
    Ok(())
}

/// Until Ctrl+C, or SIGTERM where there is one.
pub async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[derive(Args)]
pub struct JoinArgs {
    /// The hub's address and port, as it shows them.
    address: String,
    /// The join code the hub shows (dashes and case do not matter).
    code: String,
    /// This station's name on the director's Stations view.
    #[arg(long)]
    name: Option<String>,
    /// What this station does, shown on the Stations view.
    #[arg(long, default_value = "desk", value_parser = ["desk", "finish", "director"])]
    role: String,
}

/// `join ADDRESS CODE`: joins, says so, and keeps in step until stopped.
pub async fn join(db: &Path, args: JoinArgs) -> Result<(), Failure> {
    // A copy that joined before stays the station it joined as: what it
    // captured meanwhile is that station's to send.
    if db.exists() {
        let file = racedesk::EventFile::open(db)
            .await
            .map_err(racedesk::Error::from)?;
        note_joined(&file).await;
        file.close().await;
    }
    let station = station_id();
    let name = args.name.unwrap_or_else(|| station.clone());
    let file =
        racedesk::sync::join(db, &args.address, &args.code, &station, &name, &args.role).await?;
    let file = opened(db, file);
    emit(format!("joined {} as {station}\n", args.address.trim()).as_bytes())?;
    tokio::select! {
        outcome = racedesk::sync::run(file, &station) => outcome.map_err(Failure::from),
        () = stopped() => Ok(()),
    }
}

#[derive(Args)]
pub struct HubsArgs {
    /// Seconds to look for.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
    wait: u64,
    /// Look only on the network of this address of this machine.
    #[arg(long, value_name = "IP")]
    on: Option<std::net::IpAddr>,
}

/// `hubs`: the hubs that answer on the network.
pub async fn hubs(args: HubsArgs) -> Result<(), Failure> {
    let found = racedesk::sync::find_hubs(std::time::Duration::from_secs(args.wait), args.on).await;
    if found.is_empty() {
        eprintln!("no hub answered (mDNS may be blocked on this network: type the hub's address)");
    }
    let mut out = String::new();
    for hub in found {
        out.push_str(&format!("{} {}\n", hub.address, hub.event));
    }
    emit(out.as_bytes())
}

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Whether the link is connected, when the hub was last heard, how
    /// many facts it has not confirmed, the clock's offset.
    Status {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub async fn sync(db: &Path, command: SyncCommand) -> Result<(), Failure> {
    let SyncCommand::Status { format } = command;
    let file = open_to_read(db).await?;
    let status = racedesk::sync::status(&file).await?;
    match (format, status) {
        (Format::Json, status) => {
            let mut out = Vec::new();
            json_to(&mut out, &status_json(status.as_ref()))?;
            emit(&out)
        }
        (Format::Text, None) => emit(b"not joined to a hub\n"),
        (Format::Text, Some(status)) => {
            let now = racedesk::timing::wall_ms();
            let heard = status.last_heard_ms.map_or("never".to_owned(), |t| {
                format!("{:.1} s ago", (now - t) as f64 / 1000.0)
            });
            let waiting = if status.waiting == 0 {
                "nothing waiting to be sent".to_owned()
            } else {
                let parts: Vec<String> = status
                    .waiting_by_kind
                    .iter()
                    .map(racedesk::sync::Waiting::describe)
                    .collect();
                format!("{} waiting to be sent", parts.join(", "))
            };
            let offset = status
                .offset_ms
                .map_or("not measured".to_owned(), |o| format!("{o:+} ms"));
            let mut text = format!(
                "hub {}: {}; last heard {heard}; {waiting}; clock {offset}\n",
                status.hub,
                if status.connected {
                    "connected"
                } else {
                    "not connected"
                },
            );
            if let Some(error) = &status.error {
                text.push_str(&format!("last problem: {error}\n"));
            }
            emit(text.as_bytes())
        }
    }
}

/// The JSON of `sync status`: `connected`, `last_heard_ms`, `waiting`,
/// `offset_ms` (and what is waiting, by kind); `joined: false` when this
/// file never joined a hub.
fn status_json(status: Option<&racedesk::sync::LinkStatus>) -> serde_json::Value {
    match status {
        None => serde_json::json!({ "joined": false, "connected": false, "waiting": 0 }),
        Some(s) => serde_json::json!({
            "joined": true,
            "hub": s.hub,
            "connected": s.connected,
            "last_heard_ms": s.last_heard_ms,
            "waiting": s.waiting,
            "waiting_by_kind": s.waiting_by_kind.iter()
                .map(|w| (w.kind.clone(), serde_json::Value::from(w.count)))
                .collect::<serde_json::Map<_, _>>(),
            "offset_ms": s.offset_ms,
            "error": s.error,
        }),
    }
}

#[derive(Args)]
pub struct StationsArgs {
    #[command(subcommand)]
    command: Option<StationsCommand>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Subcommand)]
enum StationsCommand {
    /// Refuses a station from now on (a lost or stolen laptop).
    Remove { station: String },
}

/// `stations`: the hub's stations, or `stations remove ID`.
pub async fn stations(db: &Path, args: StationsArgs) -> Result<(), Failure> {
    if let Some(StationsCommand::Remove { station }) = args.command {
        let file = open(db).await?;
        racedesk::sync::remove_station(&file, &station).await?;
        return emit(format!("removed {station}\n").as_bytes());
    }
    let file = open_to_read(db).await?;
    let stations = racedesk::sync::stations(&file).await?;
    let mut out = Vec::new();
    match args.format {
        Format::Json => json_to(&mut out, &stations)?,
        Format::Text => {
            let now = racedesk::timing::wall_ms();
            for s in &stations {
                let seen = s.last_seen_ms.map_or("never".to_owned(), |t| {
                    format!("{:.0} s ago", (now - t) as f64 / 1000.0)
                });
                let offset = s.offset_ms.map_or("-".to_owned(), |o| format!("{o:+} ms"));
                let mut marks = Vec::new();
                if s.removed {
                    marks.push("REMOVED");
                } else if s.silent {
                    marks.push("SILENT");
                }
                if s.clock_off {
                    marks.push("CLOCK OFF");
                }
                out.extend_from_slice(
                    format!(
                        "{}\t{}\t{}\tlast seen {seen}\t{} waiting\tclock {offset}\t{}\t{}\n",
                        s.id,
                        s.name,
                        s.role,
                        s.waiting,
                        s.version,
                        marks.join(" ")
                    )
                    .as_bytes(),
                );
            }
        }
    }
    emit(&out)
}

#[derive(Args)]
pub struct ConflictsArgs {
    #[command(subcommand)]
    command: Option<ConflictsCommand>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Subcommand)]
enum ConflictsCommand {
    /// Adds the runner under a free bib.
    Resolve {
        /// The runner's uid, as `conflicts` lists it.
        uid: String,
        #[arg(long)]
        bib: String,
    },
}

/// `conflicts`: walk-ups waiting for a bib and races made under one
/// code, or `conflicts resolve`.
pub async fn conflicts(db: &Path, args: ConflictsArgs, operator: &str) -> Result<(), Failure> {
    if let Some(ConflictsCommand::Resolve { uid, bib }) = args.command {
        let file = open(db).await?;
        racedesk::sync::resolve(&file, &uid, &bib, operator).await?;
        return emit(format!("registered {uid} with bib {bib}\n").as_bytes());
    }
    let file = open_to_read(db).await?;
    let conflicts = racedesk::sync::conflicts(&file).await?;
    let races = racedesk::sync::race_clashes(&file).await?;
    let mut out = Vec::new();
    match args.format {
        Format::Json => json_to(
            &mut out,
            &serde_json::json!({ "walkUps": conflicts, "races": races }),
        )?,
        Format::Text => {
            for c in &conflicts {
                out.extend_from_slice(
                    format!(
                        "{}\tbib {}\t{}\theld here by {}\n",
                        c.uid,
                        c.bib,
                        c.name,
                        c.holder.as_deref().unwrap_or("-")
                    )
                    .as_bytes(),
                );
            }
            // A race is settled by renaming it: `race edit CODE --code NEW`.
            for r in &races {
                out.extend_from_slice(
                    format!(
                        "race {}\twas given {} at {}\t{}\t{} runners\t{} held here by {}\n",
                        r.code,
                        r.wanted,
                        r.station,
                        r.name,
                        r.entrants,
                        r.wanted,
                        r.holder.as_deref().unwrap_or("-")
                    )
                    .as_bytes(),
                );
            }
        }
    }
    emit(&out)
}
