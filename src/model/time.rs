//! Instants as race-day people type and read them: in the event's time
//! zone, never the laptop's. Stored as Unix epoch milliseconds (UTC).

use chrono::{LocalResult, NaiveDateTime, NaiveTime, TimeZone as _, Timelike};

use super::{EventDate, ParseError, TimeZone, shorten};

/// How far from race day a typed instant may be: a rehearsal the week
/// before, a late import the week after. Anything further is a typo (a
/// year 0000, a 9999-12-31) and is refused rather than ranked.
pub const DAYS_FROM_RACE_DAY: i64 = 7;

/// An instant typed as `YYYY-MM-DDTHH:MM:SS[.fff]` (a space may stand for
/// the T), or as a time of day `HH:MM:SS[.fff]` on race day, in the event's
/// zone; or with an explicit offset (`Z`, `+09:00`, ` UTC`), which then
/// wins over the zone. An hour that does not exist or exists twice in the
/// zone (a daylight saving change) is refused rather than guessed: give
/// the offset. A leap second (`:60`) is refused, and so is an instant more
/// than [`DAYS_FROM_RACE_DAY`] days from race day.
pub fn parse_instant(text: &str, race_day: EventDate, zone: TimeZone) -> Result<i64, ParseError> {
    let text = text.trim();
    let bad = || ParseError::new(crate::said!("invalid.time", text = shorten(text)));
    let dated = text.len() > 10 && text.as_bytes().get(4) == Some(&b'-');
    let at_ms = if dated && let Some(explicit) = with_offset(text) {
        let at = chrono::DateTime::parse_from_rfc3339(&explicit).map_err(|_| bad())?;
        if at.time().nanosecond() >= 1_000_000_000 || text.contains(":60") {
            return Err(leap(text));
        }
        at.timestamp_millis()
    } else {
        let local = if dated {
            NaiveDateTime::parse_from_str(&text.replacen(' ', "T", 1), "%Y-%m-%dT%H:%M:%S%.f")
                .map_err(|_| bad())?
        } else {
            let time = NaiveTime::parse_from_str(text, "%H:%M:%S%.f").map_err(|_| bad())?;
            race_day.0.and_time(time)
        };
        if local.time().nanosecond() >= 1_000_000_000 {
            return Err(leap(text));
        }
        match zone.0.from_local_datetime(&local) {
            LocalResult::Single(at) => at.timestamp_millis(),
            _ => {
                return Err(ParseError::new(crate::said!(
                    "invalid.time_twice",
                    text = text,
                    zone = zone,
                    example = text.replacen(' ', "T", 1)
                )));
            }
        }
    };
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&zone.0).date_naive())
    };
    match day(at_ms) {
        Some(date) if (date - race_day.0).num_days().abs() <= DAYS_FROM_RACE_DAY => Ok(at_ms),
        Some(date) => Err(ParseError::new(crate::said!(
            "invalid.time_far_from_race_day",
            text = text,
            date = date,
            days = (date - race_day.0).num_days().abs(),
            race_day = race_day.0,
            limit = DAYS_FROM_RACE_DAY
        ))),
        None => Err(bad()),
    }
}

/// `…Z`, `…+09:00`, `…-0500` or `… UTC` as RFC 3339 text, or `None` for
/// a local date and time.
fn with_offset(text: &str) -> Option<String> {
    let text = text.replacen(' ', "T", 1);
    let text = match text
        .strip_suffix("TUTC")
        .or_else(|| text.strip_suffix(" UTC"))
    {
        Some(head) => format!("{head}Z"),
        None => text,
    };
    let time = &text[11.min(text.len())..];
    if time.ends_with('Z') || time.ends_with('z') {
        return Some(text);
    }
    let sign = time.rfind(['+', '-'])?;
    let offset = &time[sign + 1..];
    let offset = match offset.len() {
        4 if offset.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{}:{}", &offset[..2], &offset[2..])
        }
        2 if offset.bytes().all(|b| b.is_ascii_digit()) => format!("{offset}:00"),
        _ => offset.to_owned(),
    };
    Some(format!(
        "{}{}{offset}",
        &text[..11 + sign],
        &time[sign..=sign]
    ))
}

fn leap(text: &str) -> ParseError {
    ParseError::new(crate::said!("invalid.leap_second", text = text))
}

/// An instant for a confirmation: the time of day in the event's zone,
/// with the date in front when it is not race day, so a wrong date shows.
pub fn format_instant_for(at_ms: i64, race_day: EventDate, zone: TimeZone) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis(at_ms) else {
        return String::new();
    };
    let local = t.with_timezone(&zone.0);
    if local.date_naive() == race_day.0 {
        local.format("%H:%M:%S%.3f").to_string()
    } else {
        local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    }
}

/// The date of an instant in the event's zone (today, for a rehearsal on
/// another day than race day); None for an instant out of range.
pub fn day_of(at_ms: i64, zone: TimeZone) -> Option<EventDate> {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| EventDate(t.with_timezone(&zone.0).date_naive()))
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
    fn an_explicit_offset_or_z_gives_the_instant_even_in_a_repeated_hour() {
        let at = parse_instant("08:00:00", day(), pyongyang()).unwrap();
        for text in [
            "2027-04-10T23:00:00Z",
            "2027-04-10 23:00:00 UTC",
            "2027-04-11T08:00:00+09:00",
            "2027-04-11T08:00:00+0900",
            "2027-04-10T18:00:00-05:00",
        ] {
            assert_eq!(parse_instant(text, day(), pyongyang()), Ok(at), "{text}");
        }
        // 01:30 on 2027-10-31 happens twice in London; the offset says which.
        let london = TimeZone::parse("Europe/London").unwrap();
        let autumn = EventDate::parse("2027-10-31").unwrap();
        let refused = parse_instant("2027-10-31T01:30:00", autumn, london).unwrap_err();
        assert!(refused.to_string().contains("+01:00"), "{refused}");
        let first = parse_instant("2027-10-31T01:30:00+01:00", autumn, london).unwrap();
        let second = parse_instant("2027-10-31T01:30:00Z", autumn, london).unwrap();
        assert_eq!(second - first, 3_600_000);
    }

    #[test]
    fn implausible_instants_are_refused() {
        for text in [
            "0000-03-28T08:00:00",
            "9999-12-31T23:59:59",
            "2027-05-01T08:00:00",
            "23:59:60",
            "2027-04-11T23:59:60Z",
        ] {
            assert!(parse_instant(text, day(), pyongyang()).is_err(), "{text}");
        }
        assert!(parse_instant("2027-04-04T08:00:00", day(), pyongyang()).is_ok());
        let at = parse_instant("2027-04-10T08:00:00", day(), pyongyang()).unwrap();
        assert_eq!(
            format_instant_for(at, day(), pyongyang()),
            "2027-04-10T08:00:00.000"
        );
        assert_eq!(
            format_instant_for(at + 86_400_000, day(), pyongyang()),
            "08:00:00.000"
        );
    }

    #[test]
    fn durations_read_as_h_mm_ss() {
        assert_eq!(format_duration(7_235_000), "2:00:35.000");
        assert_eq!(format_duration(59_999), "0:00:59.999");
        assert_eq!(format_duration(-1500), "-0:00:01.500");
    }
}
