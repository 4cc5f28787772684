//! MYLAPS Timing & Scoring's TCP/IP exporter (BibTag, ProChip,
//! ChampionChip). The MYLAPS software connects to us (TCP 3097) and sends
//! messages `Source@Function[@Data…]@$`, with no newline. We answer its
//! `Pong` choosing protocol 2; it then sends passings up to 50 a message,
//! each message numbered, and sends a message again every 20 s until we
//! acknowledge its number: so a duplicate is normal, and we acknowledge
//! only after the reads are committed. Protocol 1 sends fixed-width
//! `Store` records with a checksum.

use chrono::NaiveDate;

use super::{ChipRead, ReadAt, chip, time_of_day};

/// The fields we ask protocol 2 to send in each passing.
const FIELDS: &str = "c|t|d|an|am|dv|re|l|b|n";

/// One message, split at its `@`s; the ending `@$` is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub source: String,
    pub function: String,
    pub data: Vec<String>,
}

impl Message {
    /// The message's number: the last field of a numbered message.
    pub fn number(&self) -> Option<&str> {
        self.data
            .last()
            .map(String::as_str)
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    /// The records before the number.
    pub fn records(&self) -> &[String] {
        match self.number() {
            Some(_) => &self.data[..self.data.len() - 1],
            None => &self.data,
        }
    }
}

/// Takes the complete messages off the front of `buffer` (what arrived so
/// far), leaving a message cut by the network for the next bytes.
pub fn take_messages(buffer: &mut String) -> Vec<Result<Message, String>> {
    let mut messages = Vec::new();
    while let Some(end) = buffer.find('$') {
        let text: String = buffer.drain(..=end).collect();
        let text = text.trim_start_matches(['\r', '\n', ' ']);
        messages.push(message(text));
    }
    messages
}

/// One message, with or without its ending `$`.
pub fn message(text: &str) -> Result<Message, String> {
    let body = text.trim().trim_end_matches('$').trim_end_matches('@');
    let mut parts = body.split('@');
    let source = parts.next().unwrap_or("").to_owned();
    let function = parts
        .next()
        .filter(|f| !f.is_empty())
        .ok_or_else(|| format!("{text:?} is not a MYLAPS message (Source@Function@…@$)"))?
        .to_owned();
    Ok(Message {
        source,
        function,
        data: parts.map(str::to_owned).collect(),
    })
}

/// Our keepalive: the exporter answers `AckPing`.
pub const PING: &str = "Srv@Ping@$";

/// Our answer to the exporter's `Pong`: protocol 2, with the fields we use.
pub fn ack_pong() -> String {
    format!("Srv@AckPong@Version2.1@{FIELDS}@$")
}

/// The acknowledgement of a numbered message (`Passing`, `Marker`,
/// `Store`): the exporter stops sending it again.
pub fn ack(function: &str, number: &str) -> String {
    format!("Srv@Ack{function}@{number}@$")
}

/// `key=value|key=value…` of a protocol 2 record.
fn value<'a>(record: &'a str, key: &str) -> Option<&'a str> {
    record
        .split('|')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `YYMMDD` as a date in this century.
fn date(text: &str) -> Option<NaiveDate> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text[r].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(2000 + i32::try_from(n(0..2)?).ok()?, n(2..4)?, n(4..6)?)
}

/// A protocol 2 passing record:
/// `t=13:11:30.904|c=0000041|ct=UH|d=120606|…|an=00001111|…`.
pub fn passing(record: &str) -> Result<ChipRead, String> {
    let chip = chip(value(record, "c").unwrap_or(""))?;
    let time = value(record, "t").ok_or("the passing has no time (t=)")?;
    let ms = time_of_day(time).ok_or_else(|| format!("time {time:?} is not a time"))?;
    let date = match value(record, "d") {
        Some(d) => Some(date(d).ok_or_else(|| format!("date {d:?} is not YYMMDD"))?),
        None => None,
    };
    Ok(ChipRead {
        chip,
        at: ReadAt::Local { date, day: 0, ms },
        seq: None,
        antenna: value(record, "an").map(str::to_owned),
        rssi: value(record, "am").map(str::to_owned),
        location: None,
    })
}

/// A line of a file of messages as the exporter sent them: the reads of
/// its `Passing` and `Store` messages.
pub(crate) fn file_line(line: &str) -> Result<Vec<ChipRead>, String> {
    let mut text = line.to_owned();
    let mut reads = Vec::new();
    for message in take_messages(&mut text) {
        let message = message?;
        for record in message.records() {
            match message.function.as_str() {
                "Passing" => reads.push(passing(record)?),
                "Store" => reads.push(store(record)?),
                _ => {}
            }
        }
    }
    Ok(reads)
}

/// A marker (`t=11:03:40.347|mt=Gunshot|n=Gunshot 1`): its kind and time.
pub fn marker(record: &str) -> Option<(String, ReadAt)> {
    let kind = value(record, "mt")?.to_owned();
    let ms = time_of_day(value(record, "t")?)?;
    let date = value(record, "d").and_then(date);
    Some((kind, ReadAt::Local { date, day: 0, ms }))
}

/// A protocol 1 Store record, 39 characters: chip (7), time (12, right
/// aligned), device (2), reader (2), antenna (1, hex), lap (3), sequence
/// (4, hex), date (YYMMDD), checksum (2): the sum of the first 37
/// characters' codes, mod 256, in hex.
pub fn store(record: &str) -> Result<ChipRead, String> {
    let record = record.trim_end_matches(['\r', '\n']);
    if record.len() != 39 || !record.is_ascii() {
        return Err(format!(
            "a Store record has 39 characters, this one {}",
            record.chars().count()
        ));
    }
    let sum = record.bytes().take(37).map(u32::from).sum::<u32>() % 256;
    let said = u32::from_str_radix(&record[37..39], 16)
        .map_err(|_| format!("checksum {:?} is not hex", &record[37..39]))?;
    if sum != said {
        return Err(format!(
            "checksum {:?} does not match the record ({sum:02X})",
            &record[37..39]
        ));
    }
    let chip = chip(&record[..7])?;
    let time = record[7..19].trim();
    let ms = time_of_day(time).ok_or_else(|| format!("time {time:?} is not a time"))?;
    let date =
        date(&record[31..37]).ok_or_else(|| format!("date {:?} is not YYMMDD", &record[31..37]))?;
    let seq = i64::from_str_radix(&record[27..31], 16)
        .map_err(|_| format!("sequence {:?} is not hex", &record[27..31]))?;
    Ok(ChipRead {
        chip,
        at: ReadAt::Local {
            date: Some(date),
            day: 0,
            ms,
        },
        seq: Some(seq),
        antenna: Some(record[23..24].to_owned()),
        rssi: None,
        location: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protocol_2_passing_message_gives_its_reads_and_its_number() {
        let mut buffer = String::from(
            "10KM@Passing@t=13:11:30.904|c=0000041|ct=UH|d=120606|l=13|dv=4|re=0|an=00001111|g=0|b=41|n=41@t=13:11:31.100|c=0000042|d=120606@1016@$10KM@Ping@$10KM@Pass",
        );
        let messages = take_messages(&mut buffer);
        assert_eq!(buffer, "10KM@Pass", "a cut message waits for the rest");
        assert_eq!(messages.len(), 2);
        let passing_message = messages[0].as_ref().unwrap();
        assert_eq!(passing_message.function, "Passing");
        assert_eq!(passing_message.number(), Some("1016"));
        assert_eq!(passing_message.records().len(), 2);
        let read = passing(&passing_message.records()[0]).unwrap();
        assert_eq!(read.chip, "0000041");
        assert_eq!(read.at.text(), "2012-06-06 13:11:30.904");
        assert_eq!(read.antenna.as_deref(), Some("00001111"));
        assert_eq!(ack("Passing", "1016"), "Srv@AckPassing@1016@$");
        assert_eq!(messages[1].as_ref().unwrap().function, "Ping");
        assert_eq!(messages[1].as_ref().unwrap().number(), None);
    }

    #[test]
    fn a_gunshot_marker_is_read() {
        let m = message("Finish@Marker@t=11:03:40.347|mt=Gunshot|n=Gunshot 1@4@$").unwrap();
        assert_eq!(m.number(), Some("4"));
        let (kind, at) = marker(&m.records()[0]).unwrap();
        assert_eq!(kind, "Gunshot");
        assert_eq!(
            at,
            ReadAt::Local {
                date: None,
                day: 0,
                ms: 39_820_347
            }
        );
    }

    #[test]
    fn a_store_record_is_checked_by_its_checksum() {
        let read = store("KV8658316:13:57.417 3 0F  1000025030870").unwrap();
        assert_eq!(read.chip, "KV86583");
        assert_eq!(read.at.text(), "2025-03-08 16:13:57.417");
        assert_eq!(read.antenna.as_deref(), Some("F"));
        assert_eq!(read.seq, Some(0));
        let e = store("KV8658316:13:57.417 3 0F  1000025030871").unwrap_err();
        assert!(e.contains("checksum"), "{e}");
        assert!(
            store("KV8658316:13:57.417")
                .unwrap_err()
                .contains("39 characters")
        );
    }

    #[test]
    fn passings_without_chip_or_time_are_refused_by_name() {
        assert!(
            passing("t=13:11:30.904|d=120606")
                .unwrap_err()
                .contains("chip")
        );
        assert!(passing("c=0000041|d=120606").unwrap_err().contains("time"));
        assert!(
            passing("c=1|t=13:11:30.904|d=12x606")
                .unwrap_err()
                .contains("date")
        );
        assert!(message("nothing").is_err());
    }
}
