//! Results files: CSV (RFC 4180, formula cells guarded), JSON, XLSX (one
//! sheet per race, typed cells) and one self-contained HTML page (every
//! value escaped by the template engine; sortable, searchable, printable,
//! no network). People's files (CSV, XLSX, HTML, award sheets) are in the
//! language chosen at export, with the results screen's words; JSON is
//! for programs and keeps its field names.

use std::io::Write;

use askama::Template;

use super::{Heading, RaceResults, ResultRow};
use crate::error::{Error, Result};

/// A results file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Xlsx,
    Html,
    /// The top three overall, by gender and by category: award sheets.
    Awards,
    /// One printable page per ranked finisher, in English and Korean.
    Certificates,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Xlsx => "xlsx",
            Self::Html | Self::Awards | Self::Certificates => "html",
        }
    }
}

/// Writes `races` in `format`. CSV holds one race (the first); the others
/// hold them all.
pub fn write(
    format: Format,
    heading: &Heading,
    races: &[RaceResults],
    out: &mut impl Write,
) -> Result<()> {
    match format {
        Format::Csv => match races.first() {
            Some(race) => write_csv(heading, race, out),
            None => Ok(()),
        },
        Format::Json => write_json(races, out),
        Format::Xlsx => write_xlsx(heading, races, out),
        Format::Html => write_html(heading, races, out),
        Format::Awards => write_awards(heading, races, out),
        Format::Certificates => write_certificates(heading, races, out),
    }
}

fn output(e: impl std::fmt::Display) -> Error {
    Error::Unreadable {
        path: "output".into(),
        reason: e.to_string(),
    }
}

/// The column heads of a results table, before one per checkpoint: keys
/// of the app's dictionaries, the results screen's own words.
const COLUMNS: [&str; 13] = [
    "results.place",
    "field.bib",
    "results.name",
    "results.nativeName",
    "roster.gender",
    "roster.age",
    "roster.country",
    "results.category",
    "results.genderPlace",
    "results.categoryPlace",
    "results.gun",
    "results.net",
    "results.status",
];

/// A race's column heads in the heading's language: the same words as
/// the results screen, then one per checkpoint.
pub(crate) fn header(heading: &Heading, race: &RaceResults) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|key| heading.language.word(key).to_owned())
        .chain(race.checkpoints.iter().map(|c| c.point.clone()))
        .collect()
}

/// A row's cells under [`header`]: the Hangul name beside the Latin one,
/// the status in words.
pub(crate) fn cells(heading: &Heading, row: &ResultRow) -> Vec<String> {
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let mut cells = vec![
        number(row.place),
        row.bib.clone(),
        row.name.clone(),
        row.native_name.clone().unwrap_or_default(),
        row.gender.clone(),
        row.age.map(|a| a.to_string()).unwrap_or_default(),
        row.nationality.clone().unwrap_or_default(),
        row.category.clone().unwrap_or_default(),
        number(row.gender_place),
        number(row.category_place),
        row.gun_time.clone().unwrap_or_default(),
        row.net_time.clone().unwrap_or_default(),
        heading.language.status(&row.status).to_owned(),
    ];
    cells.extend(
        row.splits
            .iter()
            .map(|s| s.as_ref().map(|s| s.time.clone()).unwrap_or_default()),
    );
    cells
}

/// One race as CSV: the columns above, then one per checkpoint.
pub fn write_csv(heading: &Heading, race: &RaceResults, out: &mut impl Write) -> Result<()> {
    let mut writer = crate::files::SafeCsv::new(out);
    writer.row(header(heading, race)).map_err(output)?;
    for row in &race.rows {
        writer.row(cells(heading, row)).map_err(output)?;
    }
    writer.flush().map_err(output)?;
    Ok(())
}

pub fn write_json(races: &[RaceResults], out: &mut impl Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, races).map_err(output)?;
    out.write_all(b"\n").map_err(output)
}

/// One sheet per race; places and ages as numbers, times as durations.
pub fn write_xlsx(heading: &Heading, races: &[RaceResults], out: &mut impl Write) -> Result<()> {
    use rust_xlsxwriter::{Format as Cell, Workbook};
    let mut book = Workbook::new();
    let bold = Cell::new().set_bold();
    let duration = Cell::new().set_num_format("[h]:mm:ss");
    for race in races {
        let sheet = book.add_worksheet();
        sheet.set_name(&race.code).map_err(output)?;
        for (c, name) in header(heading, race).iter().enumerate() {
            sheet
                .write_string_with_format(0, col(c), name, &bold)
                .map_err(output)?;
        }
        for (r, row) in race.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(output)?;
            let mut c = 0;
            let mut next = || {
                c += 1;
                col(c - 1)
            };
            let number = |n: Option<u32>| n.map(f64::from);
            let days =
                |ms: Option<i64>| ms.map(|ms| crate::model::result_seconds(ms) as f64 / 86_400.0);
            let cells: Vec<XCell> = [
                XCell::Number(number(row.place)),
                XCell::Text(Some(row.bib.clone())),
                XCell::Text(Some(row.name.clone())),
                XCell::Text(row.native_name.clone()),
                XCell::Text(Some(row.gender.clone())),
                XCell::Number(row.age.map(|a| a as f64)),
                XCell::Text(row.nationality.clone()),
                XCell::Text(row.category.clone()),
                XCell::Number(number(row.gender_place)),
                XCell::Number(number(row.category_place)),
                XCell::Duration(days(row.gun_ms)),
                XCell::Duration(days(row.net_ms)),
                XCell::Text(Some(heading.language.status(&row.status).to_owned())),
            ]
            .into_iter()
            .chain(
                row.splits
                    .iter()
                    .map(|s| XCell::Duration(days(s.as_ref().map(|s| s.ms)))),
            )
            .collect();
            for cell in cells {
                let c = next();
                match cell {
                    XCell::Number(Some(n)) => sheet.write_number(r, c, n).map(|_| ()),
                    XCell::Text(Some(t)) => sheet.write_string(r, c, &t).map(|_| ()),
                    XCell::Duration(Some(d)) => sheet
                        .write_number_with_format(r, c, d, &duration)
                        .map(|_| ()),
                    _ => Ok(()),
                }
                .map_err(output)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(output)?;
    }
    let bytes = book.save_to_buffer().map_err(output)?;
    out.write_all(&bytes).map_err(output)
}

enum XCell {
    Number(Option<f64>),
    Text(Option<String>),
    Duration(Option<f64>),
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[derive(Template)]
#[template(path = "results.html")]
struct Page<'a> {
    heading: &'a Heading,
    races: Vec<PageRace<'a>>,
}

struct PageRace<'a> {
    race: &'a RaceResults,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// "118 of 150 entrants ranked", in the page's language.
    ranked: String,
}

/// "118 of 150 entrants ranked", in `language`.
pub(crate) fn ranked(race: &RaceResults, language: crate::words::Language) -> String {
    let finished = race.rows.iter().filter(|r| r.place.is_some()).count();
    language.render(
        "results.ranked",
        &[
            ("finished", finished.to_string()),
            ("entrants", race.entrants.to_string()),
        ],
    )
}

/// A page for a USB stick or a local web server: one file, no network.
pub fn write_html(heading: &Heading, races: &[RaceResults], out: &mut impl Write) -> Result<()> {
    let page = Page {
        heading,
        races: races
            .iter()
            .map(|race| PageRace {
                race,
                header: header(heading, race),
                rows: race.rows.iter().map(|row| cells(heading, row)).collect(),
                ranked: ranked(race, heading.language),
            })
            .collect(),
    };
    let html = page.render().map_err(output)?;
    out.write_all(html.as_bytes()).map_err(output)
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct Certificates<'a> {
    heading: &'a Heading,
    certificates: Vec<Certificate<'a>>,
}

struct Certificate<'a> {
    race: &'a str,
    row: &'a ResultRow,
    place: u32,
    category_place: u32,
    time: &'a str,
}

/// One page per ranked finisher: name, race, official time and place.
pub fn write_certificates(
    heading: &Heading,
    races: &[RaceResults],
    out: &mut impl Write,
) -> Result<()> {
    let certificates = races
        .iter()
        .flat_map(|race| {
            race.rows.iter().filter_map(move |row| {
                Some(Certificate {
                    race: &race.name,
                    row,
                    place: row.place?,
                    category_place: row.category_place.unwrap_or_default(),
                    time: official(race.net_time, row)?,
                })
            })
        })
        .collect();
    let html = Certificates {
        heading,
        certificates,
    }
    .render()
    .map_err(output)?;
    out.write_all(html.as_bytes()).map_err(output)
}

#[derive(Template)]
#[template(path = "awards.html")]
struct AwardsPage<'a> {
    heading: &'a Heading,
    races: Vec<(&'a str, Vec<Award>)>,
}

/// One group's podium: overall, a gender, or an age category.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Award {
    /// "Overall", F, M, X or a category such as F40-44.
    pub title: String,
    pub winners: Vec<Winner>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Winner {
    /// Place within the group.
    pub place: u32,
    pub row: ResultRow,
    /// The official time, as published.
    pub time: String,
}

/// How many are awarded in each group.
const PODIUM: u32 = 3;

/// The time a race ranks by, as published.
pub(crate) fn official(net: bool, row: &ResultRow) -> Option<&str> {
    if net {
        row.net_time.as_deref().or(row.gun_time.as_deref())
    } else {
        row.gun_time.as_deref()
    }
}

/// The top three overall, in each gender and in each age category.
pub fn awards(race: &RaceResults) -> Vec<Award> {
    let ranked: Vec<&ResultRow> = race.rows.iter().filter(|r| r.place.is_some()).collect();
    let podium = |title: String,
                  place: &dyn Fn(&ResultRow) -> Option<u32>,
                  in_group: &dyn Fn(&ResultRow) -> bool| Award {
        title,
        winners: ranked
            .iter()
            .filter(|r| in_group(r))
            .filter_map(|r| {
                Some(Winner {
                    place: place(r).filter(|&p| p <= PODIUM)?,
                    row: (*r).clone(),
                    time: official(race.net_time, r).unwrap_or_default().to_owned(),
                })
            })
            .collect(),
    };
    let mut awards = vec![podium("Overall".to_owned(), &|r| r.place, &|_| true)];
    for gender in ["F", "M", "X"] {
        let award = podium(gender.to_owned(), &|r| r.gender_place, &|r| {
            r.gender == gender
        });
        if !award.winners.is_empty() {
            awards.push(award);
        }
    }
    let mut categories: Vec<&String> = ranked.iter().filter_map(|r| r.category.as_ref()).collect();
    categories.sort();
    categories.dedup();
    for category in categories {
        awards.push(podium(category.clone(), &|r| r.category_place, &|r| {
            r.category.as_ref() == Some(category)
        }));
    }
    awards
}

/// Award sheets: the podium of every group of every race, to print.
pub fn write_awards(heading: &Heading, races: &[RaceResults], out: &mut impl Write) -> Result<()> {
    let races = races.iter().map(|r| (r.name.as_str(), awards(r))).collect();
    let html = AwardsPage { heading, races }.render().map_err(output)?;
    out.write_all(html.as_bytes()).map_err(output)
}

#[cfg(test)]
mod tests {
    use crate::words::Language;

    /// Every word a published file uses is in both dictionaries.
    #[test]
    fn both_dictionaries_have_every_word_a_file_uses() {
        let words = [
            "results.title",
            "results.ranked",
            "results.byNet",
            "results.search",
            "results.awards",
            "results.overall",
            "results.time",
            "status.finished",
            "status.over_cutoff",
            "status.no_start",
            "status.before_start",
            "status.DNF",
            "status.DNS",
            "status.DQ",
        ];
        for key in super::COLUMNS.iter().chain(&words) {
            assert_ne!(Language::En.word(key), "?", "en.json lacks {key}");
            assert_ne!(
                Language::Ko.word(key),
                Language::En.word(key),
                "ko.json lacks {key}"
            );
        }
    }
}
