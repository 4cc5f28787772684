//! Results on a real event file: each scoring rule, and every export read
//! back with the reader people will use (csv, calamine, an HTML parser).

use racedesk::results::{self, Format, Heading, Language, RaceResults, ResultRow};
use racedesk::roster::{self, EntrantForm};
use racedesk::setup;
use racedesk::timing::{self, Status};

use crate::support::{TestEvent, at, station};

struct Runner<'a> {
    bib: &'a str,
    race: &'a str,
    name: &'a str,
    gender: &'a str,
    birth: &'a str,
}

async fn enter(event: &TestEvent, r: Runner<'_>) {
    let (first, last) = r.name.split_once(' ').unwrap_or((r.name, ""));
    let form = EntrantForm {
        bib: r.bib.into(),
        first_name: first.into(),
        last_name: last.into(),
        gender: r.gender.into(),
        birth_date: r.birth.into(),
        race: r.race.into(),
        ..EntrantForm::default()
    };
    roster::save_entrant(&event.file, None, &form, "test")
        .await
        .unwrap();
}

async fn finish(event: &TestEvent, bib: &str, time: &str) {
    timing::capture(&event.file, "finish", at(time), Some(bib), &station())
        .await
        .unwrap();
}

async fn start(event: &TestEvent, race: &str, time: &str) {
    timing::start_race(&event.file, race, None, at(time), true, None, &station())
        .await
        .unwrap();
}

async fn race(event: &TestEvent, code: &str) -> RaceResults {
    results::results(&event.file)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.code == code)
        .unwrap()
}

fn row<'a>(race: &'a RaceResults, bib: &str) -> &'a ResultRow {
    race.rows.iter().find(|r| r.bib == bib).unwrap()
}

#[tokio::test]
async fn times_round_up_and_a_tie_keeps_the_crossing_order() {
    let event = TestEvent::new().await;
    for (bib, name) in [
        ("2001", "Ann Ash"),
        ("2002", "Bo Birk"),
        ("2003", "Cy Cole"),
    ] {
        enter(
            &event,
            Runner {
                bib,
                race: "10K",
                name,
                gender: "F",
                birth: "1990-01-01",
            },
        )
        .await;
    }
    start(&event, "10K", "09:00:00").await;
    // 40:00.001 rounds up to 40:01; 2003 and 2002 tie to the ms and keep
    // the order they were captured in.
    finish(&event, "2001", "09:40:00.001").await;
    finish(&event, "2003", "09:40:00.500").await;
    finish(&event, "2002", "09:40:00.500").await;
    let ten = race(&event, "10K").await;
    let order: Vec<(&str, Option<u32>, &str)> = ten
        .rows
        .iter()
        .map(|r| (r.bib.as_str(), r.place, r.gun_time.as_deref().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("2001", Some(1), "0:40:01"),
            ("2003", Some(2), "0:40:01"),
            ("2002", Some(3), "0:40:01"),
        ]
    );
    assert_eq!(row(&ten, "2001").gun_ms, Some(2_400_001));
    assert_eq!(row(&ten, "2001").pace.as_deref(), Some("4:01"));
}

#[tokio::test]
async fn categories_take_the_age_on_race_day_and_number_each_group() {
    let event = TestEvent::new().await;
    // 2001 turns 40 on race day (2027-04-11): F40-44. 2002 turns 40 the
    // day after: F35-39.
    for (bib, gender, birth) in [
        ("2001", "F", "1987-04-11"),
        ("2002", "F", "1987-04-12"),
        ("2003", "M", "1980-06-01"),
        ("2004", "F", "1985-01-01"),
    ] {
        enter(
            &event,
            Runner {
                bib,
                race: "10K",
                name: "Runner Test",
                gender,
                birth,
            },
        )
        .await;
    }
    start(&event, "10K", "09:00:00").await;
    finish(&event, "2003", "09:35:00").await;
    finish(&event, "2004", "09:36:00").await;
    finish(&event, "2001", "09:37:00").await;
    finish(&event, "2002", "09:38:00").await;
    let ten = race(&event, "10K").await;
    let view = |bib: &str| {
        let r = row(&ten, bib);
        (
            r.category.clone().unwrap(),
            r.place,
            r.gender_place,
            r.category_place,
            r.age,
        )
    };
    assert_eq!(
        view("2001"),
        ("F40-44".into(), Some(3), Some(2), Some(2), Some(40))
    );
    assert_eq!(
        view("2002"),
        ("F35-39".into(), Some(4), Some(3), Some(1), Some(39))
    );
    assert_eq!(
        view("2003"),
        ("M45-49".into(), Some(1), Some(1), Some(1), Some(46))
    );
    assert_eq!(
        view("2004"),
        ("F40-44".into(), Some(2), Some(1), Some(1), Some(42))
    );
}

#[tokio::test]
async fn statuses_waves_net_time_and_moved_runners_follow_the_rules() {
    let event = TestEvent::new().await;
    // The marathon starts in two waves and is ranked by net time.
    let mar = setup::races(&event.file).await.unwrap()[0].race.clone();
    let mut form = setup::RaceForm::from_race(&mar);
    form.waves = vec!["A".into(), "B".into()];
    form.net_time = true;
    form.cutoff = "5:00".into();
    let mar = form.parse().unwrap();
    setup::update_race(&event.file, &mar.code, &mar, "director")
        .await
        .unwrap();
    let path = event.write(
        "roster.csv",
        "bib,first_name,last_name,gender,age,race,wave\n\
         1,Wave,A,M,30,MAR,A\n2,Wave,B,M,30,MAR,B\n3,No,Startmat,F,30,MAR,B\n\
         4,Did,Not,F,30,MAR,A\n5,Too,Slow,M,30,MAR,A\n6,Not,Started,M,30,MAR,A\n\
         7,Moved,Over,F,30,MAR,A\n",
    );
    event.import(&path).await.unwrap();
    timing::start_race(
        &event.file,
        "MAR",
        Some("A"),
        at("08:00:00"),
        true,
        None,
        &station(),
    )
    .await
    .unwrap();
    timing::start_race(
        &event.file,
        "MAR",
        Some("B"),
        at("08:10:00"),
        true,
        None,
        &station(),
    )
    .await
    .unwrap();
    start(&event, "HALF", "08:30:00").await;
    // Own start passings for 1 and 2, none for 3.
    timing::capture(&event.file, "start", at("08:01:00"), Some("1"), &station())
        .await
        .unwrap();
    timing::capture(&event.file, "start", at("08:12:00"), Some("2"), &station())
        .await
        .unwrap();
    finish(&event, "1", "11:01:00").await; // gun 3:01, net 3:00
    finish(&event, "2", "11:10:00").await; // gun 3:00 from wave B, net 2:58
    finish(&event, "3", "11:00:00").await; // gun 2:50 from wave B, no net
    finish(&event, "4", "11:20:00").await;
    finish(&event, "5", "13:30:00").await; // 5:30 > cutoff
    finish(&event, "7", "10:30:00").await;
    let s = station();
    timing::set_status(
        &event.file,
        "4",
        Status::Dnf,
        "stopped at 30k, crossed to the medics",
        &s,
    )
    .await
    .unwrap();
    timing::set_status(&event.file, "6", Status::Dns, "not at the start", &s)
        .await
        .unwrap();
    // 7 moved to the half after finishing: scored there, from its start.
    let moved = roster::entrants(&event.file)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.bib.as_str() == "7")
        .unwrap();
    let mut form = EntrantForm::from_entrant(
        &moved,
        racedesk::model::EventDate::parse("2027-04-11").unwrap(),
    );
    form.race = "HALF".into();
    form.bib = "1007".into();
    form.reason = "ran the half".into();
    roster::save_entrant(&event.file, Some("7"), &form, "desk")
        .await
        .unwrap();
    timing::capture(&event.file, "finish", at("10:30:01"), Some("1007"), &s)
        .await
        .unwrap();

    let mar = race(&event, "MAR").await;
    let brief: Vec<(&str, Option<u32>, &str)> = mar
        .rows
        .iter()
        .map(|r| (r.bib.as_str(), r.place, r.status.as_str()))
        .collect();
    assert_eq!(
        brief,
        [
            ("3", Some(1), "finished"),
            ("2", Some(2), "finished"),
            ("1", Some(3), "finished"),
            ("5", None, "over cutoff"),
            ("4", None, "DNF"),
            ("6", None, "DNS"),
        ]
    );
    let one = row(&mar, "1");
    assert_eq!(
        (one.gun_time.as_deref(), one.net_time.as_deref()),
        (Some("3:01:00"), Some("3:00:00"))
    );
    let two = row(&mar, "2");
    assert_eq!(
        (two.gun_time.as_deref(), two.net_time.as_deref()),
        (Some("3:00:00"), Some("2:58:00"))
    );
    let three = row(&mar, "3");
    assert_eq!(
        (three.gun_time.as_deref(), three.net_time.as_deref()),
        (Some("2:50:00"), None)
    );
    assert_eq!(row(&mar, "4").gun_time, None, "a DNF publishes no time");
    let half = race(&event, "HALF").await;
    let seven = row(&half, "1007");
    assert_eq!(
        (seven.place, seven.gun_time.as_deref()),
        (Some(1), Some("2:00:01"))
    );
    assert!(mar.rows.iter().all(|r| r.bib != "7"));
}

#[tokio::test]
async fn splits_give_the_time_and_pace_at_each_checkpoint() {
    let event = TestEvent::new().await;
    let ten = setup::races(&event.file).await.unwrap()[2].race.clone();
    let mut form = setup::RaceForm::from_race(&ten);
    form.checkpoints = "5k".into();
    let ten = form.parse().unwrap();
    setup::update_race(&event.file, &ten.code, &ten, "director")
        .await
        .unwrap();
    enter(
        &event,
        Runner {
            bib: "2001",
            race: "10K",
            name: "Ann Ash",
            gender: "F",
            birth: "",
        },
    )
    .await;
    enter(
        &event,
        Runner {
            bib: "2002",
            race: "10K",
            name: "Bo Birk",
            gender: "M",
            birth: "",
        },
    )
    .await;
    start(&event, "10K", "09:00:00").await;
    timing::capture(
        &event.file,
        "5k",
        at("09:20:00.2"),
        Some("2001"),
        &station(),
    )
    .await
    .unwrap();
    finish(&event, "2001", "09:41:00").await;
    finish(&event, "2002", "09:42:00").await;
    let ten = race(&event, "10K").await;
    let split = row(&ten, "2001").splits[0].clone().unwrap();
    assert_eq!(
        (split.time.as_str(), split.pace.as_str()),
        ("0:20:01", "4:01")
    );
    assert_eq!(row(&ten, "2002").splits, [None]);
    assert_eq!(row(&ten, "2002").category, None, "no age, no category");
}

/// An event whose 10K has names that break careless exports.
async fn awkward() -> TestEvent {
    let event = TestEvent::new().await;
    let path = event.write(
        "roster.csv",
        "bib,first_name,last_name,native_name,gender,age,country,race\n\
         2001,<script>alert(1)</script>,\"O\"\"Neil, Jr.\",,F,30,IRL,10K\n\
         2002,\"Line, Break\",Smith,,M,40,GBR,10K\n\
         2003,Kum Dong,Pak,박금동,M,51,PRK,10K\n\
         2004,'=1+2,Formula,,X,25,SWE,10K\n",
    );
    let report = event.import(&path).await.unwrap();
    assert_eq!(report.added, 4, "{report:?}");
    start(&event, "10K", "09:00:00").await;
    for (bib, time) in [
        ("2003", "09:35:00"),
        ("2001", "09:36:00.5"),
        ("2002", "09:37:00"),
        ("2004", "09:38:00"),
    ] {
        finish(&event, bib, time).await;
    }
    event
}

async fn export(event: &TestEvent, format: Format) -> Vec<u8> {
    export_in(event, format, Language::En).await
}

async fn export_in(event: &TestEvent, format: Format, language: Language) -> Vec<u8> {
    let races = results::results(&event.file).await.unwrap();
    let ten: Vec<RaceResults> = races.into_iter().filter(|r| r.code == "10K").collect();
    let mut out = Vec::new();
    results::write(
        format,
        &Heading::of(&event.file, language).await.unwrap(),
        &ten,
        &mut out,
    )
    .unwrap();
    out
}

/// A CSV file's header and rows.
fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    (header, reader.records().map(Result::unwrap).collect())
}

#[tokio::test]
async fn csv_reads_back_with_every_awkward_name_intact() {
    let event = awkward().await;
    let bytes = export(&event, Format::Csv).await;
    let (header, rows) = read_csv(&bytes);
    assert_eq!(
        header,
        [
            "Place",
            "Bib",
            "Name",
            "Hangul name",
            "Gender",
            "Age",
            "Country",
            "Category",
            "Gender place",
            "Category place",
            "Gun time",
            "Net time",
            "Status"
        ],
        "the results screen's words, not field names"
    );
    let names: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
    assert_eq!(
        names,
        [
            "Kum Dong Pak",
            "<script>alert(1)</script> O\"Neil, Jr.",
            "Line, Break Smith",
            "'=1+2 Formula"
        ]
    );
    // The formula is guarded with an apostrophe, as the roster had it.
    assert_eq!(&rows[1][10], "0:36:01", "rounded up");
    assert_eq!(&rows[0][7], "M50-54");
    assert_eq!(
        &rows[0][3], "박금동",
        "the Hangul name beside the Latin one"
    );
    assert_eq!(&rows[0][6], "PRK");
    assert_eq!(&rows[0][12], "Finished");
}

#[tokio::test]
async fn korean_exports_say_what_the_korean_screens_say() {
    let event = awkward().await;
    let (header, rows) = read_csv(&export_in(&event, Format::Csv, Language::Ko).await);
    assert_eq!(
        header,
        [
            "순위",
            "배번",
            "이름",
            "한글 이름",
            "성별",
            "나이",
            "국적",
            "부문",
            "성별 순위",
            "부문 순위",
            "건 타임",
            "넷 타임",
            "상태"
        ]
    );
    assert_eq!((&rows[0][3], &rows[0][12]), ("박금동", "완주"));

    let html = String::from_utf8(export_in(&event, Format::Html, Language::Ko).await).unwrap();
    let page = scraper::Html::parse_document(&html);
    let lang = scraper::Selector::parse("html").unwrap();
    assert_eq!(
        page.select(&lang).next().unwrap().value().attr("lang"),
        Some("ko")
    );
    let heads = scraper::Selector::parse("section#race-10K th").unwrap();
    let heads: Vec<String> = page.select(&heads).map(|c| c.text().collect()).collect();
    assert_eq!(heads[..4], ["순위", "배번", "이름", "한글 이름"]);
    assert!(
        html.contains("참가자 4명 중 4명 순위"),
        "the count in Korean"
    );
    assert!(!html.contains("gun_time") && !html.contains("entrants"));

    let awards = String::from_utf8(export_in(&event, Format::Awards, Language::Ko).await).unwrap();
    assert!(awards.contains("<caption>종합</caption>") && awards.contains("<th>한글 이름</th>"));

    use calamine::{Data, Reader, Xlsx};
    let races = results::results(&event.file).await.unwrap();
    let mut bytes = Vec::new();
    let heading = Heading::of(&event.file, Language::Ko).await.unwrap();
    results::write_xlsx(&heading, &races, &mut bytes).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("10K").unwrap();
    assert_eq!(
        sheet.rows().next().unwrap()[10],
        Data::String("건 타임".into())
    );
}

#[tokio::test]
async fn xlsx_has_one_typed_sheet_per_race() {
    use calamine::{Data, Reader, Xlsx};
    let event = awkward().await;
    let races = results::results(&event.file).await.unwrap();
    let mut bytes = Vec::new();
    let heading = Heading::of(&event.file, Language::En).await.unwrap();
    results::write_xlsx(&heading, &races, &mut bytes).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["MAR", "HALF", "10K", "5K"]);
    let sheet = book.worksheet_range("10K").unwrap();
    let second: Vec<Data> = sheet.rows().nth(2).unwrap().to_vec();
    assert_eq!(second[0], Data::Float(2.0), "a place is a number");
    assert_eq!(
        second[2],
        Data::String("<script>alert(1)</script> O\"Neil, Jr.".into())
    );
    match &second[10] {
        Data::DateTime(t) => assert!((t.as_f64() * 86_400.0 - 2161.0).abs() < 1e-6, "{t:?}"),
        other => panic!("the gun time is a duration cell: {other:?}"),
    }
    let korean = sheet.rows().nth(1).unwrap();
    assert_eq!(korean[2], Data::String("Kum Dong Pak".into()));
    assert_eq!(
        korean[3],
        Data::String("박금동".into()),
        "Hangul beside Latin"
    );
}

#[tokio::test]
async fn html_escapes_every_value_and_parses_back_whole() {
    let event = awkward().await;
    let bytes = export(&event, Format::Html).await;
    let html = String::from_utf8(bytes).unwrap();
    assert!(!html.contains("<script>alert(1)"), "names are escaped");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing remote"
    );
    let page = scraper::Html::parse_document(&html);
    let cell = scraper::Selector::parse("section#race-10K tbody tr td:nth-child(3)").unwrap();
    let names: Vec<String> = page.select(&cell).map(|c| c.text().collect()).collect();
    assert_eq!(
        names,
        [
            "Kum Dong Pak",
            "<script>alert(1)</script> O\"Neil, Jr.",
            "Line, Break Smith",
            "=1+2 Formula"
        ]
    );
    let scripts = scraper::Selector::parse("script").unwrap();
    assert_eq!(
        page.select(&scripts).count(),
        1,
        "only the page's own script"
    );
}

#[tokio::test]
async fn json_has_the_same_fields() {
    let event = awkward().await;
    let bytes = export(&event, Format::Json).await;
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let first = &json[0]["rows"][0];
    assert_eq!(first["bib"], "2003");
    assert_eq!(first["place"], 1);
    assert_eq!(first["nativeName"], "박금동");
    assert_eq!(first["gunTime"], "0:35:00");
}

#[tokio::test]
async fn certificates_are_one_page_per_finisher_and_awards_the_top_three() {
    let event = awkward().await;
    let html = String::from_utf8(export(&event, Format::Certificates).await).unwrap();
    let page = scraper::Html::parse_document(&html);
    let pages = scraper::Selector::parse("section.page").unwrap();
    let names = scraper::Selector::parse(".name").unwrap();
    let certificates: Vec<_> = page.select(&pages).collect();
    assert_eq!(certificates.len(), 4);
    let first: Vec<String> = certificates[0]
        .select(&names)
        .map(|n| n.text().collect())
        .collect();
    assert_eq!(first, ["Kum Dong Pak"]);
    assert!(html.contains("박금동") && html.contains("완주 증명서") && html.contains("0:35:00"));
    assert!(!html.contains("<script>"), "names are escaped");

    let html = String::from_utf8(export(&event, Format::Awards).await).unwrap();
    let page = scraper::Html::parse_document(&html);
    let captions = scraper::Selector::parse("caption").unwrap();
    let titles: Vec<String> = page.select(&captions).map(|c| c.text().collect()).collect();
    assert_eq!(
        titles,
        [
            "Overall", "F", "M", "X", "F30-34", "M40-44", "M50-54", "X25-29"
        ]
    );
    let overall = scraper::Selector::parse("table:first-of-type tbody tr").unwrap();
    assert_eq!(page.select(&overall).count(), 3, "the top three overall");
}
