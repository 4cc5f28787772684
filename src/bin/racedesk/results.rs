//! `results` and `backup`: what the race director publishes and keeps.

use std::path::Path;

use clap::{Args, ValueEnum};

use crate::common::*;
use std::path::PathBuf;

use racedesk::{Error, EventFile};

#[derive(Args)]
pub struct ResultsArgs {
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
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ResultsFormat {
    Csv,
    Json,
    Xlsx,
    Html,
    /// Award sheets: the top three overall, by gender and by category.
    Awards,
    /// One printable page per finisher, in English and Korean.
    Certificates,
}

pub async fn results(db: &Path, args: ResultsArgs) -> Result<(), Failure> {
    let ResultsArgs {
        race,
        all: _,
        format,
        out,
        language,
        read_only,
    } = args;
    let scratch = tempfile::tempdir().map_err(|e| Failure::Other(e.to_string()))?;
    let file = if read_only {
        EventFile::open_copy(db, scratch.path())
            .await
            .map_err(Error::from)?
    } else {
        open_to_read(db).await?
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
    Ok(())
}

pub async fn backup(db: &Path, to: &Path) -> Result<(), Failure> {
    let file = open(db).await?;
    let copy = racedesk::backup::backup(&file, to).await?;
    println!("backed up to {}", copy.display());
    Ok(())
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

#[derive(Args)]
pub struct CourseArgs {
    /// One race's code, such as MAR; every race when left out.
    #[arg(long)]
    race: Option<String>,
    #[arg(long, value_enum, default_value_t = CourseFormat::Text)]
    format: CourseFormat,
    /// "Now", for a report made afterwards: YYYY-MM-DDTHH:MM:SS or
    /// HH:MM:SS on race day, in the event's time zone.
    #[arg(long)]
    at: Option<String>,
    /// Minutes late at the next point that mark a runner overdue: one
    /// number for every race, or per race ("MAR=30, HALF=20"); each
    /// race's own (`race edit --overdue`), else 15, when left out.
    #[arg(long)]
    overdue: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CourseFormat {
    Text,
    Csv,
    Json,
}

/// `course`: every runner still out, per race, the latest first.
pub async fn course(db: &Path, args: CourseArgs) -> Result<(), Failure> {
    let file = open_to_read(db).await?;
    let done = still_out(&file, args).await;
    file.close().await;
    done
}

async fn still_out(file: &EventFile, args: CourseArgs) -> Result<(), Failure> {
    use racedesk::model::parse_instant;
    let event = racedesk::setup::event(file).await?;
    let (day, zone) = (event.date, event.time_zone);
    let now = match args.at.as_deref().map(str::trim) {
        Some(text) => parse_instant(text, day, zone).map_err(|e| bad("at", e))?,
        None => racedesk::timing::wall_ms(),
    };
    let thresholds = overdue_minutes(args.overdue.as_deref().unwrap_or(""))?;
    let threshold = move |race: &str| {
        thresholds
            .iter()
            .find(|(code, _)| code.as_deref().is_none_or(|c| c.eq_ignore_ascii_case(race)))
            .map(|(_, ms)| *ms)
    };
    let mut races = racedesk::results::on_course(file, now, &threshold).await?;
    if let Some(code) = args.race {
        let code = code.trim().to_ascii_uppercase();
        races.retain(|r| r.code == code);
        if races.is_empty() {
            return Err(Error::NotFound(racedesk::said!("error.no_race", race = code)).into());
        }
    }
    let clock = |ms: i64| racedesk::results::time_of_day(ms, day, zone);
    let minutes = |ms: i64| format!("{:+}", ms.div_euclid(60_000));
    let mut out = Vec::new();
    match args.format {
        CourseFormat::Json => json_to(&mut out, &races)?,
        CourseFormat::Csv => racedesk::results::write_course_csv(&races, day, zone, &mut out)?,
        CourseFormat::Text => {
            use std::fmt::Write as _;
            let mut text = String::new();
            for race in &races {
                let seen: Vec<String> = race
                    .by_point
                    .iter()
                    .map(|(point, n)| format!("{point} {n}"))
                    .collect();
                let _ = writeln!(
                    text,
                    "{} ({}): {} still out, {} overdue{}",
                    race.name,
                    race.code,
                    race.out.len(),
                    race.overdue,
                    if seen.is_empty() {
                        String::new()
                    } else {
                        format!("; last seen at {}", seen.join(", "))
                    }
                );
                for r in &race.out {
                    let _ = writeln!(
                        text,
                        "  {}{:>6}  {:<28} {:<4} last seen {} at {} ({} min ago), due at {} at {} ({} min)",
                        if r.overdue { "! " } else { "  " },
                        r.bib,
                        r.name,
                        r.nationality.as_deref().unwrap_or(""),
                        r.last_point,
                        clock(r.last_at_ms),
                        (now - r.last_at_ms).div_euclid(60_000),
                        r.next_point,
                        clock(r.due_ms),
                        minutes(r.late_ms),
                    );
                }
            }
            out.extend_from_slice(text.as_bytes());
        }
    }
    emit(&out)
}

/// `--overdue`: minutes for every race ("20") or per race ("MAR=30, HALF=20").
fn overdue_minutes(text: &str) -> Result<Vec<(Option<String>, i64)>, Failure> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (race, minutes) = match item.split_once('=') {
            Some((race, minutes)) => (Some(race.trim().to_owned()), minutes.trim()),
            None => (None, item),
        };
        let minutes: f64 = minutes
            .parse()
            .ok()
            .filter(|m: &f64| m.is_finite() && *m >= 0.0 && *m <= 24.0 * 60.0)
            .ok_or_else(|| {
                bad(
                    "overdue",
                    format!("{item:?} is not minutes (0 to 1440), as in 20 or MAR=30"),
                )
            })?;
        out.push((race, (minutes * 60_000.0).round() as i64));
    }
    // A race's own threshold before the one for every race.
    out.sort_by_key(|(race, _)| race.is_none());
    Ok(out)
}

#[derive(Args)]
pub struct PublishArgs {
    /// Where phones reach the site: an address of this machine and a port
    /// (0.0.0.0 for every network it is on).
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8080")]
    listen: std::net::SocketAddr,
    /// Also write the poster (WiFi, address, QR code; English and Korean)
    /// to this HTML file.
    #[arg(long, value_name = "FILE")]
    poster: Option<PathBuf>,
    /// The venue WiFi's name, for the poster.
    #[arg(long, value_name = "NAME", requires = "poster")]
    wifi: Option<String>,
}

/// `publish`: serves the results to phones, read-only, until Ctrl+C or
/// SIGTERM. Its first line is `publish URL`, the address to give out.
pub async fn publish_site(db: &Path, args: PublishArgs) -> Result<(), Failure> {
    let file = open_to_read(db).await?;
    let site = racedesk::publish::publish(&file, args.listen).await?;
    let urls = racedesk::publish::Site::of(&site).addresses;
    let first = urls
        .first()
        .cloned()
        .unwrap_or_else(|| format!("http://{}/", site.address()));
    if let Some(path) = &args.poster {
        let poster = racedesk::publish::Poster {
            event: racedesk::setup::event(&file).await?.name,
            wifi: args.wifi.clone().filter(|w| !w.trim().is_empty()),
            address: first.clone(),
        };
        let mut bytes = Vec::new();
        racedesk::publish::write_poster(&poster, &mut bytes)?;
        racedesk::files::write_atomic(path, &bytes).map_err(|e| written(path, e))?;
        eprintln!("poster: {}", path.display());
    }
    emit(format!("publish {first}\n").as_bytes())?;
    for other in urls.iter().skip(1) {
        eprintln!("also at {other}");
    }
    crate::sync::stopped().await;
    site.stop();
    file.close().await;
    Ok(())
}

fn written(path: &Path, e: std::io::Error) -> Failure {
    Failure::Other(format!("{} cannot be written: {e}", path.display()))
}
