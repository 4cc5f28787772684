//! Instants as race-day people type and read them: in the event's time
//! zone, never the laptop's. Stored as Unix epoch milliseconds (UTC).

use chrono::{LocalResult, NaiveDateTime, NaiveTime, TimeZone as _};

use super::{EventDate, ParseError, TimeZone, shorten};

/// An instant typed as `YYYY-MM-DDTHH:MM:SS[.fff]` (a space may stand for
/// the T), or as a time of day `HH:MM:SS[.fff]` on race day, in the event's
/// zone. An hour that does not exist or exists twice there (a daylight
/// saving change) is refused rather than guessed.
pub fn parse_instant(text: &str, race_day: EventDate, zone: TimeZone) -> Result<i64, ParseError> {
    let text = text.trim();
    let bad = || {
        ParseError::new(format!(
            "'{}' is not a time: write HH:MM:SS[.fff] (on race day) or YYYY-MM-DDTHH:MM:SS[.fff]",
            shorten(text)
        ))
    };
    let local = if text.len() > 10 && text.as_bytes().get(4) == Some(&b'-') {
        NaiveDateTime::parse_from_str(&text.replacen(' ', "T", 1), "%Y-%m-%dT%H:%M:%S%.f")
            .map_err(|_| bad())?
    } else {
        let time = NaiveTime::parse_from_str(text, "%H:%M:%S%.f").map_err(|_| bad())?;
        race_day.0.and_time(time)
    };
    match zone.0.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at.timestamp_millis()),
        _ => Err(ParseError::new(format!(
            "{text} does not exist once in {zone} (a daylight saving change): give the date and time in UTC instead"
        ))),
    }
}

/// HH:MM:SS.mmm of an instant in the event's zone.
pub fn format_instant(at_ms: i64, zone: TimeZone) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.with_timezone(&zone.0).format("%H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

/// A duration as H:MM:SS.mmm (negative with a minus sign).
/// Whole seconds of a duration, rounded up (road-race rule); 0 for a
/// negative one.
pub fn result_seconds(ms: i64) -> i64 {
    (ms.max(0) + 999) / 1000
}

/// A duration as road-race results show it: whole seconds, rounded up
/// (3:05:41.001 is 3:05:42), as `H:MM:SS`.
pub fn format_result_time(ms: i64) -> String {
    let seconds = result_seconds(ms);
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

pub fn format_duration(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    format!(
        "{sign}{}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> EventDate {
        EventDate::parse("2027-04-11").unwrap()
    }

    fn pyongyang() -> TimeZone {
        TimeZone::parse("Asia/Pyongyang").unwrap()
    }

    #[test]
    fn result_times_round_up_to_the_whole_second() {
        assert_eq!(format_result_time(11_141_000), "3:05:41");
        assert_eq!(format_result_time(11_141_001), "3:05:42");
        assert_eq!(format_result_time(11_141_999), "3:05:42");
        assert_eq!(format_result_time(0), "0:00:00");
        assert_eq!(format_result_time(59_999), "0:01:00");
    }

    #[test]
    fn times_are_read_in_the_events_zone() {
        let at = parse_instant("08:00:00", day(), pyongyang()).unwrap();
        // 08:00 in Pyongyang (UTC+9) is 23:00 UTC the day before.
        assert_eq!(
            chrono::DateTime::from_timestamp_millis(at)
                .unwrap()
                .to_rfc3339(),
            "2027-04-10T23:00:00+00:00"
        );
        assert_eq!(
            parse_instant("2027-04-11T08:00:00.250", day(), pyongyang()).unwrap(),
            at + 250
        );
        assert_eq!(
            parse_instant("2027-04-11 08:00:00", day(), pyongyang()).unwrap(),
            at
        );
        assert_eq!(format_instant(at + 250, pyongyang()), "08:00:00.250");
    }

    #[test]
    fn bad_and_ambiguous_times_are_refused() {
        for bad in ["", "8 o'clock", "25:00:00", "2027-13-01T08:00:00"] {
            assert!(parse_instant(bad, day(), pyongyang()).is_err(), "{bad:?}");
        }
        let london = TimeZone::parse("Europe/London").unwrap();
        // 01:30 on 2027-03-28 does not exist in London (clocks go forward).
        assert!(parse_instant("2027-03-28T01:30:00", day(), london).is_err());
    }

    #[test]
    fn durations_read_as_h_mm_ss() {
        assert_eq!(format_duration(7_235_000), "2:00:35.000");
        assert_eq!(format_duration(59_999), "0:00:59.999");
        assert_eq!(format_duration(-1500), "-0:00:01.500");
    }
}
