//! RFID Timing Systems Ultra and Joey readers. We connect (TCP 23); the
//! reader says `Connected,…`, and we start it sending (`R`, then `700`).
//! A read carries the reader's log index: a jump in the index means reads
//! were missed, and we ask for that range again (`600<from>\r<to>`).
//! Times are seconds since 1980-01-01 in the reader's local time. The
//! reader also sends its battery voltage (`V=25.0000`) as a heartbeat.
//! Lines end in CR, LF or CRLF.

use chrono::NaiveDate;

use super::{ChipRead, ReadAt, chip, time_of_day};

/// What a line from the reader says.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A chip read, and whether it was sent again by a rewind.
    Read {
        read: ChipRead,
        rewind: bool,
    },
    /// The heartbeat: the battery's voltage (under 23 V is low).
    Voltage(f64),
    /// The reader's clock (`r`): `H:M:S D-M-YYYY (n)`.
    Clock(ReadAt),
    /// Its greeting on connect.
    Connected,
    /// Its answer to `?`: `S=` and its status digits, shown as they are.
    Status(String),
    Other,
}

/// The commands we send, each ended by CR.
pub const START_READING: &str = "R\r";
pub const START_SENDING: &str = "700\r";
pub const ASK_TIME: &str = "r\r";
pub const ASK_STATUS: &str = "?\r";

/// Asks the reader for the reads of log indexes `from..=to` again.
pub fn rewind(from: i64, to: i64) -> String {
    format!("600{from}\r{to}\r")
}

/// Sets the reader's clock to `at` (its local time):
/// `t HH:mm:ss dd-MM-yyyy`.
pub fn set_time(at: chrono::NaiveDateTime) -> String {
    format!("t {}\r", at.format("%H:%M:%S %d-%m-%Y"))
}

fn since_1980(seconds: i64, ms: u32) -> Option<ReadAt> {
    let base = NaiveDate::from_ymd_opt(1980, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let at = base + chrono::Duration::seconds(seconds);
    let ms_of_day = u32::try_from(
        at.time()
            .signed_duration_since(chrono::NaiveTime::MIN)
            .num_milliseconds(),
    )
    .ok()?;
    Some(ReadAt::Local {
        date: Some(at.date()),
        day: 0,
        ms: ms_of_day + ms.min(999),
    })
}

/// One line from the reader.
pub fn line(text: &str) -> Result<Line, String> {
    let text = text.trim();
    if let Some(volts) = text.strip_prefix("V=") {
        return volts
            .trim()
            .parse()
            .map(Line::Voltage)
            .map_err(|_| format!("voltage {volts:?} is not a number"));
    }
    if text.starts_with("Connected") {
        return Ok(Line::Connected);
    }
    if let Some(digits) = text.strip_prefix("S=")
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(Line::Status(digits.to_owned()));
    }
    if let Some(clock) = clock(text) {
        return Ok(Line::Clock(clock));
    }
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    if fields.len() < 12 || fields[0] != "0" {
        return Ok(Line::Other);
    }
    let number = |i: usize, what: &str| -> Result<i64, String> {
        fields[i]
            .parse()
            .map_err(|_| format!("{what} {:?} is not a number", fields[i]))
    };
    let seconds = number(2, "time")?;
    let ms =
        u32::try_from(number(3, "milliseconds")?).map_err(|_| "milliseconds below 0".to_owned())?;
    let at = since_1980(seconds, ms).ok_or_else(|| format!("time {seconds} is out of range"))?;
    Ok(Line::Read {
        read: ChipRead {
            chip: chip(fields[1])?,
            at,
            seq: Some(number(11, "log index")?),
            antenna: Some(fields[4].to_owned()),
            rssi: Some(fields[5].to_owned()),
            location: None,
        },
        rewind: fields[6] == "1",
    })
}

/// `H:M:S D-M-YYYY (n)`, not zero-padded.
fn clock(text: &str) -> Option<ReadAt> {
    let mut parts = text.split_whitespace();
    let time = parts.next()?;
    let date = parts.next()?;
    let mut hms = time.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let mut dmy = date.split('-').map(|p| p.parse::<i32>().ok());
    let (d, mo, y) = (dmy.next()??, dmy.next()??, dmy.next()??);
    let date = NaiveDate::from_ymd_opt(y, u32::try_from(mo).ok()?, u32::try_from(d).ok()?)?;
    let ms = time_of_day(&format!("{h:02}:{m:02}:{s:02}"))?;
    Some(ReadAt::Local {
        date: Some(date),
        day: 0,
        ms,
    })
}

/// A file written by RFIDServer or Outreach: `port,chip,bib,"[YYYY-MM-DD
/// ]HH:MM:SS.mmm",reader,port` per line, or tab-separated
/// `chip<TAB>time<TAB>reader<TAB>port`. Each bad line is named.
pub fn file(text: &str) -> Result<Vec<ChipRead>, Vec<String>> {
    super::each_line(
        text,
        |_| false,
        |line| {
            let tabs = line.contains('\t');
            let fields: Vec<String> = if tabs {
                line.split('\t').map(|f| f.trim().to_owned()).collect()
            } else {
                line.split(',')
                    .map(|f| f.trim().trim_matches('"').to_owned())
                    .collect()
            };
            let (chip_at, time_at, antenna_at) = if tabs { (0, 1, 3) } else { (1, 3, 5) };
            let chip = chip(fields.get(chip_at).ok_or("no chip")?)?;
            let time = fields.get(time_at).ok_or("no time")?;
            let (date, clock) = match time.split_once(' ') {
                Some((date, clock)) => (
                    Some(
                        NaiveDate::parse_from_str(date, "%Y-%m-%d")
                            .map_err(|_| format!("date {date:?} is not a date"))?,
                    ),
                    clock,
                ),
                None => (None, time.as_str()),
            };
            let ms = time_of_day(clock).ok_or_else(|| format!("time {time:?} is not a time"))?;
            Ok(vec![ChipRead {
                chip,
                at: ReadAt::Local { date, day: 0, ms },
                seq: None,
                antenna: fields.get(antenna_at).cloned(),
                rssi: None,
                location: None,
            }])
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_placed_from_1980_in_local_time_with_its_log_index() {
        let Line::Read { read, rewind } =
            line("0,11055,1170518701,698,1,-71,0,2,1,0000000000000000,0,29319").unwrap()
        else {
            panic!("a read");
        };
        assert_eq!(read.chip, "11055");
        assert_eq!(read.at.text(), "2017-02-02 16:05:01.698");
        assert_eq!(read.seq, Some(29319));
        assert_eq!(read.rssi.as_deref(), Some("-71"));
        assert!(!rewind);
        let Line::Read { rewind, .. } =
            line("0,11055,1170518701,698,1,-71,1,2,1,0000000000000000,0,29319").unwrap()
        else {
            panic!("a read");
        };
        assert!(rewind);
    }

    #[test]
    fn heartbeats_clocks_and_greetings() {
        assert_eq!(line("V=25.0000").unwrap(), Line::Voltage(25.0));
        assert_eq!(line("Connected,0").unwrap(), Line::Connected);
        assert_eq!(
            line("7:5:3 2-4-2026 (0)").unwrap(),
            Line::Clock(ReadAt::Local {
                date: NaiveDate::from_ymd_opt(2026, 4, 2),
                day: 0,
                ms: 25_503_000
            })
        );
        assert_eq!(line("S=11").unwrap(), Line::Status("11".into()));
        assert_eq!(line("S=").unwrap(), Line::Other);
        assert!(
            line("0,11055,soon,698,1,-71,0,2,1,0,0,29319")
                .unwrap_err()
                .contains("time")
        );
        assert_eq!(rewind(10, 20), "60010\r20\r");
    }

    #[test]
    fn rfidserver_files_in_both_layouts() {
        let reads =
            file("3,11274,0,\"11:22:47.392\",1,3\r\n3,11275,0,\"2026-04-05 11:22:48.001\",1,3\n")
                .unwrap();
        assert_eq!(reads.len(), 2);
        assert_eq!(reads[0].chip, "11274");
        assert_eq!(reads[1].at.text(), "2026-04-05 11:22:48.001");
        let reads = file("11276\t11:22:49.000\t1\t2\n").unwrap();
        assert_eq!(reads[0].antenna.as_deref(), Some("2"));
        let bad = file("3,11274,0,\"11:22:47.392\",1,3\n3,11275,0,\"noon\",1,3\n").unwrap_err();
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("line 2:"), "{bad:?}");
    }
}
