//! The event: its name, race day, time zone and place.

use std::fmt;

use chrono::NaiveDate;

use super::ParseError;

/// The race day, a calendar date in the event's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventDate(pub NaiveDate);

impl EventDate {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(Self)
            .map_err(|_| ParseError::new(crate::said!("invalid.date", text = super::shorten(text))))
    }
}

impl fmt::Display for EventDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// An IANA time zone such as `Asia/Pyongyang`: times are entered and shown in
/// it, never in the laptop's own zone by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        text.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            ParseError::new(crate::said!(
                "invalid.time_zone",
                text = super::shorten(text)
            ))
        })
    }

    /// The time of day in this zone of an instant in Unix epoch
    /// milliseconds, HH:MM:SS; empty for an instant chrono cannot hold.
    pub fn clock(&self, at_ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(at_ms)
            .map(|t| t.with_timezone(&self.0).format("%H:%M:%S").to_string())
            .unwrap_or_default()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.0.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub date: EventDate,
    pub time_zone: TimeZone,
    pub place: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_zones_are_checked() {
        assert_eq!(
            EventDate::parse("2027-04-11").unwrap().to_string(),
            "2027-04-11"
        );
        assert!(EventDate::parse("11/04/2027").is_err());
        assert!(EventDate::parse("2027-02-30").is_err());
        assert_eq!(
            TimeZone::parse("Asia/Pyongyang").unwrap().to_string(),
            "Asia/Pyongyang"
        );
        assert!(TimeZone::parse("Pyongyang").is_err());
        assert!(TimeZone::parse("").is_err());
    }
}
