//! The results site phones open at the venue, read over real TCP: what a
//! page shows, that nothing private is ever sent, that it changes when a
//! finish is captured, and that it refuses everything but reading.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use racedesk::changes::Marks;
use racedesk::roster::{self, EntrantForm};
use racedesk::{publish, setup, timing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestEvent, at, station};

/// Values of private fields: none may appear in anything the site sends.
const PRIVATE: [&str; 7] = [
    "1980-05-17",
    "CHIP77123",
    "5555 0199",
    "Emergency Lee",
    "asthma inhaler",
    "INS-88-PASSPORT",
    "E2801160600002",
];

/// The marathon (with a 10k checkpoint) and three runners with every
/// private field filled: two finished, one still out.
async fn event() -> TestEvent {
    let event = TestEvent::new().await;
    let mar = setup::races(&event.file).await.unwrap()[0].race.clone();
    let mut form = setup::RaceForm::from_race(&mar);
    form.checkpoints = "10k".into();
    let mar = form.parse().unwrap();
    setup::update_race(&event.file, &mar.code, &mar, "director")
        .await
        .unwrap();
    let runners = [
        (
            "101",
            "Min-jun",
            "Kim",
            "김민준",
            "M",
            "1980-05-17",
            "KOR",
            "CHIP77123",
            "+82 10 5555 0199",
            "Emergency Lee 010-2222",
            "asthma inhaler",
        ),
        (
            "102",
            "Anna",
            "Schmidt",
            "",
            "F",
            "1975-02-03",
            "DEU",
            "E2801160600002",
            "+49 30 1234",
            "Mr Schmidt",
            "INS-88-PASSPORT",
        ),
        (
            "103",
            "Li",
            "Wei",
            "",
            "M",
            "1990-09-09",
            "CHN",
            "",
            "",
            "",
            "",
        ),
    ];
    for (bib, first, last, native, gender, born, country, chip, phone, contact, medical) in runners
    {
        let form = EntrantForm {
            bib: bib.into(),
            first_name: first.into(),
            last_name: last.into(),
            native_name: native.into(),
            gender: gender.into(),
            birth_date: born.into(),
            country: country.into(),
            city: "Kaesong".into(),
            group: "Koryo Tours".into(),
            race: "MAR".into(),
            chip: chip.into(),
            phone: phone.into(),
            emergency_contact: contact.into(),
            medical_note: medical.into(),
            ..EntrantForm::default()
        };
        roster::save_entrant(&event.file, None, &form, "test")
            .await
            .unwrap();
    }
    timing::start_race(
        &event.file,
        "MAR",
        None,
        at("10:00:00"),
        true,
        None,
        &station(),
    )
    .await
    .unwrap();
    for (point, time, bib) in [
        ("10k", "10:41:10", "101"),
        ("10k", "10:45:00", "102"),
        ("10k", "10:50:00", "103"),
        ("finish", "12:59:58", "101"),
        ("finish", "13:10:04", "102"),
    ] {
        timing::capture(&event.file, point, at(time), Some(bib), &station())
            .await
            .unwrap();
    }
    event
}

/// One request as written, from a loopback address of our choosing; the
/// status and the whole response (head and body) as received.
async fn send(site: SocketAddr, from: IpAddr, request: &[u8]) -> (u16, String) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let mut stream = socket.connect(site).await.unwrap();
    // A request the server refuses may be cut off while it is written.
    let _ = stream.write_all(request).await;
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes)).await;
    assert!(read.is_ok(), "the site did not answer within 10 s");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

async fn get(site: SocketAddr, path: &str) -> (u16, String) {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: results\r\nAccept-Language: en\r\nConnection: close\r\n\r\n"
    );
    send(site, [127, 0, 0, 1].into(), request.as_bytes()).await
}

/// Reads an update stream until it says `data: {revision}`.
async fn until_revision(stream: &mut tokio::net::TcpStream, revision: u64) {
    let wanted = format!("data: {revision}\n");
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    let got = tokio::time::timeout(Duration::from_secs(15), async {
        while !seen.contains(&wanted) {
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the update stream closed: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    })
    .await;
    assert!(got.is_ok(), "no `{wanted}` within 15 s: {seen}");
}

#[tokio::test]
async fn the_site_shows_results_search_and_runners_and_nothing_private() {
    let event = event().await;
    let site = publish::publish(&event.file, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let address = site.address();
    let mut sent = String::new();

    let (status, home) = get(address, "/").await;
    assert_eq!(status, 200, "{home}");
    assert!(home.contains("/race/MAR"), "{home}");
    assert!(home.contains("Latest finishers"), "{home}");
    assert!(
        home.contains("/runner/102"),
        "the latest finisher is listed: {home}"
    );
    sent.push_str(&home);

    let (status, race) = get(address, "/race/MAR").await;
    assert_eq!(status, 200);
    assert!(
        race.contains("2:59:58") && race.contains("3:10:04"),
        "{race}"
    );
    assert!(
        race.contains("김민준"),
        "the Hangul name beside the Latin one"
    );
    assert!(race.contains("2 of 3 entrants ranked"), "{race}");
    sent.push_str(&race);

    let (status, runner) = get(address, "/runner/102").await;
    assert_eq!(status, 200);
    assert!(runner.contains("3:10:04"), "{runner}");
    assert!(
        runner.contains("2 of 2"),
        "second overall of two ranked: {runner}"
    );
    assert!(runner.contains("1 of 1"), "first woman: {runner}");
    assert!(runner.contains("0:45:00"), "the 10k split: {runner}");
    assert!(runner.contains("class=\"certificate\""), "{runner}");
    sent.push_str(&runner);

    let (status, korean) = get(address, "/runner/101?lang=ko").await;
    assert_eq!(status, 200);
    assert!(korean.contains("<html lang=\"ko\""), "{korean}");
    assert!(korean.contains("2명 중 1위"), "places in Korean: {korean}");
    assert!(korean.contains("set-cookie: lang=ko"), "the switch is kept");
    sent.push_str(&korean);

    // The desk's search: Hangul, a romanisation of it, a bib, part of a
    // name; a chip, a phone number or a city finds nobody.
    for (query, bib) in [
        ("%EA%B9%80%EB%AF%BC%EC%A4%80", Some("101")),
        ("gim+minjun", Some("101")),
        ("102", Some("102")),
        ("schmid", Some("102")),
        ("CHIP77123", None),
        ("5555+0199", None),
        ("E2801160600002", None),
    ] {
        let (status, found) = get(address, &format!("/search?q={query}")).await;
        assert_eq!(status, 200);
        match bib {
            Some(bib) => assert!(
                found.contains(&format!("/runner/{bib}\"")),
                "{query}: {found}"
            ),
            // The query is said back ("Nobody found for …"), so this
            // answer is not added to what is checked for private values.
            None => {
                assert!(
                    found.contains("Nobody found"),
                    "{query} found someone: {found}"
                );
                assert!(!found.contains("/runner/"), "{query}: {found}");
                continue;
            }
        }
        sent.push_str(&found);
    }

    for path in [
        "/race/MAR?part=main",
        "/race/MAR?gender=F&page=1",
        "/runner/103",
        "/?lang=ko",
        "/look.css",
        "/live.js",
        "/runner/999",
    ] {
        let (status, body) = get(address, path).await;
        assert!(
            status == 200 || (path == "/runner/999" && status == 404),
            "{path}: {status}"
        );
        sent.push_str(&body);
    }
    for value in PRIVATE {
        assert!(
            !sent.contains(value),
            "the site sent a private value: {value}"
        );
    }
    site.stop();
}

#[tokio::test]
async fn an_open_page_is_told_of_a_new_finish_and_the_file_is_never_written() {
    let event = event().await;
    let site = publish::publish(&event.file, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let address = site.address();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /live HTTP/1.1\r\nHost: results\r\n\r\n")
        .await
        .unwrap();
    until_revision(&mut stream, 0).await;
    let (_, before) = get(address, "/runner/103").await;
    assert!(
        !before.contains("class=\"certificate\""),
        "not finished yet"
    );

    timing::capture(
        &event.file,
        "finish",
        at("13:30:00"),
        Some("103"),
        &station(),
    )
    .await
    .unwrap();
    until_revision(&mut stream, 1).await;
    let (_, after) = get(address, "/runner/103").await;
    assert!(after.contains("3:30:00"), "{after}");
    assert!(after.contains("class=\"certificate\""), "{after}");

    // Pages read, a write refused, a flood held back: the site wrote
    // nothing.
    let marks = Marks::of(&event.file).await.unwrap();
    for path in ["/", "/race/MAR", "/search?q=kim", "/runner/101"] {
        get(address, path).await;
    }
    let post =
        b"POST /runner/101 HTTP/1.1\r\nHost: r\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    send(address, [127, 0, 0, 1].into(), post).await;
    let mut refused = 0;
    for _ in 0..150 {
        let (status, _) = send(
            address,
            [127, 0, 0, 20].into(),
            b"GET /search?q=kim HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n",
        )
        .await;
        refused += usize::from(status == 429);
    }
    assert!(refused > 0, "the flood was not held back");
    assert_eq!(Marks::of(&event.file).await.unwrap(), marks);
    site.stop();
}

#[tokio::test]
async fn the_site_refuses_writes_traversal_oversized_requests_and_floods() {
    let event = event().await;
    let site = publish::publish(&event.file, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let address = site.address();
    let home: IpAddr = [127, 0, 0, 1].into();

    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let request = format!(
            "{method} /race/MAR HTTP/1.1\r\nHost: r\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let (status, text) = send(address, home, request.as_bytes()).await;
        assert_eq!(status, 405, "{method}: {text}");
    }

    for path in [
        "/../../../../etc/passwd",
        "/race/..%2F..%2F..%2Fetc%2Fpasswd",
        "/look.css/../../Cargo.toml",
        "/runner/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/templates/public/layout.html",
        "/../src/publish/mod.rs",
    ] {
        let (status, text) = get(address, path).await;
        assert!(status == 404 || status == 400, "{path}: {status}");
        for leaked in ["root:", "[package]", "{{ ", "axum::"] {
            assert!(!text.contains(leaked), "{path} sent a file: {text}");
        }
    }

    let long = format!("/search?q={}", "a".repeat(10_000));
    let (status, _) = get(address, &long).await;
    assert_eq!(status, 414, "a 10 KB address");
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: r\r\nX-Filler: {}\r\nConnection: close\r\n\r\n",
        "b".repeat(1_000_000)
    );
    let (status, _) = send(address, home, huge_header.as_bytes()).await;
    assert_ne!(status, 200, "a 1 MB header is not read as a request");
    let mut body =
        b"POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 8000000\r\nConnection: close\r\n\r\n"
            .to_vec();
    body.extend(std::iter::repeat_n(b'x', 8_000_000));
    let (status, _) = send(address, home, &body).await;
    assert_eq!(status, 405, "an 8 MB upload");

    // One address asking as fast as it can is held back; another is not.
    let flooder: IpAddr = [127, 0, 0, 9].into();
    let mut refused = 0;
    for _ in 0..200 {
        let (status, _) = send(
            address,
            flooder,
            b"GET /race/MAR HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(status == 200 || status == 429, "{status}");
        refused += usize::from(status == 429);
    }
    assert!(refused > 100, "only {refused} of 200 refused");
    let (status, _) = send(
        address,
        [127, 0, 0, 10].into(),
        b"GET /race/MAR HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200, "a phone beside the flood is served");

    // A few open pages per address, not hundreds.
    let holder: IpAddr = [127, 0, 0, 11].into();
    let mut open = Vec::new();
    for _ in 0..8 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(holder, 0)).unwrap();
        let mut stream = socket.connect(address).await.unwrap();
        stream
            .write_all(b"GET /live HTTP/1.1\r\nHost: r\r\n\r\n")
            .await
            .unwrap();
        until_revision(&mut stream, 0).await;
        open.push(stream);
    }
    let (status, _) = send(
        address,
        holder,
        b"GET /live HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 429, "a ninth open page from one address");
    drop(open);
    site.stop();
}
