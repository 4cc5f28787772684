//! The hub: one station shares its open event on the venue's network, over
//! HTTPS with its own certificate. Stations join with the code it shows,
//! send what they captured, and pull everything after the last row they
//! have, in the hub's own order (its file's rowids); each row is stored
//! once, by its UUID, however often it comes. A change is announced to the
//! stations as it happens (server-sent events).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::store::EventFile;

use super::facts;
use super::trust::{self, JoinCode};
use super::wire::{self, *};

/// The largest request a hub reads: a batch of a few thousand rows is well
/// under it; a bigger one is refused before it is read whole.
pub const MAX_REQUEST: usize = 16 * 1024 * 1024;
/// Rows a pull returns at most.
const PULL_LIMIT: i64 = 5_000;
/// How often the hub looks whether its file changed, to announce it.
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// An event being shared. Sharing stops when this is dropped or
/// [`Sharing::stop`] is called.
pub struct Sharing {
    address: SocketAddr,
    code: JoinCode,
    handle: axum_server::Handle<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
    /// The hub's mDNS announcement, while it shares.
    announced: Option<super::discover::Announced>,
}

impl Sharing {
    /// Where the hub listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The code stations join with.
    pub fn code(&self) -> &JoinCode {
        &self.code
    }

    /// Stops listening; stations keep their copies and wait for a hub.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.announced = None;
        self.handle.shutdown();
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for Sharing {
    fn drop(&mut self) {
        self.shut();
    }
}

struct Hub {
    file: EventFile,
    event: String,
    epoch: String,
    secret: String,
    protocol: String,
    announce: broadcast::Sender<u64>,
}

/// Shares `file` on `listen` (port 0: any free port). The hub's
/// certificate is made the first time and kept in the file, so stations
/// trust it again after a restart; the join secret is new each time, so a
/// code shown before is refused.
pub async fn share(file: &EventFile, listen: SocketAddr) -> Result<Sharing> {
    let event = crate::store::setup::identity(file.reader())
        .await?
        .ok_or_else(|| Error::Conflict(crate::said!("sync.no_event")))?;
    let (cert, key, epoch, secret) = identity(file).await?;
    let tls = trust::server_tls(&cert, &key).map_err(failed)?;
    let (announce, _) = broadcast::channel(16);
    let hub = Arc::new(Hub {
        file: file.clone(),
        event,
        epoch,
        secret: trust::hex(&secret),
        protocol: wire::protocol(),
        announce,
    });
    let app = axum::Router::new()
        .route("/v1/join", post(join))
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/push", post(push))
        .route("/v1/pull", post(pull))
        .route("/v1/announce", get(announce_changes))
        .layer(DefaultBodyLimit::max(MAX_REQUEST))
        .with_state(hub.clone());
    let listener = std::net::TcpListener::bind(listen).map_err(|e| {
        Error::Conflict(crate::said!(
            "sync.cannot_listen",
            address = listen,
            reason = e
        ))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| failed(e.to_string()))?;
    let address = listener.local_addr().map_err(|e| failed(e.to_string()))?;
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls)),
    )
    .map_err(|e| failed(e.to_string()))?
    .handle(handle.clone());
    let serve = tokio::spawn(async move {
        if let Err(e) = server.serve(app.into_make_service()).await {
            tracing::error!(error = %e, "the hub stopped serving");
        }
    });
    let watch = tokio::spawn(announce_loop(hub));
    let name = crate::setup::event(file).await?.name;
    let ips: Vec<std::net::IpAddr> = reachable_at(address).iter().map(SocketAddr::ip).collect();
    let only = (!listen.ip().is_unspecified()).then_some(listen.ip());
    let announced = super::discover::announce(&name, &ips, address.port(), only);
    Ok(Sharing {
        address,
        code: JoinCode::new(&cert, secret),
        handle,
        tasks: vec![serve, watch],
        announced,
    })
}

fn failed(reason: String) -> Error {
    Error::Conflict(crate::said!("sync.cannot_share", reason = reason))
}

/// The hub's certificate, key and epoch (made once), and a new join secret.
async fn identity(file: &EventFile) -> Result<(Vec<u8>, Vec<u8>, String, [u8; 5])> {
    let secret = JoinCode::new_secret().map_err(failed)?;
    let kept: Option<(Vec<u8>, Vec<u8>, String)> =
        sqlx::query_as("SELECT cert, key, epoch FROM hub_identity WHERE one = 1")
            .fetch_optional(file.reader())
            .await?;
    let (cert, key, epoch) = match kept {
        Some(kept) => kept,
        None => {
            let (cert, key) = trust::new_certificate().map_err(failed)?;
            let epoch = trust::hex(&trust::random::<8>().map_err(failed)?);
            (cert, key, epoch)
        }
    };
    sqlx::query(
        "INSERT INTO hub_identity (one, cert, key, epoch, secret, created_ms)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (one) DO UPDATE SET secret = excluded.secret",
    )
    .bind(&cert)
    .bind(&key)
    .bind(&epoch)
    .bind(secret.as_slice())
    .bind(crate::store::now_ms())
    .execute(file.writer())
    .await?;
    Ok((cert, key, epoch, secret))
}

/// Tells the stations listening whenever the file's facts move, whoever
/// moved them (a station's push, the hub's own desk, a merge).
async fn announce_loop(hub: Arc<Hub>) {
    let mut last = None;
    let mut revision = 0u64;
    // A push stored, or a capture at the hub's own desk, is announced at
    // once; a write by another process on the file at the next look.
    let mut written = hub.file.written();
    loop {
        tokio::select! {
            () = tokio::time::sleep(LOOK_EVERY) => {}
            Ok(()) = written.changed() => {}
        }
        let Ok(marks) = crate::store::marks(&hub.file).await else {
            continue;
        };
        if last.as_ref() != Some(&marks) {
            if last.is_some() {
                revision += 1;
                let _ = hub.announce.send(revision);
            }
            last = Some(marks);
        }
    }
}

/// A refusal: its HTTP status and a code the station can say in words.
struct Refused(StatusCode, &'static str, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        tracing::info!(code = self.1, detail = %self.2, "refused a station's request");
        (
            self.0,
            Json(Refusal {
                code: self.1.to_owned(),
                detail: self.2,
            }),
        )
            .into_response()
    }
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "the hub's file failed");
        let code = match Error::from(e).said().map(|s| s.key) {
            Some("error.disk_full") => "hub_disk_full",
            _ => "hub_storage",
        };
        Refused(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            "the hub could not use its event file".into(),
        )
    }
}

impl Hub {
    /// Refuses a request of another racedesk version.
    fn check_protocol(&self, headers: &HeaderMap) -> Result<(), Refused> {
        let theirs = headers
            .get(PROTOCOL_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if theirs == self.protocol {
            Ok(())
        } else {
            Err(Refused(
                StatusCode::CONFLICT,
                "version",
                format!("the hub runs {}, the station {theirs}", self.protocol),
            ))
        }
    }

    /// The joined station a request comes from: its id and its credential
    /// must match a station that joined and was not removed.
    async fn station(&self, headers: &HeaderMap) -> Result<String, Refused> {
        self.check_protocol(headers)?;
        let id = headers
            .get(STATION_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let credential = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let known: Option<(Vec<u8>, Option<i64>)> =
            sqlx::query_as("SELECT credential, removed_ms FROM sync_station WHERE id = ?")
                .bind(id)
                .fetch_optional(self.file.reader())
                .await?;
        match known {
            Some((digest, removed)) if digest == trust::digest(credential) => match removed {
                None => Ok(id.to_owned()),
                Some(_) => Err(Refused(
                    StatusCode::FORBIDDEN,
                    "removed",
                    format!("the director removed station {id}"),
                )),
            },
            _ => Err(Refused(
                StatusCode::UNAUTHORIZED,
                "not_joined",
                "this device has not joined the hub".into(),
            )),
        }
    }

    fn check_event(&self, event: &str) -> Result<(), Refused> {
        if event == self.event {
            Ok(())
        } else {
            Err(Refused(
                StatusCode::CONFLICT,
                "another_event",
                "the rows are of another event".into(),
            ))
        }
    }

    /// Records what a station said of itself at an exchange.
    async fn heard(&self, station: &str, report: &Report, at: i64) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE sync_station SET last_seen_ms = ?2, offset_ms = ?3, waiting = ?4 WHERE id = ?1",
        )
        .bind(station)
        .bind(at)
        .bind(report.offset_ms)
        .bind(i64::try_from(report.waiting).unwrap_or(i64::MAX))
        .execute(self.file.writer())
        .await?;
        Ok(())
    }
}

async fn join(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Json(asked): Json<JoinRequest>,
) -> Result<Json<Joined>, Refused> {
    hub.check_protocol(&headers)?;
    if asked.secret != hub.secret {
        return Err(Refused(
            StatusCode::UNAUTHORIZED,
            "wrong_code",
            "the join code is not the one this hub shows now".into(),
        ));
    }
    if let Some(event) = &asked.event {
        hub.check_event(event)?;
    }
    let id = asked.station.trim();
    let name = asked.name.trim();
    if id.is_empty() || id.len() > 100 || name.len() > 100 {
        return Err(Refused(
            StatusCode::BAD_REQUEST,
            "malformed",
            "a station needs an id and a name of at most 100 characters".into(),
        ));
    }
    let removed: Option<Option<i64>> =
        sqlx::query_scalar("SELECT removed_ms FROM sync_station WHERE id = ?")
            .bind(id)
            .fetch_optional(hub.file.reader())
            .await?;
    if let Some(Some(_)) = removed {
        return Err(Refused(
            StatusCode::FORBIDDEN,
            "removed",
            format!("the director removed station {id}"),
        ));
    }
    let credential = trust::hex(
        &trust::random::<32>()
            .map_err(|e| Refused(StatusCode::SERVICE_UNAVAILABLE, "hub_storage", e))?,
    );
    // Joining again (a reinstalled laptop) replaces the credential: the
    // code proves the director let this device in.
    sqlx::query(
        "INSERT INTO sync_station (id, name, credential, version, joined_ms, last_seen_ms, role)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, credential = excluded.credential,
             version = excluded.version, last_seen_ms = excluded.last_seen_ms,
             role = excluded.role",
    )
    .bind(id)
    .bind(if name.is_empty() { id } else { name })
    .bind(trust::digest(&credential))
    .bind(&hub.protocol)
    .bind(crate::store::now_ms())
    .bind(asked.role.chars().take(20).collect::<String>())
    .execute(hub.file.writer())
    .await?;
    Ok(Json(Joined {
        credential,
        epoch: hub.epoch.clone(),
        event: hub.event.clone(),
    }))
}

/// A whole copy of the event for a station joining without a file: the
/// hub's position first, then a consistent copy of the file without the
/// hub's secrets and stations. A row stored between the two comes again
/// in the first pull, and is stored once.
async fn snapshot(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> Result<Response, Refused> {
    hub.station(&headers).await?;
    let position = {
        let mut reader = hub.file.reader().acquire().await?;
        Position {
            facts: facts::cursor_at_end(&mut reader).await?,
            entrants: crate::store::entrants::last_id(&mut reader).await?,
        }
    };
    let scratch = tempfile::tempdir().map_err(|e| {
        Refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "hub_storage",
            e.to_string(),
        )
    })?;
    let copy = scratch.path().join("snapshot.racedesk");
    hub.file.vacuum_into(&copy).await?;
    let bytes = strip(&copy).await?;
    let position = serde_json::to_string(&position).unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::HeaderName::from_static(POSITION_HEADER), position),
        ],
        bytes,
    )
        .into_response())
}

/// Removes from a copy what stays with the hub, and reads it whole.
async fn strip(copy: &std::path::Path) -> Result<Vec<u8>, Refused> {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(copy);
    let mut db = sqlx::SqliteConnection::connect_with(&options).await?;
    sqlx::query("DELETE FROM hub_identity; DELETE FROM sync_station; DELETE FROM sync_link;")
        .execute(&mut db)
        .await?;
    db.close().await?;
    tokio::fs::read(copy).await.map_err(|e| {
        Refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "hub_storage",
            e.to_string(),
        )
    })
}

async fn push(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Json(pushed): Json<Push>,
) -> Result<Json<Pushed>, Refused> {
    let received_ms = crate::store::now_ms();
    let station = hub.station(&headers).await?;
    hub.check_event(&pushed.event)?;
    if pushed.rows.tables.len() > facts::TABLES.len() {
        return Err(Refused(
            StatusCode::BAD_REQUEST,
            "malformed",
            "more tables than the event has".into(),
        ));
    }
    let mut tx = hub.file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let rows = &pushed.rows;
    let from = (station.as_str(), "sync");
    let written = facts::store(&mut tx, &rows.entrants, &rows.tables, Some(&station), from).await;
    let facts::Stored {
        entrants,
        facts: added,
        forged: refused,
    } = match written {
        Ok(written) => written,
        Err(e) if is_malformed(&e) => {
            return Err(Refused(
                StatusCode::BAD_REQUEST,
                "malformed",
                "the rows are not rows of this event".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    hub.heard(&station, &pushed.report, received_ms).await?;
    if !entrants.conflicts.is_empty() {
        tracing::warn!(station, bibs = ?entrants.conflicts, "walk-ups whose bib or chip is taken here");
    }
    Ok(Json(Pushed {
        epoch: hub.epoch.clone(),
        added: added.added() + entrants.added,
        refused,
        stamps: Stamps {
            received_ms,
            replied_ms: crate::store::now_ms(),
        },
    }))
}

/// Rows that are not rows: text that is not JSON, a value SQLite's strict
/// tables refuse, a row naming a race this event does not have.
fn is_malformed(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| {
        matches!(
            d.kind(),
            sqlx::error::ErrorKind::ForeignKeyViolation
                | sqlx::error::ErrorKind::NotNullViolation
                | sqlx::error::ErrorKind::CheckViolation
        ) || d.message().contains("JSON")
            || d.message().contains("cannot store")
    })
}

async fn pull(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Json(asked): Json<Pull>,
) -> Result<Json<Pulled>, Refused> {
    let received_ms = crate::store::now_ms();
    let station = hub.station(&headers).await?;
    hub.check_event(&asked.event)?;
    let limit = asked.limit.clamp(1, PULL_LIMIT);
    let (rows, next, count) = {
        let mut reader = hub.file.reader().acquire().await?;
        let (entrants, last_entrant, entrant_count) =
            facts::read_entrants_after(&mut reader, asked.after.entrants, limit).await?;
        let (tables, cursor, fact_count) =
            facts::read_batch(&mut reader, &asked.after.facts, limit - entrant_count).await?;
        let count = entrant_count + fact_count;
        (
            Rows { entrants, tables },
            Position {
                facts: cursor,
                entrants: last_entrant,
            },
            count,
        )
    };
    hub.heard(&station, &asked.report, received_ms).await?;
    Ok(Json(Pulled {
        epoch: hub.epoch.clone(),
        rows,
        next,
        more: count >= limit,
        stamps: Stamps {
            received_ms,
            replied_ms: crate::store::now_ms(),
        },
    }))
}

/// A stream of the hub's revisions: each one says the hub holds something
/// new; the station pulls. A comment every 15 s keeps the link alive (and
/// tells a station quickly that it is gone).
async fn announce_changes(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, Refused> {
    hub.station(&headers).await?;
    let changes = hub.announce.subscribe();
    let stream = futures_util::stream::unfold(changes, |mut changes| async move {
        loop {
            match changes.recv().await {
                Ok(revision) => {
                    let event = Event::default().event("facts").data(revision.to_string());
                    return Some((Ok::<_, Infallible>(event), changes));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(5))))
}

/// A station as the hub last heard of it: the director's Stations view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct StationSeen {
    pub id: String,
    pub name: String,
    /// What it does: `desk`, `finish` or `director` (empty if unsaid).
    pub role: String,
    pub version: String,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub joined_ms: i64,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number | null"))]
    pub last_seen_ms: Option<i64>,
    /// The station's clock minus the hub's.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number | null"))]
    pub offset_ms: Option<i64>,
    /// Facts it said it holds that the hub has not confirmed.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub waiting: i64,
    /// Not heard for more than a minute.
    pub silent: bool,
    /// Its clock is more than a second off the hub's.
    pub clock_off: bool,
    pub removed: bool,
}

/// A station silent for longer than this is marked.
pub const SILENT_MS: i64 = 60_000;
/// A clock further off the hub's than this is marked.
pub const CLOCK_OFF_MS: i64 = 1_000;

/// The stations that joined this file's hub, the latest joined first.
pub async fn stations(file: &EventFile) -> Result<Vec<StationSeen>> {
    type Row = (
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        i64,
        Option<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, coalesce(role, ''), version, joined_ms, last_seen_ms, offset_ms,
                waiting, removed_ms
         FROM sync_station ORDER BY joined_ms DESC, id",
    )
    .fetch_all(file.reader())
    .await?;
    let now = crate::store::now_ms();
    Ok(rows
        .into_iter()
        .map(
            |(id, name, role, version, joined_ms, last_seen_ms, offset_ms, waiting, removed)| {
                StationSeen {
                    silent: removed.is_none() && last_seen_ms.is_none_or(|t| now - t > SILENT_MS),
                    clock_off: offset_ms.is_some_and(|o| o.abs() > CLOCK_OFF_MS),
                    removed: removed.is_some(),
                    id,
                    name,
                    role,
                    version,
                    joined_ms,
                    last_seen_ms,
                    offset_ms,
                    waiting,
                }
            },
        )
        .collect())
}

/// Removes a station from the hub: from now on it is refused, and the
/// rows it sent before stay. It may join again only with a new code.
pub async fn remove_station(file: &EventFile, id: &str) -> Result<()> {
    let done =
        sqlx::query("UPDATE sync_station SET removed_ms = ?2 WHERE id = ?1 AND removed_ms IS NULL")
            .bind(id)
            .bind(crate::store::now_ms())
            .execute(file.writer())
            .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(crate::said!(
            "sync.no_station",
            station = id
        )));
    }
    Ok(())
}

/// The addresses stations can reach a hub listening on `listen` at: the
/// address itself, or for an unspecified one (0.0.0.0) this machine's
/// addresses on its networks, the loopback last.
pub fn reachable_at(listen: SocketAddr) -> Vec<SocketAddr> {
    if !listen.ip().is_unspecified() {
        return vec![listen];
    }
    let mut found: Vec<SocketAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| ip.is_ipv4() == listen.is_ipv4() && !ip.is_loopback())
        .map(|ip| SocketAddr::new(ip, listen.port()))
        .collect();
    found.push(SocketAddr::new(
        if listen.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        },
        listen.port(),
    ));
    found
}
