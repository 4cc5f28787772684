//! ChronoTrack (CTP01), through ChronoTrack's SimpleClient: the client
//! connects to us and greets (`SimpleClient~<version>~CTP01`); we name
//! ourselves with the features we want (pushed reads, gun times, new
//! locations), ask it to start, and ping it every 10 s. Fields are
//! separated by `~`, lines end in CRLF. A read carries the line number of
//! the controller's own log, the location and the antenna.

use super::{ChipRead, ReadAt, chip, time_of_day};

/// What a line from the client says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `SimpleClient~<version>~CTP01`.
    Greeting { version: String },
    /// A chip read at `location`.
    Read { location: String, read: ChipRead },
    /// The gun fired at `location` (a `guntime` marker).
    Gun { location: String, at: ReadAt },
    /// An answer to one of our commands: `ack~<command>~…`.
    Ack(Vec<String>),
    /// The controller began reading at a location it had not named (a
    /// `newlocation` marker): its reads go to the point `--points` gives it,
    /// else the decoder's.
    NewLocation(String),
    /// Anything else (a line we do not use).
    Other,
}

/// The lines we send once the client greeted: our name and the features.
pub fn hello(name: &str) -> Vec<String> {
    vec![
        format!("{name}~5"),
        "guntimes=true".into(),
        "newlocations=true".into(),
        "connection-id=false".into(),
        "stream-mode=push".into(),
        "time-format=iso".into(),
    ]
}

/// What we ask once the features are agreed.
pub const START: [&str; 3] = ["geteventinfo", "getlocations", "start"];

/// The keepalive we send every 10 s; the client answers `ack~ping`.
pub const PING: &str = "ping";

/// `HH:mm:ss.SS` (normal), `YYYY-MM-DDTHH:mm:ss.SS` (iso) or Unix seconds
/// with a fraction.
fn time(text: &str) -> Option<ReadAt> {
    let text = text.trim();
    if let Some(ms) = time_of_day(text) {
        return Some(ReadAt::Local {
            date: None,
            day: 0,
            ms,
        });
    }
    if let Some((date, clock)) = text.split_once('T') {
        let ms = time_of_day(clock)?;
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        return Some(ReadAt::Local {
            date: Some(date),
            day: 0,
            ms,
        });
    }
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds: i64 = seconds.parse().ok()?;
    let mut ms = 0;
    for (i, d) in fraction.bytes().take(3).enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        ms += i64::from(d - b'0') * [100, 10, 1][i];
    }
    chrono::DateTime::from_timestamp_millis(seconds * 1000 + ms)?;
    Some(ReadAt::Utc(seconds * 1000 + ms))
}

/// One line from the client.
pub fn line(text: &str) -> Result<Line, String> {
    let fields: Vec<&str> = text.trim().split('~').collect();
    match fields[0] {
        "SimpleClient" => Ok(Line::Greeting {
            version: fields.get(1).unwrap_or(&"").to_string(),
        }),
        "ack" => Ok(Line::Ack(
            fields[1..].iter().map(|f| f.to_string()).collect(),
        )),
        kind if kind.starts_with("CT01_") => {
            if fields.len() < 8 {
                return Err(format!(
                    "a read has 8 fields (CT01_33~line~location~tag~time~occurrence~reader~antenna), this one {}",
                    fields.len()
                ));
            }
            let number: i64 = fields[1]
                .parse()
                .map_err(|_| format!("line number {:?} is not a number", fields[1]))?;
            let location = fields[2].trim().to_owned();
            let at =
                time(fields[4]).ok_or_else(|| format!("time {:?} is not a time", fields[4]))?;
            match fields[3].trim() {
                "guntime" => Ok(Line::Gun { location, at }),
                "newlocation" => Ok(Line::NewLocation(location)),
                tag => Ok(Line::Read {
                    location: location.clone(),
                    read: ChipRead {
                        chip: chip(tag)?,
                        at,
                        seq: Some(number),
                        antenna: Some(fields[7].trim().to_owned()).filter(|a| !a.is_empty()),
                        rssi: None,
                        location: Some(location),
                    },
                }),
            }
        }
        _ => Ok(Line::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gun_times_and_greetings_are_told_apart() {
        let Line::Read { location, read } =
            line("CT01_13~24~START~50101~15:54:48.90~1~117F37~8").unwrap()
        else {
            panic!("a read");
        };
        assert_eq!(location, "START");
        assert_eq!(read.chip, "50101");
        assert_eq!(read.seq, Some(24));
        assert_eq!(read.antenna.as_deref(), Some("8"));
        assert_eq!(read.at.text(), "race day+0 15:54:48.900");
        assert_eq!(
            line("CT01_33~4~start~guntime~07:45:01.01~0~DF239A~0").unwrap(),
            Line::Gun {
                location: "start".into(),
                at: ReadAt::Local {
                    date: None,
                    day: 0,
                    ms: 27_901_010
                }
            }
        );
        assert_eq!(
            line("CT01_33~2038~30k~newlocation~09:15:21.00~0~ED932A~0").unwrap(),
            Line::NewLocation("30k".into())
        );
        assert_eq!(
            line("SimpleClient~2.0~CTP01").unwrap(),
            Line::Greeting {
                version: "2.0".into()
            }
        );
        assert_eq!(line("ack~ping").unwrap(), Line::Ack(vec!["ping".into()]));
    }

    #[test]
    fn iso_and_unix_times_are_read_and_short_reads_refused() {
        let Line::Read { read, .. } =
            line("CT01_33~1~FIN~77~2026-04-05T09:01:02.34~1~A~1").unwrap()
        else {
            panic!("a read");
        };
        assert_eq!(read.at.text(), "2026-04-05 09:01:02.340");
        let Line::Read { read, .. } = line("CT01_33~2~FIN~77~1620458668.64~1~A~1").unwrap() else {
            panic!("a read");
        };
        assert_eq!(read.at, ReadAt::Utc(1_620_458_668_640));
        assert!(line("CT01_33~3~FIN~77").unwrap_err().contains("8 fields"));
        assert!(
            line("CT01_33~x~FIN~77~09:00:00.00~1~A~1")
                .unwrap_err()
                .contains("line number")
        );
        assert!(
            line("CT01_33~3~FIN~77~9 o'clock~1~A~1")
                .unwrap_err()
                .contains("time")
        );
    }
}
