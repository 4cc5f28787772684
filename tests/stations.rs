//! What a station captured, numbered: one gap-free sequence per station
//! over every kind of fact, so (station, seq) is one cursor over it.

use racedesk::checkin::{self, Desk};
use racedesk::timing;

use crate::support::{TestEvent, at, station};

#[tokio::test]
async fn a_station_numbers_every_fact_it_captures_in_one_sequence() {
    let event = TestEvent::new().await;
    event.add_runner("2001", "10K").await;
    event.add_runner("2002", "10K").await;
    // One laptop both checks runners in and times them.
    let laptop = station();
    let desk = Desk {
        id: laptop.id.clone(),
        name: "Desk 1".into(),
        operator: "volunteer".into(),
    };
    let other = racedesk::model::Station {
        id: "second-laptop".into(),
        ..station()
    };
    checkin::check_in(&event.file, "2001", &desk, None)
        .await
        .unwrap();
    timing::start_race(
        &event.file,
        "10K",
        None,
        at("09:00:00"),
        true,
        None,
        &laptop,
    )
    .await
    .unwrap();
    timing::capture(&event.file, "finish", at("09:40:00"), Some("2001"), &laptop)
        .await
        .unwrap();
    timing::capture(&event.file, "finish", at("09:41:00"), Some("2002"), &other)
        .await
        .unwrap();
    checkin::check_in(&event.file, "2002", &desk, None)
        .await
        .unwrap();
    checkin::undo(&event.file, "2002", &desk).await.unwrap();

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", event.path().display()))
        .await
        .unwrap();
    let numbered = |station: &'static str| {
        let pool = pool.clone();
        async move {
            let seqs: Vec<i64> = sqlx::query_scalar(
                "SELECT seq FROM (SELECT station, seq FROM checkin UNION ALL SELECT station, seq FROM race_start
                 UNION ALL SELECT station, seq FROM passing) WHERE station = ? ORDER BY seq",
            )
            .bind(station)
            .fetch_all(&pool)
            .await
            .unwrap();
            seqs
        }
    };
    assert_eq!(
        numbered("finish-laptop").await,
        [1, 2, 3, 4, 5],
        "check-ins, the start, the capture and the undo: one gap-free sequence"
    );
    assert_eq!(
        numbered("second-laptop").await,
        [1],
        "another station keeps its own"
    );
    pool.close().await;
}
