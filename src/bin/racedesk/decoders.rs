//! `decoder`: chip decoders read live (connect to one, or listen for one)
//! or from their files, and what each has read.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::common::*;
use racedesk::decoders::{self, Decoder, Kept, Kind, live, simulate};
use racedesk::model::format_instant_for;

/// What every decoder command is told about the decoder.
#[derive(Args)]
pub struct Setup {
    /// The timing point the decoder's mat is at: finish, start or a checkpoint.
    #[arg(long)]
    point: String,
    /// Its name (reads are kept under it: a file imported later under the
    /// same name adds only what the live reads missed); the kind when left out.
    #[arg(long)]
    name: Option<String>,
    /// Reads of one chip within this many seconds of its first make no
    /// passing of their own (a runner standing on the mat).
    #[arg(long, default_value_t = 3.0)]
    window: f64,
    /// The tag's number is the bib (the roster has no chips).
    #[arg(long)]
    bib_as_chip: bool,
    /// The last read of a chip in the window counts, not the first (a
    /// start mat scored on the runner leaving it).
    #[arg(long)]
    last_read: bool,
    /// Antennas or locations at other points than --point:
    /// "1=start, 2=finish" (ChronoTrack names its locations).
    #[arg(long)]
    points: Option<String>,
    /// The station's name, recorded with each passing.
    #[arg(long, default_value = "cli")]
    station: String,
    /// Sets the decoder's clock to this laptop's once connected (RACE
    /// RESULT, Ultra): the timer's say-so; never done otherwise.
    #[arg(long)]
    set_clock: bool,
    /// Starts RACE at the decoder's gun marker (a MYLAPS Gunshot, a
    /// ChronoTrack gun time): the timer's say-so; otherwise a gun marker
    /// is printed and starts nothing.
    #[arg(long, value_name = "RACE")]
    gun_starts: Option<String>,
}

#[derive(Subcommand)]
pub enum DecoderCommand {
    /// Connects to a decoder (raceresult, ultra, ipico, llrp) and keeps every
    /// read until stopped, printing one line per read once it is on disk;
    /// connects again by itself when the decoder goes.
    Connect {
        kind: String,
        /// ADDRESS[:PORT]; the kind's usual port when left out.
        address: String,
        #[command(flatten)]
        setup: Setup,
    },
    /// Listens for a decoder's software that connects to us (mylaps,
    /// chronotrack) and keeps every read until stopped, printing one line
    /// per read once it is on disk.
    Listen {
        kind: String,
        /// The port; the kind's usual one (MYLAPS 3097, ChronoTrack 3000) when left out.
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        setup: Setup,
    },
    /// Imports a decoder's file of reads; reads already kept add nothing.
    Import {
        kind: String,
        path: PathBuf,
        #[command(flatten)]
        setup: Setup,
    },
    /// The decoders set up here, with their reads: how many, in the last
    /// minute, and the last one.
    List,
    /// Gives the passings made by the reads of CHIP to the runner who holds
    /// it now (a chip changed at the desk after it was read): reads keep
    /// the runner their chip had when they came unless the timer says so
    /// with this. Each change is a correction with its reason.
    Give {
        chip: String,
        /// The station's name, recorded with each correction.
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Plays a decoder of KIND over the network for a dry run or a test:
    /// a mass finish of this event's runners, each read several times on
    /// the mat, the connection dropped once. It listens as the decoder
    /// (raceresult, ultra, ipico, llrp) or connects to racedesk as the vendor's
    /// software (mylaps, chronotrack: --to). Prints `made INDEX CHIP TIME`
    /// per read the decoder made, until stopped. Writes nothing to the file.
    Simulate {
        kind: String,
        /// The port to listen on as the decoder; the kind's usual one when
        /// left out (0: any free port, printed).
        #[arg(long)]
        port: Option<u16>,
        /// racedesk's ADDRESS:PORT, for a decoder's software that connects
        /// to it (mylaps, chronotrack).
        #[arg(long)]
        to: Option<String>,
        /// How many runners cross (the whole roster when left out).
        #[arg(long)]
        runners: Option<usize>,
        /// From the first runner to the last, in minutes.
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        /// Reads of each runner after the first (standing on the mat).
        #[arg(long, default_value_t = 5)]
        rereads: u32,
        /// Drops the connection once, this many seconds in (40% of the
        /// finish when left out).
        #[arg(long)]
        drop_after: Option<f64>,
        /// Never drops the connection.
        #[arg(long)]
        steady: bool,
        /// The decoder's clock, this many seconds ahead of the laptop's
        /// (behind when negative).
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        clock_off: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn kind(text: &str) -> Result<Kind, Failure> {
    Kind::parse(text).ok_or_else(|| {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        Failure::BadInput(format!(
            "{text:?} is not a kind of decoder: one of {}",
            kinds.join(", ")
        ))
    })
}

fn decoder(
    kind: Kind,
    setup: &Setup,
    address: Option<String>,
    port: Option<u16>,
) -> Result<Decoder, Failure> {
    if !setup.window.is_finite() || setup.window < 0.0 || setup.window > 3600.0 {
        return Err(Failure::BadInput(format!(
            "--window {}: seconds from 0 to 3600",
            setup.window
        )));
    }
    Ok(Decoder {
        name: setup.name.clone().unwrap_or_else(|| kind.name().to_owned()),
        kind,
        address,
        port,
        point: setup.point.clone(),
        window_ms: (setup.window * 1000.0).round() as i64,
        bib_as_chip: setup.bib_as_chip,
        last_read: setup.last_read,
        points: setup.points.clone(),
    })
}

pub async fn run(db: &Path, command: DecoderCommand, operator: &str) -> Result<(), Failure> {
    let file = open(db).await?;
    let (decoder, setup) = match command {
        DecoderCommand::List => return list(&file).await,
        DecoderCommand::Give { chip, station } => {
            let station = station_of(station, operator)?;
            let given = decoders::give_reads(&file, &chip, &station).await?;
            println!("{given} passings of chip {chip} given to the runner who holds it now");
            return Ok(());
        }
        DecoderCommand::Simulate {
            kind: k,
            port,
            to,
            runners,
            minutes,
            rereads,
            drop_after,
            steady,
            clock_off,
            seed,
        } => {
            let seconds = |flag: &str, value: f64, most: f64| {
                if value.is_finite() && value.abs() <= most {
                    Ok(value)
                } else {
                    Err(Failure::BadInput(format!(
                        "--{flag} {value}: up to {most} seconds"
                    )))
                }
            };
            if !(minutes.is_finite() && minutes > 0.0 && minutes <= 24.0 * 60.0) {
                return Err(Failure::BadInput(format!(
                    "--minutes {minutes}: more than 0, up to 1440 (a day)"
                )));
            }
            let plan = simulate::Plan {
                runners: runners.unwrap_or(usize::MAX),
                finish: std::time::Duration::from_secs_f64(minutes * 60.0),
                rereads: rereads.min(1000),
                drop_after: match (steady, drop_after) {
                    (true, _) => None,
                    (false, Some(s)) => Some(std::time::Duration::from_secs_f64(
                        seconds("drop-after", s, 86_400.0)?.abs(),
                    )),
                    (false, None) => Some(std::time::Duration::from_secs_f64(minutes * 24.0)),
                },
                clock_off: chrono::Duration::milliseconds(
                    (seconds("clock-off", clock_off, 86_400.0)? * 1000.0) as i64,
                ),
                seed,
            };
            return simulate(&file, kind(&k)?, port, to, plan).await;
        }
        DecoderCommand::Import {
            kind: k,
            path,
            setup,
        } => {
            let decoder = decoder(kind(&k)?, &setup, None, None)?;
            decoders::save_decoder(&file, &decoder).await?;
            let station = station_of(setup.station, operator)?;
            let done = decoders::import(&file, &decoder, &path, &station).await?;
            println!(
                "{} reads: {} added ({} passings), {} already kept",
                done.reads, done.added, done.passings, done.already
            );
            return Ok(());
        }
        DecoderCommand::Connect {
            kind: k,
            address,
            setup,
        } => {
            let kind = kind(&k)?;
            if kind.listens() {
                return Err(Failure::BadInput(format!(
                    "a {} decoder connects to us: racedesk decoder listen {}",
                    kind.name(),
                    kind.name()
                )));
            }
            (decoder(kind, &setup, Some(address), None)?, setup)
        }
        DecoderCommand::Listen {
            kind: k,
            port,
            setup,
        } => {
            let kind = kind(&k)?;
            if !kind.listens() {
                return Err(Failure::BadInput(format!(
                    "racedesk connects to a {} decoder: racedesk decoder connect {} ADDRESS",
                    kind.name(),
                    kind.name()
                )));
            }
            (
                decoder(kind, &setup, None, Some(port.unwrap_or(kind.port())))?,
                setup,
            )
        }
    };
    decoders::save_decoder(&file, &decoder).await?;
    let set_clock = setup.set_clock;
    let station = station_of(setup.station, operator)?;
    let event = racedesk::setup::event(&file).await?;
    let (day, zone) = (event.date, event.time_zone);
    let (send, mut events) = tokio::sync::mpsc::unbounded_channel();
    let asks = std::sync::Arc::new(live::Asks::default());
    if set_clock {
        if !decoder.kind.sets_clock() {
            return Err(Failure::BadInput(format!(
                "--set-clock: racedesk has no way to set the clock of a decoder of kind {}",
                decoder.kind.name()
            )));
        }
        asks.set_clock();
    }
    let gun_starts = setup.gun_starts.map(|r| r.trim().to_owned());
    if let Some(race) = &gun_starts {
        let races = racedesk::setup::races(&file).await?;
        if !races
            .iter()
            .any(|r| r.race.code.as_str().eq_ignore_ascii_case(race))
        {
            return Err(Failure::BadInput(format!(
                "--gun-starts: this event has no race {race:?}"
            )));
        }
        if !decoder.kind.listens() {
            return Err(Failure::BadInput(format!(
                "--gun-starts: a {} decoder sends no gun marker (MYLAPS and ChronoTrack do)",
                decoder.kind.name()
            )));
        }
    }
    let task = tokio::spawn(live::run(
        file.clone(),
        decoder.clone(),
        station.clone(),
        send,
        asks,
    ));
    let printing = async {
        while let Some(event) = events.recv().await {
            match event {
                live::Event::Read { read, kept } => {
                    let line = match kept {
                        Kept::New {
                            passing,
                            bib,
                            at_ms,
                        } => format!(
                            "read {} {} {} {} {}",
                            decoder.name,
                            read.chip,
                            format_instant_for(at_ms, day, zone),
                            bib.as_deref().unwrap_or("-"),
                            if passing.is_some() {
                                "passing"
                            } else {
                                "re-read"
                            }
                        ),
                        Kept::Again => {
                            format!("again {} {} {}", decoder.name, read.chip, read.at.text())
                        }
                        Kept::Refused(why) => {
                            format!("refused {} {} {why}", decoder.name, read.chip)
                        }
                    };
                    // Printed after the commit: a line here is a read on disk.
                    let mut out = std::io::stdout().lock();
                    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                        return;
                    }
                }
                live::Event::State { state, detail } => eprintln!(
                    "{} {}{}",
                    decoder.name,
                    serde_json::to_value(state)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    detail.map(|d| format!(": {d}")).unwrap_or_default()
                ),
                live::Event::Bad { line, reason } => {
                    eprintln!("{}: not a read: {line:?}: {reason}", decoder.name)
                }
                live::Event::Clock(offset) => eprintln!(
                    "{} clock {offset:+} ms off this laptop's{}",
                    decoder.name,
                    if offset.abs() >= 1000 && decoder.kind.sets_clock() {
                        ": OFF (--set-clock sets it)"
                    } else if offset.abs() >= 1000 {
                        ": OFF"
                    } else {
                        ""
                    }
                ),
                live::Event::Voltage(volts) => eprintln!("{} battery {volts:.1} V", decoder.name),
                live::Event::Status(digits) => eprintln!("{} status S={digits}", decoder.name),
                live::Event::Location { location, point } => eprintln!(
                    "{} new location {location}: its reads count at {point} (--points \"{location}=POINT\" for another)",
                    decoder.name
                ),
                live::Event::Gun(at_ms) => {
                    let at = format_instant_for(at_ms, day, zone);
                    let Some(race) = &gun_starts else {
                        eprintln!(
                            "{} gun marker at {at} (--gun-starts RACE starts a race at it)",
                            decoder.name
                        );
                        continue;
                    };
                    let started = racedesk::timing::start_race(
                        &file, race, None, at_ms, false, None, &station,
                    )
                    .await;
                    let mut out = std::io::stdout().lock();
                    let line = match started {
                        Ok(()) => {
                            format!("started {race} at {at} by {}'s gun marker", decoder.name)
                        }
                        // A race already started is not moved by a marker:
                        // that takes the timer and a reason.
                        Err(e) => format!("not started {race} at {at}: {e}"),
                    };
                    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                        return;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = printing => {}
        () = crate::sync::stopped() => {}
    }
    task.abort();
    Ok(())
}

async fn list(file: &racedesk::EventFile) -> Result<(), Failure> {
    let event = racedesk::setup::event(file).await?;
    let (day, zone) = (event.date, event.time_zone);
    let mut out = String::new();
    for seen in decoders::seen(file).await? {
        out.push_str(&format!(
            "{} {} point {} window {} ms: {} reads, {} in the last minute{}{}\n",
            seen.decoder.name,
            seen.decoder.kind.name(),
            seen.decoder.point,
            seen.decoder.window_ms,
            seen.reads,
            seen.last_minute,
            seen.last
                .map(|(chip, at_ms)| format!(
                    ", last chip {chip} at {}",
                    format_instant_for(at_ms, day, zone)
                ))
                .unwrap_or_default(),
            seen.clock
                .map(|(offset, read_ms)| format!(
                    ", clock {offset:+} ms off this laptop's{} (read at {})",
                    if offset.abs() >= 1000 { ": OFF" } else { "" },
                    format_instant_for(read_ms, day, zone)
                ))
                .unwrap_or_default()
        ));
    }
    emit(out.as_bytes())
}

async fn simulate(
    file: &racedesk::EventFile,
    kind: Kind,
    port: Option<u16>,
    to: Option<String>,
    plan: simulate::Plan,
) -> Result<(), Failure> {
    let target = if kind.listens() {
        let Some(to) = to else {
            return Err(Failure::BadInput(format!(
                "a {} exporter connects to racedesk: --to ADDRESS:PORT",
                kind.name()
            )));
        };
        simulate::Target::Connect(to)
    } else {
        let port = port.unwrap_or(kind.port());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| Failure::BadInput(format!("cannot listen on port {port}: {e}")))?;
        simulate::Target::Listen(listener)
    };
    let event = racedesk::setup::event(file).await?;
    let chips = simulate::roster_chips(file).await?;
    if chips.is_empty() {
        return Err(Failure::BadInput(
            "the roster is empty: nobody to read".into(),
        ));
    }
    let start = chrono::Utc::now()
        .with_timezone(&event.time_zone.0)
        .naive_local()
        + plan.clock_off;
    let reads = simulate::finish(&chips, &plan, start);
    eprintln!(
        "{} simulated: {} reads of {} runners over {:.0} s",
        kind.name(),
        reads.len(),
        chips.len().min(plan.runners),
        plan.finish.as_secs_f64()
    );
    let (send, mut said) = tokio::sync::mpsc::unbounded_channel();
    let zone = event.time_zone;
    let playing =
        tokio::spawn(async move { simulate::play(kind, target, reads, &plan, zone, send).await });
    let printing = async {
        while let Some(said) = said.recv().await {
            match said {
                simulate::Said::Made(read) => {
                    let mut out = std::io::stdout().lock();
                    let line = format!("made {} {} {}", read.index, read.chip, read.time_text());
                    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                        return;
                    }
                }
                simulate::Said::Listening(port) => eprintln!("listening on 127.0.0.1:{port}"),
                simulate::Said::Connected(with) => eprintln!("connected: {with}"),
                simulate::Said::Dropped(why) => eprintln!("connection ended: {why}"),
                simulate::Said::Played(n) => eprintln!("the finish is played: {n} reads"),
            }
        }
    };
    tokio::select! {
        () = printing => {}
        () = crate::sync::stopped() => {}
    }
    playing.abort();
    Ok(())
}
