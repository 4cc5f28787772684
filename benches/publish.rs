//! The results site under a venue's load, each figure beside a baseline
//! from the same run:
//! 1. 500 phones with the site open (500 update streams on loopback, from
//!    100 addresses) and 50 page loads a second, while the finish station
//!    captures: how long each stream waits for a finish (target: within
//!    1 s p99), and the capture's durable acknowledgement against a bare
//!    WAL+FULL commit through SQLite's C API, interleaved (target: p99
//!    within 1.5x);
//! 2. a page of a 30,000-finisher race over the wire (target: under
//!    100 ms and 300 KB), against a bare `SELECT` of the same rows.
//!
//! `cargo bench --bench publish` (`-- --streams N --finishes N --taps N
//! --finishers N`).

mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use racedesk::model::Station;
use racedesk::{EventFile, publish, roster, timing};
use support::{Args, Bare, commit_one, ms, percentiles};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;

fn main() -> anyhow::Result<()> {
    let args = Args::get();
    let streams = args.size("--streams", 500, 40);
    let finishes = args.size("--finishes", 10, 2);
    let taps = args.size("--taps", 400, 40);
    let finishers = args.size("--finishers", 30_000, 2_000);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            under_load(streams, finishes, taps).await?;
            big_race(finishers).await
        })
}

fn station() -> Station {
    Station {
        id: "finish".into(),
        name: "Finish".into(),
        operator: "bench".into(),
    }
}

/// A loopback address of its own for the `n`th phone.
fn phone(n: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        0,
        1 + (n / 250) as u8,
        1 + (n % 250) as u8,
    ))
}

/// A page loaded whole (Connection: close) from `from`; its size.
async fn load(site: SocketAddr, from: IpAddr, path: &str) -> anyhow::Result<usize> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    let mut stream = socket.connect(site).await?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: results\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    let mut body = Vec::new();
    stream.read_to_end(&mut body).await?;
    anyhow::ensure!(
        body.starts_with(b"HTTP/1.1 200"),
        "{path}: {}",
        String::from_utf8_lossy(&body[..body.len().min(80)])
    );
    Ok(body.len())
}

/// An open page's update stream: when each revision arrived.
async fn follow(
    site: SocketAddr,
    from: IpAddr,
    seen: Arc<Mutex<Vec<Instant>>>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> anyhow::Result<()> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    let mut stream = socket.connect(site).await?;
    stream
        .write_all(b"GET /live HTTP/1.1\r\nHost: results\r\n\r\n")
        .await?;
    let mut buffer = [0u8; 2048];
    let mut first = true;
    loop {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        if buffer[..n].windows(6).any(|w| w == b"data: ") {
            if first {
                first = false;
                ready.send(()).await.ok();
            } else {
                seen.lock().await.push(Instant::now());
            }
        }
    }
}

async fn under_load(streams: usize, finishes: usize, taps: usize) -> anyhow::Result<()> {
    // On the disk of the target folder, not a tmpfs: a commit is an fsync.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let file = EventFile::create(&dir.path().join("event.db")).await?;
    roster::demo(&file, 3_000, "bench").await?;
    let gun = racedesk::model::parse_instant(
        "07:30:00",
        racedesk::setup::event(&file).await?.date,
        racedesk::setup::event(&file).await?.time_zone,
    )?;
    for race in ["MAR", "HALF", "10K", "5K"] {
        timing::start_race(&file, race, None, gun, true, None, &station()).await?;
    }
    let entrants = roster::entrants(&file).await?;
    let site = publish::publish(&file, "127.0.0.1:0".parse()?).await?;
    let address = site.address();

    // The phones, five pages open on each.
    let (ready, mut readied) = tokio::sync::mpsc::channel(streams.max(1));
    let mut followers = Vec::new();
    let mut seen = Vec::new();
    for n in 0..streams {
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        seen.push(arrivals.clone());
        followers.push(tokio::spawn(follow(
            address,
            phone(n / 5),
            arrivals,
            ready.clone(),
        )));
    }
    for _ in 0..streams {
        tokio::time::timeout(Duration::from_secs(30), readied.recv()).await?;
    }

    // 50 page loads a second, from ten other phones in turn.
    let loading = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let loads = Arc::new(Mutex::new(Vec::new()));
    let loader = {
        let (loading, loads) = (loading.clone(), loads.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let paths = [
                "/",
                "/race/MAR",
                "/race/HALF?page=2",
                "/runner/5",
                "/search?q=kim",
            ];
            let mut n = 0usize;
            while loading.load(std::sync::atomic::Ordering::Relaxed) {
                tick.tick().await;
                let loads = loads.clone();
                let from = phone(200 + n % 10);
                let path = paths[n % paths.len()];
                n += 1;
                tokio::spawn(async move {
                    let t = Instant::now();
                    if load(address, from, path).await.is_ok() {
                        loads.lock().await.push(t.elapsed());
                    }
                });
            }
            n
        })
    };

    // The finish station, as fast as taps come (every 50 ms), each
    // acknowledgement beside a bare commit; every so often a finish the
    // phones are timed on, with the site's once-a-second scoring settled.
    let bare = Bare::open(&dir.path().join("bare.db"))?;
    bare.exec("CREATE TABLE t (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)")?;
    let mut insert = bare.prepare("INSERT INTO t VALUES (?, ?)")?;
    let clock = timing::CaptureClock::system();
    let (mut acks, mut baseline, mut waits) = (Vec::new(), Vec::new(), Vec::new());
    let mut runners = entrants.iter().map(|e| e.bib.to_string());
    for k in 0..taps {
        let bib = runners.next().unwrap_or_default();
        let t = Instant::now();
        timing::capture(&file, "finish", clock.now_ms(), Some(&bib), &station()).await?;
        acks.push(t.elapsed());
        let t = Instant::now();
        commit_one(&bare, &mut insert, |row| {
            row.text(1, &format!("tap-{k}"))?;
            row.int(2, k as i64)
        })?;
        baseline.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..finishes {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        for arrivals in &seen {
            arrivals.lock().await.clear();
        }
        let bib = runners.next().unwrap_or_default();
        timing::capture(&file, "finish", clock.now_ms(), Some(&bib), &station()).await?;
        let acked = Instant::now();
        let deadline = acked + Duration::from_secs(5);
        for arrivals in &seen {
            loop {
                if let Some(at) = arrivals.lock().await.first() {
                    waits.push(at.duration_since(acked));
                    break;
                }
                if Instant::now() > deadline {
                    waits.push(Duration::from_secs(5));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    }
    loading.store(false, std::sync::atomic::Ordering::Relaxed);
    let asked = loader.await?;
    let mut loads = loads.lock().await.clone();
    site.stop();
    for follower in followers {
        follower.abort();
    }

    let (a50, a99) = percentiles(&mut acks);
    let (b50, b99) = percentiles(&mut baseline);
    let (w50, w99) = percentiles(&mut waits);
    let (l50, l99) = percentiles(&mut loads);
    println!(
        "{streams} open pages (update streams), {} of {asked} page loads answered at 50 a second (p50 {:.1} ms, p99 {:.1} ms), {taps} captures at the finish",
        loads.len(),
        ms(l50),
        ms(l99)
    );
    println!(
        "a finish reaching every open page: p50 {:.0} ms, p99 {:.0} ms over {} deliveries (target: p99 within 1,000 ms)",
        ms(w50),
        ms(w99),
        waits.len()
    );
    println!(
        "capture to durable ack under that load: p50 {:.3} ms, p99 {:.3} ms; bare WAL+FULL commit (C API): p50 {:.3} ms, p99 {:.3} ms; p99 {:.2}x the C API (target: within 1.5x)",
        ms(a50),
        ms(a99),
        ms(b50),
        ms(b99),
        ms(a99) / ms(b99)
    );
    file.close().await;
    Ok(())
}

async fn big_race(finishers: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let path = dir.path().join("event.db");
    let file = EventFile::create(&path).await?;
    roster::demo(&file, finishers, "bench").await?;
    // One race of them all: the marathon.
    file.close().await;
    {
        let bare = Bare::open(&path)?;
        bare.exec("UPDATE entrant SET race_id = (SELECT id FROM race WHERE code = 'MAR')")?;
    }
    let file = EventFile::open(&path).await?;
    let event = racedesk::setup::event(&file).await?;
    let gun = racedesk::model::parse_instant("07:30:00", event.date, event.time_zone)?;
    timing::start_race(&file, "MAR", None, gun, true, None, &station()).await?;
    let mut csv = String::from("bib,time,point\n");
    for (i, entrant) in roster::entrants(&file).await?.iter().enumerate() {
        let ms = 10 * 3_600_000 + i as u64 * 700;
        csv.push_str(&format!(
            "{},{:02}:{:02}:{:02}.{:03},finish\n",
            entrant.bib,
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        ));
    }
    let reads = dir.path().join("reads.csv");
    std::fs::write(&reads, &csv)?;
    timing::import_reads(&file, &reads, "finish", &station()).await?;
    let started = Instant::now();
    let site = publish::publish(&file, "127.0.0.1:0".parse()?).await?;
    let scored = started.elapsed();
    let address = site.address();
    let middle = finishers / 100 / 2 + 1;
    let (mut first, mut later, mut bare_times) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = (0, 0);
    let plain = Bare::open_read_only(&path)?;
    for n in 0..20 {
        let t = Instant::now();
        bytes.0 = load(address, phone(n % 4), "/race/MAR").await?;
        first.push(t.elapsed());
        let t = Instant::now();
        bytes.1 = load(
            address,
            phone(4 + n % 4),
            &format!("/race/MAR?page={middle}"),
        )
        .await?;
        later.push(t.elapsed());
        let t = Instant::now();
        let mut select =
            plain.prepare("SELECT bib, at_ms FROM passing ORDER BY at_ms LIMIT 100 OFFSET ?")?;
        select.int(1, (middle as i64 - 1) * 100)?;
        let mut rows = 0;
        while select.step()? {
            rows += 1;
        }
        std::hint::black_box(rows);
        bare_times.push(t.elapsed());
    }
    site.stop();
    let (f50, f99) = percentiles(&mut first);
    let (m50, m99) = percentiles(&mut later);
    let (b50, _) = percentiles(&mut bare_times);
    println!(
        "a race of {finishers} finishers (scored for the site in {:.0} ms):",
        ms(scored)
    );
    println!(
        "its first page: p50 {:.1} ms, p99 {:.1} ms, {} KB; page {middle}: p50 {:.1} ms, p99 {:.1} ms, {} KB (target: under 100 ms and 300 KB)",
        ms(f50),
        ms(f99),
        bytes.0 / 1000,
        ms(m50),
        ms(m99),
        bytes.1 / 1000
    );
    println!(
        "bare SELECT of the same 100 rows (C API): p50 {:.3} ms; the page p50 is {:.1}x it",
        ms(b50),
        ms(m50) / ms(b50)
    );
    file.close().await;
    Ok(())
}
