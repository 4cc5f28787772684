//! `start`, `record`, `reads` and `correct`: the finish line from a
//! terminal.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::common::*;
use racedesk::model::{Station, format_instant_for, parse_instant};
use racedesk::{Error, EventFile, setup, timing};

#[derive(Args)]
pub struct StartArgs {
    /// The race's code, such as MAR.
    race: String,
    #[arg(long)]
    wave: Option<String>,
    /// The gun time, YYYY-MM-DDTHH:MM:SS[.fff] or HH:MM:SS[.fff] on race
    /// day, in the event's time zone; now when left out.
    #[arg(long)]
    at: Option<String>,
    /// Why a start already recorded changes (required then).
    #[arg(long)]
    reason: Option<String>,
    /// The station's name, recorded with the start.
    #[arg(long, default_value = "cli")]
    station: String,
    /// Takes the standing start back (a gun pressed by mistake): a new
    /// row; the race has no start until the next one.
    #[arg(long, conflicts_with = "at")]
    undo: bool,
}

#[derive(Args)]
pub struct RecordArgs {
    /// The timing point: start, finish or a checkpoint's name.
    #[arg(long, default_value = "finish")]
    point: String,
    /// Bibs in crossing order (the second operator), not captures.
    #[arg(long)]
    crossing: bool,
    /// The station's name, recorded with each capture.
    #[arg(long, default_value = "cli")]
    station: String,
}

#[derive(Subcommand)]
pub enum ReadsCommand {
    /// Imports reads from a CSV file (`bib,time[,point]` or
    /// `chip,time[,point]`, in capture order); the same file twice adds nothing.
    Import {
        path: PathBuf,
        /// The timing point of rows that do not name one.
        #[arg(long, default_value = "finish")]
        point: String,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Every capture as it stands after corrections.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Csv)]
        format: ListFormat,
    },
    /// One capture and each correction of it.
    History { id: String },
    /// Runners marked DNS, DNF or DQ, with the reasons (JSON).
    Statuses,
    /// Two-operator timing at a point: the n-th time with the n-th bib
    /// typed in crossing order, with what waits for a bib or a time (JSON).
    Pairs {
        #[arg(long, default_value = "finish")]
        point: String,
    },
}

#[derive(Subcommand)]
pub enum CorrectCommand {
    /// Gives a capture a bib, or changes the one it has.
    Bib {
        id: String,
        bib: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Changes a capture's time (HH:MM:SS[.fff] on race day, or a datetime).
    Time {
        id: String,
        time: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Voids a capture (a double tap, a pacer): it stays on file, marked void.
    Void {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Inserts a finisher the timers missed.
    Insert {
        bib: String,
        time: String,
        #[arg(long, default_value = "finish")]
        point: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Two operators: a time the tapping operator missed (no bib: it takes
    /// the bib typed in crossing order); later bibs move one time later.
    InsertTime {
        time: String,
        #[arg(long, default_value = "finish")]
        point: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Two operators: a bib (or `-` for an uncaught one) inserted in the
    /// crossing order before the row BEFORE; later bibs move one time later.
    InsertBib {
        bib: String,
        #[arg(long)]
        before: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Two operators: takes a bib out of the crossing order; later bibs
    /// move one time earlier.
    DropBib {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Lists each station's captures made while joined to a hub, point by
    /// point, with the clock offset they were made with (the station's
    /// clock minus the hub's).
    Clocks {
        #[arg(long)]
        json: bool,
    },
    /// Corrects the captures STATION made at POINT by the clock offset
    /// each was made with (a checkpoint laptop whose clock ran fast).
    /// Captures whose time was corrected already stay as they are.
    Clock {
        /// The station's id, as `correct clocks` lists it.
        of: String,
        #[arg(long)]
        point: String,
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Marks a runner DNS, DNF or DQ (or OK to take it back).
    Status {
        bib: String,
        status: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long, default_value = "cli")]
        station: String,
    },
}

pub async fn start(db: &Path, args: StartArgs, operator: &str) -> Result<(), Failure> {
    let StartArgs {
        race,
        wave,
        at,
        reason,
        station,
        undo,
    } = args;
    let file = open(db).await?;
    let event = setup::event(&file).await?;
    if undo {
        let station = station_of(station, operator)?;
        timing::undo_start(&file, &race, wave.as_deref(), reason.as_deref(), &station).await?;
        println!(
            "start of {}{} undone",
            race.to_ascii_uppercase(),
            wave.map(|w| format!(" wave {w}")).unwrap_or_default()
        );
        return Ok(());
    }
    let clock = timing::CaptureClock::system();
    let at_ms = match &at {
        Some(text) => parse_instant(text, event.date, event.time_zone).map_err(|e| bad("at", e))?,
        None => clock.now_ms(),
    };
    let station = station_of(station, operator)?;
    timing::start_race(
        &file,
        &race,
        wave.as_deref(),
        at_ms,
        at.is_some(),
        reason.as_deref(),
        &station,
    )
    .await?;
    println!(
        "started {}{} at {}",
        race.to_ascii_uppercase(),
        wave.map(|w| format!(" wave {w}")).unwrap_or_default(),
        format_instant_for(at_ms, event.date, event.time_zone)
    );
    Ok(())
}

pub async fn record_lines(db: &Path, args: RecordArgs, operator: &str) -> Result<(), Failure> {
    let RecordArgs {
        point,
        crossing,
        station,
    } = args;
    let file = open(db).await?;
    let station = station_of(station, operator)?;
    record(&file, &point, crossing, &station).await?;
    Ok(())
}

pub async fn reads(db: &Path, command: ReadsCommand, operator: &str) -> Result<(), Failure> {
    let file = if matches!(command, ReadsCommand::Import { .. }) {
        open(db).await?
    } else {
        open_to_read(db).await?
    };
    match command {
        ReadsCommand::Import {
            path,
            point,
            station,
        } => {
            let station = station_of(station, operator)?;
            let done = timing::import_reads(&file, &path, &point, &station).await?;
            println!(
                "{} reads: {} added, {} already in the file",
                done.rows, done.added, done.already
            );
        }
        ReadsCommand::List { format } => {
            let reads = timing::reads(&file).await?;
            let mut out = Vec::new();
            match format {
                ListFormat::Csv => timing::write_reads_csv(&reads, &mut out)?,
                ListFormat::Json => json_to(&mut out, &reads)?,
            }
            emit(&out)?;
        }
        ReadsCommand::History { id } => {
            let mut out = Vec::new();
            json_to(&mut out, &timing::history(&file, &id).await?)?;
            emit(&out)?;
        }
        ReadsCommand::Statuses => {
            let mut out = Vec::new();
            json_to(&mut out, &timing::statuses(&file).await?)?;
            emit(&out)?;
        }
        ReadsCommand::Pairs { point } => {
            let mut out = Vec::new();
            json_to(&mut out, &timing::pairing(&file, &point).await?)?;
            emit(&out)?;
        }
    }
    Ok(())
}

pub async fn correct(db: &Path, command: CorrectCommand, operator: &str) -> Result<(), Failure> {
    if let CorrectCommand::Clocks { json } = command {
        let file = open_to_read(db).await?;
        let offsets = timing::station_offsets(&file).await?;
        let mut out = Vec::new();
        if json {
            json_to(&mut out, &offsets)?;
        } else {
            for o in &offsets {
                out.extend_from_slice(
                    format!(
                        "{}\t{}\t{}\t{} captures\toffset {:+.3} s to {:+.3} s\t{} corrected\n",
                        o.station,
                        o.name,
                        o.point,
                        o.captures,
                        o.min_offset_ms as f64 / 1000.0,
                        o.max_offset_ms as f64 / 1000.0,
                        o.corrected
                    )
                    .as_bytes(),
                );
            }
        }
        return emit(&out);
    }
    let file = open(db).await?;
    let event = setup::event(&file).await?;
    let instant = |field: &str, text: &str| {
        parse_instant(text, event.date, event.time_zone).map_err(|e| bad(field, e))
    };
    match command {
        CorrectCommand::Bib {
            id,
            bib,
            reason,
            station,
        } => {
            let station = station_of(station, operator)?;
            timing::correct(
                &file,
                &id,
                timing::Correction::Bib(bib.clone()),
                reason.as_deref(),
                &station,
            )
            .await?;
            println!("capture {id} now has bib {bib}");
        }
        CorrectCommand::InsertTime {
            time,
            point,
            reason,
            station,
        } => {
            let at_ms = instant("time", &time)?;
            let station = station_of(station, operator)?;
            let capture = timing::insert_time(&file, &point, at_ms, &reason, &station).await?;
            println!("time {} inserted at {point} as {}", time, capture.id);
        }
        CorrectCommand::InsertBib {
            bib,
            before,
            reason,
            station,
        } => {
            let station = station_of(station, operator)?;
            let typed = Some(bib.trim()).filter(|b| *b != "-" && !b.is_empty());
            let crossing =
                timing::insert_crossing(&file, &before, typed, &reason, &station).await?;
            println!(
                "bib {} inserted before {before} as {}",
                typed.unwrap_or("-"),
                crossing.id
            );
        }
        CorrectCommand::DropBib {
            id,
            reason,
            station,
        } => {
            let station = station_of(station, operator)?;
            timing::drop_crossing(&file, &id, &reason, &station).await?;
            println!("bib {id} dropped from the crossing order");
        }
        CorrectCommand::Time {
            id,
            time,
            reason,
            station,
        } => {
            let at_ms = instant("time", &time)?;
            let station = station_of(station, operator)?;
            timing::correct(
                &file,
                &id,
                timing::Correction::Time(at_ms),
                reason.as_deref(),
                &station,
            )
            .await?;
            println!(
                "capture {id} now at {}",
                format_instant_for(at_ms, event.date, event.time_zone)
            );
        }
        CorrectCommand::Clock { of, point, station } => {
            let station = station_of(station, operator)?;
            let done = timing::apply_offset(&file, &of, &point, &station).await?;
            println!("{done} captures of {of} at {point} corrected by their clock offset");
        }
        CorrectCommand::Clocks { .. } => {}
        CorrectCommand::Void {
            id,
            reason,
            station,
        } => {
            let station = station_of(station, operator)?;
            timing::correct(
                &file,
                &id,
                timing::Correction::Void,
                Some(&reason),
                &station,
            )
            .await?;
            println!("capture {id} voided");
        }
        CorrectCommand::Insert {
            bib,
            time,
            point,
            reason,
            station,
        } => {
            let at_ms = instant("time", &time)?;
            let station = station_of(station, operator)?;
            let capture =
                timing::insert_missed(&file, &point, &bib, at_ms, &reason, &station).await?;
            println!(
                "ok {} {} {}",
                capture.id,
                capture.bib.unwrap_or_else(|| "-".into()),
                format_instant_for(capture.at_ms, event.date, event.time_zone)
            );
        }
        CorrectCommand::Status {
            bib,
            status,
            reason,
            station,
        } => {
            let parsed = timing::Status::parse(&status).map_err(|e| bad("status", e))?;
            let station = station_of(station, operator)?;
            timing::set_status(&file, &bib, parsed, &reason, &station).await?;
            println!("bib {bib}: {}", status.to_ascii_uppercase());
        }
    }
    Ok(())
}

/// `record`: one capture per line of standard input, each acknowledged on
/// standard output only after its COMMIT. A bad line or a failed write
/// (a full disk) is reported on stderr and the next line is taken, so
/// capturing resumes when the cause is gone.
async fn record(
    file: &EventFile,
    point: &str,
    crossing: bool,
    station: &Station,
) -> Result<(), Failure> {
    use tokio::io::AsyncBufReadExt;
    let event = setup::event(file).await?;
    let clock = timing::CaptureClock::system();
    let mut input = tokio::io::BufReader::with_capacity(64 * 1024, tokio::io::stdin());
    let mut tally = Tally::default();
    let mut number = 0;
    loop {
        // One line awaited, then every whole line that arrived with it:
        // captures that arrive together are committed together, each
        // acknowledged after that COMMIT (a timer typing gets one line a
        // commit; a decoder's burst does not queue behind fsyncs).
        let mut lines = Vec::new();
        loop {
            let mut raw = Vec::new();
            match input.read_until(b'\n', &mut raw).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(Failure::Other(format!("standard input: {e}"))),
            }
            // The instant the line arrived, before anything else is done.
            number += 1;
            lines.push((number, clock.now_ms(), raw));
            if lines.len() >= BATCH || !input.buffer().contains(&b'\n') {
                break;
            }
        }
        if lines.is_empty() {
            break;
        }
        let acks = if crossing {
            crossings(file, point, station, &lines, &mut tally).await
        } else {
            passings(file, point, station, &event, &lines, &mut tally).await
        };
        let mut out = std::io::stdout().lock();
        for ack in acks {
            if writeln!(out, "{ack}").is_err() {
                // The reader went away; what was captured is on disk.
                return Ok(());
            }
        }
        if out.flush().is_err() {
            return Ok(());
        }
    }
    if tally.failed > 0 {
        Err(Failure::Other(format!(
            "{} line(s) could not be written",
            tally.failed
        )))
    } else if tally.bad_lines > 0 {
        Err(Failure::BadInput(format!(
            "{} line(s) were not captured",
            tally.bad_lines
        )))
    } else {
        Ok(())
    }
}

/// Most lines committed together.
const BATCH: usize = 1000;

/// Lines refused (bad input) and lines that could not be written.
#[derive(Default)]
struct Tally {
    bad_lines: usize,
    failed: usize,
}

impl Tally {
    fn refused(&mut self, number: usize, e: &Error) {
        eprintln!("line {number}: {e}; not captured");
        if e.is_bad_input() {
            self.bad_lines += 1;
        } else {
            self.failed += 1;
        }
    }
}

/// The line as text; a line that is not UTF-8 is a bad line like any
/// other, refused by its number.
fn text_of(raw: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(trim_line_end(raw)).map_err(|e| {
        format!(
            "not text (a byte that is not UTF-8 at column {})",
            e.valid_up_to() + 1
        )
    })
}

/// Passings: `BIB`, an empty line (a tap), or `BIB TIME` / `- TIME`.
async fn passings(
    file: &EventFile,
    point: &str,
    station: &Station,
    event: &racedesk::model::Event,
    lines: &[(usize, i64, Vec<u8>)],
    tally: &mut Tally,
) -> Vec<String> {
    let mut wanted = Vec::new();
    for (number, now, raw) in lines {
        let line = match text_of(raw) {
            Ok(line) => line,
            Err(why) => {
                eprintln!("line {number}: {why}; not captured");
                tally.bad_lines += 1;
                continue;
            }
        };
        let mut words = line.split_whitespace();
        // `-` stands for no bib, so a time with none can be given: `- TIME`.
        let (bib, at) = (words.next().filter(|b| *b != "-"), words.next());
        let at_ms = match at {
            Some(text) => match parse_instant(text, event.date, event.time_zone) {
                Ok(at_ms) => at_ms,
                Err(reason) => {
                    tally.refused(
                        *number,
                        &Error::Invalid {
                            field: "time",
                            reason,
                        },
                    );
                    continue;
                }
            },
            None => *now,
        };
        wanted.push((*number, at_ms, bib));
    }
    if wanted.is_empty() {
        return Vec::new();
    }
    let items: Vec<(i64, Option<&str>)> = wanted.iter().map(|(_, at, bib)| (*at, *bib)).collect();
    let done = match timing::capture_all(file, point, &items, station).await {
        Ok(done) => done,
        Err(e) => {
            // Nothing of the lot was written (a full disk): each line says so.
            for (number, ..) in &wanted {
                tally.refused(*number, &e);
            }
            return Vec::new();
        }
    };
    let mut acks = Vec::new();
    for ((number, ..), result) in wanted.iter().zip(done) {
        match result {
            Ok(capture) => {
                let bib = capture.bib.as_deref().unwrap_or("-");
                let time = format_instant_for(capture.at_ms, event.date, event.time_zone);
                acks.push(format!("ok {} {bib} {time}", capture.id));
            }
            Err(e) => tally.refused(*number, &e),
        }
    }
    acks
}

/// The crossing order: the n-th line is the n-th runner across; a line
/// that is not a bib still takes its place, as a runner nobody caught, so
/// every later bib stays paired with its own time.
async fn crossings(
    file: &EventFile,
    point: &str,
    station: &Station,
    lines: &[(usize, i64, Vec<u8>)],
    tally: &mut Tally,
) -> Vec<String> {
    let mut acks = Vec::new();
    for (number, _, raw) in lines {
        let typed = match text_of(raw) {
            Ok(line) => Some(line.trim()).filter(|b| *b != "-" && !b.is_empty()),
            Err(why) => {
                eprintln!("line {number}: {why}; kept as an uncaught runner (-)");
                tally.bad_lines += 1;
                None
            }
        };
        let typed = match typed.map(|t| (t, racedesk::model::Bib::parse(t))) {
            Some((_, Ok(bib))) => Some(bib.to_string()),
            Some((text, Err(e))) => {
                eprintln!(
                    "line {number}: {text:?} is not a bib ({e}); kept as an uncaught runner (-)"
                );
                tally.bad_lines += 1;
                None
            }
            None => None,
        };
        match timing::enter_crossing(file, point, typed.as_deref(), station).await {
            Ok(entry) => {
                let bib = entry.bib.as_deref().unwrap_or("-");
                acks.push(format!("ok {} {bib} crossing", entry.id));
            }
            Err(e) => tally.refused(*number, &e),
        }
    }
    acks
}

/// A line without its `\n` or `\r\n`.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
