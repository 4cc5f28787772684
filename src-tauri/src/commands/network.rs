//! Sharing the event between laptops on the venue's network: this laptop
//! as the hub (share, stop, its stations), or as a station that joined a
//! hub. The work itself runs in the core's session.

use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// What the network panel and the status bar show.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct NetworkState {
    /// This laptop shares the open event: where, and the join code.
    pub shared: Option<racedesk::session::Shared>,
    /// The code as a QR code: rows of dark (true) and light modules.
    pub qr: Vec<Vec<bool>>,
    /// The stations that joined this laptop's hub.
    pub stations: Vec<racedesk::sync::StationSeen>,
    /// This laptop's link to the hub it joined.
    pub link: Option<racedesk::sync::LinkStatus>,
    /// Whether the link runs (it stops when the hub refuses this laptop).
    pub linked: bool,
    /// Walk-ups registered elsewhere under a bib a runner holds here.
    pub conflicts: Vec<racedesk::sync::WalkUpConflict>,
    /// Races made elsewhere under a code a race here had first.
    pub race_clashes: Vec<racedesk::sync::RaceClash>,
    /// This laptop's station id (what its walk-up bibs are given to).
    pub station: String,
    /// Each race's bibs and the walk-up bibs given to each station.
    pub blocks: Vec<RaceBlocks>,
}

/// A race's walk-up bibs, station by station.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct RaceBlocks {
    pub race: String,
    /// The race's own bibs (`1-4999`); none when it takes any bib.
    pub bibs: Option<String>,
    pub blocks: Vec<racedesk::setup::BibBlock>,
}

async fn network(state: &AppState) -> CommandResult<NetworkState> {
    let file = state.file().await;
    let shared = state.session.shared().await;
    let qr = shared
        .as_ref()
        .map(|s| racedesk::publish::qr_modules(&s.code))
        .unwrap_or_default();
    // The hub shows its stations, not a link to a hub it replaced.
    let link = match shared {
        Some(_) => None,
        None => racedesk::sync::status(&file).await?,
    };
    Ok(NetworkState {
        qr,
        shared,
        stations: racedesk::sync::stations(&file).await?,
        link,
        linked: state.session.linked(),
        conflicts: racedesk::sync::conflicts(&file).await?,
        race_clashes: racedesk::sync::race_clashes(&file).await?,
        station: state.session.station(),
        blocks: racedesk::setup::races(&file)
            .await?
            .into_iter()
            .map(|s| RaceBlocks {
                race: s.race.code.to_string(),
                bibs: s.race.bibs.map(|b| b.to_string()),
                blocks: s.blocks,
            })
            .collect(),
    })
}

#[tauri::command]
pub async fn network_state(state: State<'_, AppState>) -> CommandResult<NetworkState> {
    network(&state).await
}

/// Shares the open event on `listen` (an address and port; 0.0.0.0 for
/// every network this laptop is on), and again after a restart.
#[tauri::command]
pub async fn network_share(
    state: State<'_, AppState>,
    listen: String,
) -> CommandResult<NetworkState> {
    let address: std::net::SocketAddr = listen.trim().parse().map_err(|_| {
        CommandError::new(
            "invalid",
            format!("{listen}: an address and a port, such as 0.0.0.0:7420"),
        )
        .with_field("listen")
    })?;
    state.session.share(address).await?;
    state.update_settings(|s| s.sharing = Some(address.to_string()))?;
    network(&state).await
}

#[tauri::command]
pub async fn network_stop_sharing(state: State<'_, AppState>) -> CommandResult<NetworkState> {
    state.session.stop_sharing().await;
    state.update_settings(|s| s.sharing = None)?;
    network(&state).await
}

/// Joins the hub at `address` with its `code`. The open event is kept in
/// step with it when it is the hub's event; otherwise the hub's event is
/// copied into a new file here, which is opened.
#[tauri::command]
pub async fn network_join(
    state: State<'_, AppState>,
    address: String,
    code: String,
    name: String,
) -> CommandResult<NetworkState> {
    if address.trim().is_empty() {
        return Err(
            CommandError::new("invalid", "the hub's address is needed").with_field("address")
        );
    }
    let station = state.session.station();
    let name = if name.trim().is_empty() {
        state.preferences().desk
    } else {
        name
    };
    let current = state.file().await;
    let role = state
        .preferences()
        .role
        .unwrap_or_else(|| "director".into());
    let joined =
        racedesk::sync::join(current.path(), &address, &code, &station, &name, &role).await;
    match joined {
        Ok(_) => {}
        Err(e) if e.said().is_some_and(|s| s.key == "sync.another_event") => {
            let folder = state.data_dir().join("joined");
            std::fs::create_dir_all(&folder).map_err(|e| {
                CommandError::new("unwritable", format!("{}: {e}", folder.display()))
            })?;
            let path = folder.join(format!("event-{}.racedesk", state.session.clock().now_ms()));
            let file = racedesk::sync::join(&path, &address, &code, &station, &name, &role).await?;
            state.switch_to(file).await?;
        }
        Err(e) => {
            // The form marks the field to fix.
            let field = match e.said().map(|s| s.key) {
                Some("sync.bad_code" | "sync.wrong_code") => "code",
                _ => "address",
            };
            return Err(CommandError::from(e).with_field(field));
        }
    }
    state.session.start_link();
    network(&state).await
}

/// Refuses a station from now on (a lost laptop); what it sent stays.
#[tauri::command]
pub async fn network_remove_station(
    state: State<'_, AppState>,
    station: String,
) -> CommandResult<NetworkState> {
    racedesk::sync::remove_station(&state.file().await, &station).await?;
    network(&state).await
}

/// Registers a walk-up kept aside (its bib was another runner's) under a
/// free bib.
#[tauri::command]
pub async fn network_resolve(
    state: State<'_, AppState>,
    uid: String,
    bib: String,
) -> CommandResult<NetworkState> {
    racedesk::sync::resolve(&state.file().await, &uid, &bib, &state.operator())
        .await
        .map_err(|e| CommandError::from(e).with_field("bib"))?;
    network(&state).await
}

/// Gives a race another code (one made elsewhere under a code a race here
/// had first); the new code travels to every station.
#[tauri::command]
pub async fn network_rename_race(
    state: State<'_, AppState>,
    race: String,
    code: String,
) -> CommandResult<NetworkState> {
    racedesk::setup::rename_race(&state.file().await, &race, &code, &state.operator()).await?;
    network(&state).await
}

/// The hubs that answer on this laptop's networks within 3 seconds (mDNS):
/// where to join, without typing. Many venue WiFis block it; typing the
/// address always works.
#[tauri::command]
pub async fn network_find_hubs() -> Vec<racedesk::sync::FoundHub> {
    racedesk::sync::find_hubs(std::time::Duration::from_secs(3), None).await
}

/// Gives `station` the walk-up bibs `bibs` of `race` (empty: none).
#[tauri::command]
pub async fn network_set_block(
    state: State<'_, AppState>,
    race: String,
    station: String,
    bibs: String,
) -> CommandResult<NetworkState> {
    racedesk::setup::set_block(
        &state.file().await,
        &race,
        &station,
        &bibs,
        &state.operator(),
    )
    .await
    .map_err(|e| CommandError::from(e).with_field("bibs"))?;
    network(&state).await
}

/// Gives every station joined to this hub that has none a block of `size`
/// free bibs of each race.
#[tauri::command]
pub async fn network_give_blocks(
    state: State<'_, AppState>,
    size: usize,
) -> CommandResult<NetworkState> {
    let file = state.file().await;
    let stations: Vec<String> = racedesk::sync::stations(&file)
        .await?
        .into_iter()
        .filter(|s| !s.removed)
        .map(|s| s.id)
        .collect();
    racedesk::setup::give_blocks(&file, &stations, size, &state.operator())
        .await
        .map_err(|e| CommandError::from(e).with_field("size"))?;
    network(&state).await
}
