//! `checkin`: the start-line desk from a terminal.

use std::path::Path;

use clap::{Args, Subcommand, ValueEnum};

use crate::common::*;
use racedesk::{EventFile, checkin, setup};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CheckinArgs {
    #[command(subcommand)]
    command: Option<CheckinCommand>,
    /// The runner's bib (as typed or scanned).
    #[arg(required = true)]
    bib: Option<String>,
    /// Takes the runner's check-in back (a new row; the check-in stays on file).
    #[arg(long)]
    undo: bool,
    /// A note kept with the check-in, such as "bib collected by tour leader".
    #[arg(long)]
    note: Option<String>,
    /// The desk's name, shown with each check-in.
    #[arg(long, global = true, env = "RACEDESK_DESK", default_value = "cli")]
    desk: String,
}

#[derive(Subcommand)]
pub enum CheckinCommand {
    /// Finds runners as the desk does: bib, name in any order, Hangul or
    /// romanised, group, chip, phone, one typo.
    Search {
        query: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Checks in a tour group in one transaction (or lists it with --list).
    Group {
        name: String,
        /// Only these members (bibs, comma-separated); all of them otherwise.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Lists the members and their status; checks nobody in.
        #[arg(long)]
        list: bool,
        #[arg(long)]
        note: Option<String>,
    },
    /// Registers a runner who walks up to the desk and checks them in, in
    /// one transaction. The bib is the next free one of this station's
    /// block of the race (see `race block`) unless --bib says otherwise.
    WalkUp {
        #[arg(long)]
        race: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        /// F, M or X.
        #[arg(long)]
        gender: String,
        #[arg(long)]
        bib: Option<String>,
        /// ISO 3166-1 alpha-3, such as KOR.
        #[arg(long)]
        country: Option<String>,
        /// Age on race day.
        #[arg(long)]
        age: Option<u32>,
        /// Tour group, club or team.
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Checked in / expected per race and per group, or who has not come.
    Status {
        #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
        format: StatusFormat,
        /// Lists the runners not checked in instead of the counts.
        #[arg(long)]
        missing: bool,
        /// With --missing: only this race (code).
        #[arg(long)]
        race: Option<String>,
        /// With --missing: only this group.
        #[arg(long)]
        group: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Text,
    Csv,
    Json,
}

pub async fn run(db: &Path, args: CheckinArgs, operator: &str) -> Result<(), Failure> {
    let file = open(db).await?;
    run_checkin(&file, args, operator).await
}

async fn run_checkin(file: &EventFile, args: CheckinArgs, operator: &str) -> Result<(), Failure> {
    let zone = setup::event(file).await?.time_zone;
    let desk = checkin::Desk {
        id: station_id(),
        name: non_empty("desk", args.desk)?,
        operator: operator.to_owned(),
    };
    let when = |c: &Option<checkin::CheckedIn>| match c {
        Some(c) => format!("{} at {}", c.desk, zone.clock(c.at_ms)),
        None => "-".into(),
    };
    match args.command {
        None => {
            let bib = args.bib.unwrap_or_default();
            let outcome = if args.undo {
                checkin::undo(file, &bib, &desk).await?
            } else {
                checkin::check_in(file, &bib, &desk, args.note.as_deref()).await?
            };
            let what = match (args.undo, outcome.changed) {
                (false, true) => "checked in",
                (false, false) => "already checked in (nothing changed):",
                (true, true) => "check-in undone:",
                (true, false) => "not checked in (nothing changed):",
            };
            let at = match &outcome.checked_in {
                Some(_) => format!(", {}", when(&outcome.checked_in)),
                None => String::new(),
            };
            println!("{what} {} {}{at}", outcome.bib, outcome.name);
        }
        Some(CheckinCommand::Search { query, limit }) => {
            let finder = checkin::Finder::load(file).await?;
            let mut out = String::new();
            for found in finder.find(file, &query, limit).await? {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\n",
                    found.bib,
                    found.name,
                    found.native_name.unwrap_or_default(),
                    found.race,
                    found.group.unwrap_or_default(),
                    when(&found.checked_in)
                ));
            }
            emit(out.as_bytes())?;
        }
        Some(CheckinCommand::Group {
            name,
            only,
            list,
            note,
        }) => {
            let members = checkin::group_members(file, &name).await?;
            if list {
                let mut out = String::new();
                for m in &members {
                    out.push_str(&format!(
                        "{}\t{}\t{}\t{}\n",
                        m.bib,
                        m.name,
                        m.race,
                        when(&m.checked_in)
                    ));
                }
                return emit(out.as_bytes());
            }
            let bibs: Vec<String> = if only.is_empty() {
                members.into_iter().map(|m| m.bib).collect()
            } else {
                only
            };
            let done = checkin::check_in_group(file, &name, &bibs, &desk, note.as_deref()).await?;
            println!(
                "{name}: {} checked in now ({}), {} already",
                done.checked_in.len(),
                done.checked_in.join(", "),
                done.already.len()
            );
        }
        Some(CheckinCommand::WalkUp {
            race,
            first_name,
            last_name,
            gender,
            bib,
            country,
            age,
            group,
            note,
        }) => {
            let bib = match bib {
                Some(bib) => bib,
                None => checkin::suggest_bib(file, &race).await?.ok_or_else(|| {
                    Failure::Other(format!(
                        "no free bib left for walk-ups of {race} at this station: ask the director for a block (racedesk race block {race} {} BIBS), or give --bib",
                        desk.id
                    ))
                })?,
            };
            let form = racedesk::roster::EntrantForm {
                bib,
                first_name,
                last_name,
                gender,
                race,
                country: country.unwrap_or_default(),
                age: age.map(|a| a.to_string()).unwrap_or_default(),
                group: group.unwrap_or_default(),
                ..Default::default()
            };
            let outcome = checkin::register_walk_up(file, &form, &desk, note.as_deref()).await?;
            println!("checked in {} {} (walk-up)", outcome.bib, outcome.name);
        }
        Some(CheckinCommand::Status {
            format,
            missing,
            race,
            group,
        }) => {
            let mut out = Vec::new();
            if missing {
                let lines = checkin::missing(file, race.as_deref(), group.as_deref()).await?;
                match format {
                    StatusFormat::Json => json_to(&mut out, &lines)?,
                    _ => checkin::write_missing_csv(&lines, &mut out)?,
                }
            } else {
                let counts = checkin::counts(file).await?;
                match format {
                    StatusFormat::Json => json_to(&mut out, &counts)?,
                    StatusFormat::Csv => checkin::write_counts_csv(&counts, &mut out)?,
                    StatusFormat::Text => {
                        let mut text = format!(
                            "checked in {} of {}\n",
                            counts.total.checked_in, counts.total.expected
                        );
                        for (title, list) in [("race", &counts.races), ("group", &counts.groups)] {
                            for c in list.iter() {
                                text.push_str(&format!(
                                    "{title:<6} {:<28} {:>6} / {:<6}\n",
                                    c.name, c.checked_in, c.expected
                                ));
                            }
                        }
                        out.extend_from_slice(text.as_bytes());
                    }
                }
            }
            emit(&out)?;
        }
    }
    Ok(())
}
