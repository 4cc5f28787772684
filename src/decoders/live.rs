//! A decoder's connection, kept up for as long as the station reads it:
//! connecting (or listening), reading, keeping every read (`keep`) and
//! answering the decoder only after the commit, and on any failure (the
//! decoder switched off, a cable pulled, a disk full) starting again after
//! a bounded wait, so a timer never restarts anything to get a decoder back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;

use super::{
    ChipRead, Decoder, Kept, Kind, chronotrack, ipico, keep, llrp, mylaps, raceresult, ultra,
};
use crate::model::Station;
use crate::store::EventFile;

/// The longest wait before connecting again.
const MOST_BACKOFF: Duration = Duration::from_secs(10);
/// A connection that says nothing for this long is taken as lost (the
/// decoders here send a heartbeat or are asked every second).
const SILENT: Duration = Duration::from_secs(30);
/// How often a RACE RESULT decoder is asked for new passings.
const POLL: Duration = Duration::from_millis(500);
/// How often a decoder's clock is read again, where its protocol can.
const CLOCK: Duration = Duration::from_secs(300);
/// The most log indexes an Ultra is asked for again on connecting.
const REWIND_MOST: i64 = 100_000;
/// How often ChronoTrack's client and MYLAPS' exporter are pinged.
const PING: Duration = Duration::from_secs(10);

/// Where a decoder's connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(
    any(test, feature = "ts"),
    derive(ts_rs::TS),
    ts(export, rename = "DecoderState")
)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Connecting,
    Listening,
    Connected,
    /// Connected, and a read kept in the last minute.
    Reading,
    Lost,
}

/// What a decoder's connection says as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    State {
        state: State,
        detail: Option<String>,
    },
    /// A read, after its commit.
    Read { read: ChipRead, kept: Kept },
    /// A line the decoder sent that is not what its protocol says.
    Bad { line: String, reason: String },
    /// The decoder's clock minus this laptop's, in ms.
    Clock(i64),
    /// A reader's battery, in volts.
    Voltage(f64),
    /// A reader's status as it says it (Ultra's `S=` digits).
    Status(String),
    /// The decoder's gun marker (a MYLAPS Gunshot, a ChronoTrack gun time):
    /// said, never acted on by itself.
    Gun(i64),
    /// A location the decoder began reading at (ChronoTrack's
    /// `newlocation`), and the point its reads count at.
    Location { location: String, point: String },
}

/// The timer's asks of a decoder being read, taken up by its connection.
#[derive(Debug, Default)]
pub struct Asks {
    /// Set the decoder's clock to this laptop's (RACE RESULT, Ultra): only
    /// ever on the timer's say-so.
    set_clock: AtomicBool,
}

impl Asks {
    pub fn set_clock(&self) {
        self.set_clock.store(true, Ordering::SeqCst);
    }

    fn take_set_clock(&self) -> bool {
        self.set_clock.swap(false, Ordering::SeqCst)
    }
}

/// Reads `decoder` until the task is dropped or aborted, saying each
/// event on `events` and taking up the timer's `asks`.
pub async fn run(
    file: EventFile,
    decoder: Decoder,
    station: Station,
    events: UnboundedSender<Event>,
    asks: Arc<Asks>,
) {
    let mut wait = Duration::from_millis(500);
    loop {
        let said = |state, detail| {
            let _ = events.send(Event::State { state, detail });
        };
        said(
            if decoder.kind.listens() {
                State::Listening
            } else {
                State::Connecting
            },
            None,
        );
        let link = Link {
            file: &file,
            decoder: &decoder,
            station: &station,
            events: &events,
            asks: &asks,
        };
        let outcome = if decoder.kind.listens() {
            link.listen().await
        } else {
            link.connect().await
        };
        let detail = match outcome {
            Ok(()) => None,
            Err(e) => Some(e.to_string()),
        };
        said(State::Lost, detail.clone());
        // A connection that worked starts the backoff again.
        if detail.is_none() {
            wait = Duration::from_millis(500);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MOST_BACKOFF);
    }
}

/// Why a connection ended, in English for the log and the terminal.
type Outcome<T> = std::result::Result<T, String>;

fn io(e: std::io::Error) -> String {
    e.to_string()
}

struct Link<'a> {
    file: &'a EventFile,
    decoder: &'a Decoder,
    station: &'a Station,
    events: &'a UnboundedSender<Event>,
    asks: &'a Asks,
}

/// Lines as they arrive: ended by CR, LF or CRLF; blank lines dropped.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\r' || *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1])
                .trim()
                .to_owned();
            if !line.is_empty() {
                lines.push(line);
            }
        }
        // A peer that never ends a line does not fill the memory.
        if self.pending.len() > 64 * 1024 {
            self.pending.clear();
        }
        lines
    }
}

async fn read_some(stream: &mut (impl AsyncRead + Unpin), buffer: &mut [u8]) -> Outcome<usize> {
    read_within(stream, buffer, SILENT).await
}

/// A read that takes as long as it takes: IPICO readers stream tags and
/// say nothing between runners, so their silence is not a loss (a pulled
/// cable still ends the connection when the reader is written to or
/// the kernel gives up on it).
async fn read_some_unhurried(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut [u8],
) -> Outcome<usize> {
    read_within(stream, buffer, Duration::from_secs(24 * 3600)).await
}

async fn read_within(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut [u8],
    silent: Duration,
) -> Outcome<usize> {
    match tokio::time::timeout(silent, stream.read(buffer)).await {
        Err(_) => Err(format!(
            "the decoder said nothing for {} s",
            silent.as_secs_f32()
        )),
        Ok(Ok(0)) => Err("the decoder closed the connection".to_string()),
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(io(e)),
    }
}

impl Link<'_> {
    fn say(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// Keeps `reads` (one commit) and says each; an error leaves them to
    /// be sent or fetched again.
    async fn keep(&self, reads: Vec<ChipRead>) -> Outcome<()> {
        if reads.is_empty() {
            return Ok(());
        }
        let kept = keep(self.file, self.decoder, &reads, self.station)
            .await
            .map_err(|e| e.to_string())?;
        for (read, kept) in reads.into_iter().zip(kept) {
            self.say(Event::Read { read, kept });
        }
        Ok(())
    }

    /// The decoder said its clock reads `at_ms` now: its offset kept with
    /// the decoder for `decoder list` (a failed write loses only that
    /// note), and said.
    async fn clock_read(&self, at_ms: i64) {
        let now = crate::store::now_ms();
        let noted = sqlx::query(
            "UPDATE decoder SET clock_offset_ms = ?2, clock_read_ms = ?3 WHERE name = ?1",
        )
        .bind(&self.decoder.name)
        .bind(at_ms - now)
        .bind(now)
        .execute(self.file.writer())
        .await;
        if let Err(e) = noted {
            tracing::warn!(decoder = %self.decoder.name, error = %e, "the clock offset was not noted");
        }
        // Said once noted: whoever sees the offset finds it kept too.
        self.say(Event::Clock(at_ms - now));
    }

    fn bad(&self, line: &str, reason: String) {
        tracing::warn!(decoder = %self.decoder.name, line, reason, "a line that is not a read");
        self.say(Event::Bad {
            line: line.to_owned(),
            reason,
        });
    }

    async fn connect(&self) -> Outcome<()> {
        let address = self.decoder.address.clone().unwrap_or_default();
        let address = if address.contains(':') {
            address
        } else {
            format!("{address}:{}", self.decoder.kind.port())
        };
        let stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&address))
            .await
            .map_err(|_| format!("{address} did not answer in 5 s"))?
            .map_err(io)?;
        stream.set_nodelay(true).map_err(io)?;
        self.say(Event::State {
            state: State::Connected,
            detail: Some(address),
        });
        match self.decoder.kind {
            Kind::RaceResult => self.raceresult(stream).await,
            Kind::Ultra => self.ultra(stream).await,
            Kind::Llrp => self.llrp(stream).await,
            _ => self.ipico(stream).await,
        }
    }

    async fn listen(&self) -> Outcome<()> {
        let port = self.decoder.port.unwrap_or(self.decoder.kind.port());
        let listener = TcpListener::bind(("0.0.0.0", port)).await.map_err(io)?;
        loop {
            let (stream, from) = listener.accept().await.map_err(io)?;
            let _ = stream.set_nodelay(true);
            self.say(Event::State {
                state: State::Connected,
                detail: Some(from.to_string()),
            });
            // One exporter at a time: when it goes, the next may come.
            let outcome = match self.decoder.kind {
                Kind::Mylaps => self.mylaps(stream).await,
                _ => self.chronotrack(stream).await,
            };
            // Gone: lost (red, one beep) until it connects again.
            self.say(Event::State {
                state: State::Lost,
                detail: outcome.err().map(|e| e.to_string()),
            });
        }
    }

    async fn mylaps(&self, mut stream: TcpStream) -> Outcome<()> {
        let mut text = String::new();
        let mut buffer = vec![0; 16 * 1024];
        // The exporter says nothing between passings: a ping every 10 s,
        // answered, tells a quiet exporter from a lost one.
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING, PING);
        loop {
            let n = tokio::select! {
                n = read_some(&mut stream, &mut buffer) => n?,
                _ = ping.tick() => {
                    stream.write_all(mylaps::PING.as_bytes()).await.map_err(io)?;
                    continue;
                }
            };
            text.push_str(&String::from_utf8_lossy(&buffer[..n]));
            for message in mylaps::take_messages(&mut text) {
                let message = match message {
                    Ok(m) => m,
                    Err(e) => {
                        self.bad("", e);
                        continue;
                    }
                };
                let answer = match message.function.as_str() {
                    "Pong" => Some(mylaps::ack_pong()),
                    "Ping" => Some("Srv@AckPing@$".to_owned()),
                    "Passing" | "Store" => {
                        let mut reads = Vec::new();
                        for record in message.records() {
                            let read = if message.function == "Store" {
                                mylaps::store(record)
                            } else {
                                mylaps::passing(record)
                            };
                            match read {
                                Ok(read) => reads.push(read),
                                Err(e) => self.bad(record, e),
                            }
                        }
                        // Acknowledged only once committed: unacknowledged,
                        // the exporter sends the message again.
                        self.keep(reads).await?;
                        message.number().map(|n| mylaps::ack(&message.function, n))
                    }
                    "Marker" => {
                        for record in message.records() {
                            if let Some((kind, at)) = mylaps::marker(record)
                                && kind.eq_ignore_ascii_case("gunshot")
                                && let Some(at_ms) = self.instant(at).await
                            {
                                self.say(Event::Gun(at_ms));
                            }
                        }
                        message.number().map(|n| mylaps::ack("Marker", n))
                    }
                    _ => None,
                };
                if let Some(answer) = answer {
                    stream.write_all(answer.as_bytes()).await.map_err(io)?;
                }
            }
        }
    }

    /// This laptop's time in the event's zone, as decoders keep it.
    async fn local_now(&self) -> Option<chrono::NaiveDateTime> {
        let event = crate::setup::event(self.file).await.ok()?;
        Some(
            chrono::Utc::now()
                .with_timezone(&event.time_zone.0)
                .naive_local(),
        )
    }

    async fn instant(&self, at: super::ReadAt) -> Option<i64> {
        let event = crate::setup::event(self.file).await.ok()?;
        at.instant(event.date, event.time_zone)
    }

    async fn chronotrack(&self, mut stream: TcpStream) -> Outcome<()> {
        let mut lines = Lines::default();
        let mut buffer = vec![0; 16 * 1024];
        let mut ping = tokio::time::interval(PING);
        loop {
            let n = tokio::select! {
                n = read_some(&mut stream, &mut buffer) => n?,
                _ = ping.tick() => {
                    stream.write_all(format!("{}\r\n", chronotrack::PING).as_bytes()).await.map_err(io)?;
                    continue;
                }
            };
            let mut reads = Vec::new();
            for line in lines.push(&buffer[..n]) {
                match chronotrack::line(&line) {
                    Ok(chronotrack::Line::Greeting { .. }) => {
                        let mut hello = chronotrack::hello("racedesk");
                        hello.extend(chronotrack::START.iter().map(|c| c.to_string()));
                        for out in hello {
                            stream
                                .write_all(format!("{out}\r\n").as_bytes())
                                .await
                                .map_err(io)?;
                        }
                    }
                    Ok(chronotrack::Line::Read { read, .. }) => reads.push(read),
                    Ok(chronotrack::Line::NewLocation(location)) => {
                        let at = ChipRead {
                            chip: String::new(),
                            at: super::ReadAt::Utc(0),
                            seq: None,
                            antenna: None,
                            rssi: None,
                            location: Some(location.clone()),
                        };
                        let point = self.decoder.point_of(&at).to_owned();
                        self.say(Event::Location { location, point });
                    }
                    Ok(chronotrack::Line::Gun { at, .. }) => {
                        if let Some(at_ms) = self.instant(at).await {
                            self.say(Event::Gun(at_ms));
                        }
                    }
                    Ok(_) => {}
                    Err(e) => self.bad(&line, e),
                }
            }
            self.keep(reads).await?;
        }
    }

    async fn ipico(&self, mut stream: TcpStream) -> Outcome<()> {
        let mut lines = Lines::default();
        let mut buffer = vec![0; 16 * 1024];
        loop {
            let n = read_some_unhurried(&mut stream, &mut buffer).await?;
            let mut reads = Vec::new();
            for line in lines.push(&buffer[..n]) {
                match ipico::frame(&line) {
                    Ok(Some(read)) => reads.push(read),
                    Ok(None) => {}
                    Err(e) => self.bad(&line, e),
                }
            }
            self.keep(reads).await?;
        }
    }

    async fn ultra(&self, mut stream: TcpStream) -> Outcome<()> {
        for command in [
            ultra::START_READING,
            ultra::START_SENDING,
            ultra::ASK_TIME,
            ultra::ASK_STATUS,
        ] {
            stream.write_all(command.as_bytes()).await.map_err(io)?;
        }
        // What the reader logged since the last read kept (while the link
        // was down, or this laptop was): asked again by log index.
        let kept: Option<i64> =
            sqlx::query_scalar("SELECT max(seq) FROM chip_read WHERE decoder = ?")
                .bind(&self.decoder.name)
                .fetch_one(self.file.reader())
                .await
                .map_err(|e| e.to_string())?;
        if let Some(kept) = kept {
            stream
                .write_all(ultra::rewind(kept + 1, kept + REWIND_MOST).as_bytes())
                .await
                .map_err(io)?;
        }
        let mut lines = Lines::default();
        let mut buffer = vec![0; 16 * 1024];
        let mut last: Option<i64> = None;
        let mut clock = tokio::time::interval_at(tokio::time::Instant::now() + CLOCK, CLOCK);
        let mut asked = tokio::time::interval(Duration::from_millis(250));
        loop {
            let n = tokio::select! {
                n = read_some(&mut stream, &mut buffer) => n?,
                _ = clock.tick() => {
                    stream.write_all(ultra::ASK_TIME.as_bytes()).await.map_err(io)?;
                    stream.write_all(ultra::ASK_STATUS.as_bytes()).await.map_err(io)?;
                    continue;
                }
                _ = asked.tick() => {
                    if self.asks.take_set_clock() {
                        // At a second's boundary: the command has whole seconds.
                        let now = chrono::Utc::now().timestamp_millis();
                        tokio::time::sleep(Duration::from_millis((1000 - now.rem_euclid(1000)) as u64)).await;
                        let Some(at) = self.local_now().await else { continue };
                        let set = ultra::set_time(at);
                        stream.write_all(set.as_bytes()).await.map_err(io)?;
                        stream.write_all(ultra::ASK_TIME.as_bytes()).await.map_err(io)?;
                        self.say(Event::State { state: State::Connected, detail: Some(format!("clock set: {}", set.trim())) });
                    }
                    continue;
                }
            };
            let mut reads = Vec::new();
            let mut rewinds = Vec::new();
            for line in lines.push(&buffer[..n]) {
                match ultra::line(&line) {
                    Ok(ultra::Line::Read { read, rewind }) => {
                        if let Some(index) = read.seq
                            && !rewind
                        {
                            // A jump in the log index: reads were missed.
                            if let Some(before) = last
                                && index > before + 1
                            {
                                rewinds.push(ultra::rewind(before + 1, index - 1));
                            }
                            last = Some(last.map_or(index, |l| l.max(index)));
                        }
                        reads.push(read);
                    }
                    Ok(ultra::Line::Voltage(volts)) => self.say(Event::Voltage(volts)),
                    Ok(ultra::Line::Status(digits)) => self.say(Event::Status(digits)),
                    Ok(ultra::Line::Clock(at)) => {
                        if let Some(at_ms) = self.instant(at).await {
                            self.clock_read(at_ms).await;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => self.bad(&line, e),
                }
            }
            self.keep(reads).await?;
            for rewind in rewinds {
                stream.write_all(rewind.as_bytes()).await.map_err(io)?;
            }
        }
    }

    /// Greets an LLRP reader (its clock from its greeting), releases what it
    /// held while no client was connected, asks for a keepalive and for
    /// holding, and adds racedesk's ROSpec unless it is running already
    /// (adding it again would leave a gap in the reading); then keeps each
    /// report and answers each keepalive. Reports that come while a request
    /// waits for its response are kept as they come.
    async fn llrp(&self, stream: TcpStream) -> Outcome<()> {
        let mut link = LlrpLink {
            stream,
            frames: llrp::Frames::default(),
            waiting: Default::default(),
            buffer: vec![0; 64 * 1024],
            next_id: 1,
        };
        let hello = link.next().await?;
        if hello.kind != llrp::READER_EVENT_NOTIFICATION {
            return Err(format!("the reader began with message {}", hello.kind));
        }
        self.llrp_message(&mut link, hello).await?;
        link.send(llrp::ENABLE_EVENTS_AND_REPORTS, Vec::new())
            .await?;
        let config = llrp::set_reader_config(0);
        self.llrp_ask(&mut link, config.kind, config.body).await?;
        let listed = self
            .llrp_ask(&mut link, llrp::GET_ROSPECS, Vec::new())
            .await?;
        if !llrp::rospec_active(&listed.body, llrp::ROSPEC_ID) {
            for kind in [llrp::DISABLE_ROSPEC, llrp::DELETE_ROSPEC] {
                let all = llrp::rospec_message(kind, 0, 0);
                self.llrp_ask(&mut link, kind, all.body).await?;
            }
            let add = llrp::add_rospec(0);
            self.llrp_ask(&mut link, add.kind, add.body).await?;
            let enable = llrp::rospec_message(llrp::ENABLE_ROSPEC, 0, llrp::ROSPEC_ID);
            self.llrp_ask(&mut link, enable.kind, enable.body).await?;
        }
        loop {
            let message = link.next().await?;
            self.llrp_message(&mut link, message).await?;
        }
    }

    /// Sends a request and waits for its response, taking what comes
    /// meanwhile; the response when the reader said yes.
    async fn llrp_ask(
        &self,
        link: &mut LlrpLink,
        kind: u16,
        body: Vec<u8>,
    ) -> Outcome<llrp::Message> {
        let id = link.send(kind, body).await?;
        loop {
            let message = link.next().await?;
            if message.id == id && message.kind == llrp::response_to(kind) {
                llrp::status(&message.body).map_err(|e| format!("request {kind}: {e}"))?;
                return Ok(message);
            }
            if message.id == id && message.kind == llrp::ERROR_MESSAGE {
                let e = llrp::status(&message.body).err().unwrap_or_default();
                return Err(format!("the reader refused request {kind}: {e}"));
            }
            self.llrp_message(link, message).await?;
        }
    }

    /// A message the reader sent of its own accord.
    async fn llrp_message(&self, link: &mut LlrpLink, message: llrp::Message) -> Outcome<()> {
        match message.kind {
            llrp::RO_ACCESS_REPORT => match llrp::report(&message.body) {
                Ok(reads) => self.keep(reads).await?,
                Err(e) => self.bad(&format!("report {}", message.id), e),
            },
            llrp::KEEPALIVE => {
                let ack = llrp::Message::new(llrp::KEEPALIVE_ACK, message.id, Vec::new());
                link.stream.write_all(&ack.bytes()).await.map_err(io)?;
            }
            llrp::READER_EVENT_NOTIFICATION => match llrp::reader_event(&message.body) {
                Ok((_, Some(status))) => {
                    return Err(format!(
                        "the reader refused the connection (status {status}): another program is connected to it"
                    ));
                }
                Ok((Some(at_ms), None)) => self.clock_read(at_ms).await,
                Ok((None, None)) => {}
                Err(e) => self.bad(&format!("event {}", message.id), e),
            },
            llrp::ERROR_MESSAGE => {
                let e = llrp::status(&message.body).err().unwrap_or_default();
                self.bad(&format!("error {}", message.id), e);
            }
            _ => {}
        }
        Ok(())
    }

    /// How many passings of the decoder's file `file` are kept from its
    /// first on, with none missing (a read pushed after a gap does not
    /// count: the gap is fetched).
    async fn rr_fetched(&self, file: Option<i64>) -> Outcome<i64> {
        let base = raceresult::sequence(file, 0);
        sqlx::query_scalar(
            "SELECT coalesce((SELECT min(r.seq) - ?2 FROM chip_read r
                 WHERE r.decoder = ?1 AND r.seq > ?2 AND r.seq < ?2 + ?3 AND NOT EXISTS
                     (SELECT 1 FROM chip_read n WHERE n.decoder = ?1 AND n.seq = r.seq + 1)), 0)
                 * EXISTS (SELECT 1 FROM chip_read WHERE decoder = ?1 AND seq = ?2 + 1)",
        )
        .bind(&self.decoder.name)
        .bind(base)
        .bind(raceresult::FILE_BASE)
        .fetch_one(self.file.reader())
        .await
        .map_err(|e| e.to_string())
    }

    /// Asks the decoder to push each passing as it reads it (where its
    /// protocol can), and every half second for the count, fetching by
    /// number what did not come, so a gap is asked again; a count that
    /// drops is a new file on the decoder.
    async fn raceresult(&self, stream: TcpStream) -> Outcome<()> {
        let (reader, mut writer) = stream.into_split();
        let mut reader = reader;
        let mut lines = Lines::default();
        let mut queue: std::collections::VecDeque<String> = Default::default();
        let mut buffer = vec![0; 16 * 1024];
        // Pushed passings (`#P;…`) come between the replies: put aside
        // (a trigger's too: it has a number, no read).
        let mut pushed: Vec<String> = Vec::new();
        let take_pushed = |line: &str, pushed: &mut Vec<String>| -> bool {
            let Some(record) = line.strip_prefix("#P;") else {
                return false;
            };
            pushed.push(record.to_owned());
            true
        };
        // The next reply, reading more when none is waiting.
        macro_rules! next_line {
            () => {
                loop {
                    if let Some(line) = queue.pop_front() {
                        if take_pushed(&line, &mut pushed) {
                            continue;
                        }
                        break line;
                    }
                    let n = read_some(&mut reader, &mut buffer).await?;
                    queue.extend(lines.push(&buffer[..n]));
                }
            };
        }
        // The newest protocol the decoder speaks (records of 20 fields,
        // with their file number); an older one answers ERR and keeps its own.
        send(&mut writer, "GETPROTOCOL").await?;
        let reply = next_line!();
        if let Some(newest) = raceresult::newest_protocol(&reply) {
            send(&mut writer, &format!("SETPROTOCOL;{newest}")).await?;
            let _ = next_line!();
        }
        send(&mut writer, "GETTIME").await?;
        let reply = next_line!();
        if let Some(at) = raceresult::time(&reply)
            && let Some(at_ms) = self.instant(at).await
        {
            self.clock_read(at_ms).await;
        }
        // Every passing of the decoder's current file up to `fetched` is
        // kept (a read's sequence holds its file's number).
        send(&mut writer, "PASSINGS").await?;
        let reply = next_line!();
        let mut file = raceresult::passings_count(&reply).map(|(_, file)| file);
        let mut fetched = self.rr_fetched(file.flatten()).await?;
        send(&mut writer, "SETPUSHPASSINGS;1;0").await?;
        let reply = next_line!();
        let pushing = reply.starts_with("SETPUSHPASSINGS") && !reply.contains("ERR");
        // Numbers pushed and kept past `fetched`.
        let mut ahead = std::collections::BTreeSet::new();
        let mut clock_read = tokio::time::Instant::now();
        loop {
            if !pushed.is_empty() {
                let mut numbers = Vec::new();
                let mut reads = Vec::new();
                for record in pushed.drain(..) {
                    match raceresult::passing_in(&record, file.flatten()) {
                        Ok((number, read)) => {
                            numbers.push(number);
                            reads.extend(read);
                        }
                        Err(e) => self.bad(&record, e),
                    }
                }
                self.keep(reads).await?;
                ahead.extend(numbers);
                while ahead.remove(&(fetched + 1)) {
                    fetched += 1;
                }
                ahead.retain(|n| *n > fetched);
            }
            if self.asks.take_set_clock() {
                // Its documented way: stop, set, start again, read back.
                let at = self.local_now().await.unwrap_or_default();
                for command in [
                    "STOPOPERATION".to_owned(),
                    format!("SETTIME;{}", at.format("%Y-%m-%d;%H:%M:%S%.3f")),
                    "STARTOPERATION".to_owned(),
                ] {
                    send(&mut writer, &command).await?;
                    let reply = next_line!();
                    if reply.contains("ERR") {
                        self.bad(&reply, format!("the decoder refused {command}"));
                    }
                }
                self.say(Event::State {
                    state: State::Connected,
                    detail: Some(format!("clock set to {}", at.format("%H:%M:%S%.3f"))),
                });
                // Read back at once.
                clock_read = tokio::time::Instant::now() - CLOCK;
            }
            if clock_read.elapsed() >= CLOCK {
                clock_read = tokio::time::Instant::now();
                send(&mut writer, "GETTIME").await?;
                let reply = next_line!();
                if let Some(at) = raceresult::time(&reply)
                    && let Some(at_ms) = self.instant(at).await
                {
                    self.clock_read(at_ms).await;
                }
            }
            send(&mut writer, "PASSINGS").await?;
            let reply = next_line!();
            let Some((count, now_file)) = raceresult::passings_count(&reply) else {
                self.bad(&reply, "not the answer to PASSINGS".into());
                continue;
            };
            if file != Some(now_file) {
                // Connected, or the decoder began a new file.
                file = Some(now_file);
                fetched = self.rr_fetched(now_file).await?;
                ahead.clear();
                pushed.clear();
            }
            if count < fetched {
                fetched = 0;
                ahead.clear();
            }
            if count == fetched {
                // Waits for the next poll, keeping what is pushed meanwhile
                // at once.
                let until = tokio::time::Instant::now() + POLL;
                while pushing && pushed.is_empty() {
                    let Ok(n) =
                        tokio::time::timeout_at(until, read_some(&mut reader, &mut buffer)).await
                    else {
                        break;
                    };
                    queue.extend(lines.push(&buffer[..n?]));
                    queue.retain(|line| !take_pushed(line, &mut pushed));
                }
                if !pushing {
                    tokio::time::sleep_until(until).await;
                }
                continue;
            }
            let n = (count - fetched).min(100);
            send(&mut writer, &format!("{}:{n}", fetched + 1)).await?;
            // n records (then an empty line, which Lines drops).
            let mut reads = Vec::new();
            for _ in 0..n {
                let line = next_line!();
                match raceresult::passing_in(&line, file.flatten()) {
                    Ok((_, read)) => reads.extend(read),
                    Err(e) => self.bad(&line, e),
                }
            }
            let last = fetched + n;
            self.keep(reads).await?;
            fetched = last;
            ahead.retain(|n| *n > fetched);
        }
    }
}

/// An LLRP connection: messages as they arrive, and our next message id.
struct LlrpLink {
    stream: TcpStream,
    frames: llrp::Frames,
    waiting: std::collections::VecDeque<llrp::Message>,
    buffer: Vec<u8>,
    next_id: u32,
}

impl LlrpLink {
    /// The next message; two keepalives missed (or nothing at all from a
    /// reader that never took our keepalive) end the link.
    async fn next(&mut self) -> Outcome<llrp::Message> {
        let silent = Duration::from_millis(u64::from(llrp::KEEPALIVE_MS) * 5 / 2);
        loop {
            if let Some(message) = self.waiting.pop_front() {
                return Ok(message);
            }
            let n = read_within(&mut self.stream, &mut self.buffer, silent).await?;
            let got = self.frames.push(&self.buffer[..n])?;
            self.waiting.extend(got);
        }
    }

    /// Sends a message of ours; its id.
    async fn send(&mut self, kind: u16, body: Vec<u8>) -> Outcome<u32> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let message = llrp::Message::new(kind, id, body);
        self.stream.write_all(&message.bytes()).await.map_err(io)?;
        Ok(id)
    }
}

async fn send(writer: &mut tokio::net::tcp::OwnedWriteHalf, command: &str) -> Outcome<()> {
    writer
        .write_all(format!("{command}\r\n").as_bytes())
        .await
        .map_err(io)
}
