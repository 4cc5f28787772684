//! Roster import on real CSV and XLSX files: formats, column guessing, and
//! each bad input the import must report without writing anything.

use racedesk::Error;
use racedesk::model::{Age, AgeGroups, Event, EventDate, Race, RaceCode, TimeZone};
use racedesk::roster::{self, ImportOptions};
use racedesk::setup;
use rust_xlsxwriter::{Format, Formula, Workbook};

use crate::support::{TestEvent, has_problem, rejected};

const HEADER: &str = "bib,first_name,last_name,gender,birth_date,age,country,city,group,race,chip";

fn csv(rows: &[&str]) -> String {
    let mut text = HEADER.to_string();
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text
}

#[tokio::test]
async fn the_documented_format_imports_and_lists_back() {
    let event = TestEvent::new().await;
    let path = event.write(
        "roster.csv",
        csv(&[
            "1,Ji-ho,Kim,F,1987-04-11,,KOR,Seoul,Koryo Tours,MAR,E2001",
            "1001,James,Smith,M,,34,GBR,London,Koryo Tours,HALF,",
            "F1,Rita,Jeptoo,F,,33,KEN,Eldoret,,MAR,E2003",
        ]),
    );
    let report = event.import(&path).await.expect("imports");
    assert_eq!(
        (report.rows, report.added, report.changed, report.unchanged),
        (3, 3, 0, 0)
    );
    let entrants = roster::entrants(&event.file).await.unwrap();
    let kim = entrants.iter().find(|e| e.bib.as_str() == "1").unwrap();
    assert_eq!(kim.family_name, "Kim");
    assert_eq!(
        kim.age.unwrap().on(EventDate::parse("2027-04-11").unwrap()),
        40
    );
    assert_eq!(kim.nationality.unwrap().code(), "KOR");
    assert_eq!(kim.group.as_deref(), Some("Koryo Tours"));
    assert_eq!(kim.chip.as_deref(), Some("E2001"));
    let smith = entrants.iter().find(|e| e.bib.as_str() == "1001").unwrap();
    assert_eq!(smith.race.as_str(), "HALF");
    assert_eq!(smith.age, Some(Age::Given(34)));
}

#[tokio::test]
async fn an_empty_file_is_refused_clearly() {
    let event = TestEvent::new().await;
    for (name, bytes) in [("empty.csv", ""), ("blank.csv", " \n\n  \n")] {
        let err = event.import(&event.write(name, bytes)).await.unwrap_err();
        assert!(matches!(err, Error::Unreadable { .. }), "{err:?}");
        assert!(err.to_string().contains("empty"), "{err}");
    }
}

#[tokio::test]
async fn a_header_without_rows_is_a_problem() {
    let event = TestEvent::new().await;
    let report = rejected(
        event
            .import(&event.write("headers.csv", format!("{HEADER}\n")))
            .await,
    );
    assert!(
        has_problem(&report, None, "no entrants"),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn a_utf8_bom_does_not_hide_the_first_header() {
    let event = TestEvent::new().await;
    let path = event.write(
        "bom.csv",
        format!("\u{FEFF}{}", csv(&["7,Anna,Müller,F,,30,DEU,,,MAR,"])),
    );
    event.import(&path).await.expect("imports");
    let entrants = roster::entrants(&event.file).await.unwrap();
    assert_eq!(entrants[0].bib.as_str(), "7");
    assert_eq!(entrants[0].family_name, "Müller");
}

#[tokio::test]
async fn windows_1252_accents_are_read() {
    let event = TestEvent::new().await;
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"\n7,J\xFCrgen,M\xFCller,M,,41,DEU,K\xF6ln,,MAR,\n8,Mar\xEDa,G\xF3mez,F,,29,ESP,,,MAR,\n",
    );
    event
        .import(&event.write("latin1.csv", bytes))
        .await
        .expect("imports");
    let names: Vec<String> = roster::entrants(&event.file)
        .await
        .unwrap()
        .iter()
        .map(|e| e.display_name())
        .collect();
    assert_eq!(names, ["Jürgen Müller", "María Gómez"]);
}

#[tokio::test]
async fn hangul_headers_names_and_genders_are_read() {
    let event = TestEvent::new().await;
    let path = event.write("korean.csv", "배번,성,이름,성별,나이,국적,소속,종목\n12,박,금동,남,34,조선,평양시,MAR\n13,리,순희,여,28,PRK,평양시,하프\n");
    // Bib 13 is outside the half marathon's bibs: check the names via a dry run first.
    let report = event.dry_run(&path).await.unwrap();
    assert!(
        has_problem(&report, Some(3), "outside the bibs of HALF"),
        "{:?}",
        report.problems
    );
    let path = event.write("korean.csv", "배번,성,이름,성별,나이,국적,소속,종목\n12,박,금동,남,34,조선,평양시,MAR\n1013,리,순희,여,28,PRK,평양시,하프\n");
    event.import(&path).await.expect("imports");
    let entrants = roster::entrants(&event.file).await.unwrap();
    assert_eq!(entrants[0].native_name.as_deref(), Some("박금동"));
    assert_eq!(entrants[0].gender.as_str(), "M");
    assert_eq!(entrants[0].nationality.unwrap().code(), "PRK");
    assert_eq!(entrants[1].native_name.as_deref(), Some("리순희"));
    assert_eq!(entrants[1].gender.as_str(), "F");
    assert_eq!(entrants[1].race.as_str(), "HALF");
}

#[tokio::test]
async fn a_file_that_is_not_a_roster_is_refused() {
    let event = TestEvent::new().await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    let err = event
        .import(&event.write("photo.csv", png))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a CSV or XLSX file"), "{err}");

    let prose = "Dear runners,\nplease bring your passport to the desk.\n";
    let report = rejected(event.import(&event.write("letter.csv", prose)).await);
    assert!(
        has_problem(&report, None, "no column holds the bib"),
        "{:?}",
        report.problems
    );
    assert_eq!(event.entrant_count().await, 0);

    let fake_xlsx = event.write("fake.xlsx", b"PK\x03\x04 this is not really a zip");
    let err = event.import(&fake_xlsx).await.unwrap_err();
    assert!(matches!(err, Error::Unreadable { .. }), "{err:?}");
}

#[tokio::test]
async fn semicolons_and_tabs_are_detected() {
    let event = TestEvent::new().await;
    let semi = "Dossard;Nom;Prénom;Sexe;Date de naissance;Pays;Course\n21;Lefèvre;Chloé;F;25/12/1980;France;MAR\n";
    event
        .import(&event.write("fr.csv", semi))
        .await
        .expect("semicolons");
    let tab = "Bib\tName\tSex\tAge\tCountry\tRace\n22\tMeier, Luca\tmale\t40\tSUI\tMarathon\n";
    event
        .import(&event.write("tab.txt", tab))
        .await
        .expect("tabs");
    let entrants = roster::entrants(&event.file).await.unwrap();
    assert_eq!(entrants[0].display_name(), "Chloé Lefèvre");
    assert_eq!(
        entrants[0].age,
        Some(Age::Born(
            chrono::NaiveDate::from_ymd_opt(1980, 12, 25).unwrap()
        ))
    );
    assert_eq!(entrants[1].given_name, "Luca");
    assert_eq!(entrants[1].family_name, "Meier");
    assert_eq!(entrants[1].nationality.unwrap().code(), "CHE");
}

#[tokio::test]
async fn xlsx_with_a_title_merged_cells_formulas_and_dates() {
    let event = TestEvent::new().await;
    let path = event.dir.path().join("roster.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .merge_range(
            0,
            0,
            0,
            5,
            "Pyongyang Marathon 2027: Koryo Tours group",
            &Format::new(),
        )
        .unwrap();
    for (col, header) in [
        "Bib",
        "Name",
        "Gender",
        "Date of birth",
        "Age",
        "Tour group",
        "Race",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, col as u16, *header).unwrap();
    }
    // The tour group is merged down over its three members.
    sheet
        .merge_range(2, 5, 4, 5, "Koryo Tours", &Format::new())
        .unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let born = rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 3, 4).unwrap();
    for (row, (bib, name, gender)) in [
        (2u32, (1.0, "Smith, Emma", "F")),
        (3, (2.0, "Oliver Jones", "M")),
        (4, (3.0, "Harry Brown", "M")),
    ] {
        sheet.write_number(row, 0, bib).unwrap();
        sheet.write_string(row, 1, name).unwrap();
        sheet.write_string(row, 2, gender).unwrap();
        sheet.write_string(row, 6, "MAR").unwrap();
    }
    sheet.write_datetime_with_format(2, 3, born, &date).unwrap();
    sheet
        .write_formula(3, 4, Formula::new("=30+4").set_result("34"))
        .unwrap();
    sheet.write_number(4, 4, 51.0).unwrap();
    workbook.save(&path).unwrap();

    let report = event.import(&path).await.expect("imports");
    assert_eq!(report.added, 3);
    let entrants = roster::entrants(&event.file).await.unwrap();
    assert!(
        entrants
            .iter()
            .all(|e| e.group.as_deref() == Some("Koryo Tours")),
        "{entrants:?}"
    );
    assert_eq!(entrants[0].display_name(), "Emma Smith");
    assert_eq!(
        entrants[0].age,
        Some(Age::Born(
            chrono::NaiveDate::from_ymd_opt(1990, 3, 4).unwrap()
        ))
    );
    assert_eq!(
        entrants[1].age,
        Some(Age::Given(34)),
        "the formula's saved value"
    );
    assert_eq!(entrants[2].age, Some(Age::Given(51)));
}

#[tokio::test]
async fn xlsx_sheets_are_chosen_by_name() {
    let event = TestEvent::new().await;
    let path = event.dir.path().join("two-sheets.xlsx");
    let mut workbook = Workbook::new();
    workbook
        .add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "read me")
        .unwrap();
    let sheet = workbook.add_worksheet().set_name("Roster").unwrap();
    for (col, value) in ["bib", "name", "gender", "race"].iter().enumerate() {
        sheet.write_string(0, col as u16, *value).unwrap();
    }
    for (col, value) in ["5", "Anna Berg", "F", "5K"].iter().enumerate() {
        sheet.write_string(1, col as u16, *value).unwrap();
    }
    workbook.save(&path).unwrap();

    let options = |sheet: &str| ImportOptions {
        sheet: Some(sheet.into()),
        ..ImportOptions::default()
    };
    let err = roster::import(&event.file, &path, &options("Entries"), "test")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no sheet 'Entries'") && err.to_string().contains("Notes, Roster"),
        "{err}"
    );
    // Bib 5 is not a 5K bib (3000-3999): the problem names the sheet's row.
    let report = rejected(roster::import(&event.file, &path, &options("roster"), "test").await);
    assert_eq!(report.sheet.as_deref(), Some("Roster"));
    assert!(
        has_problem(&report, Some(2), "outside the bibs of 5K"),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn a_ten_megabyte_field_is_reported_not_stored() {
    let event = TestEvent::new().await;
    let huge = "x".repeat(10 * 1024 * 1024);
    let path = event.write(
        "huge.csv",
        csv(&[
            "1,Anna,Berg,F,,30,SWE,,,MAR,",
            &format!("2,{huge},Berg,F,,30,SWE,,,MAR,"),
        ]),
    );
    let report = rejected(event.import(&path).await);
    assert!(
        has_problem(&report, Some(3), "longer than 100 characters"),
        "{:?}",
        report.problems
    );
    // The message quotes a short part of the value, not ten megabytes of it.
    assert!(report.problems.iter().all(|p| p.to_string().len() < 500));
    assert_eq!(event.entrant_count().await, 0);
}

#[tokio::test]
async fn duplicate_bibs_in_the_file_name_both_rows_and_007_is_7() {
    let event = TestEvent::new().await;
    let path = event.write(
        "dupes.csv",
        csv(&[
            "7,Anna,Berg,F,,30,SWE,,,MAR,C1",
            "8,Lars,Berg,M,,31,SWE,,,MAR,C1",
            "007,Erik,Lind,M,,32,SWE,,,MAR,",
        ]),
    );
    let report = rejected(event.import(&path).await);
    assert!(
        has_problem(&report, Some(4), "bib 7 is also on row 2"),
        "{:?}",
        report.problems
    );
    assert!(
        has_problem(&report, Some(3), "chip C1 is also on row 2"),
        "{:?}",
        report.problems
    );
    assert_eq!(event.entrant_count().await, 0);
}

#[tokio::test]
async fn a_bib_held_by_someone_else_in_the_event_is_a_duplicate() {
    let event = TestEvent::new().await;
    event
        .import(&event.write("first.csv", csv(&["7,Anna,Berg,F,,30,SWE,,,MAR,C1"])))
        .await
        .unwrap();
    let second = event.write(
        "second.csv",
        csv(&[
            "7,John,Smith,M,,40,GBR,,,MAR,",
            "8,Lars,Lind,M,,31,SWE,,,MAR,C1",
        ]),
    );
    let report = rejected(event.import(&second).await);
    assert!(
        has_problem(&report, Some(2), "bib 7 already belongs to Anna Berg"),
        "{:?}",
        report.problems
    );
    assert!(
        has_problem(&report, Some(3), "chip C1 already belongs to bib 7"),
        "{:?}",
        report.problems
    );
    let entrants = roster::entrants(&event.file).await.unwrap();
    assert_eq!(entrants.len(), 1);
    assert_eq!(entrants[0].display_name(), "Anna Berg");
}

#[tokio::test]
async fn an_unknown_race_names_the_races_there_are() {
    let event = TestEvent::new().await;
    let report = rejected(
        event
            .import(&event.write("race.csv", csv(&["7,Anna,Berg,F,,30,SWE,,,ULTRA,"])))
            .await,
    );
    assert!(
        has_problem(
            &report,
            Some(2),
            "column J \"race\": 'ULTRA' is not a race of this event; the races are MAR, HALF, 10K, 5K"
        ),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn races_are_found_by_code_name_or_distance() {
    let event = TestEvent::new().await;
    let path = event.write(
        "races.csv",
        csv(&[
            "7,A,B,F,,30,,,,marathon,",
            "1007,C,D,M,,30,,,,Half Marathon,",
            "2007,E,F,F,,30,,,,10 km,",
            "3007,G,H,M,,30,,,,5k,",
        ]),
    );
    event.import(&path).await.expect("imports");
    let races: Vec<String> = roster::entrants(&event.file)
        .await
        .unwrap()
        .iter()
        .map(|e| e.race.to_string())
        .collect();
    assert_eq!(races, ["MAR", "HALF", "10K", "5K"]);
}

#[tokio::test]
async fn impossible_ages_and_birth_dates_are_problems() {
    let event = TestEvent::new().await;
    let path = event.write(
        "ages.csv",
        csv(&[
            "1,Baby,A,F,2030-01-01,,,,,MAR,",
            "2,Zero,B,M,,0,,,,MAR,",
            "3,Old,C,F,,130,,,,MAR,",
            "4,Bad,D,M,1987-02-30,,,,,MAR,",
            "5,Fine,E,F,,35,,,,MAR,",
        ]),
    );
    let report = rejected(event.import(&path).await);
    assert!(
        has_problem(&report, Some(2), "after race day"),
        "{:?}",
        report.problems
    );
    assert!(
        has_problem(&report, Some(3), "an age of 0"),
        "{:?}",
        report.problems
    );
    assert!(
        has_problem(&report, Some(4), "an age of 130"),
        "{:?}",
        report.problems
    );
    assert!(
        has_problem(&report, Some(5), "'1987-02-30' is not a date"),
        "{:?}",
        report.problems
    );
    assert!(!report.problems.iter().any(|p| p.row == Some(6)));
    assert_eq!(event.entrant_count().await, 0);
}

#[tokio::test]
async fn a_bad_row_40000_writes_nothing() {
    let event = TestEvent::new().await;
    let open = Race {
        code: RaceCode::parse("OPEN").unwrap(),
        name: "Open".into(),
        distance_m: 5_000,
        age_groups: AgeGroups::open(),
        bibs: None,
        waves: Vec::new(),
        checkpoints: Vec::new(),
        net_time: false,
        cutoff_ms: None,
        overdue_ms: None,
        records: Vec::new(),
    };
    setup::add_race(&event.file, &open, "test").await.unwrap();
    let mut text = String::from("bib,name,gender,age,race\n");
    for i in 2..=40_001 {
        let gender = if i == 40_000 { "Q" } else { "F" };
        text.push_str(&format!("{},Runner {i},{gender},30,OPEN\n", 10_000 + i));
    }
    let report = rejected(event.import(&event.write("big.csv", text)).await);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        has_problem(&report, Some(40_000), "'Q' is not a gender"),
        "{:?}",
        report.problems
    );
    assert_eq!(event.entrant_count().await, 0);
}

#[tokio::test]
async fn a_dry_run_lists_every_problem_and_writes_nothing() {
    let event = TestEvent::new().await;
    let path = event.write(
        "bad.csv",
        csv(&["x y,,,Q,,,Atlantis,,,MAR,", "1,Anna,Berg,F,,30,SWE,,,MAR,"]),
    );
    let report = event.dry_run(&path).await.expect("a dry run reports");
    let row2: Vec<String> = report
        .problems
        .iter()
        .filter(|p| p.row == Some(2))
        .map(|p| p.to_string())
        .collect();
    assert_eq!(row2.len(), 4, "bib, name, gender and country: {row2:?}");
    assert!(row2[0].starts_with("row 2, column A \"bib\""), "{row2:?}");
    assert_eq!(report.added, 1, "the good row would be added");
    assert_eq!(event.entrant_count().await, 0);
}

#[tokio::test]
async fn reimporting_updates_by_bib_and_counts_what_changed() {
    let event = TestEvent::new().await;
    let first = csv(&[
        "1,Anna,Berg,F,,30,SWE,,,MAR,",
        "2,Lars,Lind,M,,31,SWE,,,MAR,",
    ]);
    event.import(&event.write("v1.csv", first)).await.unwrap();
    let second = csv(&[
        "1,Anna,Berg,F,,30,SWE,,,MAR,",
        "2,Lars,Lindqvist,M,,31,SWE,Malmö,,MAR,",
        "3,Erik,Holm,M,,45,SWE,,,MAR,",
    ]);
    let report = event.import(&event.write("v2.csv", second)).await.unwrap();
    assert_eq!((report.added, report.changed, report.unchanged), (1, 1, 1));
    assert_eq!(event.entrant_count().await, 3);
    let history = setup::history(&event.file, "entrant", "2").await.unwrap();
    assert_eq!(history[0].action, "update");
    assert!(
        history[0].old.as_deref().unwrap().contains("\"Lind\""),
        "{:?}",
        history[0]
    );
    assert!(
        history[0].new.as_deref().unwrap().contains("Lindqvist"),
        "{:?}",
        history[0]
    );
    assert_eq!(
        history.len(),
        1,
        "an import is one audited change, not one per entrant"
    );
    // The import itself: its file (by digest) and what it did.
    let imports = setup::history(&event.file, "roster", "import")
        .await
        .unwrap();
    assert_eq!(imports.len(), 2);
    let last: serde_json::Value = serde_json::from_str(imports[0].new.as_deref().unwrap()).unwrap();
    assert_eq!(
        (last["added"].as_u64(), last["changed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(last["sha256"].as_str().map(str::len), Some(64));
    assert_ne!(
        last["sha256"],
        serde_json::from_str::<serde_json::Value>(imports[1].new.as_deref().unwrap()).unwrap()["sha256"]
    );
}

#[tokio::test]
async fn missing_columns_are_reported_once_not_per_row() {
    let event = TestEvent::new().await;
    let report = rejected(
        event
            .import(&event.write(
                "nobib.csv",
                "name,gender,race\nAnna Berg,F,MAR\nLars Lind,M,MAR\n",
            ))
            .await,
    );
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(has_problem(&report, None, "no column holds the bib"));
}

#[tokio::test]
async fn an_exported_roster_imports_unchanged_even_with_formula_like_cells() {
    let event = TestEvent::new().await;
    let path = event.write(
        "tricky.csv",
        csv(&["1,=cmd,\"O'Neill, Jr\",F,,30,IRL,\"Dublin, North\",+Team,MAR,"]),
    );
    event.import(&path).await.unwrap();
    let entrants = roster::entrants(&event.file).await.unwrap();
    let mut out = Vec::new();
    roster::write_csv(&entrants, EventDate::parse("2027-04-11").unwrap(), &mut out).unwrap();
    let exported = String::from_utf8(out).unwrap();
    assert!(
        exported.contains("'=cmd") && exported.contains("'+Team"),
        "guarded: {exported}"
    );

    let copy = TestEvent::new().await;
    copy.import(&copy.write("exported.csv", &exported))
        .await
        .unwrap();
    assert_eq!(roster::entrants(&copy.file).await.unwrap(), entrants);
}

#[tokio::test]
async fn the_boston_2014_results_import_as_a_roster() {
    let dir = tempfile::tempdir().unwrap();
    let file = racedesk::EventFile::create(&dir.path().join("boston.db"))
        .await
        .unwrap();
    let event = Event {
        name: "Boston Marathon".into(),
        date: EventDate::parse("2014-04-21").unwrap(),
        time_zone: TimeZone::parse("America/New_York").unwrap(),
        place: None,
    };
    setup::init_event(&file, &event, "test").await.unwrap();
    let race = Race {
        code: RaceCode::parse("MAR").unwrap(),
        name: "Marathon".into(),
        distance_m: 42_195,
        age_groups: AgeGroups::parse("boston").unwrap(),
        bibs: None,
        waves: Vec::new(),
        checkpoints: Vec::new(),
        net_time: false,
        cutoff_ms: None,
        overdue_ms: None,
        records: Vec::new(),
    };
    setup::add_race(&file, &race, "test").await.unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/boston-2014-first-300.csv");
    let report = roster::import(&file, &path, &ImportOptions::default(), "test")
        .await
        .expect("imports");
    assert_eq!(report.added, 300);
    let entrants = roster::entrants(&file).await.unwrap();
    let van_dyk = entrants.iter().find(|e| e.bib.as_str() == "W2").unwrap();
    assert_eq!(
        (van_dyk.given_name.as_str(), van_dyk.family_name.as_str()),
        ("Ernst F.", "Van Dyk")
    );
    assert_eq!(van_dyk.nationality.unwrap().code(), "ZAF", "IOC code RSA");
    assert_eq!(van_dyk.age, Some(Age::Given(41)));
    assert_eq!(
        van_dyk.extra.get("official").map(String::as_str),
        Some("80.60")
    );
    assert!(entrants.iter().any(|e| e.bib.as_str() == "F1"));
}

#[tokio::test]
async fn a_cancelled_import_writes_nothing() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let event = TestEvent::new().await;
    let path = event.write("r.csv", csv(&["1,Anna,Berg,F,,30,SWE,,,MAR,"]));
    let options = ImportOptions {
        cancel: Some(Arc::new(AtomicBool::new(true))),
        ..ImportOptions::default()
    };
    let err = roster::import(&event.file, &path, &options, "test")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert_eq!(event.entrant_count().await, 0);
}

#[tokio::test]
async fn progress_is_reported_up_to_every_row() {
    use std::sync::{Arc, Mutex};
    let event = TestEvent::new().await;
    let path = event.write(
        "r.csv",
        csv(&[
            "1,Anna,Berg,F,,30,SWE,,,MAR,",
            "2,Lars,Lind,M,,31,SWE,,,MAR,",
        ]),
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let progress = roster::import::Progress(Arc::new(move |checked, total| {
        sink.lock().unwrap().push((checked, total))
    }));
    let options = ImportOptions {
        progress: Some(progress),
        ..ImportOptions::default()
    };
    roster::import(&event.file, &path, &options, "test")
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().last(), Some(&(2, 2)));
}

#[tokio::test]
async fn a_stray_quote_is_a_problem_at_its_row_not_a_swallowed_roster() {
    let event = TestEvent::new().await;
    let unterminated = event.write(
        "quote.csv",
        "bib,first_name,last_name,gender,race,notes\n1,Ann,Alpha,F,MAR,\n2,Bert,Beta,M,MAR,\"6' tall\n3,Carl,Gamma,M,MAR,\n4,Dora,Delta,F,MAR,\n",
    );
    let report = rejected(event.import(&unterminated).await);
    assert!(
        has_problem(&report, Some(3), "a quote (\") opens this cell"),
        "{:?}",
        report.problems
    );
    // Closed much later, after swallowing what look like rows.
    let swallowing = event.write(
        "swallow.csv",
        "bib,first_name,last_name,gender,race,notes\n2,Bert,Beta,M,MAR,\"tall\n3,Carl,Gamma,M,MAR,x\n4,Dora,Delta,F,MAR,\"\n",
    );
    let report = rejected(event.import(&swallowing).await);
    assert!(
        has_problem(&report, Some(2), "line 3, which looks like a row"),
        "{:?}",
        report.problems
    );
    assert_eq!(event.entrant_count().await, 0, "nothing is written");
    // A note over two lines, quoted properly, is fine; rows after a blank
    // line keep the number an editor shows.
    let fine = event.write(
        "fine.csv",
        "bib,first_name,last_name,gender,race,notes\n1,Ann,Alpha,F,MAR,\"call mum\nat five\"\n\n2,Bert,Beta,M,XXX,\n",
    );
    let report = rejected(event.import(&fine).await);
    assert!(
        has_problem(&report, Some(5), "XXX"),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn a_few_bad_bytes_leave_a_utf8_roster_utf8_and_are_named() {
    let event = TestEvent::new().await;
    let mut bytes = csv(&[
        "7,Jürgen,Müller,M,,41,DEU,Köln,,MAR,",
        "8,금동,박,M,,30,PRK,,,MAR,",
    ])
    .into_bytes();
    bytes.extend_from_slice(b"9,Bad\xa0,Byte,F,,30,DEU,,,MAR,\n");
    let report = rejected(event.import(&event.write("mixed.csv", &bytes)).await);
    assert!(
        has_problem(&report, Some(4), "not UTF-8"),
        "{:?}",
        report.problems
    );
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report
            .preview
            .iter()
            .any(|row| row.cells.iter().any(|c| c == "Müller")),
        "no mojibake in what is shown: {:?}",
        report.preview
    );
    // The clean file then imports as it should.
    let clean = csv(&[
        "7,Jürgen,Müller,M,,41,DEU,Köln,,MAR,",
        "8,금동,박,M,,30,PRK,,,MAR,",
    ]);
    event
        .import(&event.write("clean.csv", clean))
        .await
        .unwrap();
    let names: Vec<String> = roster::entrants(&event.file)
        .await
        .unwrap()
        .iter()
        .map(|e| e.display_name())
        .collect();
    assert_eq!(names, ["Jürgen Müller", "금동 박"]);
}

#[tokio::test]
async fn an_xlsx_with_one_value_at_its_last_cell_is_refused_with_its_size() {
    let event = TestEvent::new().await;
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in ["bib", "first_name", "last_name", "gender", "race"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    for (col, value) in ["1", "Ann", "Alpha", "F", "MAR"].iter().enumerate() {
        sheet.write_string(1, col as u16, *value).unwrap();
    }
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let path = event.dir.path().join("huge.xlsx");
    workbook.save(&path).unwrap();
    let error = event.import(&path).await.unwrap_err().to_string();
    assert!(
        error.contains("A1:XFD1048576") && error.contains("16384 columns"),
        "{error}"
    );
    assert_eq!(event.entrant_count().await, 0);
}

#[tokio::test]
async fn control_characters_are_refused_in_every_field_but_a_notes_line_break() {
    let event = TestEvent::new().await;
    let path = event.write(
        "controls.csv",
        "bib,first_name,last_name,gender,race,group,medical_note\n1,Ann\u{1b}[2J,Alpha,F,MAR,,\n2,Bert,Beta,M,MAR,Koryo\tTours,\n3,Carl,Gamma,M,MAR,,\"asthma\ninhaler in bag\"\n4,Dora,Delta,F,MAR,,bell\u{7}\n",
    );
    let report = rejected(event.import(&path).await);
    assert!(
        has_problem(&report, Some(2), "U+001B"),
        "{:?}",
        report.problems
    );
    assert!(
        has_problem(&report, Some(3), "U+0009"),
        "{:?}",
        report.problems
    );
    assert!(
        has_problem(&report, Some(6), "U+0007"),
        "{:?}",
        report.problems
    );
    assert_eq!(
        report.problems.len(),
        3,
        "a note's line break is fine: {:?}",
        report.problems
    );
}

#[tokio::test]
async fn every_problem_of_a_row_is_said_and_the_date_order_is_the_one_used() {
    let event = TestEvent::new().await;
    // Row 3 has its bib outside the half's bibs and also row 2's bib.
    let path = event.write(
        "dupes.csv",
        csv(&[
            "5,Anna,Berg,F,1990-01-01,,SWE,,,MAR,",
            "5,Lars,Lind,M,1991-01-01,,SWE,,,HALF,",
        ]),
    );
    let report = event.dry_run(&path).await.unwrap();
    assert!(
        has_problem(&report, Some(3), "outside the bibs of HALF"),
        "{:?}",
        report.problems
    );
    assert!(
        has_problem(&report, Some(3), "bib 5 is also on row 2"),
        "{:?}",
        report.problems
    );

    // 12/31/1980 can only be month first: the whole column is, and the
    // warning says so (01/02/1980 is 2 January).
    let path = event.write(
        "dates.csv",
        csv(&[
            "1,Anna,Berg,F,12/31/1980,,SWE,,,MAR,",
            "2,Lars,Lind,M,01/02/1980,,SWE,,,MAR,",
        ]),
    );
    let report = event.dry_run(&path).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.message.contains("month/day/year") && w.key == "warning.dates_month_first"),
        "{:?}",
        report.warnings
    );
    event.import(&path).await.expect("imports");
    let lars = roster::entrants(&event.file)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.bib.to_string() == "2")
        .unwrap();
    assert!(
        matches!(lars.age, Some(Age::Born(d)) if d.to_string() == "1980-01-02"),
        "{:?}",
        lars.age
    );
}
