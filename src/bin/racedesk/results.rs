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
