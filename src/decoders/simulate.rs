//! A decoder played over loopback, for the tests and for a timer's dry
//! run: a mass finish of the roster's chips (each runner read several
//! times on the mat), spoken in the decoder's own protocol, with the
//! connection dropped once and, for the decoders that keep a log (RACE
//! RESULT, Ultra), the reads made while it was down fetched or rewound
//! afterwards as the real box allows. It plays the decoder where racedesk
//! connects (RACE RESULT, Ultra, IPICO) and the vendor's software where it
//! connects to racedesk (MYLAPS, ChronoTrack).

use std::time::Duration;

use chrono::{NaiveDateTime, Timelike as _};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::Kind;
use crate::error::Result;
use crate::store::EventFile;

/// How a simulated finish goes.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How many of the roster's runners cross the mat.
    pub runners: usize,
    /// From the first runner to the last.
    pub finish: Duration,
    /// Reads of each runner after the first, within 2.5 s (standing on
    /// the mat).
    pub rereads: u32,
    /// The connection is dropped once, this long after the start.
    pub drop_after: Option<Duration>,
    /// The decoder's clock minus the laptop's.
    pub clock_off: chrono::Duration,
    pub seed: u64,
}

/// One read the simulated decoder made: its log index (from 1), the chip,
/// and the time on the decoder's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub index: i64,
    pub chip: String,
    pub at: NaiveDateTime,
}

impl Made {
    /// The time as racedesk keeps a dated read (`reader_time`).
    pub fn time_text(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}

/// What the simulator says as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// Racedesk may connect to this port.
    Listening(u16),
    Connected(String),
    /// The connection ended (dropped on purpose, or by racedesk).
    Dropped(String),
    /// A read made, in the decoder's log.
    Made(Made),
    /// Every read of the finish was made (and, where the protocol says so,
    /// delivered).
    Played(usize),
}

/// Where the simulator speaks.
pub enum Target {
    /// As the decoder, on a port racedesk connects to.
    Listen(TcpListener),
    /// As the vendor's software, to racedesk at `host:port`.
    Connect(String),
}

/// The roster's chips, or the bibs of runners with none (read with
/// bib-as-chip), in roster order.
pub async fn roster_chips(file: &EventFile) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(chip, bib) FROM entrant ORDER BY rowid")
            .fetch_all(file.reader())
            .await?,
    )
}

/// The reads of a finish starting at `start` (the decoder's local time),
/// each with when it is made after the start, in that order. Runners
/// finish in a random order, most in the middle of the finish; times are
/// whole centiseconds, as every protocol can say them.
pub fn finish(chips: &[String], plan: &Plan, start: NaiveDateTime) -> Vec<(Duration, Made)> {
    let mut rng = fastrand::Rng::with_seed(plan.seed);
    let mut chips = chips.to_vec();
    rng.shuffle(&mut chips);
    chips.truncate(plan.runners);
    let span = plan.finish.as_millis() as f64;
    let mut reads = Vec::new();
    for chip in chips {
        let first = span * (rng.f64() + rng.f64()) / 2.0;
        reads.push((first, chip.clone()));
        for _ in 0..plan.rereads {
            reads.push((first + rng.f64() * 2_500.0, chip.clone()));
        }
    }
    let mut reads: Vec<(i64, String)> = reads
        .into_iter()
        .map(|(ms, chip)| ((ms / 10.0).round() as i64 * 10, chip))
        .collect();
    // A decoder reads a chip at most once a centisecond: two reads of one
    // chip at the same instant would be one read.
    let mut seen = std::collections::HashSet::new();
    for (ms, chip) in &mut reads {
        while !seen.insert((*ms, chip.clone())) {
            *ms += 10;
        }
    }
    reads.sort();
    reads
        .into_iter()
        .enumerate()
        .map(|(i, (ms, chip))| {
            (
                Duration::from_millis(ms.unsigned_abs()),
                Made {
                    index: i as i64 + 1,
                    chip,
                    at: start + chrono::Duration::milliseconds(ms),
                },
            )
        })
        .collect()
}

/// The decoder's log: what it has read so far.
struct Log {
    planned: Vec<(Duration, Made)>,
    made: usize,
    began: Instant,
    drop_at: Option<Instant>,
    clock_off: chrono::Duration,
    said: UnboundedSender<Said>,
    played: bool,
}

impl Log {
    /// Makes the reads whose time has come; how many there are now.
    fn made(&mut self) -> usize {
        let now = self.began.elapsed();
        while self.made < self.planned.len() && self.planned[self.made].0 <= now {
            let _ = self
                .said
                .send(Said::Made(self.planned[self.made].1.clone()));
            self.made += 1;
        }
        self.made
    }

    fn read(&self, index: i64) -> Option<&Made> {
        usize::try_from(index - 1)
            .ok()
            .filter(|i| *i < self.made)
            .map(|i| &self.planned[i].1)
    }

    fn all_made(&self) -> bool {
        self.made == self.planned.len()
    }

    fn played(&mut self) {
        if !self.played {
            self.played = true;
            let _ = self.said.send(Said::Played(self.planned.len()));
        }
    }

    /// Whether the connection is to be dropped now (once).
    fn drop_now(&mut self) -> bool {
        if self.drop_at.is_some_and(|at| Instant::now() >= at) {
            self.drop_at = None;
            return true;
        }
        false
    }

    /// The decoder's clock, in the event's zone.
    fn clock(&self, zone: crate::model::TimeZone) -> NaiveDateTime {
        chrono::Utc::now().with_timezone(&zone.0).naive_local() + self.clock_off
    }
}

/// Plays `reads` as a decoder of `kind` until the task is dropped: made as
/// their time comes, served as the protocol serves them.
pub async fn play(
    kind: Kind,
    target: Target,
    reads: Vec<(Duration, Made)>,
    plan: &Plan,
    zone: crate::model::TimeZone,
    said: UnboundedSender<Said>,
) -> std::io::Result<()> {
    let began = Instant::now();
    let mut log = Log {
        planned: reads,
        made: 0,
        began,
        drop_at: plan.drop_after.map(|d| began + d),
        clock_off: plan.clock_off,
        said: said.clone(),
        played: false,
    };
    let mut next = 1;
    let mut reader = LlrpReader::default();
    match target {
        Target::Listen(listener) => {
            let _ = said.send(Said::Listening(listener.local_addr()?.port()));
            loop {
                let (stream, from) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                let _ = said.send(Said::Connected(from.to_string()));
                let why = match kind {
                    Kind::RaceResult => raceresult(stream, &mut log, zone).await,
                    Kind::Ultra => ultra(stream, &mut log, zone).await,
                    Kind::Llrp => llrp(stream, &mut log, &mut reader, zone).await,
                    _ => ipico(stream, &mut log).await,
                };
                let _ = said.send(Said::Dropped(why));
            }
        }
        Target::Connect(address) => {
            let mut unacked = std::collections::BTreeMap::new();
            // Reads put in messages so far, over every connection.
            let mut queued = 0;
            loop {
                let Ok(stream) = TcpStream::connect(&address).await else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let _ = said.send(Said::Connected(address.clone()));
                let why = match kind {
                    Kind::Mylaps => {
                        mylaps(stream, &mut log, &mut unacked, &mut next, &mut queued).await
                    }
                    _ => chronotrack(stream, &mut log).await,
                };
                let _ = said.send(Said::Dropped(why));
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// How often the simulator looks at its clock.
const TICK: Duration = Duration::from_millis(20);

/// Text lines as they arrive, cut at CR or LF.
async fn lines_from(
    stream: &mut (impl AsyncRead + Unpin),
    pending: &mut Vec<u8>,
) -> std::result::Result<Vec<String>, String> {
    let mut buffer = [0u8; 4096];
    let n = match stream.read(&mut buffer).await {
        Ok(0) => return Err("racedesk closed the connection".into()),
        Ok(n) => n,
        Err(e) => return Err(e.to_string()),
    };
    pending.extend_from_slice(&buffer[..n]);
    let mut lines = Vec::new();
    while let Some(end) = pending.iter().position(|b| *b == b'\r' || *b == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        let line = String::from_utf8_lossy(&line[..line.len() - 1])
            .trim()
            .to_owned();
        if !line.is_empty() {
            lines.push(line);
        }
    }
    Ok(lines)
}

/// The lines that came within a tick: none when nothing came.
async fn lines_within_tick(
    stream: &mut TcpStream,
    pending: &mut Vec<u8>,
) -> std::result::Result<Vec<String>, String> {
    tokio::select! {
        lines = lines_from(stream, pending) => lines,
        () = tokio::time::sleep(TICK) => Ok(Vec::new()),
    }
}

async fn write(stream: &mut TcpStream, text: &str) -> std::result::Result<(), String> {
    stream
        .write_all(text.as_bytes())
        .await
        .map_err(|e| e.to_string())
}

fn date_time(at: NaiveDateTime) -> (String, String) {
    (
        at.format("%Y-%m-%d").to_string(),
        at.format("%H:%M:%S%.3f").to_string(),
    )
}

/// RACE RESULT: answers `GETTIME`, `PASSINGS` and `<first>:<n>`; the
/// passings stay in the log, so a gap is fetched again.
async fn raceresult(mut stream: TcpStream, log: &mut Log, zone: crate::model::TimeZone) -> String {
    let mut pending = Vec::new();
    // Pushing passings as they are read (`SETPUSHPASSINGS;1;0`): the next
    // one to push.
    let mut push: Option<usize> = None;
    loop {
        let lines = tokio::select! {
            lines = lines_from(&mut stream, &mut pending) => match lines {
                Ok(lines) => lines,
                Err(e) => return e,
            },
            () = tokio::time::sleep(TICK) => {
                let made = log.made();
                if let Some(from) = push {
                    let out: String = (from + 1..=made)
                        .filter_map(|i| log.read(i as i64).map(|r| format!("#P;{}", rr_record(r))))
                        .collect();
                    push = Some(made);
                    if !out.is_empty() && let Err(e) = write(&mut stream, &out).await {
                        return e;
                    }
                }
                if log.drop_now() {
                    return "dropped, as a cable pulled".into();
                }
                continue;
            }
        };
        for line in lines {
            let count = log.made() as i64;
            let answer = if line == "GETTIME" {
                let (date, time) = date_time(log.clock(zone));
                format!("GETTIME;{date};{time}\r\n")
            } else if line == "PASSINGS" {
                format!("PASSINGS;{count};1\r\n")
            } else if let Some(set) = line.strip_prefix("SETTIME;") {
                match chrono::NaiveDateTime::parse_from_str(set, "%Y-%m-%d;%H:%M:%S%.f") {
                    Ok(at) => {
                        log.clock_off = at - log.clock(zone) + log.clock_off;
                        "SETTIME;OK\r\n".into()
                    }
                    Err(_) => "SETTIME;ERR\r\n".into(),
                }
            } else if line == "STOPOPERATION" || line == "STARTOPERATION" {
                format!("{line};OK\r\n")
            } else if line.starts_with("SETPUSHPASSINGS;1") {
                push = Some(count as usize);
                "SETPUSHPASSINGS;OK\r\n".into()
            } else if line == "GETPROTOCOL" {
                "GETPROTOCOL;1.6;1.0;1.6\r\n".into()
            } else if line.starts_with("SETPROTOCOL;") {
                "SETPROTOCOL;OK\r\n".into()
            } else if let Some((first, n)) = line.split_once(':')
                && let (Ok(first), Ok(n)) = (first.parse::<i64>(), n.parse::<i64>())
            {
                let mut out = String::new();
                for index in first..first.saturating_add(n.min(1000)) {
                    if let Some(read) = log.read(index) {
                        out.push_str(&rr_record(read));
                    }
                }
                if first.saturating_add(n) > count && log.all_made() {
                    log.played();
                }
                out + "\r\n"
            } else {
                let command = line.split(';').next().unwrap_or("");
                format!("{command};ERR\r\n")
            };
            if let Err(e) = write(&mut stream, &answer).await {
                return e;
            }
        }
    }
}

/// A RACE RESULT passing record of 20 fields, CRLF ended.
fn rr_record(read: &Made) -> String {
    let (date, time) = date_time(read.at);
    format!(
        "{};{};{date};{time};0;3;-60;0;0;0;0;0;0;0;0;0;Finish;1;1;SIM\r\n",
        read.index, read.chip
    )
}

/// Seconds since 1980-01-01, the Ultra's time base.
fn since_1980(at: NaiveDateTime) -> (i64, u32) {
    let base = chrono::NaiveDate::from_ymd_opt(1980, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    let seconds = (at - base).num_seconds();
    (seconds, at.nanosecond() / 1_000_000 % 1000)
}

fn ultra_line(read: &Made, rewind: bool) -> String {
    let (seconds, ms) = since_1980(read.at);
    format!(
        "0,{},{seconds},{ms},1,-60,{},1,1,0000000000000000,0,{}\r\n",
        read.chip,
        u8::from(rewind),
        read.index
    )
}

/// Ultra: greets, starts sending on `700` from the reads made after it
/// (those made while nobody listened stay in its log), sends its battery
/// every 10 s, and sends a range again on a rewind (`600<from>`, `<to>`).
async fn ultra(mut stream: TcpStream, log: &mut Log, zone: crate::model::TimeZone) -> String {
    if let Err(e) = write(&mut stream, "Connected,0\r\n").await {
        return e;
    }
    let mut pending = Vec::new();
    let mut sent: Option<usize> = None;
    let mut rewind_from: Option<i64> = None;
    let mut heartbeat = Instant::now();
    loop {
        let lines = match lines_within_tick(&mut stream, &mut pending).await {
            Ok(lines) => lines,
            Err(e) => return e,
        };
        let mut out = String::new();
        for line in lines {
            if let Some(from) = rewind_from.take() {
                let to = line.parse::<i64>().unwrap_or(from).min(log.made() as i64);
                for index in from..=to {
                    if let Some(read) = log.read(index) {
                        out.push_str(&ultra_line(read, true));
                    }
                }
            } else if let Some(from) = line.strip_prefix("600") {
                rewind_from = from.parse().ok();
            } else if line.starts_with("700") {
                sent = Some(log.made());
            } else if line == "r" {
                let at = log.clock(zone);
                out.push_str(&format!(
                    "{} {} (1)\r\n",
                    at.format("%-H:%-M:%-S"),
                    at.format("%-d-%-m-%Y")
                ));
            } else if let Some(set) = line.strip_prefix("t ") {
                if let Ok(at) = chrono::NaiveDateTime::parse_from_str(set, "%H:%M:%S %d-%m-%Y") {
                    log.clock_off = at - log.clock(zone) + log.clock_off;
                }
            } else if line == "?" {
                out.push_str("S=11\r\n");
            }
        }
        let made = log.made();
        if let Some(from) = sent {
            for read in &log.planned[from..made] {
                out.push_str(&ultra_line(&read.1, false));
            }
            sent = Some(made);
            if log.all_made() {
                log.played();
            }
        }
        if heartbeat.elapsed() >= Duration::from_secs(10) {
            heartbeat = Instant::now();
            out.push_str("V=25.0000\r\n");
        }
        if !out.is_empty()
            && let Err(e) = write(&mut stream, &out).await
        {
            return e;
        }
        if log.drop_now() {
            return "dropped, as a cable pulled".into();
        }
    }
}

/// An IPICO tag frame with its LRC: the chip fills the 12-character tag
/// (padded with zeros, or its last 12 characters).
pub fn ipico_frame(read: &Made) -> String {
    let chip: String = format!("{:0>12}", read.chip)
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let body = format!(
        "00{chip}0000{}{:02x}",
        read.at.format("%y%m%d%H%M%S"),
        read.at.nanosecond() / 10_000_000 % 100
    );
    let lrc = body.bytes().map(u32::from).sum::<u32>() % 256;
    format!("aa{body}{lrc:02x}\r\n")
}

/// IPICO: streams the frames of reads made while connected (what it read
/// while nobody listened is in its own file).
async fn ipico(mut stream: TcpStream, log: &mut Log) -> String {
    let mut sent = log.made();
    let mut pending = Vec::new();
    loop {
        tokio::select! {
            lines = lines_from(&mut stream, &mut pending) => if let Err(e) = lines {
                return e;
            },
            () = tokio::time::sleep(TICK) => {}
        }
        let made = log.made();
        let out: String = log.planned[sent..made]
            .iter()
            .map(|(_, read)| ipico_frame(read))
            .collect();
        sent = made;
        if !out.is_empty()
            && let Err(e) = write(&mut stream, &out).await
        {
            return e;
        }
        if log.all_made() {
            log.played();
        }
        if log.drop_now() {
            return "dropped, as a cable pulled".into();
        }
    }
}

/// An LLRP reader's state across connections: its ROSpec (id, enabled),
/// whether it holds reports while no client is connected, and how far its
/// reports went (sent, or held for the next client).
#[derive(Default)]
struct LlrpReader {
    rospec: Option<(u32, bool)>,
    hold: bool,
    reported: usize,
}

/// A read's first-seen time as LLRP says it: microseconds, Unix UTC.
fn utc_micros(at: NaiveDateTime, zone: crate::model::TimeZone) -> u64 {
    use chrono::TimeZone as _;
    zone.0
        .from_local_datetime(&at)
        .earliest()
        .map_or(0, |t| t.timestamp_micros().max(0) as u64)
}

/// An LLRP reader (Impinj, Zebra): greets with its clock, answers the
/// configuration and ROSpec requests, sends a keepalive as asked, and
/// while racedesk's ROSpec runs reports each read in its own
/// RO_ACCESS_REPORT. What it reads while no client is connected is lost
/// unless it was asked to hold it, and then sent after
/// ENABLE_EVENTS_AND_REPORTS. A chip not written in hex goes out as the
/// bytes of its characters (a tag the roster does not know).
async fn llrp(
    mut stream: TcpStream,
    log: &mut Log,
    reader: &mut LlrpReader,
    zone: crate::model::TimeZone,
) -> String {
    use super::llrp::{self as l, Message};
    let now_us = |log: &Log| {
        (chrono::Utc::now() + log.clock_off)
            .timestamp_micros()
            .max(0) as u64
    };
    let mut id = 1u32;
    let hello = l::greeting(id, now_us(log));
    if let Err(e) = stream.write_all(&hello.bytes()).await {
        return e.to_string();
    }
    // Held reports wait for the client to ask for them.
    let mut reporting = !reader.hold;
    if !reader.hold {
        reader.reported = log.made();
    }
    let mut keepalive: Option<(Duration, Instant)> = None;
    let mut frames = l::Frames::default();
    let mut buffer = [0u8; 4096];
    loop {
        let got = tokio::select! {
            n = stream.read(&mut buffer) => match n {
                Ok(0) => return "racedesk closed the connection".into(),
                Ok(n) => match frames.push(&buffer[..n]) {
                    Ok(got) => got,
                    Err(e) => return e,
                },
                Err(e) => return e.to_string(),
            },
            () = tokio::time::sleep(TICK) => Vec::new(),
        };
        let mut out = Vec::new();
        for message in got {
            let ok = |extra: &[u8]| {
                l::response(l::response_to(message.kind), message.id, 0, extra).bytes()
            };
            match message.kind {
                l::SET_READER_CONFIG => {
                    let (period, hold, reset) = l::config_asked(&message.body);
                    if reset {
                        reader.rospec = None;
                        reader.hold = false;
                    }
                    if let Some(ms) = period {
                        keepalive = Some((Duration::from_millis(u64::from(ms)), Instant::now()));
                    }
                    reader.hold = hold.unwrap_or(reader.hold);
                    out.extend(ok(&[]));
                }
                l::GET_ROSPECS => {
                    let listed = reader
                        .rospec
                        .map(|(id, on)| l::rospec_listed(id, if on { 2 } else { 0 }))
                        .unwrap_or_default();
                    out.extend(ok(&listed));
                }
                l::ADD_ROSPEC => match l::rospec_added(&message.body) {
                    Some(added) if reader.rospec.is_none() => {
                        reader.rospec = Some((added, false));
                        out.extend(ok(&[]));
                    }
                    _ => out.extend(
                        l::response(l::response_to(message.kind), message.id, 100, &[]).bytes(),
                    ),
                },
                l::ENABLE_ROSPEC | l::DISABLE_ROSPEC | l::DELETE_ROSPEC => {
                    let which = message
                        .body
                        .get(..4)
                        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    if let Some((id, on)) = &mut reader.rospec
                        && (which == 0 || which == *id)
                    {
                        match message.kind {
                            l::ENABLE_ROSPEC => {
                                // Reads from now on: its start trigger is
                                // immediate.
                                if !*on {
                                    reader.reported = log.made();
                                }
                                *on = true;
                            }
                            l::DISABLE_ROSPEC => *on = false,
                            _ => reader.rospec = None,
                        }
                    }
                    out.extend(ok(&[]));
                }
                l::GET_READER_CAPABILITIES => out.extend(ok(&[])),
                l::ENABLE_EVENTS_AND_REPORTS => reporting = true,
                l::CLOSE_CONNECTION => {
                    let _ = stream.write_all(&ok(&[])).await;
                    return "racedesk closed the connection".into();
                }
                l::KEEPALIVE_ACK => {}
                _ => out.extend(l::response(l::ERROR_MESSAGE, message.id, 100, &[]).bytes()),
            }
        }
        let made = log.made();
        let running = reader.rospec.is_some_and(|(_, on)| on);
        if !running {
            // Not reading: nothing to report of this time.
            reader.reported = made;
        } else if reporting && reader.reported < made {
            for (_, read) in &log.planned[reader.reported..made] {
                let epc = super::llrp::epc_of(&read.chip)
                    .unwrap_or_else(|| read.chip.as_bytes().to_vec());
                let report = l::tag_report(&epc, 1, -60, utc_micros(read.at, zone));
                id = id.wrapping_add(1);
                out.extend(Message::new(l::RO_ACCESS_REPORT, id, report).bytes());
            }
            reader.reported = made;
        }
        if let Some((period, last)) = &mut keepalive
            && last.elapsed() >= *period
        {
            *last = Instant::now();
            id = id.wrapping_add(1);
            out.extend(Message::new(l::KEEPALIVE, id, Vec::new()).bytes());
        }
        if !out.is_empty()
            && let Err(e) = stream.write_all(&out).await
        {
            return e.to_string();
        }
        if running && reporting && log.all_made() {
            log.played();
        }
        if log.drop_now() {
            return "dropped, as a cable pulled".into();
        }
    }
}

/// MYLAPS' exporter: `Pong`, then passings up to 50 a message, numbered;
/// a message not acknowledged is sent again after 20 s and on every new
/// connection.
async fn mylaps(
    mut stream: TcpStream,
    log: &mut Log,
    unacked: &mut std::collections::BTreeMap<u64, (String, Instant)>,
    next: &mut u64,
    queued: &mut usize,
) -> String {
    const RESEND: Duration = Duration::from_secs(20);
    if let Err(e) = write(&mut stream, "Finish@Pong@$").await {
        return e;
    }
    let mut text = String::new();
    let mut buffer = [0u8; 4096];
    let mut ponged = false;
    loop {
        tokio::select! {
            n = stream.read(&mut buffer) => match n {
                Ok(0) => return "racedesk closed the connection".into(),
                Ok(n) => text.push_str(&String::from_utf8_lossy(&buffer[..n])),
                Err(e) => return e.to_string(),
            },
            () = tokio::time::sleep(TICK) => {}
        }
        for message in super::mylaps::take_messages(&mut text)
            .into_iter()
            .flatten()
        {
            if message.function == "AckPong" && !ponged {
                ponged = true;
                // Everything not acknowledged, again, in order.
                let again: Vec<String> = unacked.values().map(|(m, _)| m.clone()).collect();
                for m in again {
                    if let Err(e) = write(&mut stream, &m).await {
                        return e;
                    }
                }
            } else if message.function == "Ping" {
                if let Err(e) = write(&mut stream, "Finish@AckPing@$").await {
                    return e;
                }
            } else if message.function == "AckPassing"
                && let Some(n) = message.data.first().and_then(|n| n.parse::<u64>().ok())
            {
                unacked.remove(&n);
            }
        }
        if !ponged {
            continue;
        }
        let made = log.made();
        while *queued < made {
            let end = (*queued + 50).min(made);
            let records: Vec<String> = log.planned[*queued..end]
                .iter()
                .map(|(_, r)| {
                    format!(
                        "c={}|t={}|d={}|an=00000001|am=60",
                        r.chip,
                        r.at.format("%H:%M:%S%.3f"),
                        r.at.format("%y%m%d")
                    )
                })
                .collect();
            let message = format!("Finish@Passing@{}@{}@$", records.join("@"), *next);
            unacked.insert(*next, (message.clone(), Instant::now()));
            *next += 1;
            *queued = end;
            if let Err(e) = write(&mut stream, &message).await {
                return e;
            }
        }
        for (message, sent) in unacked.values_mut() {
            if sent.elapsed() >= RESEND {
                *sent = Instant::now();
                if let Err(e) = write(&mut stream, message).await {
                    return e;
                }
            }
        }
        if log.all_made() && unacked.is_empty() && *queued == made {
            log.played();
        }
        if log.drop_now() {
            return "dropped, as the exporter restarted".into();
        }
    }
}

/// ChronoTrack's SimpleClient: greets, and once racedesk says `start`
/// pushes the reads made from then on in the time format racedesk asked
/// for; answers pings.
async fn chronotrack(mut stream: TcpStream, log: &mut Log) -> String {
    if let Err(e) = write(&mut stream, "SimpleClient~3.0~CTP01\r\n").await {
        return e;
    }
    let mut pending = Vec::new();
    let mut sent: Option<usize> = None;
    let mut iso = false;
    loop {
        let lines = match lines_within_tick(&mut stream, &mut pending).await {
            Ok(lines) => lines,
            Err(e) => return e,
        };
        let mut out = String::new();
        for line in lines {
            match line.as_str() {
                "time-format=iso" => iso = true,
                "ping" => out.push_str("ack~ping\r\n"),
                "start" => {
                    out.push_str("ack~start\r\n");
                    sent = Some(log.made());
                }
                _ => {}
            }
        }
        let made = log.made();
        if let Some(from) = sent {
            for (_, read) in &log.planned[from..made] {
                let time = if iso {
                    read.at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
                } else {
                    read.at.format("%H:%M:%S%.3f").to_string()
                };
                // Centiseconds, as ChronoTrack writes them.
                let time = &time[..time.len() - 1];
                out.push_str(&format!(
                    "CT01_33~{}~Finish~{}~{time}~1~SIM001~1\r\n",
                    read.index, read.chip
                ));
            }
            sent = Some(made);
            if log.all_made() {
                log.played();
            }
        }
        if !out.is_empty()
            && let Err(e) = write(&mut stream, &out).await
        {
            return e;
        }
        if log.drop_now() {
            return "dropped, as the client restarted".into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(runners: usize, rereads: u32) -> Plan {
        Plan {
            runners,
            finish: Duration::from_secs(60),
            rereads,
            drop_after: None,
            clock_off: chrono::Duration::zero(),
            seed: 7,
        }
    }

    #[test]
    fn a_finish_reads_each_runner_several_times_in_time_order() {
        let chips: Vec<String> = (1..=100).map(|n| format!("C{n}")).collect();
        let start = chrono::NaiveDate::from_ymd_opt(2027, 4, 11)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let reads = finish(&chips, &plan(40, 4), start);
        assert_eq!(reads.len(), 40 * 5);
        let distinct: std::collections::HashSet<(String, NaiveDateTime)> =
            reads.iter().map(|(_, r)| (r.chip.clone(), r.at)).collect();
        assert_eq!(distinct.len(), reads.len(), "no read made twice");
        assert!(reads.windows(2).all(|w| w[0].0 <= w[1].0));
        assert!(
            reads
                .iter()
                .all(|(_, r)| r.at.nanosecond() % 10_000_000 == 0)
        );
        let runners: std::collections::HashSet<&str> =
            reads.iter().map(|(_, r)| r.chip.as_str()).collect();
        assert_eq!(runners.len(), 40);
        assert_eq!(reads.last().unwrap().1.index, 200);
    }

    #[test]
    fn the_frames_the_simulator_sends_are_read_back_as_it_made_them() {
        let read = Made {
            index: 1,
            chip: "E2000001".into(),
            at: chrono::NaiveDate::from_ymd_opt(2026, 3, 6)
                .unwrap()
                .and_hms_milli_opt(20, 27, 47, 390)
                .unwrap(),
        };
        let back = super::super::ipico::frame(ipico_frame(&read).trim())
            .unwrap()
            .unwrap();
        assert_eq!(back.chip, "0000E2000001");
        assert_eq!(back.at.text(), "2026-03-06 20:27:47.390");
        let super::super::ultra::Line::Read { read: back, rewind } =
            super::super::ultra::line(ultra_line(&read, true).trim()).unwrap()
        else {
            panic!("a read");
        };
        assert!(rewind);
        assert_eq!(back.at.text(), read.time_text());
    }
}
