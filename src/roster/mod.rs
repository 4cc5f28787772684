//! The roster: who is entered in which race.
//!
//! Import from CSV or XLSX files ([`import`]), and the list of entrants as
//! CSV or JSON ([`entrants`], [`write_csv`]). The CSV written is the format
//! `import` reads best, so a roster can go out and come back unchanged.

mod demo;
pub(crate) mod edit;
pub mod import;
mod table;

use std::collections::BTreeMap;
use std::io::Write;

pub use demo::{DEMO_MAX_ENTRANTS, check_demo_size, demo};
pub use edit::{EntrantForm, save_entrant};
pub use import::{ImportOptions, ImportReport, Problem, import};
pub use table::{RosterTable, SortKey, TablePage, TableQuery, TableRow};

use crate::error::{Error, Result};
use crate::model::{Age, Bib, Country, Entrant, EventDate, Gender, RaceCode, fold};
use crate::store::EventFile;
use crate::store::entrants::{self as store, EntrantRow};

/// Every entrant, by race and then bib.
pub async fn entrants(file: &EventFile) -> Result<Vec<Entrant>> {
    store::all(file.reader())
        .await?
        .into_iter()
        .map(to_entrant)
        .collect()
}

/// The entrant with `bib`, read alone rather than with the whole roster.
pub async fn entrant(file: &EventFile, bib: &Bib) -> Result<Entrant> {
    store::concerned(file.reader(), Some(bib.as_str()), bib.as_str(), None)
        .await?
        .into_iter()
        .find(|row| row.bib == bib.as_str())
        .map(to_entrant)
        .transpose()?
        .ok_or_else(|| Error::NotFound(crate::said!("error.no_entrant", bib = bib)))
}

/// Adds entrants that are already valid (the demo's), in one transaction.
pub(crate) async fn insert_entrants(
    file: &EventFile,
    entrants: Vec<Entrant>,
    operator: &str,
) -> Result<()> {
    let race_ids: std::collections::HashMap<String, i64> = crate::store::races::all(file.reader())
        .await?
        .into_iter()
        .map(|row| (row.code, row.id))
        .collect();
    let mut rows = Vec::with_capacity(entrants.len());
    for entrant in entrants {
        let race_id = *race_ids
            .get(entrant.race.as_str())
            .ok_or_else(|| Error::NotFound(crate::said!("error.no_race", race = entrant.race)))?;
        rows.push(from_entrant(entrant, race_id));
    }
    let count = rows.len();
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    store::insert_many(&mut tx, rows).await?;
    // One audited change for the lot, as an import is.
    crate::store::audit::record(
        &mut *tx,
        crate::store::audit::Change {
            operator,
            station: file.station(),
            entity: "roster",
            key: "demo",
            action: "import",
            old: None,
            new: Some(serde_json::json!({ "demo": true, "added": count }).to_string()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One entrant as the roster file has it: the columns `roster import`
/// reads, with the age on race day worked out. Field names are the file's
/// headers (snake_case), in CSV, JSON and the app alike.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct RosterLine {
    pub bib: String,
    pub first_name: String,
    pub last_name: String,
    pub native_name: Option<String>,
    pub gender: &'static str,
    pub birth_date: Option<String>,
    pub age: Option<i64>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub group: Option<String>,
    pub race: String,
    pub chip: Option<String>,
    pub phone: Option<String>,
    pub emergency_contact: Option<String>,
    pub medical_note: Option<String>,
    /// The other columns the roster came with (the start wave among them).
    pub extra: BTreeMap<String, String>,
}

impl RosterLine {
    /// The cells in the order of [`ROSTER_HEADERS`].
    fn cells(self) -> Vec<String> {
        let text = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.bib,
            self.first_name,
            self.last_name,
            text(self.native_name),
            self.gender.to_owned(),
            text(self.birth_date),
            self.age.map(|a| a.to_string()).unwrap_or_default(),
            text(self.country),
            text(self.city),
            text(self.group),
            self.race,
            text(self.chip),
            text(self.phone),
            text(self.emergency_contact),
            text(self.medical_note),
        ]
    }

    pub fn new(entrant: &Entrant, race_day: EventDate) -> Self {
        Self {
            bib: entrant.bib.to_string(),
            first_name: entrant.given_name.clone(),
            last_name: entrant.family_name.clone(),
            native_name: entrant.native_name.clone(),
            gender: entrant.gender.as_str(),
            birth_date: match entrant.age {
                Some(Age::Born(date)) => Some(date.to_string()),
                _ => None,
            },
            age: entrant.age.map(|age| age.on(race_day)),
            country: entrant.nationality.map(|c| c.code()),
            city: entrant.city.clone(),
            group: entrant.group.clone(),
            race: entrant.race.to_string(),
            chip: entrant.chip.clone(),
            phone: entrant.phone.clone(),
            emergency_contact: entrant.emergency_contact.clone(),
            medical_note: entrant.medical_note.clone(),
            extra: entrant.extra.clone(),
        }
    }
}

/// Writes the roster as CSV (RFC 4180): every field `import` reads, the
/// extra fields (the start wave among them) as columns of their own after
/// them, so a roster exported and imported again is unchanged. A cell that
/// a spreadsheet would run as a formula (= + - @, tab, carriage return
/// first) gets a leading apostrophe; `import` takes it off again.
pub fn write_csv(entrants: &[Entrant], race_day: EventDate, out: impl Write) -> Result<()> {
    let io = |e: csv::Error| Error::Unreadable {
        path: "output".into(),
        reason: e.to_string(),
    };
    let extra_keys: std::collections::BTreeSet<&str> = entrants
        .iter()
        .flat_map(|e| e.extra.keys().map(String::as_str))
        .filter(|key| !ROSTER_HEADERS.iter().any(|h| fold(h) == fold(key)))
        .collect();
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<String> = ROSTER_HEADERS.iter().map(|h| h.to_string()).collect();
    header.extend(extra_keys.iter().map(|k| k.to_string()));
    for cell in &mut header {
        guard(cell);
    }
    writer.write_record(&header).map_err(io)?;
    for entrant in entrants {
        let line = RosterLine::new(entrant, race_day);
        let mut cells = line.cells();
        cells.extend(
            extra_keys
                .iter()
                .map(|key| entrant.extra.get(*key).cloned().unwrap_or_default()),
        );
        for cell in &mut cells {
            guard(cell);
        }
        writer.write_record(&cells).map_err(io)?;
    }
    writer.flush().map_err(|e| io(e.into()))?;
    Ok(())
}

const ROSTER_HEADERS: [&str; 15] = [
    "bib",
    "first_name",
    "last_name",
    "native_name",
    "gender",
    "birth_date",
    "age",
    "country",
    "city",
    "group",
    "race",
    "chip",
    "phone",
    "emergency_contact",
    "medical_note",
];

/// Keeps a spreadsheet from running a cell as a formula.
pub(crate) fn guard(cell: &mut String) {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell.insert(0, '\'');
    }
}

/// Takes off the apostrophe [`guard`] put on.
pub(crate) fn strip_guard(cell: &mut String) {
    if cell.starts_with('\'') && cell[1..].starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell.remove(0);
    }
}

pub(crate) fn from_entrant(entrant: Entrant, race_id: i64) -> EntrantRow {
    let (birth_date, age) = match entrant.age {
        Some(Age::Born(date)) => (Some(date.to_string()), None),
        Some(Age::Given(years)) => (None, Some(i64::from(years))),
        None => (None, None),
    };
    EntrantRow {
        id: 0,
        bib: entrant.bib.to_string(),
        race_id,
        race: entrant.race.to_string(),
        given_name: entrant.given_name,
        family_name: entrant.family_name,
        native_name: entrant.native_name,
        gender: entrant.gender.as_str().to_owned(),
        birth_date,
        age,
        nationality: entrant.nationality.map(|c| c.code()),
        city: entrant.city,
        team: entrant.group,
        chip: entrant.chip,
        phone: entrant.phone,
        emergency_contact: entrant.emergency_contact,
        medical_note: entrant.medical_note,
        extra: if entrant.extra.is_empty() {
            "{}".into()
        } else {
            serde_json::to_string(&entrant.extra).unwrap_or_else(|_| "{}".into())
        },
    }
}

pub(crate) fn to_entrant(row: EntrantRow) -> Result<Entrant> {
    let bib = row.bib.clone();
    let damaged = move |what: &str, e: &dyn std::fmt::Display| {
        Error::Storage(sqlx::Error::Decode(
            format!("entrant {bib}: {what}: {e}").into(),
        ))
    };
    let age = match (&row.birth_date, row.age) {
        (Some(date), _) => Some(Age::Born(
            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|e| damaged("birth date", &e))?,
        )),
        (None, Some(years)) => Some(Age::Given(
            u8::try_from(years).map_err(|e| damaged("age", &e))?,
        )),
        (None, None) => None,
    };
    Ok(Entrant {
        bib: Bib::parse(&row.bib).map_err(|e| damaged("bib", &e))?,
        race: RaceCode::parse(&row.race).map_err(|e| damaged("race", &e))?,
        given_name: row.given_name,
        family_name: row.family_name,
        native_name: row.native_name,
        gender: Gender::parse(&row.gender).map_err(|e| damaged("gender", &e))?,
        age,
        nationality: row
            .nationality
            .as_deref()
            .map(Country::parse)
            .transpose()
            .map_err(|e| damaged("nationality", &e))?,
        city: row.city,
        group: row.team,
        chip: row.chip,
        phone: row.phone,
        emergency_contact: row.emergency_contact,
        medical_note: row.medical_note,
        extra: serde_json::from_str::<BTreeMap<String, String>>(&row.extra)
            .map_err(|e| damaged("extra", &e))?,
    })
}
