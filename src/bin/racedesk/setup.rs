//! `event`, `race` and `demo`: the event and its races, set up by the
//! race director.

use std::path::Path;

use clap::{Args, Subcommand};

use crate::common::*;
use racedesk::model::{Checkpoint, Event, EventDate, TimeZone};
use racedesk::{Error, EventFile, roster, setup};

#[derive(Subcommand)]
pub enum EventCommand {
    /// Creates the event file and records the event in it.
    Init {
        #[arg(long)]
        name: String,
        /// Race day, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// IANA time zone, such as Asia/Pyongyang.
        #[arg(long)]
        tz: String,
        #[arg(long)]
        place: Option<String>,
    },
    /// Shows the event.
    Show,
}

#[derive(Subcommand)]
pub enum RaceCommand {
    /// Adds a race.
    Add(RaceArgs),
    /// Lists the races with their entrant counts.
    List,
    /// Changes a race: only the fields given (its code too, with --code).
    /// Its runners stay with it; on a shared event the change reaches
    /// every station.
    Edit {
        /// The race's code now.
        race: String,
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        distance_m: Option<u32>,
        #[arg(long)]
        age_groups: Option<String>,
        /// Reserved bibs; an empty value for any bib.
        #[arg(long)]
        bibs: Option<String>,
        /// Start waves in order, such as Elite,A,B; empty for one start.
        #[arg(long)]
        waves: Option<String>,
        #[arg(long)]
        checkpoints: Option<String>,
        /// The cutoff, H:MM[:SS]; empty for none.
        #[arg(long)]
        cutoff: Option<String>,
        /// Minutes late at the next point that mark a runner overdue on
        /// the still-on-the-course list; empty for 15.
        #[arg(long)]
        overdue: Option<String>,
        /// Course records, "2:05:30" or "M=2:05:30, F=2:23:00"; empty
        /// for none.
        #[arg(long)]
        records: Option<String>,
    },
    /// Removes a race that has no runners.
    Remove { race: String },
    /// Lists the walk-up bibs given to each station, race by race.
    Blocks,
    /// Gives a station a block of a race's bibs for walk-ups (without
    /// BIBS, takes its block back). Two desks with their own blocks never
    /// hand out the same bib, even offline.
    Block {
        /// The race's code.
        race: String,
        /// The station's id (as `racedesk stations` lists it).
        station: String,
        /// Bib ranges within the race's bibs, such as 900-949.
        bibs: Option<String>,
    },
    /// Gives every station joined to this hub (or those named) a block of
    /// SIZE free bibs of each race that has none yet.
    GiveBlocks {
        #[arg(long, default_value_t = 50)]
        size: usize,
        /// Only these stations (ids, comma-separated).
        #[arg(long, value_delimiter = ',')]
        stations: Vec<String>,
    },
}

#[derive(Args)]
pub struct RaceArgs {
    /// Short code: MAR, HALF, 10K.
    #[arg(long)]
    code: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    distance_m: u32,
    /// Age bands such as 18-39,40-44,...,80+, or five-year, ten-year, boston, open.
    #[arg(long, default_value = "open")]
    age_groups: String,
    /// Reserved bibs, such as 1-4999 or 1-4999,F1-F99.
    #[arg(long)]
    bibs: Option<String>,
    /// Start waves in order, such as Elite,A,B.
    #[arg(long)]
    waves: Option<String>,
    /// Checkpoints on the route with their distance in km, such as
    /// "5k,10k,half=21.0975" (a name like 10k says its distance).
    #[arg(long)]
    checkpoints: Option<String>,
    /// Rank by each runner's net time (from their own start passing).
    #[arg(long)]
    net_time: bool,
    /// No ranking past this official time, H:MM[:SS].
    #[arg(long)]
    cutoff: Option<String>,
    /// Minutes late at the next point that mark a runner overdue on the
    /// still-on-the-course list (15 when left out).
    #[arg(long)]
    overdue: Option<String>,
    /// Course records the announcer calls out when beaten: "2:05:30", or
    /// per gender "M=2:05:30, F=2:23:00".
    #[arg(long)]
    records: Option<String>,
}

pub async fn event(db: &Path, command: EventCommand, operator: &str) -> Result<(), Failure> {
    match command {
        EventCommand::Init {
            name,
            date,
            tz,
            place,
        } => {
            let event = Event {
                name: non_empty("name", name)?,
                date: EventDate::parse(&date).map_err(|e| bad("date", e))?,
                time_zone: TimeZone::parse(&tz).map_err(|e| bad("tz", e))?,
                place,
            };
            let existed = db.exists();
            let file = EventFile::create(db).await.map_err(Error::from)?;
            let result = setup::init_event(&file, &event, operator).await;
            file.close().await;
            if result.is_err() && !existed {
                remove_event_file(db);
            }
            result?;
            println!(
                "created {} for {} on {} ({})",
                db.display(),
                event.name,
                event.date,
                event.time_zone
            );
        }
        EventCommand::Show => {
            let file = open_to_read(db).await?;
            let event = setup::event(&file).await?;
            println!("name:      {}", event.name);
            println!("date:      {}", event.date);
            println!("time zone: {}", event.time_zone);
            println!("place:     {}", event.place.unwrap_or_default());
        }
    }
    Ok(())
}

pub async fn race(db: &Path, command: RaceCommand, operator: &str) -> Result<(), Failure> {
    match command {
        RaceCommand::Add(args) => {
            let form = setup::RaceForm {
                code: args.code,
                name: args.name,
                distance_m: args.distance_m,
                age_groups: args.age_groups,
                bibs: args.bibs.unwrap_or_default(),
                waves: args
                    .waves
                    .map(|w| w.split(',').map(str::to_owned).collect())
                    .unwrap_or_default(),
                checkpoints: args.checkpoints.unwrap_or_default(),
                net_time: args.net_time,
                cutoff: args.cutoff.unwrap_or_default(),
                overdue: args.overdue.unwrap_or_default(),
                records: args.records.unwrap_or_default(),
            };
            let race = form.parse()?;
            let file = open(db).await?;
            setup::add_race(&file, &race, operator).await?;
            println!(
                "added race {} ({}, {} m)",
                race.code, race.name, race.distance_m
            );
        }
        RaceCommand::Edit {
            race,
            code,
            name,
            distance_m,
            age_groups,
            bibs,
            waves,
            checkpoints,
            cutoff,
            overdue,
            records,
        } => {
            let current = racedesk::model::RaceCode::parse(&race)
                .map_err(|e| Failure::BadInput(format!("race: {e}")))?;
            let file = open(db).await?;
            let summary = setup::races(&file)
                .await?
                .into_iter()
                .find(|s| s.race.code == current)
                .ok_or_else(|| Failure::BadInput(format!("there is no race {current}")))?;
            let mut form = setup::RaceForm::from_race(&summary.race);
            form.code = code.unwrap_or(form.code);
            form.name = name.unwrap_or(form.name);
            form.distance_m = distance_m.unwrap_or(form.distance_m);
            form.age_groups = age_groups.unwrap_or(form.age_groups);
            form.bibs = bibs.unwrap_or(form.bibs);
            if let Some(waves) = waves {
                form.waves = waves
                    .split(',')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            form.checkpoints = checkpoints.unwrap_or(form.checkpoints);
            form.cutoff = cutoff.unwrap_or(form.cutoff);
            form.overdue = overdue.unwrap_or(form.overdue);
            form.records = records.unwrap_or(form.records);
            let changed = form.parse()?;
            setup::update_race(&file, &current, &changed, operator).await?;
            println!(
                "changed race {current}: now {} ({}, {} m)",
                changed.code, changed.name, changed.distance_m
            );
        }
        RaceCommand::Remove { race } => {
            let code = racedesk::model::RaceCode::parse(&race)
                .map_err(|e| Failure::BadInput(format!("race: {e}")))?;
            let file = open(db).await?;
            setup::remove_race(&file, &code, operator).await?;
            println!("removed race {code}");
        }
        RaceCommand::Blocks => {
            let file = open_to_read(db).await?;
            let mut out = String::new();
            for summary in setup::races(&file).await? {
                for block in &summary.blocks {
                    out.push_str(&format!(
                        "{}\t{}\t{}\n",
                        summary.race.code, block.station, block.bibs
                    ));
                }
            }
            emit(out.as_bytes())?;
        }
        RaceCommand::Block {
            race,
            station,
            bibs,
        } => {
            let file = open(db).await?;
            let bibs = bibs.unwrap_or_default();
            setup::set_block(&file, &race, &station, &bibs, operator).await?;
            let code = race.trim().to_uppercase();
            if bibs.trim().is_empty() {
                println!("{station} has no walk-up bibs of {code} now");
            } else {
                println!("{station} hands out walk-up bibs {} of {code}", bibs.trim());
            }
        }
        RaceCommand::GiveBlocks { size, stations } => {
            let file = open(db).await?;
            let stations = if stations.is_empty() {
                racedesk::sync::stations(&file)
                    .await?
                    .into_iter()
                    .filter(|s| !s.removed)
                    .map(|s| s.id)
                    .collect()
            } else {
                stations
            };
            let given = setup::give_blocks(&file, &stations, size, operator).await?;
            let mut out = String::new();
            for (race, block) in &given {
                out.push_str(&format!("{race}\t{}\t{}\n", block.station, block.bibs));
            }
            if given.is_empty() {
                out.push_str("every station already has a block of every race\n");
            }
            emit(out.as_bytes())?;
        }
        RaceCommand::List => {
            let file = open_to_read(db).await?;
            let mut out = format!(
                "{:<8} {:<24} {:>10} {:>9}  {:<28} {:<12} checkpoints\n",
                "code", "name", "distance_m", "entrants", "bibs", "age groups"
            );
            for summary in setup::races(&file).await? {
                let race = summary.race;
                let bibs = race
                    .bibs
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "any".into());
                out.push_str(&format!(
                    "{:<8} {:<24} {:>10} {:>9}  {:<28} {:<12} {}\n",
                    race.code,
                    race.name,
                    race.distance_m,
                    summary.entrants,
                    bibs,
                    race.age_groups.to_string(),
                    Checkpoint::list_text(&race.checkpoints)
                ));
            }
            emit(out.as_bytes())?;
        }
    }
    Ok(())
}

pub async fn demo(db: &Path, entrants: usize, operator: &str) -> Result<(), Failure> {
    roster::check_demo_size(entrants)?;
    let existed = db.exists();
    let file = EventFile::create(db).await.map_err(Error::from)?;
    let result = roster::demo(&file, entrants, operator).await;
    file.close().await;
    if result.is_err() && !existed {
        remove_event_file(db);
    }
    result?;
    println!(
        "created the demo event in {} with {entrants} entrants",
        db.display()
    );
    Ok(())
}

/// Removes an event file this run created and could not finish, with its
/// companions: all or nothing, so the next try is not refused.
pub fn remove_event_file(db: &Path) {
    for path in std::iter::once(db.to_owned()).chain(racedesk::store::companions(db)) {
        let _ = std::fs::remove_file(path);
    }
}
