//! RACE RESULT decoders (System 4000/5000, Active). We connect on TCP 3601
//! and send text commands ending in CRLF; each reply starts with the
//! command echoed. Passings are numbered from 1 in the decoder's current
//! file: we ask `PASSINGS` for the count and fetch `<first>:<n>`, so a gap
//! is fetched again. The decoder's passing file (.txt on its USB stick)
//! holds the same records under a `#;…` header.

use chrono::NaiveDate;

use super::{ChipRead, ReadAt, chip, time_of_day};

/// The id a trigger (the box's button, a photocell) has instead of a chip.
const TRIGGER: &str = "99999";

/// A read's sequence is its file's number times this plus its passing
/// number: a decoder numbers passings from 1 in every new file, and a
/// file begun since (with more passings than the last) must not pass for
/// the one already fetched.
pub const FILE_BASE: i64 = 1_000_000_000;

/// The sequence of passing `number` in file `file` (none: a record or an
/// answer from a protocol that does not say its file).
pub fn sequence(file: Option<i64>, number: i64) -> i64 {
    file.map_or(number, |f| f * FILE_BASE + number)
}

/// A file number as a record or `PASSINGS` writes it.
fn file_number(text: &str) -> Option<i64> {
    text.trim()
        .parse()
        .ok()
        .filter(|f| (0..1_000_000).contains(f))
}

/// One passing record, live (`#P;` pushed or fetched) or from the file:
/// `PassingNo;Code;Date;Time[;EventID;Hits;MaxRSSI;…;FileNumber;MaxRSSIAntenna;BoxId]`.
/// Older protocols send fewer fields. A date `0000-00-0N` (a decoder with
/// no GPS and no time set) is day N after race day. None for a trigger.
pub fn passing(line: &str) -> Result<Option<ChipRead>, String> {
    passing_in(line, None).map(|(_, read)| read)
}

/// A passing read live from a decoder whose current file is `file` (what
/// `PASSINGS` said): its passing number, and the read, placed in its own
/// file where the record names one, else in `file`.
pub fn passing_in(line: &str, file: Option<i64>) -> Result<(i64, Option<ChipRead>), String> {
    let line = line.trim();
    let line = line.strip_prefix("#P;").unwrap_or(line);
    let fields: Vec<&str> = line.split(';').map(str::trim).collect();
    if fields.len() < 4 {
        return Err(format!(
            "a passing has at least 4 fields (number;chip;date;time), this one {}",
            fields.len()
        ));
    }
    let number: i64 = fields[0]
        .parse()
        .ok()
        .filter(|n| (0..FILE_BASE).contains(n))
        .ok_or_else(|| format!("passing number {:?} is not a number", fields[0]))?;
    let seq = sequence(fields.get(17).and_then(|f| file_number(f)).or(file), number);
    if fields[1] == TRIGGER {
        return Ok((number, None));
    }
    let chip = chip(fields[1])?;
    let ms = time_of_day(fields[3]).ok_or_else(|| format!("time {:?} is not a time", fields[3]))?;
    let at = match fields[2].strip_prefix("0000-00-") {
        Some(day) => ReadAt::Local {
            date: None,
            day: day
                .parse()
                .map_err(|_| format!("date {:?} is not a date", fields[2]))?,
            ms,
        },
        None => ReadAt::Local {
            date: Some(
                NaiveDate::parse_from_str(fields[2], "%Y-%m-%d")
                    .map_err(|_| format!("date {:?} is not a date", fields[2]))?,
            ),
            day: 0,
            ms,
        },
    };
    let field = |i: usize| {
        fields
            .get(i)
            .filter(|f| !f.is_empty())
            .map(|f| f.to_string())
    };
    Ok((
        number,
        Some(ChipRead {
            chip,
            at,
            seq: Some(seq),
            antenna: field(18),
            rssi: field(6),
            location: None,
        }),
    ))
}

/// The reply to `PASSINGS`: how many passings the current file holds, and
/// the file's number where the protocol says it.
pub fn passings_count(line: &str) -> Option<(i64, Option<i64>)> {
    let mut fields = line.trim().strip_prefix("PASSINGS;")?.split(';');
    let count = fields.next()?.trim().parse().ok()?;
    let file = fields.next().and_then(file_number);
    Some((count, file))
}

/// The newest protocol a decoder speaks, from its reply to `GETPROTOCOL`
/// (`GETPROTOCOL;<current>;<oldest>;<newest>`); none from one that does not
/// know the command.
pub fn newest_protocol(line: &str) -> Option<String> {
    let fields: Vec<&str> = line
        .trim()
        .strip_prefix("GETPROTOCOL;")?
        .split(';')
        .collect();
    let newest = fields.get(2)?.trim();
    (!newest.is_empty() && newest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .then(|| newest.to_owned())
}

/// The reply to `GETTIME`: the decoder's clock, `GETTIME;YYYY-MM-DD;HH:MM:SS.mmm`.
pub fn time(line: &str) -> Option<ReadAt> {
    let mut fields = line.trim().strip_prefix("GETTIME;")?.split(';');
    let date = fields.next()?.trim();
    let ms = time_of_day(fields.next()?)?;
    Some(match date.strip_prefix("0000-00-") {
        Some(day) => ReadAt::Local {
            date: None,
            day: day.parse().ok()?,
            ms,
        },
        None => ReadAt::Local {
            date: Some(NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?),
            day: 0,
            ms,
        },
    })
}

/// The passing file from the decoder's USB stick: a `#;ID;Date;Time;…`
/// header, then one record per line. Each bad line is named.
pub fn file(text: &str) -> Result<Vec<ChipRead>, Vec<String>> {
    super::each_line(
        text,
        |line| line.starts_with('#'),
        |line| passing(line).map(|r| r.into_iter().collect()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_record_with_no_date_is_a_read_on_race_day() {
        let read = passing("1;33;0000-00-00;00:00:02.773;6692;12;-68;09ca52")
            .unwrap()
            .unwrap();
        assert_eq!(read.chip, "33");
        assert_eq!(read.seq, Some(1));
        assert_eq!(
            read.at,
            ReadAt::Local {
                date: None,
                day: 0,
                ms: 2_773
            }
        );
        // RSSI kept as the file writes it.
        assert_eq!(read.rssi.as_deref(), Some("-68"));
        assert_eq!(read.antenna, None);
    }

    #[test]
    fn a_pushed_record_of_twenty_fields_names_its_antenna() {
        let line =
            "#P;17;NKHVZ21;2026-04-05;08:12:44.120;0;4;-61;x;1;2;1;0;0;2.9;21;;Finish A;3;2;D-5012";
        let read = passing(line).unwrap().unwrap();
        assert_eq!(read.chip, "NKHVZ21");
        // Passing 17 of file 3.
        assert_eq!(read.seq, Some(3 * FILE_BASE + 17));
        assert_eq!(read.antenna.as_deref(), Some("2"));
        assert_eq!(read.at.text(), "2026-04-05 08:12:44.120");
        // The day after race day, from a decoder running past midnight.
        let late = passing("2;44;0000-00-01;00:10:00.000").unwrap().unwrap();
        assert_eq!(
            late.at,
            ReadAt::Local {
                date: None,
                day: 1,
                ms: 600_000
            }
        );
    }

    #[test]
    fn triggers_are_not_reads_and_broken_records_are_named() {
        assert_eq!(passing("5;99999;2026-04-05;08:00:00.000").unwrap(), None);
        for (line, says) in [
            ("1;33;0000-00-00", "at least 4 fields"),
            ("x;33;0000-00-00;00:00:02.773", "passing number"),
            ("1;33;2026-13-01;00:00:02.773", "date"),
            ("1;33;0000-00-00;25:00:02.773", "time"),
            ("1;;0000-00-00;00:00:02.773", "chip is empty"),
        ] {
            let e = passing(line).unwrap_err();
            assert!(e.contains(says), "{line}: {e}");
        }
    }

    #[test]
    fn the_passing_file_skips_its_header_and_names_bad_lines() {
        let text = "#;ID;Date;Time;EventID;Hits;MaxRSSI;InternalData\r\n\
                    1;33;0000-00-00;00:00:02.773;6692;12;-68;09ca52\r\n\
                    2;34;0000-00-00;00:00:03.001;6692;9;-70;09ca53\r\n";
        let reads = file(text).unwrap();
        assert_eq!(reads.len(), 2);
        assert_eq!(reads[1].seq, Some(2));
        let bad = file("#;ID\n1;33;0000-00-00;00:00:02.773\n2;34;0000-00-00;nope\n").unwrap_err();
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("line 3:"), "{bad:?}");
    }

    #[test]
    fn replies_are_read_from_their_echo() {
        assert_eq!(passings_count("PASSINGS;120;3"), Some((120, Some(3))));
        assert_eq!(passings_count("PASSINGS;0"), Some((0, None)));
        assert_eq!(
            newest_protocol("GETPROTOCOL;1.6;1.0;2.0").as_deref(),
            Some("2.0")
        );
        assert_eq!(newest_protocol("GETPROTOCOL;ERR"), None);
        assert_eq!(newest_protocol("GETPROTOCOL;1.6;1.0;x;y"), None);
        assert_eq!(passings_count("ONLINE;1"), None);
        assert_eq!(
            time("GETTIME;2026-04-05;07:59:58.500"),
            Some(ReadAt::Local {
                date: NaiveDate::from_ymd_opt(2026, 4, 5),
                day: 0,
                ms: 28_798_500
            })
        );
    }
}
