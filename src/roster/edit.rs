//! Adding one entrant or correcting one, from a form: every field checked
//! as a roster row would be, each problem named by its field.

use crate::error::{Error, Result};
use sqlx::SqliteConnection;

use std::collections::BTreeMap;

use crate::model::{
    ANNOUNCER_NOTE, Age, Bib, Entrant, EventDate, HIGHLIGHT, ParseError, column, set_column,
};
use crate::roster::import::Field;
use crate::setup;
use crate::store::EventFile;
use crate::store::entrants as store;

/// An entrant as a form gives it: text fields, checked on save.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase", default)]
pub struct EntrantForm {
    pub bib: String,
    pub first_name: String,
    pub last_name: String,
    pub native_name: String,
    pub gender: String,
    /// YYYY-MM-DD (or any date a roster may hold); empty when unknown.
    pub birth_date: String,
    /// Age on race day, used when there is no birth date.
    pub age: String,
    pub country: String,
    pub city: String,
    pub group: String,
    pub race: String,
    pub chip: String,
    pub phone: String,
    pub emergency_contact: String,
    pub medical_note: String,
    /// A line for the announcer ("first marathon at 70"), kept in the
    /// roster's `announcer note` column.
    pub announcer_note: String,
    /// A free field the announcer's screen highlights ("100th marathon"),
    /// kept in the roster's `highlight` column.
    pub highlight: String,
    /// Why the entrant is changed: required to move them to another race,
    /// and kept in the audit trail.
    pub reason: String,
}

impl EntrantForm {
    pub fn from_entrant(entrant: &Entrant, race_day: EventDate) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            bib: entrant.bib.to_string(),
            first_name: entrant.given_name.clone(),
            last_name: entrant.family_name.clone(),
            native_name: opt(&entrant.native_name),
            gender: entrant.gender.to_string(),
            birth_date: match entrant.age {
                Some(Age::Born(date)) => date.to_string(),
                _ => String::new(),
            },
            age: entrant
                .age
                .map(|a| a.on(race_day).to_string())
                .unwrap_or_default(),
            country: entrant.nationality.map(|c| c.code()).unwrap_or_default(),
            city: opt(&entrant.city),
            group: opt(&entrant.group),
            race: entrant.race.to_string(),
            chip: opt(&entrant.chip),
            phone: opt(&entrant.phone),
            emergency_contact: opt(&entrant.emergency_contact),
            medical_note: opt(&entrant.medical_note),
            announcer_note: column(&entrant.extra, ANNOUNCER_NOTE)
                .unwrap_or_default()
                .to_owned(),
            highlight: column(&entrant.extra, HIGHLIGHT)
                .unwrap_or_default()
                .to_owned(),
            reason: String::new(),
        }
    }

    fn fields(&self) -> Vec<(Field, String)> {
        vec![
            (Field::Bib, self.bib.clone()),
            (Field::FirstName, self.first_name.clone()),
            (Field::LastName, self.last_name.clone()),
            (Field::NativeName, self.native_name.clone()),
            (Field::Gender, self.gender.clone()),
            (Field::BirthDate, self.birth_date.clone()),
            (Field::Age, self.age.clone()),
            (Field::Country, self.country.clone()),
            (Field::City, self.city.clone()),
            (Field::Group, self.group.clone()),
            (Field::Race, self.race.clone()),
            (Field::Chip, self.chip.clone()),
            (Field::Phone, self.phone.clone()),
            (Field::EmergencyContact, self.emergency_contact.clone()),
            (Field::MedicalNote, self.medical_note.clone()),
        ]
    }
}

/// Adds an entrant (`replacing` is `None`) or corrects the one with the
/// bib `replacing`, which may get a new bib (the old one is then free). A
/// bib or chip another entrant holds is refused, naming who holds it; a
/// move to another race needs a reason. Audited.
pub async fn save_entrant(
    file: &EventFile,
    replacing: Option<&str>,
    form: &EntrantForm,
    operator: &str,
) -> Result<Entrant> {
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let (entrant, _) = save_in(file, &mut tx, replacing, form, operator).await?;
    tx.commit().await?;
    Ok(entrant)
}

/// [`save_entrant`] in the caller's transaction; also gives the entrant's
/// stable key.
pub(crate) async fn save_in(
    file: &EventFile,
    tx: &mut SqliteConnection,
    replacing: Option<&str>,
    form: &EntrantForm,
    operator: &str,
) -> Result<(Entrant, Vec<u8>)> {
    let event = setup::event(file).await?;
    let races = setup::race_list(file).await?;
    // The same checks a roster row gets; a birth date wins over an age.
    let mut entrant = crate::roster::import::read_one(&form.fields(), event.date, &races)
        .map_err(Error::InvalidEntrant)?;
    let race_ids = crate::store::races::all(file.reader()).await?;
    let race_id = race_ids
        .iter()
        .find(|r| r.code == entrant.race.as_str())
        .map(|r| r.id)
        .ok_or_else(|| {
            field_problem(
                Field::Race,
                crate::said!("error.no_race", race = entrant.race),
            )
        })?;

    let replacing = replacing
        .map(|bib| Bib::parse(bib).map_err(|e| Error::invalid("bib", e)))
        .transpose()?;
    // Only the entrants this change concerns: the one corrected, and any
    // holding the bib or chip asked for (indexed lookups, not the roster).
    let existing = store::concerned(
        &mut *tx,
        replacing.as_ref().map(Bib::as_str),
        entrant.bib.as_str(),
        entrant.chip.as_deref(),
    )
    .await?;
    let old = match &replacing {
        Some(bib) => Some(
            existing
                .iter()
                .find(|e| e.bib == bib.as_str())
                .ok_or_else(|| Error::NotFound(crate::said!("error.no_entrant", bib = bib)))?,
        ),
        None => None,
    };
    let others = existing.iter().filter(|e| Some(e.id) != old.map(|o| o.id));
    for other in others {
        if other.bib == entrant.bib.as_str() {
            return Err(field_problem(
                Field::Bib,
                crate::said!(
                    "problem.bib_taken",
                    bib = other.bib,
                    holder = format!("{} {}", other.given_name, other.family_name),
                    race = other.race
                ),
            ));
        }
        if entrant.chip.is_some() && other.chip == entrant.chip {
            return Err(field_problem(
                Field::Chip,
                crate::said!(
                    "problem.chip_in_event",
                    chip = other.chip.as_deref().unwrap_or(""),
                    holder = other.bib
                ),
            ));
        }
    }
    let reason = Some(form.reason.trim()).filter(|r| !r.is_empty());
    // The roster's other columns are kept; the announcer's two are the form's.
    let mut extra: BTreeMap<String, String> = old
        .and_then(|o| serde_json::from_str(&o.extra).ok())
        .unwrap_or_default();
    set_column(&mut extra, ANNOUNCER_NOTE, &form.announcer_note);
    set_column(&mut extra, HIGHLIGHT, &form.highlight);
    entrant.extra = extra;
    let mut row = crate::roster::from_entrant(entrant.clone(), race_id);
    let at = crate::store::now_ms();
    let id = match old {
        None => {
            let last_id = store::insert_many(&mut *tx, vec![row]).await?;
            store::audit_added(&mut *tx, last_id, (file.station(), operator), at).await?;
            None
        }
        Some(old) => {
            if old.race_id != race_id && reason.is_none() {
                return Err(Error::invalid(
                    "reason",
                    ParseError::new(crate::said!(
                        "invalid.move_reason",
                        from = old.race,
                        to = entrant.race
                    )),
                ));
            }
            row.id = old.id;
            store::update(&mut *tx, &row, (file.station(), operator), reason, at).await?;
            Some(old.id)
        }
    };
    let uid = store::uid(&mut *tx, id, entrant.bib.as_str()).await?;
    Ok((entrant, uid))
}

fn field_problem(field: Field, message: crate::words::Said) -> Error {
    Error::InvalidEntrant(vec![crate::roster::Problem::new(
        None,
        Some(field),
        None,
        None,
        message,
    )])
}
