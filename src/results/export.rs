//! Results files: CSV (RFC 4180, formula cells guarded), JSON, XLSX (one
//! sheet per race, typed cells) and one self-contained HTML page (every
//! value escaped by the template engine; sortable, searchable, printable,
//! no network).

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
            Some(race) => write_csv(race, out),
            None => Ok(()),
        },
        Format::Json => write_json(races, out),
        Format::Xlsx => write_xlsx(races, out),
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

/// The columns every results file has, before one per split.
pub const COLUMNS: [&str; 11] = [
    "place",
    "bib",
    "name",
    "gender",
    "age",
    "category",
    "gender_place",
    "category_place",
    "gun_time",
    "net_time",
    "status",
];

fn cells(row: &ResultRow) -> Vec<String> {
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let mut cells = vec![
        number(row.place),
        row.bib.clone(),
        row.name.clone(),
        row.gender.clone(),
        row.age.map(|a| a.to_string()).unwrap_or_default(),
        row.category.clone().unwrap_or_default(),
        number(row.gender_place),
        number(row.category_place),
        row.gun_time.clone().unwrap_or_default(),
        row.net_time.clone().unwrap_or_default(),
        row.status.clone(),
    ];
    cells.extend(
        row.splits
            .iter()
            .map(|s| s.as_ref().map(|s| s.time.clone()).unwrap_or_default()),
    );
    cells
}

/// One race as CSV: the columns above, then one per checkpoint.
pub fn write_csv(race: &RaceResults, out: &mut impl Write) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    header.extend(race.checkpoints.iter().map(|c| c.point.clone()));
    writer.write_record(&header).map_err(output)?;
    for row in &race.rows {
        let mut cells = cells(row);
        for cell in &mut cells {
            crate::roster::guard(cell);
        }
        writer.write_record(&cells).map_err(output)?;
    }
    writer.flush().map_err(output)?;
    Ok(())
}

pub fn write_json(races: &[RaceResults], out: &mut impl Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, races).map_err(output)?;
    out.write_all(b"\n").map_err(output)
}

/// One sheet per race; places and ages as numbers, times as durations.
pub fn write_xlsx(races: &[RaceResults], out: &mut impl Write) -> Result<()> {
    use rust_xlsxwriter::{Format as Cell, Workbook};
    let mut book = Workbook::new();
    let bold = Cell::new().set_bold();
    let duration = Cell::new().set_num_format("[h]:mm:ss");
    for race in races {
        let sheet = book.add_worksheet();
        sheet.set_name(&race.code).map_err(output)?;
        let mut header: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
        header.extend(race.checkpoints.iter().map(|c| c.point.clone()));
        for (c, name) in header.iter().enumerate() {
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
                XCell::Text(Some(row.gender.clone())),
                XCell::Number(row.age.map(|a| a as f64)),
                XCell::Text(row.category.clone()),
                XCell::Number(number(row.gender_place)),
                XCell::Number(number(row.category_place)),
                XCell::Duration(days(row.gun_ms)),
                XCell::Duration(days(row.net_ms)),
                XCell::Text(Some(row.status.clone())),
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
}

/// A page for a USB stick or a local web server: one file, no network.
pub fn write_html(heading: &Heading, races: &[RaceResults], out: &mut impl Write) -> Result<()> {
    let page = Page {
        heading,
        races: races
            .iter()
            .map(|race| {
                let mut header: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
                header.extend(race.checkpoints.iter().map(|c| c.point.clone()));
                PageRace {
                    race,
                    header,
                    rows: race.rows.iter().map(cells).collect(),
                }
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
struct Awards<'a> {
    heading: &'a Heading,
    races: Vec<AwardRace<'a>>,
}

struct AwardRace<'a> {
    name: &'a str,
    groups: Vec<AwardGroup<'a>>,
}

struct AwardGroup<'a> {
    title: String,
    /// Place in the group, the runner, the official time.
    winners: Vec<(u32, &'a ResultRow, &'a str)>,
}

/// The time a race ranks by, as published.
fn official(net: bool, row: &ResultRow) -> Option<&str> {
    if net {
        row.net_time.as_deref().or(row.gun_time.as_deref())
    } else {
        row.gun_time.as_deref()
    }
}

/// How many are awarded in each group.
const PODIUM: u32 = 3;

/// The top three overall, in each gender and in each age category.
pub fn write_awards<'a>(
    heading: &Heading,
    races: &'a [RaceResults],
    out: &mut impl Write,
) -> Result<()> {
    let races = races
        .iter()
        .map(|race| {
            let time = |row: &'a ResultRow| official(race.net_time, row).unwrap_or("");
            let ranked: Vec<&ResultRow> = race.rows.iter().filter(|r| r.place.is_some()).collect();
            let mut groups = vec![AwardGroup {
                title: "Overall · 종합".to_owned(),
                winners: ranked
                    .iter()
                    .filter_map(|r| Some((r.place?, *r, time(r))))
                    .filter(|w| w.0 <= PODIUM)
                    .collect(),
            }];
            for gender in ["F", "M", "X"] {
                let winners: Vec<_> = ranked
                    .iter()
                    .filter(|r| r.gender == gender)
                    .filter_map(|r| Some((r.gender_place?, *r, time(r))))
                    .filter(|w| w.0 <= PODIUM)
                    .collect();
                if !winners.is_empty() {
                    groups.push(AwardGroup {
                        title: gender.to_owned(),
                        winners,
                    });
                }
            }
            let mut categories: Vec<&String> =
                ranked.iter().filter_map(|r| r.category.as_ref()).collect();
            categories.sort();
            categories.dedup();
            for category in categories {
                groups.push(AwardGroup {
                    title: category.clone(),
                    winners: ranked
                        .iter()
                        .filter(|r| r.category.as_ref() == Some(category))
                        .filter_map(|r| Some((r.category_place?, *r, time(r))))
                        .filter(|w| w.0 <= PODIUM)
                        .collect(),
                });
            }
            AwardRace {
                name: &race.name,
                groups,
            }
        })
        .collect();
    let html = Awards { heading, races }.render().map_err(output)?;
    out.write_all(html.as_bytes()).map_err(output)
}
