//! Importing a roster file: a dry run that lists every problem, and a real
//! import that writes all of it or nothing.
//!
//! Entrants are matched by bib: a bib already in the event is updated, a
//! new one is added, and entrants the file does not mention are left as
//! they are. A row may correct an entrant but not turn them into someone
//! else: a bib whose given and family name both differ from the entrant
//! who has it is a duplicate bib, reported, not overwritten.

mod columns;
mod read;
mod rows;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use crate::model::roster_file::{Column, ColumnUse, Field, ImportReport, PreviewRow, Problem};

use super::{from_entrant, strip_guard};
use crate::error::{Error, Result};
use crate::model::{Entrant, fold};
use crate::setup;
use crate::store::entrants::{self as store, EntrantRow};
use crate::store::{EventFile, audit};

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Check the file and report, writing nothing.
    pub dry_run: bool,
    /// The sheet of a workbook to read; the first when `None`.
    pub sheet: Option<String>,
    /// Column uses that override the guess, by header or column letter.
    pub columns: Vec<(String, ColumnUse)>,
    /// Told how far the import is, for a progress bar.
    pub progress: Option<Progress>,
    /// Set to stop the import; nothing is written once it is set.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// A callback with (rows checked, rows in the file).
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(usize, usize) + Send + Sync>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress")
    }
}

/// How many rows are checked between progress reports and cancel checks.
const PROGRESS_EVERY: usize = 2000;

/// The first rows of the file as read, for a preview table.
const PREVIEW_ROWS: usize = 100;

/// Imports a roster file, or with `dry_run` only checks it.
///
/// A dry run returns the report whatever it found. A real import with any
/// problem writes nothing and returns [`Error::ImportRejected`] with the
/// report; without problems it commits everything in one transaction.
pub async fn import(
    file: &EventFile,
    path: &Path,
    options: &ImportOptions,
    operator: &str,
) -> Result<ImportReport> {
    let event = setup::event(file).await?;
    let races = setup::race_list(file).await?;
    if races.is_empty() {
        return Err(Error::NotFound(crate::said!("error.no_races_yet")));
    }
    let mut report = ImportReport {
        dry_run: options.dry_run,
        ..ImportReport::default()
    };
    let table = read::read(path, options.sheet.as_deref(), &mut report.problems)?;
    report.sheet = table.sheet.clone();
    let digest = table.sha256.clone();
    report.columns = columns::guess(&table.headers, &options.columns);
    // A choice for a column the file does not have would be ignored
    // silently, and the field read from another column or not at all.
    for (name, used) in &options.columns {
        let found = table.headers.iter().enumerate().any(|(i, header)| {
            fold(name) == fold(header) || name.eq_ignore_ascii_case(&columns::column_letter(i))
        });
        if !found {
            let what = match used {
                ColumnUse::Field(field) => field.name(),
                ColumnUse::Extra => "extra",
                ColumnUse::Skip => "skip",
            };
            let columns = report
                .columns
                .iter()
                .map(Column::label)
                .collect::<Vec<_>>()
                .join(", ");
            report.problems.push(Problem::header(crate::said!(
                "problem.chosen_column_missing",
                name = name,
                what = what,
                columns = columns
            )));
        }
    }
    report.rows = table.rows.len();
    if table.rows.is_empty() {
        report
            .problems
            .push(Problem::header(crate::said!("problem.no_entrants")));
    }

    // A file for entrants the event has may leave out what it does not
    // change (a file of bibs and chips). Only such a file needs the bibs
    // the event has, read here; a full roster is read once, below.
    let lacks = |fields: &[Field]| {
        !report
            .columns
            .iter()
            .any(|c| matches!(c.used_as, ColumnUse::Field(f) if fields.contains(&f)))
    };
    let known: HashMap<String, String> = if lacks(&[
        Field::Name,
        Field::FirstName,
        Field::LastName,
        Field::NativeName,
    ]) || lacks(&[Field::Gender])
        || lacks(&[Field::Race])
    {
        store::all(file.reader())
            .await?
            .into_iter()
            .map(|row| (row.bib, row.race))
            .collect()
    } else {
        HashMap::new()
    };
    let layout_problems = report.problems.len();
    let reader = rows::RowReader::with_updates(
        &report.columns,
        &table.rows,
        event.date,
        &races,
        Some(&known),
        &mut report.problems,
    );
    report.preview = table
        .rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|row| PreviewRow {
            number: row.number,
            cells: row.cells.clone(),
        })
        .collect();
    let mut entrants = Vec::with_capacity(table.rows.len());
    if report.problems.len() == layout_problems {
        for (i, row) in table.rows.iter().enumerate() {
            if i % PROGRESS_EVERY == 0 {
                check_cancel(options)?;
                if let Some(progress) = &options.progress {
                    (progress.0)(i, table.rows.len());
                }
            }
            if let Some(entrant) = reader.read(row, &mut report.problems) {
                entrants.push((row.number, unguard(entrant)));
            }
        }
    }
    if let Some(progress) = &options.progress {
        (progress.0)(table.rows.len(), table.rows.len());
    }
    report
        .problems
        .extend(duplicates_within(&report.columns, &table.rows));
    if let Some(i) = report
        .columns
        .iter()
        .position(|c| c.used_as == ColumnUse::Field(Field::BirthDate))
        && table
            .rows
            .iter()
            .any(|row| is_ambiguous_date(&row.cells[i]))
    {
        let column = report.columns[i].label();
        report.warnings.push(Problem::header(if reader.day_first() {
            crate::said!("warning.dates_day_first", column = column)
        } else {
            crate::said!("warning.dates_month_first", column = column)
        }));
    }

    let race_ids: HashMap<String, i64> = crate::store::races::all(file.reader())
        .await?
        .into_iter()
        .map(|row| (row.code, row.id))
        .collect();
    // A race removed by another station since the rows were read is a
    // conflict, not a crash.
    let new_rows = entrants
        .into_iter()
        .map(
            |(number, entrant)| match race_ids.get(entrant.race.as_str()) {
                Some(&race_id) => Ok((number, from_entrant(entrant, race_id))),
                None => Err(Error::Conflict(crate::said!(
                    "error.race_removed",
                    race = entrant.race
                ))),
            },
        )
        .collect::<Result<Vec<(usize, EntrantRow)>>>()?;

    if options.dry_run {
        let existing = store::all(file.reader()).await?;
        let columns = report.columns.clone();
        plan(&existing, new_rows, &columns, &mut report);
        sort(&mut report.problems);
        return Ok(report);
    }

    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let existing = store::all(&mut *tx).await?;
    let columns = report.columns.clone();
    let (inserts, updates) = plan(&existing, new_rows, &columns, &mut report);
    if !report.problems.is_empty() {
        sort(&mut report.problems);
        return Err(Error::ImportRejected(Box::new(report)));
    }
    check_cancel(options)?;
    let at = crate::store::now_ms();
    // One audited change for the entrants added (the file, its digest and
    // the counts: the file is the record of what each entrant was), and
    // each changed entrant's old and new, as a desk's edit is.
    store::insert_many(&mut tx, inserts).await?;
    for row in &updates {
        store::update(&mut tx, row, (file.station(), operator), None, at).await?;
    }
    let summary = serde_json::json!({
        "file": path.display().to_string(),
        "sha256": digest,
        "sheet": report.sheet,
        "added": report.added,
        "changed": report.changed,
        "unchanged": report.unchanged,
    });
    audit::record(
        &mut *tx,
        audit::Change {
            operator,
            station: file.station(),
            entity: "roster",
            key: "import",
            action: "import",
            old: None,
            new: Some(summary.to_string()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// A re-import changes only what the file has a column for: a field with
/// no column keeps its value (a file of bibs and chips must not clear the
/// birth dates, nor a file without chips the chips), and extra fields
/// without a column stay.
fn keep_what_the_file_lacks(old: &EntrantRow, row: &mut EntrantRow, columns: &[Column]) {
    let has = |field| columns.iter().any(|c| c.used_as == ColumnUse::Field(field));
    let whole_name = has(Field::Name);
    if !has(Field::FirstName) && !whole_name {
        row.given_name = old.given_name.clone();
    }
    if !has(Field::LastName) && !whole_name {
        row.family_name = old.family_name.clone();
    }
    if !has(Field::NativeName) && row.native_name.is_none() {
        row.native_name = old.native_name.clone();
    }
    if !has(Field::Gender) {
        row.gender = old.gender.clone();
    }
    if !has(Field::BirthDate) && !has(Field::Age) {
        (row.birth_date, row.age) = (old.birth_date.clone(), old.age);
    }
    if !has(Field::Race) {
        (row.race_id, row.race) = (old.race_id, old.race.clone());
    }
    let keep = |field, new: &mut Option<String>, old: &Option<String>| {
        if !has(field) {
            new.clone_from(old);
        }
    };
    keep(Field::Country, &mut row.nationality, &old.nationality);
    keep(Field::City, &mut row.city, &old.city);
    keep(Field::Group, &mut row.team, &old.team);
    keep(Field::Chip, &mut row.chip, &old.chip);
    keep(Field::Phone, &mut row.phone, &old.phone);
    keep(
        Field::EmergencyContact,
        &mut row.emergency_contact,
        &old.emergency_contact,
    );
    keep(Field::MedicalNote, &mut row.medical_note, &old.medical_note);

    // Extra fields: the file's columns win; the others stay as they were.
    let parse = |json: &str| {
        serde_json::from_str::<std::collections::BTreeMap<String, String>>(json).unwrap_or_default()
    };
    let in_file = |key: &str| {
        columns.iter().any(|c| match c.used_as {
            ColumnUse::Extra => c.header == key,
            ColumnUse::Field(Field::Wave) => key.eq_ignore_ascii_case(rows::WAVE_KEY),
            _ => false,
        })
    };
    let mut extra = parse(&old.extra);
    extra.retain(|key, _| !in_file(key));
    extra.extend(parse(&row.extra));
    row.extra = serde_json::to_string(&extra).unwrap_or_else(|_| "{}".into());
}

/// Reads one entrant from cells under the roster format's own headers
/// (`bib`, `first_name`, ...): the checks a roster row gets, for a form.
pub(crate) fn read_one(
    fields: &[(Field, String)],
    race_day: crate::model::EventDate,
    races: &[crate::model::Race],
) -> std::result::Result<Entrant, Vec<Problem>> {
    let headers: Vec<String> = fields
        .iter()
        .map(|(field, _)| field.name().to_owned())
        .collect();
    let row = read::Row {
        number: 1,
        cells: fields
            .iter()
            .map(|(_, value)| value.trim().to_owned())
            .collect(),
    };
    let columns = columns::guess(&headers, &[]);
    let mut problems = Vec::new();
    let reader = rows::RowReader::new(
        &columns,
        std::slice::from_ref(&row),
        race_day,
        races,
        &mut problems,
    );
    match reader.read(&row, &mut problems) {
        Some(entrant) if problems.is_empty() => Ok(entrant),
        _ => Err(problems),
    }
}

/// Splits the file's entrants into additions and changes against what the
/// event holds, counting the unchanged, and reports bibs and chips that
/// belong to someone else.
fn plan(
    existing: &[EntrantRow],
    rows: Vec<(usize, EntrantRow)>,
    columns: &[Column],
    report: &mut ImportReport,
) -> (Vec<EntrantRow>, Vec<EntrantRow>) {
    if existing.is_empty() {
        // A first import: nothing to match or to collide with.
        report.added = rows.len();
        return (rows.into_iter().map(|(_, row)| row).collect(), Vec::new());
    }
    let by_bib: HashMap<&str, &EntrantRow> = existing.iter().map(|e| (e.bib.as_str(), e)).collect();
    let mut problems = Vec::new();
    // A row may update the entrant with its bib unless that is someone else.
    let rows: Vec<(usize, EntrantRow)> = rows
        .into_iter()
        .map(|(number, mut row)| {
            if let Some(old) = by_bib.get(row.bib.as_str()) {
                keep_what_the_file_lacks(old, &mut row, columns);
            }
            (number, row)
        })
        .filter(|(number, row)| match by_bib.get(row.bib.as_str()) {
            Some(old) if is_someone_else(old, row) => {
                problems.push(Problem::row(
                    *number,
                    crate::said!(
                        "problem.bib_in_event",
                        bib = row.bib,
                        holder = display_name(old)
                    ),
                ));
                false
            }
            _ => true,
        })
        .collect();
    // Chips stay with the entrants this file does not update.
    let updated: HashSet<&str> = rows.iter().map(|(_, r)| r.bib.as_str()).collect();
    let chips: HashMap<&str, &str> = existing
        .iter()
        .filter(|e| !updated.contains(e.bib.as_str()))
        .filter_map(|e| e.chip.as_deref().map(|chip| (chip, e.bib.as_str())))
        .collect();
    let (mut inserts, mut updates) = (Vec::new(), Vec::new());
    for (number, mut row) in rows {
        if let Some(holder) = row.chip.as_deref().and_then(|chip| chips.get(chip)) {
            problems.push(Problem::row(
                number,
                crate::said!(
                    "problem.chip_in_event",
                    chip = row.chip.as_deref().unwrap_or_default(),
                    holder = holder
                ),
            ));
            continue;
        }
        match by_bib.get(row.bib.as_str()) {
            None => inserts.push(row),
            Some(old) => {
                row.id = old.id;
                if **old == row {
                    report.unchanged += 1
                } else {
                    updates.push(row)
                }
            }
        }
    }
    report.problems.extend(problems);
    report.added = inserts.len();
    report.changed = updates.len();
    (inserts, updates)
}

/// Neither the given nor the family name matches: another person.
fn is_someone_else(old: &EntrantRow, new: &EntrantRow) -> bool {
    let same = |a: &str, b: &str| !a.is_empty() && fold(a) == fold(b);
    let names = |e: &EntrantRow| {
        (
            e.given_name.clone(),
            e.family_name.clone(),
            e.native_name.clone().unwrap_or_default(),
        )
    };
    let (og, of, on) = names(old);
    let (ng, nf, nn) = names(new);
    !(same(&og, &ng) || same(&of, &nf) || same(&on, &nn))
}

fn display_name(row: &EntrantRow) -> String {
    let name = format!("{} {}", row.given_name, row.family_name);
    match row.native_name.as_deref() {
        Some(native) if name.trim().is_empty() => native.to_owned(),
        _ => name.trim().to_owned(),
    }
}

/// A bib or chip on two rows of the file: both rows are named.
/// Bibs and chips that are on two rows, over every row of the file, also
/// rows with other problems, so a duplicate is never hidden behind them.
fn duplicates_within(columns: &[Column], rows: &[read::Row]) -> Vec<Problem> {
    let at = |field| {
        columns
            .iter()
            .position(|c| c.used_as == ColumnUse::Field(field))
    };
    let (bib_at, chip_at) = (at(Field::Bib), at(Field::Chip));
    let mut problems = Vec::new();
    let mut bibs: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut chips: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for row in rows {
        // As the row reader reads it, so 007 and 7 are one bib.
        if let Some(bib) = bib_at
            .and_then(|i| row.cells.get(i))
            .and_then(|cell| crate::model::Bib::parse(cell).ok())
            && let Some(first) = bibs.insert(bib.to_string(), row.number)
        {
            problems.push(Problem::row(
                row.number,
                crate::said!("problem.bib_twice", bib = bib, first = first),
            ));
        }
        if let Some(chip) = chip_at
            .and_then(|i| row.cells.get(i))
            .map(|cell| cell.trim())
            .filter(|chip| !chip.is_empty())
            && let Some(first) = chips.insert(chip, row.number)
        {
            problems.push(Problem::row(
                row.number,
                crate::said!("problem.chip_twice", chip = chip, first = first),
            ));
        }
    }
    problems
}

/// Undoes the guard our own CSV export puts before = + - @ (see
/// [`super::guard`]), so an exported roster imports unchanged.
fn unguard(mut entrant: Entrant) -> Entrant {
    for field in [
        Some(&mut entrant.given_name),
        Some(&mut entrant.family_name),
        entrant.native_name.as_mut(),
        entrant.city.as_mut(),
        entrant.group.as_mut(),
        entrant.chip.as_mut(),
        entrant.phone.as_mut(),
        entrant.emergency_contact.as_mut(),
        entrant.medical_note.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        strip_guard(field);
    }
    for value in entrant.extra.values_mut() {
        strip_guard(value);
    }
    entrant
}

fn is_ambiguous_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split(['/', '.', '-']).collect();
    matches!(parts[..], [a, b, y] if y.len() == 4 && a.parse::<u32>().is_ok_and(|a| (1..=12).contains(&a)) && b.parse::<u32>().is_ok_and(|b| (1..=12).contains(&b)) && a != b)
}

fn check_cancel(options: &ImportOptions) -> Result<()> {
    match &options.cancel {
        Some(flag) if flag.load(Ordering::Relaxed) => Err(Error::Cancelled),
        _ => Ok(()),
    }
}

fn sort(problems: &mut [Problem]) {
    problems.sort_by_key(|p| p.row.unwrap_or(0));
}
