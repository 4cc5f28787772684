//! `racedesk`: the headless command line over the racedesk core, for
//! scripts, tests, benchmarks and the race director's terminal.
//!
//! Exit status: 0 on success, 2 on bad input (the problems go to stderr),
//! 1 on any other failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use racedesk::model::{
    Checkpoint, Event, EventDate, Station, TimeZone, format_instant_for, parse_instant,
};
use racedesk::roster::import::ColumnUse;
use racedesk::roster::{self, ImportOptions, ImportReport};
use racedesk::{Error, EventFile, checkin, setup, timing};

#[derive(Parser)]
#[command(
    name = "racedesk",
    version,
    about = "Runs a road race on the day, offline: setup, roster, check-in, timing, results."
)]
struct Cli {
    /// The event file (one SQLite file per event).
    #[arg(long, global = true, env = "RACEDESK_DB", value_name = "FILE")]
    db: Option<PathBuf>,
    /// Who is making the change, for the audit trail.
    #[arg(long, global = true, env = "RACEDESK_OPERATOR", default_value = "cli")]
    operator: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The event: name, race day, time zone, place.
    #[command(subcommand)]
    Event(EventCommand),
    /// The races of the event.
    #[command(subcommand)]
    Race(RaceCommand),
    /// The roster: import it, list it.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// The start-line desk: check a runner in (or --undo), search, groups, counts.
    Checkin(CheckinArgs),
    /// Starts a race (or one of its waves): now, or at the gun time given.
    Start {
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
    },
    /// Captures from standard input, one passing per line: a bib; an empty
    /// line for a time with no bib; or `BIB TIME` (`- TIME` for no bib). Prints `ok <id>
    /// <bib-or-dash> <time>` for each once it is on disk. With --crossing,
    /// each line is the next bib in crossing order (`-` or an empty line
    /// for a runner whose bib nobody caught), to be matched with the times
    /// another station taps; it prints `ok <id> <bib-or-dash> crossing`.
    Record {
        /// The timing point: start, finish or a checkpoint's name.
        #[arg(long, default_value = "finish")]
        point: String,
        /// Bibs in crossing order (the second operator), not captures.
        #[arg(long)]
        crossing: bool,
        /// The station's name, recorded with each capture.
        #[arg(long, default_value = "cli")]
        station: String,
    },
    /// Reads from timing systems and every capture: import, list, history.
    #[command(subcommand)]
    Reads(ReadsCommand),
    /// Corrections, each a new row: a bib, a time, a void, a missed
    /// finisher, a DNS/DNF/DQ.
    #[command(subcommand)]
    Correct(CorrectCommand),
    /// Official results: places overall, by gender and by age category,
    /// gun and net times rounded up to the second, splits.
    Results {
        /// The race's code, such as MAR; or --all.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        race: Option<String>,
        /// Every race: one file (JSON, XLSX, HTML) or, for CSV, one file per
        /// race in the --out folder.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = ResultsFormat::Csv)]
        format: ResultsFormat,
        /// The file (or, for CSV with --all, the folder) to write;
        /// standard output when left out.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The language of the file's words (headers, statuses, titles):
        /// en or ko. JSON keeps its field names.
        #[arg(long, default_value = "en", value_parser = parse_language)]
        language: racedesk::results::Language,
        /// Read a past event file without writing to it (a copy is scored).
        #[arg(long)]
        read_only: bool,
    },
    /// Copies the event file (consistently, while others write) into a
    /// folder, such as a USB stick, as <name>-<UTC time>.racedesk.
    Backup {
        #[arg(long, value_name = "FOLDER")]
        to: PathBuf,
    },
    /// Fills a new event file with a realistic demo event.
    Demo {
        /// How many entrants; the same number always gives the same event.
        #[arg(long, default_value_t = 500)]
        entrants: usize,
    },
}

#[derive(Subcommand)]
enum EventCommand {
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
enum RaceCommand {
    /// Adds a race.
    Add(RaceArgs),
    /// Lists the races with their entrant counts.
    List,
}

#[derive(Args)]
struct RaceArgs {
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
}

#[derive(Subcommand)]
enum RosterCommand {
    /// Imports entrants from a CSV or XLSX file (all or nothing).
    Import {
        path: PathBuf,
        /// Check the file and list every problem; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The sheet of an XLSX file (the first by default).
        #[arg(long)]
        sheet: Option<String>,
        /// Use a column as a field: HEADER=FIELD (or letter=FIELD); FIELD may be extra or skip.
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        map: Vec<String>,
        /// How to print the report.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Lists the entrants.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Csv)]
        format: ListFormat,
    },
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct CheckinArgs {
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
enum CheckinCommand {
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

#[derive(Subcommand)]
enum ReadsCommand {
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
enum CorrectCommand {
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

#[derive(Clone, Copy, ValueEnum)]
enum ResultsFormat {
    Csv,
    Json,
    Xlsx,
    Html,
    /// Award sheets: the top three overall, by gender and by category.
    Awards,
    /// One printable page per finisher, in English and Korean.
    Certificates,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StatusFormat {
    Text,
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Csv,
    Json,
}

/// What went wrong, and which exit status it earns.
enum Failure {
    BadInput(String),
    Other(String),
    /// Already printed (an import report).
    Reported,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if let Error::ImportRejected(report) = &e {
            print_problems(report);
            return Failure::Reported;
        }
        if e.is_bad_input() {
            Failure::BadInput(e.to_string())
        } else {
            Failure::Other(e.to_string())
        }
    }
}

fn bad(field: &str, e: impl std::fmt::Display) -> Failure {
    Failure::BadInput(format!("--{field}: {e}"))
}

fn main() -> ExitCode {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RACEDESK_LOG"))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async {
        let outcome = run(cli).await;
        close_opened().await;
        outcome
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Reported) => ExitCode::from(2),
        Err(Failure::Other(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let db = cli.db.ok_or_else(|| {
        Failure::BadInput("say which event file: --db FILE (or RACEDESK_DB)".into())
    })?;
    let operator = cli.operator.as_str();
    match cli.command {
        Command::Event(EventCommand::Init {
            name,
            date,
            tz,
            place,
        }) => {
            let event = Event {
                name: non_empty("name", name)?,
                date: EventDate::parse(&date).map_err(|e| bad("date", e))?,
                time_zone: TimeZone::parse(&tz).map_err(|e| bad("tz", e))?,
                place,
            };
            let existed = db.exists();
            let file = EventFile::create(&db).await.map_err(Error::from)?;
            let result = setup::init_event(&file, &event, operator).await;
            file.close().await;
            if result.is_err() && !existed {
                remove_event_file(&db);
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
        Command::Event(EventCommand::Show) => {
            let file = open_to_read(&db).await?;
            let event = setup::event(&file).await?;
            println!("name:      {}", event.name);
            println!("date:      {}", event.date);
            println!("time zone: {}", event.time_zone);
            println!("place:     {}", event.place.unwrap_or_default());
        }
        Command::Race(RaceCommand::Add(args)) => {
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
            };
            let race = form.parse()?;
            let file = open(&db).await?;
            setup::add_race(&file, &race, operator).await?;
            println!(
                "added race {} ({}, {} m)",
                race.code, race.name, race.distance_m
            );
        }
        Command::Race(RaceCommand::List) => {
            let file = open_to_read(&db).await?;
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
        Command::Roster(RosterCommand::Import {
            path,
            dry_run,
            sheet,
            map,
            format,
        }) => {
            let columns = map
                .iter()
                .map(|pair| {
                    let (header, field) = pair
                        .split_once('=')
                        .ok_or_else(|| bad("map", format!("'{pair}' is not HEADER=FIELD")))?;
                    if header.trim().is_empty() {
                        return Err(bad(
                            "map",
                            format!("'{pair}' names no column: write HEADER=FIELD or LETTER=FIELD"),
                        ));
                    }
                    let used = ColumnUse::parse(field)
                        .ok_or_else(|| bad("map", format!("'{field}' is not a roster field")))?;
                    Ok((header.trim().to_owned(), used))
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            let file = open(&db).await?;
            let options = ImportOptions {
                dry_run,
                sheet,
                columns,
                ..ImportOptions::default()
            };
            let report = roster::import(&file, &path, &options, operator).await?;
            match format {
                ReportFormat::Text => print_report(&report),
                ReportFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                ),
            }
            if !report.problems.is_empty() {
                print_problems(&report);
                return Err(Failure::Reported);
            }
        }
        Command::Roster(RosterCommand::List { format }) => {
            let file = open_to_read(&db).await?;
            let event = setup::event(&file).await?;
            let entrants = roster::entrants(&file).await?;
            let mut out = Vec::new();
            match format {
                ListFormat::Csv => roster::write_csv(&entrants, event.date, &mut out)?,
                ListFormat::Json => {
                    let lines: Vec<_> = entrants
                        .iter()
                        .map(|e| roster::RosterLine::new(e, event.date))
                        .collect();
                    serde_json::to_writer_pretty(&mut out, &lines)
                        .map_err(|e| Failure::Other(e.to_string()))?;
                    out.push(b'\n');
                }
            }
            emit(&out)?;
        }
        Command::Checkin(args) => {
            let file = open(&db).await?;
            run_checkin(&file, args, operator).await?;
        }
        Command::Start {
            race,
            wave,
            at,
            reason,
            station,
            undo,
        } => {
            let file = open(&db).await?;
            let event = setup::event(&file).await?;
            if undo {
                let station = station_of(station, operator)?;
                timing::undo_start(&file, &race, wave.as_deref(), reason.as_deref(), &station)
                    .await?;
                println!(
                    "start of {}{} undone",
                    race.to_ascii_uppercase(),
                    wave.map(|w| format!(" wave {w}")).unwrap_or_default()
                );
                return Ok(());
            }
            let clock = timing::CaptureClock::system();
            let at_ms = match &at {
                Some(text) => {
                    parse_instant(text, event.date, event.time_zone).map_err(|e| bad("at", e))?
                }
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
        }
        Command::Results {
            race,
            all: _,
            format,
            out,
            language,
            read_only,
        } => {
            let scratch = tempfile::tempdir().map_err(|e| Failure::Other(e.to_string()))?;
            let file = if read_only {
                EventFile::open_copy(&db, scratch.path())
                    .await
                    .map_err(Error::from)?
            } else {
                open_to_read(&db).await?
            };
            let format = match format {
                ResultsFormat::Csv => racedesk::results::Format::Csv,
                ResultsFormat::Json => racedesk::results::Format::Json,
                ResultsFormat::Xlsx => racedesk::results::Format::Xlsx,
                ResultsFormat::Html => racedesk::results::Format::Html,
                ResultsFormat::Awards => racedesk::results::Format::Awards,
                ResultsFormat::Certificates => racedesk::results::Format::Certificates,
            };
            let done = publish(&file, race.as_deref(), format, language, out.as_deref()).await;
            file.close().await;
            done?;
        }
        Command::Record {
            point,
            crossing,
            station,
        } => {
            let file = open(&db).await?;
            let station = station_of(station, operator)?;
            record(&file, &point, crossing, &station).await?;
        }
        Command::Reads(command) => {
            let file = if matches!(command, ReadsCommand::Import { .. }) {
                open(&db).await?
            } else {
                open_to_read(&db).await?
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
        }
        Command::Correct(command) => {
            let file = open(&db).await?;
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
                    let capture =
                        timing::insert_time(&file, &point, at_ms, &reason, &station).await?;
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
                        timing::insert_missed(&file, &point, &bib, at_ms, &reason, &station)
                            .await?;
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
        }
        Command::Backup { to } => {
            let file = open(&db).await?;
            let copy = racedesk::backup::backup(&file, &to).await?;
            println!("backed up to {}", copy.display());
        }
        Command::Demo { entrants } => {
            roster::check_demo_size(entrants)?;
            let existed = db.exists();
            let file = EventFile::create(&db).await.map_err(Error::from)?;
            let result = roster::demo(&file, entrants, operator).await;
            file.close().await;
            if result.is_err() && !existed {
                remove_event_file(&db);
            }
            result?;
            println!(
                "created the demo event in {} with {entrants} entrants",
                db.display()
            );
        }
    }
    Ok(())
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

/// Removes an event file this run created and could not finish, with its
/// companions: all or nothing, so the next try is not refused.
fn remove_event_file(db: &Path) {
    for path in std::iter::once(db.to_owned()).chain(racedesk::store::companions(db)) {
        let _ = std::fs::remove_file(path);
    }
}

/// A line without its `\n` or `\r\n`.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `en` or `ko`, for --language.
fn parse_language(text: &str) -> Result<racedesk::results::Language, String> {
    racedesk::results::Language::parse(text)
        .ok_or_else(|| format!("'{text}' is not a language racedesk writes: en or ko"))
}

/// Writes results: one race, or all (`race` is `None`), to `out` or
/// standard output. CSV of every race is one file per race in a folder.
async fn publish(
    file: &EventFile,
    race: Option<&str>,
    format: racedesk::results::Format,
    language: racedesk::results::Language,
    out: Option<&Path>,
) -> Result<(), Failure> {
    use racedesk::results::{self, Format, Heading};
    let heading = Heading::of(file, language).await?;
    let mut races = results::results(file).await?;
    if let Some(code) = race {
        let code = code.trim().to_ascii_uppercase();
        races.retain(|r| r.code == code);
        if races.is_empty() {
            return Err(Error::NotFound(racedesk::said!("error.no_race", race = code)).into());
        }
    }
    let written = |path: &Path, e: std::io::Error| {
        Failure::Other(format!("{} cannot be written: {e}", path.display()))
    };
    match (format, race, out) {
        (Format::Csv, None, Some(folder)) => {
            std::fs::create_dir_all(folder).map_err(|e| written(folder, e))?;
            for one in &races {
                let path = folder.join(format!("{}.csv", one.code));
                let mut bytes = Vec::new();
                results::write_csv(&heading, one, &mut bytes)?;
                racedesk::files::write_atomic(&path, &bytes).map_err(|e| written(&path, e))?;
                println!("{}", path.display());
            }
        }
        (Format::Csv, None, None) => {
            return Err(Failure::BadInput(
                "CSV of every race needs --out FOLDER (one file per race)".into(),
            ));
        }
        (_, _, out) => {
            let mut bytes = Vec::new();
            results::write(format, &heading, &races, &mut bytes)?;
            match out {
                Some(path) => {
                    // Whole or not at all: a reader never sees half a file.
                    racedesk::files::write_atomic(path, &bytes).map_err(|e| written(path, e))?;
                    println!("{}", path.display());
                }
                None => emit(&bytes)?,
            }
        }
    }
    Ok(())
}

/// The CLI's station for timing rows: this machine, under the name given.
fn station_of(name: String, operator: &str) -> Result<Station, Failure> {
    Ok(Station {
        id: station_id(),
        name: non_empty("station", name)?,
        operator: operator.to_owned(),
    })
}

fn json_to(out: &mut Vec<u8>, value: &impl serde::Serialize) -> Result<(), Failure> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| Failure::Other(e.to_string()))?;
    out.push(b'\n');
    Ok(())
}

/// This machine's station id for check-ins from the CLI: RACEDESK_STATION,
/// or "cli@" and the host name.
fn station_id() -> String {
    if let Ok(id) = std::env::var("RACEDESK_STATION")
        && !id.trim().is_empty()
    {
        return id.trim().to_owned();
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into());
    format!("cli@{host}")
}

/// The files this run opened, closed (and so checkpointed) when it ends,
/// whatever the command's outcome: the `.db` file alone is then the event.
static OPENED: std::sync::Mutex<Vec<EventFile>> = std::sync::Mutex::new(Vec::new());

async fn open(path: &Path) -> Result<EventFile, Failure> {
    let file = EventFile::open(path).await.map_err(Error::from)?;
    Ok(opened(path, file))
}

/// Says what `open` noticed about a file and keeps it to be closed.
fn opened(path: &Path, file: EventFile) -> EventFile {
    if file.lost_wal() {
        eprintln!(
            "warning: {} was found without its -wal file (its -shm was there): changes made since its last checkpoint may be missing. If this is a copy, copy the -wal too, or use `racedesk backup`; if captures are missing, open the last backup.",
            path.display()
        );
    }
    if let Ok(mut opened) = OPENED.lock() {
        opened.push(file.clone());
    }
    file
}

/// Scratch folders of the copies `open_to_read` made, removed at the end.
static SCRATCH: std::sync::Mutex<Vec<tempfile::TempDir>> = std::sync::Mutex::new(Vec::new());

/// Opens a file for a command that only reads: a file racedesk cannot
/// write (a read-only stick) is read from a copy rather than refused.
async fn open_to_read(path: &Path) -> Result<EventFile, Failure> {
    match EventFile::open(path).await {
        Err(racedesk::OpenError::ReadOnly(_)) => {
            eprintln!(
                "note: {} cannot be written; reading a copy of it",
                path.display()
            );
            let scratch = tempfile::tempdir().map_err(|e| Failure::Other(e.to_string()))?;
            let file = EventFile::open_copy(path, scratch.path())
                .await
                .map_err(Error::from)?;
            if let Ok(mut kept) = SCRATCH.lock() {
                kept.push(scratch);
            }
            Ok(opened(path, file))
        }
        done => Ok(opened(path, done.map_err(Error::from)?)),
    }
}

async fn close_opened() {
    let opened = OPENED
        .lock()
        .map(|mut opened| std::mem::take(&mut *opened))
        .unwrap_or_default();
    for file in opened {
        file.close().await;
    }
    if let Ok(mut kept) = SCRATCH.lock() {
        kept.clear();
    }
}

/// Writes to standard output; a reader that stopped early (`| head`) is
/// not an error.
fn emit(bytes: &[u8]) -> Result<(), Failure> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Other(e.to_string())),
        _ => Ok(()),
    }
}

fn non_empty(field: &str, value: String) -> Result<String, Failure> {
    if value.trim().is_empty() {
        Err(bad(field, "must not be empty"))
    } else {
        Ok(value.trim().to_owned())
    }
}

fn print_report(report: &ImportReport) {
    if let Some(sheet) = &report.sheet {
        println!("sheet: {sheet}");
    }
    println!("columns:");
    for column in &report.columns {
        let used = match column.used_as {
            ColumnUse::Field(field) => field.name().to_string(),
            ColumnUse::Extra => "extra field".into(),
            ColumnUse::Skip => "skipped".into(),
        };
        println!("  {:<4} {:<24} -> {used}", column.letter, column.header);
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    let verb = if report.dry_run { "would be" } else { "were" };
    if report.problems.is_empty() {
        println!(
            "{} rows: {} {verb} added, {} {verb} changed, {} unchanged{}",
            report.rows,
            report.added,
            report.changed,
            report.unchanged,
            if report.dry_run {
                " (dry run: nothing written)"
            } else {
                ""
            }
        );
    }
}

fn print_problems(report: &ImportReport) {
    let mut err = std::io::stderr().lock();
    for problem in &report.problems {
        let value = problem
            .value
            .as_deref()
            .map(|v| format!(" [value: {v}]"))
            .unwrap_or_default();
        let _ = writeln!(err, "{problem}{value}");
    }
    let _ = writeln!(
        err,
        "{} problem(s) in {} rows; nothing was written",
        report.problems.len(),
        report.rows
    );
}
