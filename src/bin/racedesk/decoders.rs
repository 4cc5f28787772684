//! `decoder`: chip decoders read live (connect to one, or listen for one)
//! or from their files, and what each has read.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::common::*;
use racedesk::decoders::{self, Decoder, Kept, Kind, live};
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
    /// The station's name, recorded with each passing.
    #[arg(long, default_value = "cli")]
    station: String,
}

#[derive(Subcommand)]
pub enum DecoderCommand {
    /// Connects to a decoder (raceresult, ultra, ipico) and keeps every
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
    })
}

pub async fn run(db: &Path, command: DecoderCommand, operator: &str) -> Result<(), Failure> {
    let file = open(db).await?;
    let (decoder, setup) = match command {
        DecoderCommand::List => return list(&file).await,
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
    let station = station_of(setup.station, operator)?;
    let event = racedesk::setup::event(&file).await?;
    let (day, zone) = (event.date, event.time_zone);
    let (send, mut events) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(live::run(file.clone(), decoder.clone(), station, send));
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
                live::Event::Clock(offset) => {
                    eprintln!("{} clock {offset:+} ms off this laptop's", decoder.name)
                }
                live::Event::Voltage(volts) => eprintln!("{} battery {volts:.1} V", decoder.name),
                live::Event::Gun(at_ms) => eprintln!(
                    "{} gun marker at {}",
                    decoder.name,
                    format_instant_for(at_ms, day, zone)
                ),
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
            "{} {} point {} window {} ms: {} reads, {} in the last minute{}\n",
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
                .unwrap_or_default()
        ));
    }
    emit(out.as_bytes())
}
