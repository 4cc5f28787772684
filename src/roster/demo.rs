//! A realistic demo event: four races from a stadium, runners from many
//! countries in tour groups, and local runners with Hangul names and their
//! romanisation. The same `entrants` count always gives the same event, so
//! tests and benchmarks can rely on it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::error::Result;
use crate::model::{
    Age, AgeGroups, Bib, BibRanges, Checkpoint, Country, Entrant, Event, EventDate, Gender, Race,
    RaceCode, TimeZone,
};
use crate::setup;
use crate::store::EventFile;

/// (code, name, distance, share of the field in percent)
const RACES: [(&str, &str, u32, usize); 4] = [
    ("MAR", "Marathon", 42_195, 30),
    ("HALF", "Half marathon", 21_097, 30),
    ("10K", "10 km", 10_000, 25),
    ("5K", "5 km", 5_000, 15),
];

const TOUR_GROUPS: [&str; 6] = [
    "Koryo Tours",
    "Young Pioneer Tours",
    "Uri Tours",
    "KTG Tours",
    "Lupine Travel",
    "Juche Travel Services",
];
const LOCAL_CLUBS: [&str; 5] = [
    "Pyongyang City",
    "Kim Chaek University",
    "April 25 Sports Club",
    "Kigwancha Sports Club",
    "Wolmido Runners",
];

/// alpha-3, female given names, male given names, family names.
type Names = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const FOREIGNERS: &[Names] = &[
    (
        "GBR",
        &["Emma", "Olivia", "Sophie", "Charlotte"],
        &["James", "Oliver", "Harry", "George"],
        &["Smith", "Jones", "Taylor", "Brown", "O'Neill"],
    ),
    (
        "USA",
        &["Emily", "Madison", "Ashley"],
        &["Michael", "Tyler", "Brandon"],
        &["Johnson", "Williams", "Miller", "Davis"],
    ),
    (
        "DEU",
        &["Anna", "Lena", "Jürgen"],
        &["Lukas", "Jonas", "Maximilian"],
        &["Müller", "Schmidt", "Schäfer", "Weiß"],
    ),
    (
        "FRA",
        &["Chloé", "Léa", "Manon"],
        &["Théo", "Hugo", "Noé"],
        &["Martin", "Bernard", "Lefèvre", "Dubois"],
    ),
    (
        "ESP",
        &["Lucía", "María", "Paula"],
        &["Hugo", "Álvaro", "Pablo"],
        &["García", "Gómez", "Núñez", "Fernández"],
    ),
    (
        "NLD",
        &["Sanne", "Femke", "Anouk"],
        &["Daan", "Sem", "Bram"],
        &["de Jong", "Jansen", "van Dijk", "Bakker"],
    ),
    (
        "SWE",
        &["Elsa", "Maja", "Astrid"],
        &["Erik", "Lars", "Björn"],
        &["Andersson", "Johansson", "Lindqvist"],
    ),
    (
        "POL",
        &["Zofia", "Małgorzata"],
        &["Łukasz", "Paweł", "Jakub"],
        &["Nowak", "Kowalski", "Wiśniewski"],
    ),
    (
        "AUS",
        &["Chloe", "Isla"],
        &["Jack", "Liam", "Cooper"],
        &["Wilson", "Thompson", "Walker"],
    ),
    (
        "CAN",
        &["Sophie", "Amélie"],
        &["Ethan", "Noah"],
        &["Tremblay", "Roy", "MacDonald"],
    ),
    (
        "NZL",
        &["Aroha", "Ruby"],
        &["Nikau", "Oscar"],
        &["Ngata", "Campbell"],
    ),
    (
        "IRL",
        &["Aoife", "Siobhán"],
        &["Seán", "Cian"],
        &["Murphy", "Ó Briain", "Kelly"],
    ),
    (
        "CHE",
        &["Mia", "Lara"],
        &["Luca", "Noah"],
        &["Meier", "Keller", "Zürcher"],
    ),
    (
        "JPN",
        &["Yui", "Haruka"],
        &["Haruto", "Sota"],
        &["Sato", "Suzuki", "Takahashi"],
    ),
    (
        "RUS",
        &["Anastasia", "Olga"],
        &["Dmitri", "Sergei"],
        &["Ivanov", "Smirnov", "Volkov"],
    ),
    (
        "SGP",
        &["Hui Min", "Shu Fen"],
        &["Wei Jie", "Jun Hao"],
        &["Tan", "Lim", "Ng"],
    ),
];

/// Chinese runners come with their name in Hanzi: (given, family, native).
const CHINESE: &[(&str, &str, &str, Gender)] = &[
    ("Wei", "Wang", "王伟", Gender::M),
    ("Fang", "Li", "李芳", Gender::F),
    ("Jun", "Zhang", "张军", Gender::M),
    ("Xiu Ying", "Liu", "刘秀英", Gender::F),
    ("Lei", "Chen", "陈磊", Gender::M),
    ("Jing", "Yang", "杨静", Gender::F),
];

/// Korean family names: Hangul, romanised as the DPRK writes it.
const KOREAN_FAMILY: &[(&str, &str)] = &[
    ("김", "Kim"),
    ("리", "Ri"),
    ("박", "Pak"),
    ("최", "Choe"),
    ("정", "Jong"),
    ("강", "Kang"),
    ("조", "Jo"),
    ("윤", "Yun"),
    ("장", "Jang"),
    ("한", "Han"),
    ("오", "O"),
    ("신", "Sin"),
    ("권", "Kwon"),
    ("황", "Hwang"),
    ("안", "An"),
    ("송", "Song"),
    ("류", "Ryu"),
    ("홍", "Hong"),
    ("전", "Jon"),
    ("고", "Ko"),
    ("문", "Mun"),
    ("량", "Ryang"),
    ("손", "Son"),
    ("배", "Pae"),
    ("백", "Paek"),
    ("남궁", "Namgung"),
];

/// Syllables of given names, by gender, with their romanisation.
const KOREAN_GIVEN_M: &[(&str, &str)] = &[
    ("금", "Kum"),
    ("동", "Dong"),
    ("철", "Chol"),
    ("성", "Song"),
    ("혁", "Hyok"),
    ("일", "Il"),
    ("광", "Kwang"),
    ("명", "Myong"),
    ("국", "Kuk"),
    ("룡", "Ryong"),
    ("학", "Hak"),
    ("남", "Nam"),
    ("준", "Jun"),
    ("호", "Ho"),
];
const KOREAN_GIVEN_F: &[(&str, &str)] = &[
    ("순", "Sun"),
    ("희", "Hui"),
    ("옥", "Ok"),
    ("향", "Hyang"),
    ("미", "Mi"),
    ("련", "Ryon"),
    ("혜", "Hye"),
    ("경", "Kyong"),
    ("영", "Yong"),
    ("주", "Ju"),
    ("선", "Son"),
    ("월", "Wol"),
    ("은", "Un"),
    ("정", "Jong"),
];

const CITIES: &[(&str, &[&str])] = &[
    (
        "PRK",
        &[
            "Pyongyang",
            "Nampho",
            "Kaesong",
            "Wonsan",
            "Hamhung",
            "Sinuiju",
        ],
    ),
    ("GBR", &["London", "Manchester", "Edinburgh"]),
    ("USA", &["New York", "Boston", "Chicago"]),
    ("DEU", &["Berlin", "München", "Köln"]),
    ("FRA", &["Paris", "Lyon"]),
    ("CHN", &["Beijing", "Shenyang", "Dandong"]),
];

/// The most runners a demo event holds: each race's bibs must fit in the
/// eight characters a bib has.
pub const DEMO_MAX_ENTRANTS: usize = 1_000_000;

/// Refuses a demo size before any file is touched.
pub fn check_demo_size(entrants: usize) -> Result<()> {
    if entrants == 0 || entrants > DEMO_MAX_ENTRANTS {
        return Err(crate::Error::invalid(
            "entrants",
            crate::model::ParseError::new(crate::said!(
                "invalid.demo_size",
                max = DEMO_MAX_ENTRANTS,
                entrants = entrants
            )),
        ));
    }
    Ok(())
}

/// Fills a new event file with the demo event and `entrants` runners.
pub async fn demo(file: &EventFile, entrants: usize, operator: &str) -> Result<()> {
    check_demo_size(entrants)?;
    let race_day = EventDate(NaiveDate::from_ymd_opt(2027, 4, 11).unwrap_or_default());
    let event = Event {
        name: "Pyongyang Marathon (demo)".into(),
        date: race_day,
        time_zone: TimeZone(chrono_tz::Asia::Pyongyang),
        place: Some("Kim Il Sung Stadium, Pyongyang".into()),
    };
    setup::init_event(file, &event, operator).await?;

    // Each race gets a block of bibs big enough for the whole field, so the
    // bib says the race: 1-999, 1000-1999, ... for a few hundred runners.
    let block = 10u64
        .pow(entrants.max(1).to_string().len() as u32)
        .max(1000);
    let mut races = Vec::new();
    for (i, (code, name, distance_m, _)) in RACES.iter().enumerate() {
        let first = (i as u64 * block).max(1);
        let last = (i as u64 + 1) * block - 1;
        let extra = if *code == "MAR" { ",F1-F99,W1-W99" } else { "" };
        let race = Race {
            code: parse(RaceCode::parse(code)),
            name: (*name).into(),
            distance_m: *distance_m,
            age_groups: parse(AgeGroups::parse(if *code == "MAR" {
                "boston"
            } else {
                "five-year"
            })),
            bibs: Some(parse(BibRanges::parse(&format!("{first}-{last}{extra}")))),
            waves: if *code == "MAR" {
                vec!["Elite".into(), "A".into(), "B".into()]
            } else {
                Vec::new()
            },
            checkpoints: parse(Checkpoint::parse_list(
                match *code {
                    "MAR" => "10k, half=21.0975, 30k",
                    "HALF" => "10k",
                    "10K" => "5k",
                    _ => "",
                },
                *distance_m,
            )),
            net_time: false,
            cutoff_ms: None,
            overdue_ms: None,
            records: Vec::new(),
        };
        setup::add_race(file, &race, operator).await?;
        races.push((race, first));
    }

    let mut rng = fastrand::Rng::with_seed(0x5241_4345 ^ entrants as u64);
    let mut next_bib: Vec<u64> = races.iter().map(|(_, first)| *first).collect();
    let mut marathoners = 0;
    let mut roster = Vec::with_capacity(entrants);
    for n in 0..entrants {
        let i = pick_race(&mut rng);
        // The first marathon entrants are elite women and wheelchair racers.
        let bib = match (i, marathoners) {
            (0, 0..5) => format!("F{}", marathoners + 1),
            (0, 5..8) => format!("W{}", marathoners - 4),
            _ => {
                next_bib[i] += 1;
                (next_bib[i] - 1).to_string()
            }
        };
        if i == 0 {
            marathoners += 1;
        }
        roster.push(runner(
            &mut rng,
            parse(Bib::parse(&bib)),
            races[i].0.code.clone(),
            race_day,
            n,
        ));
    }
    super::insert_entrants(file, roster, operator).await
}

fn pick_race(rng: &mut fastrand::Rng) -> usize {
    let mut roll = rng.usize(0..100);
    for (i, (_, _, _, share)) in RACES.iter().enumerate() {
        if roll < *share {
            return i;
        }
        roll -= share;
    }
    RACES.len() - 1
}

fn runner(
    rng: &mut fastrand::Rng,
    bib: Bib,
    race: RaceCode,
    race_day: EventDate,
    n: usize,
) -> Entrant {
    let gender = if rng.u8(0..100) < 45 {
        Gender::F
    } else {
        Gender::M
    };
    let roll = rng.u8(0..100);
    let (given_name, family_name, native_name, country, group) = if roll < 40 {
        // Local runner: Hangul name, romanised the DPRK way, in a club.
        let (fh, fr) = KOREAN_FAMILY[rng.usize(0..KOREAN_FAMILY.len())];
        let syllables = if gender == Gender::F {
            KOREAN_GIVEN_F
        } else {
            KOREAN_GIVEN_M
        };
        let (a, b) = (
            syllables[rng.usize(0..syllables.len())],
            syllables[rng.usize(0..syllables.len())],
        );
        let club = LOCAL_CLUBS[rng.usize(0..LOCAL_CLUBS.len())];
        (
            format!("{} {}", a.1, b.1),
            fr.to_string(),
            Some(format!("{fh}{}{}", a.0, b.0)),
            "PRK",
            Some(club.to_string()),
        )
    } else if roll < 48 {
        let candidates: Vec<_> = CHINESE.iter().filter(|c| c.3 == gender).collect();
        let (given, family, native, _) = candidates[rng.usize(0..candidates.len())];
        (
            given.to_string(),
            family.to_string(),
            Some(native.to_string()),
            "CHN",
            Some(TOUR_GROUPS[rng.usize(0..TOUR_GROUPS.len())].to_string()),
        )
    } else {
        let (code, women, men, families) = FOREIGNERS[rng.usize(0..FOREIGNERS.len())];
        let given = if gender == Gender::F { women } else { men };
        let group =
            (rng.u8(0..100) < 85).then(|| TOUR_GROUPS[rng.usize(0..TOUR_GROUPS.len())].to_string());
        (
            given[rng.usize(0..given.len())].to_string(),
            families[rng.usize(0..families.len())].to_string(),
            None,
            code,
            group,
        )
    };
    let years = rng.i64(18..=75);
    let age = if rng.u8(0..100) < 80 {
        let born = race_day.0 - chrono::Days::new((years * 365 + rng.i64(0..365)) as u64);
        Age::born(born, race_day).ok()
    } else {
        Age::given(years).ok()
    };
    let city = CITIES
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(_, cities)| cities[rng.usize(0..cities.len())].to_string());
    Entrant {
        bib,
        race,
        given_name,
        family_name,
        native_name,
        gender,
        age,
        nationality: Country::parse(country).ok(),
        city,
        group,
        chip: Some(format!("E2{:06X}", n + 1)),
        phone: (country == "PRK")
            .then(|| format!("+850 2 {:03} {:04}", rng.u16(100..999), rng.u16(0..9999))),
        emergency_contact: None,
        medical_note: (rng.u8(0..100) < 2).then(|| "asthma: inhaler in bag".to_string()),
        extra: BTreeMap::new(),
    }
}

/// The demo's own constants always parse; a failure is a bug in this file.
fn parse<T>(value: std::result::Result<T, crate::model::ParseError>) -> T {
    value.unwrap_or_else(|e| panic!("demo data is invalid: {e}"))
}
