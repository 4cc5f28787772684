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
    let mut input = tokio::io::BufReader::new(tokio::io::stdin());
    let (mut bad_lines, mut failed) = (0, 0);
    let mut number = 0;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match input.read_until(b'\n', &mut raw).await {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(Failure::Other(format!("standard input: {e}"))),
        }
        // The instant the line arrived, before anything else is done.
        let now = clock.now_ms();
        number += 1;
        // A line that is not UTF-8 is a bad line like any other: it is
        // refused by its number and the next one is read.
        let line = match std::str::from_utf8(trim_line_end(&raw)) {
            Ok(line) => Ok(line),
            Err(e) => Err(format!(
                "not text (a byte that is not UTF-8 at column {})",
                e.valid_up_to() + 1
            )),
        };
        // The acknowledgement line, once the row is on disk.
        let done: racedesk::Result<String> = if crossing {
            // The n-th line is the n-th runner across: a line that is not a
            // bib still takes its place, as a runner nobody caught, so every
            // later bib stays paired with its own time.
            let typed = match line {
                Ok(line) => Some(line.trim()).filter(|b| *b != "-" && !b.is_empty()),
                Err(why) => {
                    eprintln!("line {number}: {why}; kept as an uncaught runner (-)");
                    bad_lines += 1;
                    None
                }
            };
            let typed = match typed.map(|t| (t, racedesk::model::Bib::parse(t))) {
                Some((_, Ok(bib))) => Some(bib.to_string()),
                Some((text, Err(e))) => {
                    eprintln!(
                        "line {number}: {text:?} is not a bib ({e}); kept as an uncaught runner (-)"
                    );
                    bad_lines += 1;
                    None
                }
                None => None,
            };
            timing::enter_crossing(file, point, typed.as_deref(), station)
                .await
                .map(|entry| {
                    let bib = entry.bib.as_deref().unwrap_or("-");
                    format!("ok {} {bib} crossing", entry.id)
                })
        } else {
            match line {
                Err(why) => {
                    eprintln!("line {number}: {why}; not captured");
                    bad_lines += 1;
                    continue;
                }
                Ok(line) => {
                    let mut words = line.split_whitespace();
                    // `-` stands for no bib, so a time with none can be given: `- TIME`.
                    let (bib, at) = (words.next().filter(|b| *b != "-"), words.next());
                    let at_ms = match at {
                        Some(text) => {
                            parse_instant(text, event.date, event.time_zone).map_err(|e| {
                                Error::Invalid {
                                    field: "time",
                                    reason: e,
                                }
                            })
                        }
                        None => Ok(now),
                    };
                    match at_ms {
                        Ok(at_ms) => {
                            timing::capture(file, point, at_ms, bib, station)
                                .await
                                .map(|capture| {
                                    let bib = capture.bib.as_deref().unwrap_or("-");
                                    let time = format_instant_for(
                                        capture.at_ms,
                                        event.date,
                                        event.time_zone,
                                    );
                                    format!("ok {} {bib} {time}", capture.id)
                                })
                        }
                        Err(e) => Err(e),
                    }
                }
            }
        };
        match done {
            Ok(ack) => {
                let mut out = std::io::stdout().lock();
                if writeln!(out, "{ack}").and_then(|()| out.flush()).is_err() {
                    // The reader went away; what was captured is on disk.
                    return Ok(());
                }
            }
            Err(e) => {
                eprintln!("line {number}: {e}; not captured");
                if e.is_bad_input() {
                    bad_lines += 1;
                } else {
                    failed += 1;
                }
            }
        }
    }
    if failed > 0 {
        Err(Failure::Other(format!(
            "{failed} line(s) could not be written"
        )))
    } else if bad_lines > 0 {
        Err(Failure::BadInput(format!(
            "{bad_lines} line(s) were not captured"
        )))
    } else {
        Ok(())
    }
}

/// A line without its `\n` or `\r\n`.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
