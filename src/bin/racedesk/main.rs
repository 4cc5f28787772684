//! `racedesk`: the headless command line over the racedesk core, for
//! scripts, tests, benchmarks and the race director's terminal. One file
//! per area, as the app's screens are: setup, roster, checkin, timing,
//! results, sync; `common` is what they share.
//!
//! Exit status: 0 on success, 2 on bad input (the problems go to stderr),
//! 1 on any other failure.

mod checkin;
mod common;
mod decoders;
mod results;
mod roster;
mod setup;
mod sync;
mod timing;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use common::{Failure, close_opened};

// Scoring a big race makes and frees millions of small strings: mimalloc
// does it in about half the time glibc's malloc takes (benches/results.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    Event(setup::EventCommand),
    /// The races of the event.
    #[command(subcommand)]
    Race(setup::RaceCommand),
    /// The roster: import it, list it.
    #[command(subcommand)]
    Roster(roster::RosterCommand),
    /// The start-line desk: check a runner in (or --undo), search, groups, counts.
    Checkin(checkin::CheckinArgs),
    /// Starts a race (or one of its waves): now, or at the gun time given.
    Start(timing::StartArgs),
    /// Captures from standard input, one passing per line: a bib; an empty
    /// line for a time with no bib; or `BIB TIME` (`- TIME` for no bib). Prints `ok <id>
    /// <bib-or-dash> <time>` for each once it is on disk. With --crossing,
    /// each line is the next bib in crossing order (`-` or an empty line
    /// for a runner whose bib nobody caught), to be matched with the times
    /// another station taps; it prints `ok <id> <bib-or-dash> crossing`.
    Record(timing::RecordArgs),
    /// Reads from timing systems and every capture: import, list, history.
    #[command(subcommand)]
    Reads(timing::ReadsCommand),
    /// Chip decoders: connect to one (raceresult, ultra, ipico, llrp) or listen
    /// for one (mylaps, chronotrack) and keep every read, import a
    /// decoder's file, list them.
    #[command(subcommand)]
    Decoder(decoders::DecoderCommand),
    /// Corrections, each a new row: a bib, a time, a void, a missed
    /// finisher, a DNS/DNF/DQ.
    #[command(subcommand)]
    Correct(timing::CorrectCommand),
    /// Official results: places overall, by gender and by age category,
    /// gun and net times rounded up to the second, splits.
    Results(results::ResultsArgs),
    /// Still on the course: every runner who started and has neither
    /// finished nor been marked out, per race, with where each was last
    /// seen and how late they are at the next point against their own pace
    /// (the most overdue first); for the sweep vehicle and the medical tent.
    Course(results::CourseArgs),
    /// Serves the results to phones on the venue's network, read-only,
    /// until stopped: a site any browser opens (results as they stand,
    /// search, each runner's page and certificate; English and Korean),
    /// updated as results change. First line: `publish URL`.
    Publish(results::PublishArgs),
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
    /// Keeps the event open as the app does: prints each change of the
    /// file (whoever made it) as a line of JSON, and backs it up every few
    /// minutes with --backup-to, until stopped (Ctrl+C).
    Watch(watch::WatchArgs),
    /// Adds every check-in, capture, correction, start and status that
    /// another station's copy of this event (a file on a USB stick) holds
    /// and this file lacks, the entrants registered there (walk-ups) and
    /// the setup edits made there (races, bibs, moves), as a sync would;
    /// merging the same file again adds nothing.
    Merge {
        /// The other station's event file (only read).
        file: PathBuf,
    },
    /// Shares this event on the venue's network until stopped: its first
    /// line is `hub ADDRESS CODE`, what a station joins with.
    Hub(sync::HubArgs),
    /// Joins the hub at ADDRESS with the CODE it shows, copying its event
    /// into --db FILE when the file does not exist yet, and keeps this
    /// file in step with it until stopped.
    Join(sync::JoinArgs),
    /// Looks for hubs on the network (mDNS) for a few seconds and lists
    /// them: `ADDRESS EVENT` per line.
    Hubs(sync::HubsArgs),
    /// The link to the hub: connected, last heard, facts waiting, clock.
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// The stations that joined this hub (list, remove).
    Stations(sync::StationsArgs),
    /// Walk-ups registered at two stations under one bib, and races made
    /// at two under one code: list them, or give one runner another bib
    /// (`conflicts resolve UID --bib N`); a race is renamed with `race edit`.
    Conflicts(sync::ConflictsArgs),
}

fn main() -> ExitCode {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RACEDESK_LOG"))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    // A hub serves many stations at once: all the machine's cores. The
    // other commands start faster on one thread.
    let runtime = if matches!(cli.command, Command::Hub(_)) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build();
    let runtime = match runtime {
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
    // The one command without an event file.
    if let Command::Hubs(args) = cli.command {
        return sync::hubs(args).await;
    }
    let db = cli.db.ok_or_else(|| {
        Failure::BadInput("say which event file: --db FILE (or RACEDESK_DB)".into())
    })?;
    let db = db.as_path();
    let operator = cli.operator.as_str();
    match cli.command {
        Command::Event(command) => setup::event(db, command, operator).await,
        Command::Race(command) => setup::race(db, command, operator).await,
        Command::Demo { entrants } => setup::demo(db, entrants, operator).await,
        Command::Roster(command) => roster::run(db, command, operator).await,
        Command::Checkin(args) => checkin::run(db, args, operator).await,
        Command::Start(args) => timing::start(db, args, operator).await,
        Command::Record(args) => timing::record_lines(db, args, operator).await,
        Command::Reads(command) => timing::reads(db, command, operator).await,
        Command::Correct(command) => timing::correct(db, command, operator).await,
        Command::Decoder(command) => decoders::run(db, command, operator).await,
        Command::Results(args) => results::results(db, args).await,
        Command::Course(args) => results::course(db, args).await,
        Command::Publish(args) => results::publish_site(db, args).await,
        Command::Backup { to } => results::backup(db, &to).await,
        Command::Watch(args) => watch::run(db, args).await,
        Command::Merge { file } => sync::merge(db, &file, operator).await,
        Command::Hub(args) => sync::hub(db, args).await,
        Command::Join(args) => sync::join(db, args).await,
        Command::Hubs(_) => Ok(()),
        Command::Sync(command) => sync::sync(db, command).await,
        Command::Stations(args) => sync::stations(db, args).await,
        Command::Conflicts(args) => sync::conflicts(db, args, operator).await,
    }
}
