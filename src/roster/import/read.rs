//! Reading a roster file into a table of text cells.
//!
//! CSV in UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or
//! Windows-1252, with comma, semicolon or tab detected; XLSX, XLS and ODS
//! through calamine, the first sheet or a named one. Merged cells are filled
//! with their value (a tour group merged down its members belongs to each),
//! formula cells give their saved value. The header is the first row, among
//! the first few, that names roster fields, so a title row above it is
//! skipped.

use std::path::Path;

use calamine::{Data, Reader};

use super::Problem;
use super::columns::{self, column_letter};
use crate::error::{Error, Result};

/// A roster as read: header cells and data rows, all as trimmed text.
pub(crate) struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// The sheet read, for workbooks.
    pub sheet: Option<String>,
    /// SHA-256 of the file's bytes, hex: which file an import took, in
    /// its audit row.
    pub sha256: String,
}

pub(crate) struct Row {
    /// The row number a spreadsheet shows (the header is usually row 1).
    pub number: usize,
    pub cells: Vec<String>,
}

/// How many leading rows may be titles or notes before the header.
const HEADER_SEARCH_ROWS: usize = 10;

pub(crate) fn read(path: &Path, sheet: Option<&str>, problems: &mut Vec<Problem>) -> Result<Table> {
    let unreadable = |reason: String| Error::Unreadable {
        path: path.to_owned(),
        reason,
    };
    let bytes = crate::files::read_regular(path).map_err(unreadable)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(unreadable("the file is empty".into()));
    }
    let is_workbook =
        bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let (sheet_name, grid) = if is_workbook {
        let (name, grid) = read_workbook(path, sheet, problems).map_err(unreadable)?;
        (Some(name), grid)
    } else {
        if sheet.is_some() {
            return Err(unreadable(
                "--sheet applies to XLSX files; this file is CSV".into(),
            ));
        }
        (None, read_csv(&bytes, problems).map_err(unreadable)?)
    };
    let mut table = into_table(grid, problems).map_err(unreadable)?;
    table.sheet = sheet_name;
    table.sha256 = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    Ok(table)
}

/// Decodes CSV text (see [`crate::files::decode_text`]); the lines with
/// bytes that are not valid in the file's encoding are problems.
fn decode(bytes: &[u8], problems: &mut Vec<Problem>) -> std::result::Result<String, String> {
    let decoded = crate::files::decode_text(bytes);
    if decoded.text.contains('\0') {
        return Err("this is not a CSV or XLSX file (it holds binary data)".into());
    }
    for line in decoded.bad_lines {
        problems.push(Problem::row(line, crate::said!("problem.not_utf8")));
    }
    Ok(decoded.text)
}

/// The separator the header line uses most: comma, semicolon or tab.
fn delimiter(text: &str) -> u8 {
    let first_line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in first_line.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            _ => {
                if let Some(entry) = counts.iter_mut().find(|(d, _)| *d == byte) {
                    entry.1 += 1;
                }
            }
        }
    }
    // Ties go to the comma, first in the list.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

/// Rows of cells, each with its spreadsheet row number.
type Grid = Vec<(usize, Vec<String>)>;

fn read_csv(bytes: &[u8], problems: &mut Vec<Problem>) -> std::result::Result<Grid, String> {
    let text = decode(bytes, problems)?;
    let delimiter = delimiter(&text);
    for quote in crate::files::check_quotes(&text, delimiter) {
        problems.push(Problem::at(
            quote.line,
            column_letter(quote.field),
            None,
            quote.message,
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let lines = crate::files::Lines::of(&text);
    let mut grid = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let at = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(format!("line {}: {e}", lines.line_at(at))),
        }
        // A row's number is the line it starts on, as an editor shows it.
        grid.push((
            lines.of_record(&record),
            record.iter().map(|cell| cell.trim().to_owned()).collect(),
        ));
    }
    Ok(grid)
}

fn read_workbook(
    path: &Path,
    sheet: Option<&str>,
    problems: &mut Vec<Problem>,
) -> std::result::Result<(String, Grid), String> {
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|e| format!("cannot read this workbook: {e}"))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "there is no sheet '{wanted}'; the sheets are: {}",
                    names.join(", ")
                )
            })?,
        None => names.first().cloned().ok_or("the workbook has no sheets")?,
    };
    if let calamine::Sheets::Xlsx(xlsx) = &mut workbook {
        check_sheet_size(xlsx, &name)?;
    }
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| format!("cannot read sheet '{name}': {e}"))?;
    let formulas = workbook.worksheet_formula(&name).ok();
    let merged = match &mut workbook {
        calamine::Sheets::Xlsx(xlsx) => xlsx.merge_cells_by_sheet_name(&name).unwrap_or_default(),
        _ => Vec::new(),
    };
    let Some((first_row, first_col)) = range.start() else {
        return Ok((name, Vec::new()));
    };
    let mut grid = Vec::with_capacity(range.height());
    for (r, row) in range.rows().enumerate() {
        let abs_row = first_row + r as u32;
        let mut cells = vec![String::new(); first_col as usize];
        for (c, cell) in row.iter().enumerate() {
            let abs_col = first_col + c as u32;
            let value = merged
                .iter()
                .find(|region| region.contains(abs_row, abs_col))
                .and_then(|region| range.get_value(region.start))
                .unwrap_or(cell);
            let text = match cell_text(value) {
                Ok(text) => text,
                Err(reason) => {
                    problems.push(Problem::at(
                        abs_row as usize + 1,
                        column_letter(abs_col as usize),
                        None,
                        reason,
                    ));
                    String::new()
                }
            };
            let has_formula = || {
                formulas
                    .as_ref()
                    .and_then(|f| f.get_value((abs_row, abs_col)))
                    .is_some_and(|formula| !formula.is_empty())
            };
            if text.is_empty() && matches!(value, Data::Empty) && has_formula() {
                problems.push(Problem::at(
                    abs_row as usize + 1,
                    column_letter(abs_col as usize),
                    None,
                    crate::said!("problem.formula_without_value"),
                ));
            }
            cells.push(text);
        }
        grid.push((abs_row as usize + 1, cells));
    }
    Ok((name, grid))
}

/// The most columns a roster sheet may use, and the most cells (rows by
/// columns, from the first used to the last) it may span: far above any
/// roster, and a bound on what reading the sheet allocates.
const MAX_COLUMNS: u32 = 1_000;
const MAX_CELLS: u64 = 20_000_000;

/// Refuses a sheet whose used cells span more than a roster can, before
/// calamine allocates the whole rectangle (one value at XFD1048576 would
/// ask for 549 GB). The cells are streamed, so this pass allocates little.
fn check_sheet_size<RS: std::io::Read + std::io::Seek>(
    xlsx: &mut calamine::Xlsx<RS>,
    name: &str,
) -> std::result::Result<(), String> {
    let mut cells = xlsx
        .worksheet_cells_reader(name)
        .map_err(|e| format!("cannot read sheet '{name}': {e}"))?;
    let (mut first, mut last) = ((u32::MAX, u32::MAX), (0u32, 0u32));
    let mut any = false;
    while let Some(cell) = cells
        .next_cell_with_formula()
        .map_err(|e| format!("cannot read sheet '{name}': {e}"))?
    {
        if matches!(cell.value, calamine::DataRef::Empty) && cell.formula.is_none() {
            continue;
        }
        let (row, col) = cell.pos;
        any = true;
        first = (first.0.min(row), first.1.min(col));
        last = (last.0.max(row), last.1.max(col));
    }
    if !any {
        return Ok(());
    }
    let (rows, columns) = (last.0 - first.0 + 1, last.1 - first.1 + 1);
    let corner = format!(
        "{}{}:{}{}",
        column_letter(first.1 as usize),
        first.0 + 1,
        column_letter(last.1 as usize),
        last.0 + 1
    );
    if columns > MAX_COLUMNS || u64::from(rows) * u64::from(columns) > MAX_CELLS {
        return Err(format!(
            "sheet '{name}' uses cells {corner} ({rows} rows by {columns} columns), more than a roster can be (up to {MAX_COLUMNS} columns and {MAX_CELLS} cells): delete the stray cells far from the roster, or copy the roster to a new sheet"
        ));
    }
    Ok(())
}

/// A cell as text: whole numbers without ".0", dates as YYYY-MM-DD.
fn cell_text(cell: &Data) -> std::result::Result<String, crate::words::Said> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => {
                dt.date().format("%Y-%m-%d").to_string()
            }
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => return Err(crate::said!("problem.date_cell")),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => {
            return Err(crate::said!("problem.cell_error", error = e));
        }
    })
}

/// Finds the header row and keeps the non-empty rows after it.
fn into_table(grid: Grid, problems: &mut Vec<Problem>) -> std::result::Result<Table, String> {
    let mut rows = grid
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()));
    let leading: Vec<_> = rows.by_ref().take(HEADER_SEARCH_ROWS).collect();
    if leading.is_empty() {
        return Err("the file is empty".into());
    }
    let header_at = leading
        .iter()
        .position(|(_, cells)| columns::known_headers(cells) >= 2)
        .or_else(|| {
            leading
                .iter()
                .position(|(_, cells)| columns::known_headers(cells) >= 1)
        })
        .unwrap_or(0);
    let mut leading = leading.into_iter().skip(header_at);
    let (header_row, headers) = leading.next().unwrap_or_default();
    let width = headers.len();
    let mut table = Table {
        headers,
        rows: Vec::new(),
        sheet: None,
        sha256: String::new(),
    };
    for (number, mut cells) in leading.chain(rows) {
        if cells.len() > width {
            if cells[width..].iter().any(|c| !c.is_empty()) {
                problems.push(Problem::row(
                    number,
                    crate::said!(
                        "problem.row_width",
                        cells = cells.len(),
                        header_row = header_row,
                        width = width
                    ),
                ));
            }
            cells.truncate(width);
        }
        cells.resize(width, String::new());
        table.rows.push(Row { number, cells });
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_separator_of_the_header() {
        assert_eq!(delimiter("bib,name\n1,a"), b',');
        assert_eq!(delimiter("bib;name;race\n1;a;b"), b';');
        assert_eq!(delimiter("bib\tname\n"), b'\t');
        assert_eq!(delimiter("\"a,b\";c\n"), b';');
        assert_eq!(delimiter("name\n"), b',');
    }

    #[test]
    fn decodes_boms_utf8_and_windows_1252() {
        let decode = |bytes: &[u8]| decode(bytes, &mut Vec::new());
        assert_eq!(decode(b"\xEF\xBB\xBFbib").unwrap(), "bib");
        assert_eq!(decode("Müller".as_bytes()).unwrap(), "Müller");
        assert_eq!(decode(b"M\xFCller,G\xF3mez").unwrap(), "Müller,Gómez");
        assert_eq!(decode(b"\xFF\xFEb\0i\0b\0").unwrap(), "bib");
        assert!(decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").is_err());
    }
}
