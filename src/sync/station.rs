//! A station's link to its hub. The station writes to its own file first,
//! as without a network; the link sends what the hub has not confirmed,
//! pulls what the hub holds past the last row it has, and says how it is
//! going (connected, last heard, facts waiting, clock offset) in the file,
//! where every screen and `sync status` read it. A dropped network, a hub
//! that restarts or a station that sleeps only delays the sending.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::store::EventFile;

use super::facts;
use super::trust::JoinCode;
use super::wire::{self, *};

/// Rows a push carries at most.
const PUSH_LIMIT: i64 = 2_000;
/// A pull is made at least this often, announced or not.
const PULL_EVERY: Duration = Duration::from_secs(2);
/// How often the station looks at its own file for something to send.
const LOOK_EVERY: Duration = Duration::from_millis(50);
/// A hub not heard for this long is shown as not connected.
pub const SILENT_AFTER_MS: i64 = 10_000;

/// The link as a station keeps it in its file.
#[derive(Debug, Clone)]
struct Link {
    address: String,
    code: JoinCode,
    credential: String,
    epoch: String,
    pulled: Position,
    confirmed: Position,
}

/// A link's client: HTTPS that trusts only the hub the code names.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    station: String,
    credential: String,
    protocol: String,
}

/// Why an exchange failed: for good (the hub refused this station), or
/// for now (the network, the hub's disk), to be tried again.
enum Failed {
    Refused(Error),
    ForNow(Error),
}

impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        Failed::ForNow(e.into())
    }
}

impl Failed {
    fn error(self) -> Error {
        match self {
            Failed::Refused(e) | Failed::ForNow(e) => e,
        }
    }
}

impl Client {
    fn new(address: &str, code: &JoinCode, station: &str, credential: &str) -> Result<Self> {
        let tls = code.client_tls().map_err(|reason| {
            Error::Conflict(crate::said!("sync.cannot_share", reason = reason))
        })?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_secs(3))
            .read_timeout(Duration::from_secs(20))
            .no_proxy()
            .build()
            .map_err(|e| Error::Conflict(crate::said!("sync.cannot_share", reason = e)))?;
        Ok(Self {
            http,
            base: format!("https://{}", address.trim().trim_end_matches('/')),
            station: station.to_owned(),
            credential: credential.to_owned(),
            protocol: wire::protocol(),
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header(PROTOCOL_HEADER, &self.protocol)
            .header(STATION_HEADER, &self.station)
            .bearer_auth(&self.credential)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, Failed> {
        let response = request
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let refusal: Option<Refusal> = response.json().await.ok();
        Err(refused(status, refusal))
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, Failed> {
        let response = self
            .send(self.request(reqwest::Method::POST, path).json(body))
            .await?;
        response.json().await.map_err(|e| self.unreachable(&e))
    }

    fn unreachable(&self, e: &reqwest::Error) -> Failed {
        // The hub's certificate not being the one the code names is said
        // by rustls deep in the error's sources.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        if text.contains("join code names") {
            return Failed::Refused(Error::Conflict(crate::said!(
                "sync.wrong_hub",
                address = self.base.trim_start_matches("https://")
            )));
        }
        Failed::ForNow(Error::Conflict(crate::said!(
            "sync.unreachable",
            address = self.base.trim_start_matches("https://"),
            reason = short_reason(&text)
        )))
    }
}

/// The last, most specific part of a chain of network errors.
fn short_reason(text: &str) -> String {
    text.rsplit(": ").next().unwrap_or(text).to_owned()
}

fn refused(status: StatusCode, refusal: Option<Refusal>) -> Failed {
    let (code, detail) = refusal
        .map(|r| (r.code, r.detail))
        .unwrap_or_else(|| (String::new(), status.to_string()));
    let said = match code.as_str() {
        "version" => crate::said!("sync.version", detail = detail),
        "not_joined" => crate::said!("sync.not_joined"),
        "removed" => crate::said!("sync.removed"),
        "wrong_code" => crate::said!("sync.wrong_code"),
        "another_event" => crate::said!("sync.another_event"),
        "malformed" => crate::said!("sync.malformed", detail = detail),
        "hub_disk_full" => crate::said!("sync.hub_disk_full"),
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => crate::said!("sync.too_large"),
        _ => crate::said!("sync.hub_failed", detail = detail),
    };
    let error = Error::Conflict(said);
    match code.as_str() {
        "version" | "not_joined" | "removed" | "wrong_code" | "another_event" => {
            Failed::Refused(error)
        }
        _ => Failed::ForNow(error),
    }
}

fn bad_code() -> Error {
    Error::Conflict(crate::said!("sync.bad_code"))
}

/// Joins the hub at `address` with the `code` it shows, as `station`
/// (named `name`, doing `role`, on the director's Stations view). When `path` does not
/// exist yet it becomes a copy of the hub's event; when it does, it must be
/// the same event, and the link starts from it (a new hub gets everything
/// the file holds). Returns the file, ready for [`run`].
/// The station id the file at hand joined its hub as, if it joined one:
/// whatever writes in it writes as that station (the hub knows its rows
/// by it, and its credential is that station's).
pub async fn joined_as(file: &EventFile) -> Result<Option<String>> {
    let station: Option<Option<String>> =
        sqlx::query_scalar("SELECT station FROM sync_link WHERE one = 1")
            .fetch_optional(file.reader())
            .await?;
    Ok(station.flatten().filter(|s| !s.trim().is_empty()))
}

pub async fn join(
    path: &Path,
    address: &str,
    code: &str,
    station: &str,
    name: &str,
    role: &str,
) -> Result<EventFile> {
    let code = JoinCode::parse(code).ok_or_else(bad_code)?;
    let client = Client::new(address, &code, station, "")?;
    let existing = if path.exists() {
        Some(EventFile::open(path).await?)
    } else {
        None
    };
    let event = match &existing {
        Some(file) => crate::store::setup::identity(file.reader()).await?,
        None => None,
    };
    let joined: Joined = client
        .call(
            "/v1/join",
            &JoinRequest {
                secret: code.secret(),
                station: station.to_owned(),
                name: name.to_owned(),
                role: role.to_owned(),
                event,
            },
        )
        .await
        .map_err(Failed::error)?;
    let client = Client {
        credential: joined.credential.clone(),
        ..client
    };
    let (file, pulled, confirmed) = match existing {
        Some(file) => {
            let kept = load(&file).await?;
            // The same hub again keeps where the link was; a new hub (a
            // new epoch) is brought everything, and gives everything.
            let (pulled, confirmed) = match kept {
                Some(link) if link.epoch == joined.epoch => (link.pulled, link.confirmed),
                _ => (Position::default(), Position::default()),
            };
            (file, pulled, confirmed)
        }
        None => {
            let (file, position) = copy_of_hub(&client, path).await?;
            let mut reader = file.reader().acquire().await?;
            let mine = Position {
                facts: facts::cursor_at_end(&mut reader).await?,
                entrants: crate::store::entrants::last_id(&mut reader).await?,
            };
            drop(reader);
            (file, position, mine)
        }
    };
    sqlx::query(
        "INSERT INTO sync_link (one, address, code, credential, epoch, pulled, confirmed, last_heard_ms, station)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (one) DO UPDATE SET address = excluded.address, code = excluded.code,
             credential = excluded.credential, epoch = excluded.epoch, pulled = excluded.pulled,
             confirmed = excluded.confirmed, last_heard_ms = excluded.last_heard_ms, error = NULL,
             station = excluded.station",
    )
    .bind(address.trim())
    .bind(code.to_string())
    .bind(&joined.credential)
    .bind(&joined.epoch)
    .bind(json(&pulled))
    .bind(json(&confirmed))
    .bind(crate::store::now_ms())
    .bind(station)
    .execute(file.writer())
    .await?;
    Ok(file)
}

fn json(position: &Position) -> String {
    serde_json::to_string(position).unwrap_or_else(|_| "{}".into())
}

fn position(text: &str) -> Position {
    serde_json::from_str(text).unwrap_or_default()
}

/// The hub's event written to `path` (whole, or not at all), opened.
async fn copy_of_hub(client: &Client, path: &Path) -> Result<(EventFile, Position)> {
    let response = client
        .send(client.request(reqwest::Method::GET, "/v1/snapshot"))
        .await
        .map_err(Failed::error)?;
    let position = response
        .headers()
        .get(POSITION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(position)
        .unwrap_or_default();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| client.unreachable(&e).error())?;
    let partial = crate::files::partial_name(path);
    let written = (|| {
        use std::io::Write;
        let mut out = std::fs::File::create(&partial)?;
        out.write_all(&bytes)?;
        out.sync_all()?;
        std::fs::rename(&partial, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(Error::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        });
    }
    Ok((EventFile::open(path).await?, position))
}

async fn load(file: &EventFile) -> Result<Option<Link>> {
    let row: Option<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT address, code, credential, epoch, pulled, confirmed FROM sync_link WHERE one = 1",
    )
    .fetch_optional(file.reader())
    .await?;
    Ok(
        row.and_then(|(address, code, credential, epoch, pulled, confirmed)| {
            Some(Link {
                address,
                code: JoinCode::parse(&code)?,
                credential,
                epoch,
                pulled: position(&pulled),
                confirmed: position(&confirmed),
            })
        }),
    )
}

/// Keeps `file` in step with the hub it joined, until the hub refuses this
/// station (removed, another version): that is returned. Everything else
/// (no network, a hub gone or restarting, a full disk) is said in the
/// file's link and tried again, sooner when something changes.
pub async fn run(file: EventFile, station: &str) -> Result<()> {
    let Some(link) = load(&file).await? else {
        return Err(Error::Conflict(crate::said!("sync.not_linked")));
    };
    let client = Client::new(&link.address, &link.code, station, &link.credential)?;
    let announced = Arc::new(Notify::new());
    let listener = tokio::spawn(listen(client.clone(), announced.clone()));
    let outcome = keep_in_step(&file, &client, link, &announced).await;
    listener.abort();
    outcome
}

async fn keep_in_step(
    file: &EventFile,
    client: &Client,
    mut link: Link,
    announced: &Notify,
) -> Result<()> {
    let mut failures = 0u32;
    let mut offset: Option<i64> = None;
    loop {
        match exchange(file, client, &mut link, &mut offset).await {
            Ok(()) => {
                failures = 0;
                wait_for_news(file, &link, announced).await;
            }
            Err(Failed::Refused(e)) => {
                note_error(file, &e).await;
                return Err(e);
            }
            Err(Failed::ForNow(e)) => {
                note_error(file, &e).await;
                failures = failures.saturating_add(1);
                let backoff = Duration::from_millis(250 * 2u64.pow(failures.min(5)));
                tokio::select! {
                    () = tokio::time::sleep(backoff.min(Duration::from_secs(5))) => {}
                    () = announced.notified() => {}
                }
            }
        }
    }
}

/// Until the hub announces something, this file holds something not yet
/// sent, or the periodic pull is due. A write in this process (the app's
/// desk) is looked at at once; one by another process (the CLI) at the
/// next look.
async fn wait_for_news(file: &EventFile, link: &Link, announced: &Notify) {
    let deadline = tokio::time::sleep(PULL_EVERY);
    tokio::pin!(deadline);
    let mut written = file.written();
    let looking = async {
        loop {
            tokio::select! {
                () = tokio::time::sleep(LOOK_EVERY) => {}
                Ok(()) = written.changed() => {}
            }
            if let Ok(mut reader) = file.reader().acquire().await
                && let Ok(end) = facts::cursor_at_end(&mut reader).await
                && let Ok(last) = crate::store::entrants::last_id(&mut reader).await
                && (end != link.confirmed.facts || last != link.confirmed.entrants)
            {
                return;
            }
        }
    };
    tokio::select! {
        () = &mut deadline => {}
        () = announced.notified() => {}
        () = looking => {}
    }
}

/// Listens to the hub's announcements; each one (and each reconnect, which
/// may have missed some) wakes the link to pull.
async fn listen(client: Client, announced: Arc<Notify>) {
    loop {
        let response = client
            .request(reqwest::Method::GET, "/v1/announce")
            .send()
            .await;
        if let Ok(response) = response
            && response.status().is_success()
        {
            announced.notify_one();
            let mut body = response.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                if chunk.windows(12).any(|w| w == b"event: facts") {
                    announced.notify_one();
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn note_error(file: &EventFile, e: &Error) {
    // The message, and its dictionary key for the app to say it in the
    // volunteer's language.
    let said = e.said();
    let text = serde_json::json!({
        "message": e.to_string(),
        "key": said.as_ref().map(|s| s.key),
        "params": said.map(|s| {
            s.params
                .into_iter()
                .map(|(name, value)| (name.to_owned(), serde_json::Value::String(value)))
                .collect::<serde_json::Map<_, _>>()
        }),
    })
    .to_string();
    if let Err(e) = sqlx::query("UPDATE sync_link SET error = ? WHERE one = 1")
        .bind(&text)
        .execute(file.writer())
        .await
    {
        tracing::warn!(error = %e, "the link's state could not be written");
    }
}

/// Facts and entrants this file holds past `confirmed`.
async fn waiting(file: &EventFile, confirmed: &Position) -> sqlx::Result<(Vec<u64>, u64)> {
    let mut reader = file.reader().acquire().await?;
    let counts = facts::count_after(&mut reader, &confirmed.facts).await?;
    let entrants: i64 = sqlx::query_scalar("SELECT count(*) FROM entrant WHERE id > ?")
        .bind(confirmed.entrants)
        .fetch_one(&mut *reader)
        .await?;
    Ok((counts, u64::try_from(entrants).unwrap_or(0)))
}

/// One round: everything not confirmed sent, everything new pulled.
async fn exchange(
    file: &EventFile,
    client: &Client,
    link: &mut Link,
    offset: &mut Option<i64>,
) -> Result<(), Failed> {
    let event = crate::store::setup::identity(file.reader())
        .await?
        .unwrap_or_default();
    // Send.
    loop {
        let (rows, next, count) = {
            let mut reader = file.reader().acquire().await?;
            let (entrants, last_entrant, entrant_count) =
                facts::read_entrants_after(&mut reader, link.confirmed.entrants, PUSH_LIMIT)
                    .await?;
            let (tables, cursor, fact_count) = facts::read_batch(
                &mut reader,
                &link.confirmed.facts,
                PUSH_LIMIT - entrant_count,
            )
            .await?;
            (
                Rows { entrants, tables },
                Position {
                    facts: cursor,
                    entrants: last_entrant,
                },
                entrant_count + fact_count,
            )
        };
        if count == 0 {
            break;
        }
        let (counts, entrants) = waiting(file, &link.confirmed).await?;
        let sent_ms = crate::store::now_ms();
        let pushed: Pushed = client
            .call(
                "/v1/push",
                &Push {
                    event: event.clone(),
                    report: Report {
                        sent_ms,
                        offset_ms: *offset,
                        waiting: counts.iter().sum::<u64>() + entrants,
                    },
                    rows,
                },
            )
            .await?;
        *offset = Some(measure(sent_ms, pushed.stamps));
        if pushed.refused > 0 {
            tracing::warn!(
                refused = pushed.refused,
                "the hub left out rows in the name of other stations"
            );
        }
        link.confirmed = next;
        sqlx::query(
            "UPDATE sync_link SET confirmed = ?1, last_heard_ms = ?2, offset_ms = ?3, error = NULL
             WHERE one = 1",
        )
        .bind(json(&link.confirmed))
        .bind(crate::store::now_ms())
        .bind(*offset)
        .execute(file.writer())
        .await?;
    }
    // Pull.
    loop {
        let (counts, entrants) = waiting(file, &link.confirmed).await?;
        let sent_ms = crate::store::now_ms();
        let pulled: Pulled = client
            .call(
                "/v1/pull",
                &Pull {
                    event: event.clone(),
                    report: Report {
                        sent_ms,
                        offset_ms: *offset,
                        waiting: counts.iter().sum::<u64>() + entrants,
                    },
                    after: link.pulled.clone(),
                    limit: 5_000,
                },
            )
            .await?;
        *offset = Some(measure(sent_ms, pulled.stamps));
        store_pulled(file, link, &pulled, *offset).await?;
        if !pulled.more {
            break;
        }
    }
    Ok(())
}

/// Writes pulled rows and the new pull position in one transaction. When
/// nothing of this station's was waiting, the rows just written are not
/// this station's to send back: the confirmed position moves past them.
async fn store_pulled(
    file: &EventFile,
    link: &mut Link,
    pulled: &Pulled,
    offset: Option<i64>,
) -> Result<(), Failed> {
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let before = Position {
        facts: facts::cursor_at_end(&mut tx).await?,
        entrants: crate::store::entrants::last_id(&mut tx).await?,
    };
    let from = ("hub", "sync");
    facts::store(
        &mut tx,
        &pulled.rows.entrants,
        &pulled.rows.tables,
        None,
        from,
    )
    .await?;
    let mut confirmed = link.confirmed.clone();
    if before == link.confirmed {
        confirmed = Position {
            facts: facts::cursor_at_end(&mut tx).await?,
            entrants: crate::store::entrants::last_id(&mut tx).await?,
        };
    }
    sqlx::query(
        "UPDATE sync_link SET pulled = ?1, confirmed = ?2, last_heard_ms = ?3, offset_ms = ?4,
             error = NULL WHERE one = 1",
    )
    .bind(json(&pulled.next))
    .bind(json(&confirmed))
    .bind(crate::store::now_ms())
    .bind(offset)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    link.pulled = pulled.next.clone();
    link.confirmed = confirmed;
    Ok(())
}

/// This station's clock minus the hub's, from one exchange: the request
/// left at `sent_ms` and the reply came now, by this clock; the hub took
/// it and answered at its stamps, by its clock (as NTP reckons it).
fn measure(sent_ms: i64, stamps: Stamps) -> i64 {
    let back_ms = crate::store::now_ms();
    ((sent_ms - stamps.received_ms) + (back_ms - stamps.replied_ms)) / 2
}

/// How a station's link is going, as every screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct LinkStatus {
    /// The hub's address.
    pub hub: String,
    /// The hub was heard within the last 10 seconds.
    pub connected: bool,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number | null"))]
    pub last_heard_ms: Option<i64>,
    /// Facts and walk-ups this station holds that the hub has not
    /// confirmed.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub waiting: u64,
    /// The same, by kind: `checkin`, `passing`, ... and `entrant`.
    pub waiting_by_kind: Vec<Waiting>,
    /// This station's clock minus the hub's.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number | null"))]
    pub offset_ms: Option<i64>,
    /// What went wrong last, until the next exchange that worked.
    pub error: Option<String>,
    /// The same as a key of the dictionaries, and its values.
    pub error_key: Option<String>,
    pub error_params: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Waiting {
    pub kind: String,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub count: u64,
}

impl Waiting {
    /// The count in the CLI's words: "3 check-ins and undos", "2 walk-ups".
    pub fn describe(&self) -> String {
        let what = facts::table_words()
            .find(|(table, _)| *table == self.kind)
            .map_or(
                if self.kind == "entrant" {
                    "walk-ups"
                } else {
                    self.kind.as_str()
                },
                |(_, what)| what,
            );
        format!("{} {what}", self.count)
    }
}

/// The link's state, as the file holds it (whichever process runs the
/// link); none when this station never joined a hub.
pub async fn status(file: &EventFile) -> Result<Option<LinkStatus>> {
    type Row = (String, String, Option<i64>, Option<i64>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT address, confirmed, last_heard_ms, offset_ms, error FROM sync_link WHERE one = 1",
    )
    .fetch_optional(file.reader())
    .await?;
    let Some((hub, confirmed, last_heard_ms, offset_ms, error)) = row else {
        return Ok(None);
    };
    let (counts, entrants) = waiting(file, &position(&confirmed)).await?;
    let mut by_kind: Vec<Waiting> = facts::table_words()
        .zip(counts)
        .filter(|(_, count)| *count > 0)
        .map(|((kind, _), count)| Waiting {
            kind: kind.to_owned(),
            count,
        })
        .collect();
    if entrants > 0 {
        by_kind.push(Waiting {
            kind: "entrant".into(),
            count: entrants,
        });
    }
    let noted: Option<serde_json::Value> = error.as_deref().map(|text| {
        serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({ "message": text }))
    });
    let field = |name: &str| {
        noted
            .as_ref()
            .and_then(|n| n.get(name))
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    let error_params = noted
        .as_ref()
        .and_then(|n| n.get("params"))
        .and_then(|p| p.as_object())
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let now = crate::store::now_ms();
    Ok(Some(LinkStatus {
        hub,
        connected: error.is_none() && last_heard_ms.is_some_and(|t| now - t < SILENT_AFTER_MS),
        last_heard_ms,
        waiting: by_kind.iter().map(|w| w.count).sum(),
        waiting_by_kind: by_kind,
        offset_ms,
        error: field("message"),
        error_key: field("key"),
        error_params,
    }))
}
