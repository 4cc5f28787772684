//! Results on every phone at the venue: a read-only web site, served on a
//! port of its own (apart from the stations' API, which needs a join), so
//! anyone on the venue's WiFi opens it in a browser with no app and no
//! internet. Pages are plain HTML that works on an old phone; an open page
//! is told when the results change (server-sent events, at most once a
//! second) and fetches its content again.
//!
//! It shows only what a published results list prints, so it is served
//! over plain HTTP: a phone cannot trust a venue's own certificate, and
//! nothing on it is more private than the paper list on the wall. Every
//! request but GET is refused, as is an address the site does not have,
//! a long request, and more than a phone's share of requests or open
//! pages from one address.

mod board;
mod pages;
mod poster;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::results::Language;
use crate::store::EventFile;
use board::Board;
use pages::Page;
pub use poster::{Poster, qr_modules, write_poster};

/// The longest request line the site reads: its addresses are short.
const MAX_URI: usize = 2_048;
/// Requests one address may make: a burst, then so many a second.
const BURST: f64 = 40.0;
const PER_SECOND: f64 = 10.0;
/// Pages one address may hold open (each is an update stream).
const STREAMS_PER_ADDRESS: usize = 8;
/// Results are scored again at most this often, however fast finishers
/// come.
const REBUILD_EVERY: Duration = Duration::from_secs(1);

/// The site as the app shows it: the addresses phones open (the first is
/// the one for the poster) and that address as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Site {
    pub addresses: Vec<String>,
    /// Rows of dark (true) and light modules.
    pub qr: Vec<Vec<bool>>,
}

impl Site {
    pub fn of(serving: &Publishing) -> Self {
        let addresses: Vec<String> = crate::sync::hub::reachable_at(serving.address())
            .iter()
            .map(|a| format!("http://{a}/"))
            .collect();
        Self {
            qr: addresses.first().map(|a| qr_modules(a)).unwrap_or_default(),
            addresses,
        }
    }
}

/// The site being served; it stops when this is dropped or
/// [`Publishing::stop`] is called.
pub struct Publishing {
    address: SocketAddr,
    handle: axum_server::Handle<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl Publishing {
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.handle.shutdown();
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for Publishing {
    fn drop(&mut self) {
        self.shut();
    }
}

struct Served {
    board: watch::Receiver<Arc<Board>>,
    /// Each address's request allowance: (tokens left, when counted).
    allowance: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    /// Each address's open update streams.
    streams: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// Serves the results of `file` on `listen` (port 0: any free port). The
/// site reads the file and never writes to it.
pub async fn publish(file: &EventFile, listen: SocketAddr) -> Result<Publishing> {
    let first = Board::read(file, 0).await?;
    let (board, watched) = watch::channel(Arc::new(first));
    let site = Arc::new(Served {
        board: watched,
        allowance: Mutex::default(),
        streams: Arc::default(),
    });
    let app = axum::Router::new()
        .route("/", get(home))
        .route("/race/{code}", get(race))
        .route("/runner/{bib}", get(runner))
        .route("/search", get(search))
        .route("/live", get(live))
        .route("/look.css", get(look))
        .route("/live.js", get(script))
        .fallback(nowhere)
        .layer(axum::middleware::from_fn_with_state(site.clone(), guard))
        .with_state(site);
    let listener = std::net::TcpListener::bind(listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| {
            Error::Conflict(crate::said!(
                "publish.cannot_listen",
                address = listen,
                reason = e
            ))
        })?;
    let address = listener.local_addr().map_err(|e| {
        Error::Conflict(crate::said!(
            "publish.cannot_listen",
            address = listen,
            reason = e
        ))
    })?;
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp(listener)
        .map_err(|e| {
            Error::Conflict(crate::said!(
                "publish.cannot_listen",
                address = listen,
                reason = e
            ))
        })?
        .handle(handle.clone());
    let serve = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = server.serve(service).await {
            tracing::error!(error = %e, "the results site stopped serving");
        }
    });
    let keep = tokio::spawn(keep_board(file.clone(), board));
    Ok(Publishing {
        address,
        handle,
        tasks: vec![serve, keep],
    })
}

/// Scores the results again when the file's facts move (a capture here,
/// a station's push merged, another process on the file), at most once a
/// second; a failed scoring is tried again at the next look.
async fn keep_board(file: EventFile, board: watch::Sender<Arc<Board>>) {
    let mut written = file.written();
    let mut last = crate::store::marks(&file).await.ok();
    let mut built = Instant::now();
    let mut revision = 0;
    loop {
        tokio::select! {
            () = tokio::time::sleep(crate::changes::EVERY) => {}
            Ok(()) = written.changed() => {}
        }
        let Ok(marks) = crate::store::marks(&file).await else {
            continue;
        };
        if last.as_ref() == Some(&marks) {
            continue;
        }
        tokio::time::sleep(REBUILD_EVERY.saturating_sub(built.elapsed())).await;
        built = Instant::now();
        match Board::read(&file, revision + 1).await {
            Ok(read) => {
                revision += 1;
                last = Some(marks);
                board.send_replace(Arc::new(read));
            }
            Err(e) => tracing::warn!(error = %e, "the results site could not score the results"),
        }
    }
}

/// Before every request: GET (or HEAD) only, a short address, and the
/// address's allowance; after: headers that keep the page to itself.
async fn guard(
    State(site): State<Arc<Served>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let refused = if request.method() != Method::GET && request.method() != Method::HEAD {
        Some(StatusCode::METHOD_NOT_ALLOWED)
    } else if request.uri().to_string().len() > MAX_URI {
        Some(StatusCode::URI_TOO_LONG)
    } else if !site.allow(peer.ip()) {
        Some(StatusCode::TOO_MANY_REQUESTS)
    } else {
        None
    };
    let mut response = match refused {
        Some(status) => {
            let mut refusal =
                (status, status.canonical_reason().unwrap_or_default()).into_response();
            if status == StatusCode::METHOD_NOT_ALLOWED {
                refusal
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                refusal
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            }
            refusal
        }
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

impl Served {
    /// Whether `ip` may make a request now (a token bucket per address).
    fn allow(&self, ip: IpAddr) -> bool {
        let Ok(mut allowance) = self.allowance.lock() else {
            return true;
        };
        let now = Instant::now();
        if allowance.len() > 10_000 {
            allowance.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(10));
        }
        let (tokens, at) = allowance.entry(ip).or_insert((BURST, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * PER_SECOND).min(BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn board(&self) -> Arc<Board> {
        self.board.borrow().clone()
    }
}

/// The language of a page: `?lang=` (kept in a cookie), else the cookie,
/// else the phone's first of Korean or English, else English.
fn language(headers: &HeaderMap, asked: Option<&str>) -> Language {
    if let Some(language) = asked.and_then(Language::parse) {
        return language;
    }
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("lang=").and_then(Language::parse));
    if let Some(language) = cookie {
        return language;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|range| range.split(';').next())
        .find_map(|tag| {
            let primary = tag.trim().split('-').next().unwrap_or_default();
            Language::parse(primary)
        })
        .unwrap_or_default()
}

/// Common to every page: the language, and whether only `<main>` is asked.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Common {
    lang: Option<String>,
    part: Option<String>,
    q: String,
    #[serde(flatten)]
    race: pages::RaceQuery,
}

fn respond(
    board: &Board,
    headers: &HeaderMap,
    uri: &Uri,
    common: &Common,
    make: impl FnOnce(&Board, Language) -> Page,
) -> Response {
    let language = language(headers, common.lang.as_deref());
    let page = make(board, language);
    let status = if page.found {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let html = if common.part.as_deref() == Some("main") {
        page.main
    } else {
        pages::layout(board, language, uri.path(), &common.q, &page)
    };
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response();
    if let Some(asked) = common.lang.as_deref().and_then(Language::parse) {
        let cookie = format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            asked.tag()
        );
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

type Asked = Result<Query<Common>, axum::extract::rejection::QueryRejection>;

/// The query as asked, or nothing of it where it does not parse (a page
/// is shown rather than an error for a mangled link).
fn asked(query: Asked) -> Common {
    query.map(|Query(q)| q).unwrap_or_default()
}

async fn home(
    State(site): State<Arc<Served>>,
    headers: HeaderMap,
    uri: Uri,
    query: Asked,
) -> Response {
    let board = site.board();
    respond(&board, &headers, &uri, &asked(query), pages::home)
}

async fn race(
    State(site): State<Arc<Served>>,
    Path(code): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    query: Asked,
) -> Response {
    let board = site.board();
    let common = asked(query);
    respond(&board, &headers, &uri, &common, |b, l| {
        pages::race(b, l, &code, &common.race)
    })
}

async fn runner(
    State(site): State<Arc<Served>>,
    Path(bib): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    query: Asked,
) -> Response {
    let board = site.board();
    respond(&board, &headers, &uri, &asked(query), |b, l| {
        pages::runner(b, l, &bib)
    })
}

async fn search(
    State(site): State<Arc<Served>>,
    headers: HeaderMap,
    uri: Uri,
    query: Asked,
) -> Response {
    let board = site.board();
    let common = asked(query);
    respond(&board, &headers, &uri, &common, |b, l| {
        pages::search(b, l, &common.q)
    })
}

async fn nowhere(State(site): State<Arc<Served>>, headers: HeaderMap, uri: Uri) -> Response {
    let board = site.board();
    respond(&board, &headers, &uri, &Common::default(), |_, l| {
        pages::missing(l)
    })
}

async fn look() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../../templates/look.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../../templates/public/live.js"),
    )
}

/// An open page's update stream: the results' revision now, then each
/// new one. An address holds a few at most.
async fn live(
    State(site): State<Arc<Served>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    let Some(held) = Held::take(&site.streams, peer.ip()) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "10")],
            "Too many open pages",
        )
            .into_response();
    };
    let mut board = site.board.clone();
    board.mark_changed();
    let stream = futures_util::stream::unfold((board, held), |(mut board, held)| async move {
        board.changed().await.ok()?;
        let revision = board.borrow_and_update().revision;
        let event = Event::default().data(revision.to_string());
        Some((Ok::<_, Infallible>(event), (board, held)))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// One open stream of an address, counted while it lives.
struct Held {
    streams: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Held {
    fn take(streams: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr) -> Option<Self> {
        let mut open = streams.lock().ok()?;
        let count = open.entry(ip).or_default();
        if *count >= STREAMS_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(Self {
            streams: streams.clone(),
            ip,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(mut open) = self.streams.lock()
            && let Some(count) = open.get_mut(&self.ip)
        {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}
