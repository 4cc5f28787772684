//! Chip decoders: the boxes at each mat that read the runners' chips. One
//! file per protocol, each a pure parser of what its decoder sends (unit
//! tested on real lines) and what we answer; [`keep`] stores every read as
//! it came, once, and makes passings of them.
//!
//! Facts about the protocols are in the README's "Chip timing" section and
//! came from the open-source timing programs that speak them; the code is
//! ours.

pub mod chronotrack;
pub mod ipico;
mod keep;
pub mod live;
pub mod llrp;
pub mod mylaps;
pub mod raceresult;
mod running;
pub mod simulate;
pub mod ultra;

use chrono::{NaiveDate, TimeZone as _};

use crate::model::{EventDate, TimeZone};

pub(crate) use keep::readable;
pub use keep::{
    Decoder, DecoderImport, DecoderSeen, Kept, decoders, give_reads, import, keep, save_decoder,
    seen, set_reading, were_reading,
};
pub use live::{Asks, Event, State};
pub use running::{DecoderView, Live, Running};

/// The kinds of decoder racedesk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(
    any(test, feature = "ts"),
    derive(ts_rs::TS),
    ts(export, rename = "DecoderKind")
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// RACE RESULT System 4000/5000 and Active: we connect, TCP 3601.
    RaceResult,
    /// MYLAPS Timing & Scoring's exporter: it connects to us, TCP 3097.
    Mylaps,
    /// ChronoTrack through its SimpleClient: it connects to us.
    ChronoTrack,
    /// RFID Timing Systems Ultra and Joey: we connect, TCP 23.
    Ultra,
    /// IPICO Lite and Elite: we connect, TCP 10000.
    Ipico,
    /// Impinj and Zebra readers over LLRP: we connect, TCP 5084.
    Llrp,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::RaceResult,
        Kind::Mylaps,
        Kind::ChronoTrack,
        Kind::Ultra,
        Kind::Ipico,
        Kind::Llrp,
    ];

    /// The name used on the command line and in the file.
    pub fn name(self) -> &'static str {
        match self {
            Kind::RaceResult => "raceresult",
            Kind::Mylaps => "mylaps",
            Kind::ChronoTrack => "chronotrack",
            Kind::Ultra => "ultra",
            Kind::Ipico => "ipico",
            Kind::Llrp => "llrp",
        }
    }

    /// The kind named `text`, or a refusal that names the field.
    pub fn named(text: &str) -> crate::Result<Kind> {
        Kind::parse(text).ok_or_else(|| {
            crate::Error::invalid(
                "kind",
                crate::model::ParseError::new(crate::said!("invalid.decoder_kind", kind = text)),
            )
        })
    }

    pub fn parse(text: &str) -> Option<Kind> {
        let text = text.trim().to_ascii_lowercase();
        Kind::ALL.into_iter().find(|k| k.name() == text)
    }

    /// The port the protocol is usually spoken on: the decoder's when we
    /// connect to it, ours when it connects to us.
    pub fn port(self) -> u16 {
        match self {
            Kind::RaceResult => 3601,
            Kind::Mylaps => 3097,
            Kind::ChronoTrack => 3000,
            Kind::Ultra => 23,
            Kind::Ipico => 10000,
            Kind::Llrp => 5084,
        }
    }

    /// Whether racedesk can set the decoder's clock (RACE RESULT's
    /// `SETTIME`, Ultra's `t`).
    pub fn sets_clock(self) -> bool {
        matches!(self, Kind::RaceResult | Kind::Ultra)
    }

    /// Whether the decoder (or its software) connects to us.
    pub fn listens(self) -> bool {
        matches!(self, Kind::Mylaps | Kind::ChronoTrack)
    }
}

/// When a decoder says it read a chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAt {
    /// A local time of day, ms after midnight, on `date`; with no date
    /// (a decoder whose clock was never set), `day` days after race day.
    Local {
        date: Option<NaiveDate>,
        day: u32,
        ms: u32,
    },
    /// An instant: ms since the Unix epoch.
    Utc(i64),
}

impl ReadAt {
    /// The instant, reading a local time in the event's zone; none for a
    /// local time the zone skips (a clock change).
    pub fn instant(self, race_day: EventDate, zone: TimeZone) -> Option<i64> {
        match self {
            ReadAt::Utc(ms) => Some(ms),
            ReadAt::Local { date, day, ms } => {
                let date = date.unwrap_or(race_day.0 + chrono::Days::new(u64::from(day)));
                let midnight = date.and_hms_opt(0, 0, 0)?;
                let local = midnight + chrono::Duration::milliseconds(i64::from(ms));
                match zone.0.from_local_datetime(&local) {
                    chrono::LocalResult::Single(at) => Some(at.timestamp_millis()),
                    // The hour repeated when clocks go back: the first.
                    chrono::LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
                    chrono::LocalResult::None => None,
                }
            }
        }
    }

    /// As the decoder said it, for the record.
    pub fn text(self) -> String {
        match self {
            ReadAt::Utc(ms) => format!("utc {ms}"),
            ReadAt::Local { date, day, ms } => {
                let time = format!(
                    "{:02}:{:02}:{:02}.{:03}",
                    ms / 3_600_000,
                    ms / 60_000 % 60,
                    ms / 1000 % 60,
                    ms % 1000
                );
                match date {
                    Some(date) => format!("{date} {time}"),
                    None => format!("race day+{day} {time}"),
                }
            }
        }
    }
}

/// One chip read, as a decoder sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipRead {
    pub chip: String,
    pub at: ReadAt,
    /// The decoder's own number for the read (a passing number, a log
    /// index, a line number), where the protocol has one.
    pub seq: Option<i64>,
    pub antenna: Option<String>,
    /// Signal strength, as the decoder wrote it.
    pub rssi: Option<String>,
    /// The location the decoder names (ChronoTrack's), where it has one.
    pub location: Option<String>,
}

/// The reads of a decoder's file, each bad line named.
pub(crate) fn parse_file(kind: Kind, text: &str) -> Result<Vec<ChipRead>, Vec<String>> {
    match kind {
        Kind::RaceResult => raceresult::file(text),
        Kind::Ultra => ultra::file(text),
        // Readers over LLRP send their reads and keep no file of them.
        Kind::Llrp => Err(vec![
            "an LLRP reader keeps no file racedesk can read: connect to it, or import what the software that read it saved".into(),
        ]),
        _ => each_line(
            text,
            |_| false,
            |line| match kind {
                Kind::Ipico => ipico::frame(line).map(|r| r.into_iter().collect()),
                Kind::ChronoTrack => chronotrack::line(line).map(|l| match l {
                    chronotrack::Line::Read { read, .. } => vec![read],
                    _ => Vec::new(),
                }),
                // A Store record, or messages as the exporter sent them.
                _ if !line.contains('@') => mylaps::store(line).map(|r| vec![r]),
                _ => mylaps::file_line(line),
            },
        ),
    }
}

/// The reads of a file, a line at a time (blank lines and those `skip`
/// says are not reads left out); every bad line named by its number.
pub(crate) fn each_line(
    text: &str,
    skip: impl Fn(&str) -> bool,
    mut parse: impl FnMut(&str) -> Result<Vec<ChipRead>, String>,
) -> Result<Vec<ChipRead>, Vec<String>> {
    let mut reads = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || skip(line) {
            continue;
        }
        match parse(line) {
            Ok(got) => reads.extend(got),
            Err(e) => problems.push(format!("line {}: {e}", i + 1)),
        }
    }
    if problems.is_empty() {
        Ok(reads)
    } else {
        Err(problems)
    }
}

/// `HH:MM:SS[.f…]` as ms after midnight (fractions of any length, cut to
/// ms); hours up to 23.
pub(crate) fn time_of_day(text: &str) -> Option<u32> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = whole.split(':');
    let mut next = || -> Option<u32> {
        let part = parts.next()?;
        (!part.is_empty() && part.len() <= 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())?
    };
    let (h, m, s) = (next()?, next()?, next()?);
    if parts.next().is_some() || h > 23 || m > 59 || s > 59 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms = 0;
    for (i, digit) in fraction.bytes().take(3).enumerate() {
        ms += u32::from(digit - b'0') * [100, 10, 1][i];
    }
    Some(((h * 60 + m) * 60 + s) * 1000 + ms)
}

/// A chip as decoders write it: printable ASCII, at most 64 characters.
pub(crate) fn chip(text: &str) -> Result<String, String> {
    let chip = text.trim();
    if chip.is_empty() {
        return Err("the chip is empty".into());
    }
    if chip.len() > 64 || !chip.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{chip:?} is not a chip"));
    }
    Ok(chip.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_take_any_fraction_and_refuse_what_is_not_one() {
        assert_eq!(time_of_day("13:11:30.904"), Some(47_490_904));
        assert_eq!(time_of_day("15:54:48.90"), Some(57_288_900));
        assert_eq!(time_of_day("00:00:02.7731"), Some(2_773));
        assert_eq!(time_of_day("7:05:01"), Some(25_501_000));
        for bad in ["24:00:00", "12:60:00", "12:00", "12:00:00.x", "", "a:b:c"] {
            assert_eq!(time_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_time_with_no_date_is_placed_on_race_day() {
        let day = EventDate::parse("2026-04-05").unwrap();
        let zone = TimeZone::parse("Asia/Pyongyang").unwrap();
        let at = ReadAt::Local {
            date: None,
            day: 1,
            ms: 2_773,
        };
        // 2026-04-06 00:00:02.773 in Pyongyang (UTC+9).
        assert_eq!(at.instant(day, zone), Some(1_775_401_202_773));
        assert_eq!(at.text(), "race day+1 00:00:02.773");
    }
}
