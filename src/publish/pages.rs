//! The site's pages, rendered from the [`Board`] by the same template
//! engine as the HTML export (every value escaped), in its look.

use askama::Template;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::board::{Board, Found};
use crate::model::Entrant;
use crate::results::{self, Heading, Language, RaceResults, ResultRow, ResultsFilter};

/// Rows a race page shows: a 30,000-finisher race is a page of a few tens
/// of kilobytes at a time on a phone.
pub const PAGE_ROWS: usize = 100;
/// Finishers the home page lists, the latest first.
const LATEST: u32 = 20;
/// Runners a search lists at most.
const FOUND: usize = 50;

/// A page: its title and its `<main>`, wrapped in the layout unless only
/// the `<main>` was asked for (a page refreshing itself).
pub struct Page {
    pub title: String,
    pub main: String,
    pub found: bool,
}

#[derive(Template)]
#[template(path = "public/layout.html")]
struct Layout<'a> {
    heading: &'a Heading,
    other: Language,
    switch_to: String,
    title: &'a str,
    query: &'a str,
    revision: u64,
    main: &'a str,
}

/// The whole page around `page.main`.
pub fn layout(board: &Board, language: Language, path: &str, query: &str, page: &Page) -> String {
    let other = match language {
        Language::En => Language::Ko,
        Language::Ko => Language::En,
    };
    Layout {
        heading: &board.heading(language),
        other,
        switch_to: format!("{path}?lang={}", other.tag()),
        title: &page.title,
        query,
        revision: board.revision,
        main: &page.main,
    }
    .render()
    .unwrap_or_default()
}

/// A bib as a path segment.
fn href(bib: &str) -> String {
    utf8_percent_encode(bib, NON_ALPHANUMERIC).to_string()
}

/// A runner in a short list: the home page's latest, a search's hits.
struct Listed {
    place: String,
    bib: String,
    href: String,
    name: String,
    native: Option<String>,
    race: String,
    time: String,
}

impl Listed {
    fn of(race: &RaceResults, row: &ResultRow, language: Language) -> Self {
        Self {
            place: row.place.map(|p| p.to_string()).unwrap_or_default(),
            bib: row.bib.clone(),
            href: href(&row.bib),
            name: row.name.clone(),
            native: row.native_name.clone(),
            race: race.name.clone(),
            time: results::official(race.net_time, row)
                .map(str::to_owned)
                .unwrap_or_else(|| language.status(&row.status).to_owned()),
        }
    }

    /// An entrant with no result yet.
    fn waiting(board: &Board, entrant: &Entrant, language: Language) -> Self {
        Self {
            place: String::new(),
            bib: entrant.bib.to_string(),
            href: href(entrant.bib.as_str()),
            name: entrant.display_name(),
            native: entrant.native_name.clone(),
            race: board.race_name(entrant.race.as_str()),
            time: language.word("public.noResult").to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "public/home.html")]
struct Home<'a> {
    heading: &'a Heading,
    /// Code, name, "118 of 150 entrants ranked".
    races: Vec<(String, String, String)>,
    latest: Vec<Listed>,
}

pub fn home(board: &Board, language: Language) -> Page {
    let latest = results::latest(&board.races, LATEST)
        .into_iter()
        .filter_map(|f| {
            let (race, row) = board.runner(&f.row.bib)?;
            Some(Listed::of(race, row, language))
        })
        .collect();
    let main = Home {
        heading: &board.heading(language),
        races: board
            .races
            .iter()
            .map(|r| (href(&r.code), r.name.clone(), results::ranked(r, language)))
            .collect(),
        latest,
    }
    .render()
    .unwrap_or_default();
    Page {
        title: language.word("results.title").to_owned(),
        main,
        found: true,
    }
}

struct Row {
    cells: Vec<String>,
    href: String,
    apart: bool,
}

#[derive(Template)]
#[template(path = "public/race.html")]
struct RacePage<'a> {
    heading: &'a Heading,
    code: String,
    name: &'a str,
    net_time: bool,
    ranked: String,
    genders: Vec<String>,
    gender: &'a str,
    categories: Vec<String>,
    category: &'a str,
    header: Vec<String>,
    rows: Vec<Row>,
    previous: Option<String>,
    next: Option<String>,
    page_of: String,
}

/// What a race page is asked for: which page, which gender and category.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RaceQuery {
    pub page: Option<String>,
    pub gender: String,
    pub category: String,
}

pub fn race(board: &Board, language: Language, code: &str, query: &RaceQuery) -> Page {
    let Some(race) = board.race(code) else {
        return missing(language);
    };
    let heading = board.heading(language);
    let filter = ResultsFilter {
        gender: query.gender.trim().to_owned(),
        category: query.category.trim().to_owned(),
        ..ResultsFilter::default()
    };
    let matching = results::matching(race, &filter);
    let pages = matching.len().div_ceil(PAGE_ROWS).max(1);
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let distinct = |pick: fn(&ResultRow) -> Option<&String>| {
        let mut values: Vec<String> = race.rows.iter().filter_map(pick).cloned().collect();
        values.sort();
        values.dedup();
        values
    };
    let link = |page: usize| {
        let mut href = format!("/race/{}?page={page}", href(&race.code));
        for (name, value) in [("gender", &filter.gender), ("category", &filter.category)] {
            if !value.is_empty() {
                href.push_str(&format!(
                    "&{name}={}",
                    utf8_percent_encode(value, NON_ALPHANUMERIC)
                ));
            }
        }
        href
    };
    let main = RacePage {
        heading: &heading,
        code: href(&race.code),
        name: &race.name,
        net_time: race.net_time,
        ranked: results::ranked(race, language),
        genders: distinct(|r| Some(&r.gender)),
        gender: &filter.gender,
        categories: distinct(|r| r.category.as_ref()),
        category: &filter.category,
        header: results::header(&heading, race),
        rows: matching
            .iter()
            .skip((page - 1) * PAGE_ROWS)
            .take(PAGE_ROWS)
            .map(|row| Row {
                cells: results::cells(&heading, row),
                href: href(&row.bib),
                apart: row.place.is_none(),
            })
            .collect(),
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        page_of: language.render(
            "public.pageOf",
            &[("page", page.to_string()), ("pages", pages.to_string())],
        ),
    }
    .render()
    .unwrap_or_default();
    Page {
        title: race.name.clone(),
        main,
        found: true,
    }
}

#[derive(Template)]
#[template(path = "public/found.html")]
struct FoundPage<'a> {
    heading: &'a Heading,
    said: String,
    rows: Vec<Listed>,
}

pub fn search(board: &Board, language: Language, query: &str) -> Page {
    let query = query.trim();
    let rows: Vec<Listed> = if query.is_empty() {
        Vec::new()
    } else {
        board
            .find(query, FOUND)
            .into_iter()
            .map(|found| match found {
                Found::Result(race, row) => Listed::of(race, row, language),
                Found::Entrant(entrant) => Listed::waiting(board, entrant, language),
            })
            .collect()
    };
    let key = if rows.is_empty() {
        "public.foundNone"
    } else {
        "public.found"
    };
    let said = language.render(
        key,
        &[
            ("count", rows.len().to_string()),
            ("query", query.to_owned()),
        ],
    );
    let main = FoundPage {
        heading: &board.heading(language),
        said: said.clone(),
        rows,
    }
    .render()
    .unwrap_or_default();
    Page {
        title: said,
        main,
        found: true,
    }
}

#[derive(Template)]
#[template(path = "public/runner.html")]
struct RunnerPage<'a> {
    heading: &'a Heading,
    row: &'a ResultRow,
    race: &'a str,
    race_code: String,
    time: String,
    status: &'static str,
    facts: Vec<(&'static str, String)>,
    /// Checkpoint, time, pace.
    splits: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "public/waiting.html")]
struct Waiting<'a> {
    heading: &'a Heading,
    listed: Listed,
    race_code: String,
    country: Option<String>,
    group: Option<&'a str>,
}

pub fn runner(board: &Board, language: Language, bib: &str) -> Page {
    let Some((race, row)) = board.runner(bib) else {
        let Some(entrant) = board.entrant(bib) else {
            return missing(language);
        };
        let main = Waiting {
            heading: &board.heading(language),
            listed: Listed::waiting(board, entrant, language),
            race_code: href(entrant.race.as_str()),
            country: entrant.nationality.as_ref().map(|c| c.to_string()),
            group: entrant.group.as_deref(),
        }
        .render()
        .unwrap_or_default();
        return Page {
            title: entrant.display_name(),
            main,
            found: true,
        };
    };
    let of = |place: Option<u32>, same: &dyn Fn(&ResultRow) -> bool| {
        let count = race
            .rows
            .iter()
            .filter(|r| r.place.is_some() && same(r))
            .count();
        place.map(|p| {
            language.render(
                "public.placeOf",
                &[("place", p.to_string()), ("count", count.to_string())],
            )
        })
    };
    let facts = [
        ("results.overall", of(row.place, &|_| true)),
        (
            "roster.gender",
            of(row.gender_place, &|r| r.gender == row.gender),
        ),
        (
            "results.category",
            of(row.category_place, &|r| r.category == row.category),
        ),
        ("results.gun", row.gun_time.clone()),
        ("results.net", row.net_time.clone()),
        ("public.pace", row.pace.clone()),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((language.word(key), value?)))
    .collect();
    let splits = race
        .checkpoints
        .iter()
        .zip(&row.splits)
        .filter_map(|(point, split)| {
            let split = split.as_ref()?;
            Some((point.point.clone(), split.time.clone(), split.pace.clone()))
        })
        .collect();
    let main = RunnerPage {
        heading: &board.heading(language),
        row,
        race: &race.name,
        race_code: href(&race.code),
        time: results::official(race.net_time, row)
            .unwrap_or_default()
            .to_owned(),
        status: language.status(&row.status),
        facts,
        splits,
    }
    .render()
    .unwrap_or_default();
    Page {
        title: row.name.clone(),
        main,
        found: true,
    }
}

/// A page for an address the site does not have.
pub fn missing(language: Language) -> Page {
    let said = language.word("public.missing");
    Page {
        title: said.to_owned(),
        main: format!(
            "<h2>{said}</h2><p><a href=\"/\">{}</a></p>",
            language.word("results.title")
        ),
        found: false,
    }
}
