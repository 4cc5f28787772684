//! `roster`: who is entered, imported from CSV or XLSX, and listed.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use crate::common::*;
use racedesk::roster::import::ColumnUse;
use racedesk::roster::{self, ImportOptions, ImportReport};
use racedesk::setup;

#[derive(Subcommand)]
pub enum RosterCommand {
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

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

pub async fn run(db: &Path, command: RosterCommand, operator: &str) -> Result<(), Failure> {
    match command {
        RosterCommand::Import {
            path,
            dry_run,
            sheet,
            map,
            format,
        } => {
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
            let file = open(db).await?;
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
        RosterCommand::List { format } => {
            let file = open_to_read(db).await?;
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
    }
    Ok(())
}

pub fn print_report(report: &ImportReport) {
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
        println!("warning: {}", warning.message);
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

pub fn print_problems(report: &ImportReport) {
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
