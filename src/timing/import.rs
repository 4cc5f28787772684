//! Reads imported from a timing system's file: all or nothing, every bad
//! row named, and the same reads imported again add nothing.

use std::collections::HashMap;
use std::path::Path;

use super::capture::{captured, parse_bib, parse_point};
use crate::error::{Error, Result};
use crate::model::{EventDate, ParseError, Station, TimeZone, parse_instant};
use crate::store::EventFile;
use crate::store::timing::{self as store, PassingRow};

/// What an import of reads did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ReadsImport {
    pub rows: usize,
    pub added: u64,
    /// Reads already in the file from an earlier import of the same data.
    pub already: u64,
}

/// Imports a timing system's reads: CSV with the headers `bib,time[,point]`
/// or `chip,time[,point]`, in capture order; the time a datetime or a time
/// of day on race day, in the event's zone. All or nothing: every bad row
/// is named. Importing the same reads again adds nothing.
pub async fn import_reads(
    file: &EventFile,
    path: &Path,
    default_point: &str,
    station: &Station,
) -> Result<ReadsImport> {
    let event = crate::setup::event(file).await?;
    let default_point = parse_point(default_point)?;
    let bytes = crate::files::read_regular(path).map_err(|reason| Error::Unreadable {
        path: path.to_owned(),
        reason,
    })?;
    let rows =
        parse_reads(&bytes, &default_point, event.date, event.time_zone).map_err(|problems| {
            Error::Unreadable {
                path: path.to_owned(),
                reason: problems,
            }
        })?;
    let total = rows.len();
    let source = if rows.first().is_some_and(|r| r.chip.is_some()) {
        "chip"
    } else {
        "import"
    };
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let by = captured(&mut tx, station).await?;
    let rows: Vec<store::ReadRow> = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            (
                uuid::Uuid::now_v7().to_string(),
                row.point,
                row.at_ms,
                row.bib,
                row.chip,
                row.import_key.unwrap_or_default(),
                by.seq + i as i64,
            )
        })
        .collect();
    let added = store::insert_reads(&mut tx, &rows, source, &by).await?;
    tx.commit().await?;
    Ok(ReadsImport {
        rows: total,
        added,
        already: total as u64 - added,
    })
}

/// Reads problems as one message: up to this many rows named.
const MAX_PROBLEMS: usize = 20;

fn parse_reads(
    bytes: &[u8],
    default_point: &str,
    race_day: EventDate,
    zone: TimeZone,
) -> Result<Vec<PassingRow>, String> {
    let decoded = crate::files::decode_text(bytes);
    let mut problems: Vec<String> = decoded
        .bad_lines
        .iter()
        .map(|line| format!("row {line}: bytes that are not UTF-8"))
        .collect();
    let text = decoded.text;
    problems.extend(
        crate::files::check_quotes(&text, b',')
            .into_iter()
            .map(|q| format!("row {}, column {}: {}", q.line, q.field + 1, q.message)),
    );
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("the header row cannot be read: {e}"))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (id_column, is_chip) = match (column("bib"), column("chip")) {
        (Some(c), _) => (c, false),
        (None, Some(c)) => (c, true),
        _ => {
            return Err(format!(
                "the header row must name a bib or chip column, then time (and point): found {}",
                headers.join(",")
            ));
        }
    };
    let time_column = column("time").ok_or("the header row has no time column")?;
    let point_column = column("point");

    let mut rows = Vec::new();
    let mut seen: HashMap<(String, String, i64), usize> = HashMap::new();
    let lines = crate::files::Lines::of(&text);
    for record in reader.records() {
        // The line the row starts on, as an editor shows it: blank lines
        // count.
        let line = record.as_ref().map_or(0, |r| lines.of_record(r));
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                problems.push(format!("row {line}: {e}"));
                continue;
            }
        };
        if record.iter().skip(headers.len()).any(|c| !c.is_empty()) {
            problems.push(format!(
                "row {line}: {} cells, but the header row has {}",
                record.len(),
                headers.len()
            ));
            continue;
        }
        let cell = |c: usize| record.get(c).unwrap_or("").to_owned();
        let id = cell(id_column);
        let at = fast_time_of_day(record.get(time_column).unwrap_or(""), race_day, zone)
            .map_or_else(|| parse_instant(&cell(time_column), race_day, zone), Ok);
        let point = point_column
            .map(cell)
            .filter(|p| !p.is_empty())
            .map_or_else(|| Ok(default_point.to_owned()), |p| parse_point(&p));
        let bib = if is_chip {
            Ok(None)
        } else {
            parse_bib(&id).map(|b| Some(b.to_string()))
        };
        match (at, point, bib) {
            (Ok(at_ms), Ok(point), Ok(bib)) => {
                if is_chip && id.is_empty() {
                    problems.push(format!("row {line}, column chip: the chip is empty"));
                    continue;
                }
                // The same read twice in one file is two reads; the count
                // keeps a second import from adding either again. A bib is
                // keyed as read (007 is 7), so another file's spelling of
                // the same read adds nothing either.
                let key = bib.clone().unwrap_or_else(|| id.clone());
                let n = seen
                    .entry((point.clone(), key.clone(), at_ms))
                    .and_modify(|n| *n += 1)
                    .or_insert(0);
                rows.push(PassingRow {
                    import_key: Some(format!("{point}|{key}|{at_ms}|{n}")),
                    point,
                    at_ms,
                    bib,
                    chip: is_chip.then_some(id),
                    source: if is_chip { "chip" } else { "import" },
                });
            }
            (at, point, bib) => {
                let name = if is_chip { "chip" } else { "bib" };
                for (column, error) in [
                    ("time", at.err().map(|e: ParseError| e.to_string())),
                    ("point", point.err().map(|e| e.to_string())),
                    (name, bib.err().map(|e| e.to_string())),
                ] {
                    if let Some(error) = error {
                        problems.push(format!("row {line}, column {column}: {error}"));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(rows);
    }
    let more = problems.len().saturating_sub(MAX_PROBLEMS);
    let mut message = problems
        .into_iter()
        .take(MAX_PROBLEMS)
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        message.push_str(&format!("; and {more} more"));
    }
    message.push_str("; nothing was imported");
    Err(message)
}

/// `HH:MM:SS[.fff]` on race day read without a format parser: the form
/// nearly every timing system writes, 250,000 times in a big import.
/// `None` for anything else (which `parse_instant` then reads or refuses).
fn fast_time_of_day(text: &str, race_day: EventDate, zone: TimeZone) -> Option<i64> {
    use chrono::TimeZone as _;
    let b = text.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<u32> {
        let (x, y) = (b[i], b[i + 1]);
        (x.is_ascii_digit() && y.is_ascii_digit())
            .then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
    };
    let (h, m, s) = (two(0)?, two(3)?, two(6)?);
    let mut millis = 0;
    match b.get(8) {
        None => {}
        Some(b'.') if b.len() > 9 && b[9..].iter().all(u8::is_ascii_digit) => {
            for (k, d) in b[9..].iter().take(3).enumerate() {
                millis += u32::from(d - b'0') * [100, 10, 1][k];
            }
        }
        _ => return None,
    }
    let local = race_day.0.and_hms_milli_opt(h, m, s, millis)?;
    match zone.0.from_local_datetime(&local) {
        chrono::LocalResult::Single(at) => Some(at.timestamp_millis()),
        _ => None,
    }
}
