//! What a roster file holds and what importing it found: which column
//! holds which field, and the report of an import with its problems. Plain
//! types (the reading and writing are in `roster::import`), here so that
//! an error can carry a report without the error module depending on the
//! roster's.
//!
//! Which column holds which field:
//! Header names are folded (case, accents, spaces and punctuation ignored)
//! and matched against the names rosters use in English, French, German,
//! Spanish and Korean. The guess can be overridden column by column.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::fold;
use crate::words::Said;

/// A field of an entrant that a roster column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Bib,
    FirstName,
    LastName,
    /// One column with the whole name: `First Last` or `Last, First`.
    Name,
    NativeName,
    Gender,
    BirthDate,
    Age,
    Country,
    City,
    Group,
    Race,
    Chip,
    Phone,
    EmergencyContact,
    MedicalNote,
    /// The start wave, one of the race's waves (kept with the extra fields
    /// under `wave`, where scoring reads it).
    Wave,
}

/// Folded header names for each field.
const NAMES: &[(Field, &[&str])] = &[
    (
        Field::Bib,
        &[
            "bib",
            "bibnumber",
            "bibno",
            "bibnr",
            "number",
            "no",
            "nr",
            "num",
            "dossard",
            "startnummer",
            "startnumber",
            "startno",
            "dorsal",
            "racenumber",
            "배번",
            "배번호",
            "번호",
            "등번호",
        ],
    ),
    (
        Field::FirstName,
        &[
            "firstname",
            "first",
            "givenname",
            "given",
            "forename",
            "prenom",
            "vorname",
            "nombre",
            "givennames",
        ],
    ),
    (
        Field::LastName,
        &[
            "lastname",
            "last",
            "surname",
            "familyname",
            "family",
            "nom",
            "nachname",
            "apellido",
            "apellidos",
            "성",
        ],
    ),
    (
        Field::Name,
        &[
            "name",
            "fullname",
            "runner",
            "runnername",
            "athlete",
            "participant",
            "이름",
            "성명",
            "선수",
            "선수명",
        ],
    ),
    (
        Field::NativeName,
        &[
            "nativename",
            "localname",
            "namenative",
            "nameinnativescript",
            "hangul",
            "hangulname",
            "koreanname",
            "chinesename",
            "한글",
            "한글이름",
            "조선글",
        ],
    ),
    (
        Field::Gender,
        &["gender", "sex", "mf", "geschlecht", "sexe", "sexo", "성별"],
    ),
    (
        Field::BirthDate,
        &[
            "birthdate",
            "dateofbirth",
            "dob",
            "born",
            "birthday",
            "geburtsdatum",
            "datedenaissance",
            "fechadenacimiento",
            "생년월일",
            "생일",
        ],
    ),
    (
        Field::Age,
        &["age", "ageonraceday", "alter", "edad", "나이", "연령"],
    ),
    (
        Field::Country,
        &[
            "country",
            "nationality",
            "nation",
            "nat",
            "noc",
            "land",
            "pays",
            "pais",
            "국적",
            "나라",
        ],
    ),
    (
        Field::City,
        &[
            "city",
            "town",
            "hometown",
            "residence",
            "ort",
            "ville",
            "ciudad",
            "도시",
            "거주지",
        ],
    ),
    (
        Field::Group,
        &[
            "group",
            "team",
            "club",
            "tour",
            "tourgroup",
            "touroperator",
            "agency",
            "verein",
            "equipe",
            "단체",
            "소속",
            "그룹",
            "여행사",
        ],
    ),
    (
        Field::Race,
        &[
            "race", "distance", "event", "course", "racecode", "strecke", "종목", "부문", "코스",
            "거리",
        ],
    ),
    (
        Field::Chip,
        &[
            "chip",
            "chipid",
            "chipcode",
            "chipnumber",
            "tag",
            "rfid",
            "transponder",
            "칩",
        ],
    ),
    (
        Field::Phone,
        &[
            "phone",
            "mobile",
            "tel",
            "telephone",
            "phonenumber",
            "cell",
            "전화",
            "전화번호",
            "휴대폰",
        ],
    ),
    (
        Field::EmergencyContact,
        &[
            "emergencycontact",
            "emergency",
            "ice",
            "emergencyphone",
            "비상연락처",
        ],
    ),
    (
        Field::MedicalNote,
        &[
            "medical",
            "medicalnote",
            "medicalnotes",
            "medicalinfo",
            "allergies",
            "의료",
            "의료정보",
        ],
    ),
    (
        Field::Wave,
        &[
            "wave",
            "startwave",
            "corral",
            "startgroup",
            "웨이브",
            "출발그룹",
        ],
    ),
];

impl Field {
    /// The name the roster format uses for it (`first_name`, `birth_date`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Bib => "bib",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Name => "name",
            Field::NativeName => "native_name",
            Field::Gender => "gender",
            Field::BirthDate => "birth_date",
            Field::Age => "age",
            Field::Country => "country",
            Field::City => "city",
            Field::Group => "group",
            Field::Race => "race",
            Field::Chip => "chip",
            Field::Phone => "phone",
            Field::EmergencyContact => "emergency_contact",
            Field::MedicalNote => "medical_note",
            Field::Wave => "wave",
        }
    }

    /// The field a header names, if any.
    pub fn from_header(header: &str) -> Option<Self> {
        let folded = fold(header);
        NAMES
            .iter()
            .find(|(_, names)| names.contains(&folded.as_str()))
            .map(|(field, _)| *field)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the import does with one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case", tag = "use", content = "field")]
pub enum ColumnUse {
    Field(Field),
    /// Kept as a free extra field under its header.
    Extra,
    Skip,
}

impl ColumnUse {
    /// Reads `bib`, `first_name`, a header synonym, `extra` or `skip`.
    pub fn parse(text: &str) -> Option<Self> {
        match fold(text).as_str() {
            "extra" => Some(Self::Extra),
            "skip" | "ignore" => Some(Self::Skip),
            _ => Field::from_header(text).map(Self::Field),
        }
    }
}

/// One column as the import reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Column {
    /// The spreadsheet letter: A, B, ..., AA.
    pub letter: String,
    pub header: String,
    #[serde(flatten)]
    pub used_as: ColumnUse,
}

impl Column {
    /// `C "Date of birth"`, for messages.
    pub fn label(&self) -> String {
        format!("{} \"{}\"", self.letter, self.header)
    }
}

/// How many cells of a row name a known field: tells the header row.
pub(crate) fn known_headers(cells: &[String]) -> usize {
    cells
        .iter()
        .filter(|cell| Field::from_header(cell).is_some())
        .count()
}

/// The guessed use of each column, with overrides (header → use) applied.
pub(crate) fn guess(headers: &[String], overrides: &[(String, ColumnUse)]) -> Vec<Column> {
    let mut columns: Vec<Column> = headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let used_as = overrides
                .iter()
                .find(|(name, _)| {
                    fold(name) == fold(header) || name.eq_ignore_ascii_case(&column_letter(i))
                })
                .map(|(_, used)| *used)
                .or_else(|| Field::from_header(header).map(ColumnUse::Field))
                .unwrap_or(if header.trim().is_empty() {
                    ColumnUse::Skip
                } else {
                    ColumnUse::Extra
                });
            Column {
                letter: column_letter(i),
                header: header.clone(),
                used_as,
            }
        })
        .collect();
    // A Korean roster splits 성 (family name) and 이름 (given name): with a
    // family-name column beside it, a lone name column is the given name.
    let has =
        |columns: &[Column], field| columns.iter().any(|c| c.used_as == ColumnUse::Field(field));
    if has(&columns, Field::LastName)
        && !has(&columns, Field::FirstName)
        && let Some(column) = columns
            .iter_mut()
            .find(|c| c.used_as == ColumnUse::Field(Field::Name))
    {
        column.used_as = ColumnUse::Field(Field::FirstName);
    }
    columns
}

/// A, B, ..., Z, AA, AB, ... for a zero-based column index.
pub(crate) fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(headers: &[&str]) -> Vec<ColumnUse> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        guess(&headers, &[])
            .into_iter()
            .map(|c| c.used_as)
            .collect()
    }

    #[test]
    fn matches_common_headers_in_any_case_and_accent() {
        use ColumnUse::Field as F;
        assert_eq!(
            used(&[
                "Bib #",
                "Prénom",
                "NOM",
                "Sex",
                "Date of Birth",
                "Nationality",
                "Tour Group",
                "Distance",
                "T-shirt"
            ]),
            vec![
                F(Field::Bib),
                F(Field::FirstName),
                F(Field::LastName),
                F(Field::Gender),
                F(Field::BirthDate),
                F(Field::Country),
                F(Field::Group),
                F(Field::Race),
                ColumnUse::Extra
            ]
        );
        assert_eq!(
            used(&["Dossard", "Name"]),
            vec![F(Field::Bib), F(Field::Name)]
        );
        assert_eq!(
            used(&["배번", "성", "이름", "성별"]),
            vec![
                F(Field::Bib),
                F(Field::LastName),
                F(Field::FirstName),
                F(Field::Gender)
            ]
        );
        assert_eq!(used(&["배번", "이름"]), vec![F(Field::Bib), F(Field::Name)]);
    }

    #[test]
    fn overrides_win_by_header_or_letter() {
        let headers = vec![
            "Startnr".to_string(),
            "Wer".to_string(),
            "Notes".to_string(),
        ];
        let overrides = vec![
            ("startnr".to_string(), ColumnUse::Field(Field::Bib)),
            ("B".to_string(), ColumnUse::Field(Field::Name)),
            ("Notes".to_string(), ColumnUse::Skip),
        ];
        let uses: Vec<_> = guess(&headers, &overrides)
            .into_iter()
            .map(|c| c.used_as)
            .collect();
        assert_eq!(
            uses,
            vec![
                ColumnUse::Field(Field::Bib),
                ColumnUse::Field(Field::Name),
                ColumnUse::Skip
            ]
        );
    }

    #[test]
    fn letters_go_past_z() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}

/// One row of the file as read, for the preview.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct PreviewRow {
    pub number: usize,
    pub cells: Vec<String>,
}

/// One thing wrong with the file, located as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// The spreadsheet row number; `None` for the file's layout.
    pub row: Option<usize>,
    /// The entrant field the problem is about, where it is about one.
    pub field: Option<Field>,
    /// `C "birth_date"`: the column letter and header.
    pub column: Option<String>,
    pub value: Option<String>,
    /// What is wrong, in English (the CLI, the log).
    pub message: String,
    /// The same as a key of the dictionaries and its values: the app says
    /// it in the volunteer's language.
    pub key: String,
    pub params: BTreeMap<String, String>,
}

impl Problem {
    pub(crate) fn new(
        row: Option<usize>,
        field: Option<Field>,
        column: Option<String>,
        value: Option<String>,
        said: Said,
    ) -> Self {
        Self {
            row,
            field,
            column,
            value,
            message: said.to_string(),
            key: said.key.to_owned(),
            params: said
                .params
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        }
    }

    pub(crate) fn at(row: usize, column: String, value: Option<String>, said: Said) -> Self {
        Self::new(Some(row), None, Some(column), value, said)
    }

    pub(crate) fn row(row: usize, said: Said) -> Self {
        Self::new(Some(row), None, None, None, said)
    }

    pub(crate) fn header(said: Said) -> Self {
        Self::new(None, None, None, None, said)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, &self.column) {
            (Some(row), Some(column)) => write!(f, "row {row}, column {column}: ")?,
            (Some(row), None) => write!(f, "row {row}: ")?,
            (None, Some(column)) => write!(f, "column {column}: ")?,
            (None, None) => write!(f, "header: ")?,
        }
        f.write_str(&self.message)
    }
}

/// What an import found and did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub dry_run: bool,
    pub sheet: Option<String>,
    pub columns: Vec<Column>,
    /// The first rows as read, cell by cell under `columns`.
    pub preview: Vec<PreviewRow>,
    /// Entrant rows read (blank rows are not counted).
    pub rows: usize,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub problems: Vec<Problem>,
    /// Things that did not stop the import but a person should know.
    /// Said as problems are (the row and column unset), in the reader's
    /// language on screen.
    pub warnings: Vec<Problem>,
}
