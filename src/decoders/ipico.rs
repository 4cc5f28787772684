//! IPICO Lite and Elite readers. We connect to the stream port (TCP 10000)
//! and read tag frames: 36 characters, `aa`, reader (2), tag (12), I/Q
//! counters (4), date YYMMDD, time HHMMSS, centiseconds (2, hex), LRC (2):
//! the sum of the codes of characters 2 to 33, mod 256, in hex. A frame
//! may end in `FS` (the first time the tag was seen) or `LS` (the last).

use chrono::NaiveDate;

use super::{ChipRead, ReadAt};

/// One tag frame; `Ok(None)` for a line that is not a tag frame (a
/// reader's status).
pub fn frame(line: &str) -> Result<Option<ChipRead>, String> {
    let line = line.trim();
    if !line.starts_with("aa") {
        return Ok(None);
    }
    let (frame, seen) = match line.len() {
        36 => (line, None),
        38 => {
            let (frame, seen) = line.split_at(36);
            (frame, Some(seen))
        }
        n => return Err(format!("a tag frame has 36 characters, this one {n}")),
    };
    let seen = seen.map(|s| s.to_owned());
    if seen.as_deref().is_some_and(|s| s != "FS" && s != "LS") {
        return Err(format!("{seen:?} after a frame is neither FS nor LS"));
    }
    if !frame.is_ascii() {
        return Err("a tag frame is ASCII".into());
    }
    let sum = frame.bytes().skip(2).take(32).map(u32::from).sum::<u32>() % 256;
    let said = u32::from_str_radix(&frame[34..36], 16)
        .map_err(|_| format!("LRC {:?} is not hex", &frame[34..36]))?;
    if sum != said {
        return Err(format!(
            "LRC {:?} does not match the frame ({sum:02x})",
            &frame[34..36]
        ));
    }
    let n = |r: std::ops::Range<usize>| -> Result<u32, String> {
        frame[r.clone()]
            .parse()
            .map_err(|_| format!("{:?} is not a number", &frame[r]))
    };
    let date = NaiveDate::from_ymd_opt(2000 + n(20..22)? as i32, n(22..24)?, n(24..26)?)
        .ok_or_else(|| format!("date {:?} is not YYMMDD", &frame[20..26]))?;
    let (h, m, s) = (n(26..28)?, n(28..30)?, n(30..32)?);
    // Centiseconds in hex: 00 to 63 (0.00 to 0.99 s).
    let cs = u32::from_str_radix(&frame[32..34], 16)
        .ok()
        .filter(|cs| *cs < 100)
        .ok_or_else(|| format!("centiseconds {:?} are not 00-63 hex", &frame[32..34]))?;
    if h > 23 || m > 59 || s > 59 {
        return Err(format!("time {:?} is not a time", &frame[26..32]));
    }
    Ok(Some(ChipRead {
        chip: frame[4..16].to_owned(),
        at: ReadAt::Local {
            date: Some(date),
            day: 0,
            ms: ((h * 60 + m) * 60 + s) * 1000 + cs * 10,
        },
        seq: None,
        antenna: Some(frame[2..4].to_owned()),
        rssi: seen,
        location: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_checked_by_hand_read_as_they_should() {
        let read = frame("aa0005800012860800012603062027472353")
            .unwrap()
            .unwrap();
        assert_eq!(read.chip, "058000128608");
        assert_eq!(read.at.text(), "2026-03-06 20:27:47.350");
        // Centiseconds 0x27 are .39 (read as hex, not decimal).
        let read = frame("aa400000000123450a2a01123018455927a7FS")
            .unwrap()
            .unwrap();
        assert_eq!(read.chip, "000000012345");
        assert_eq!(read.at.text(), "2001-12-30 18:45:59.390");
        assert_eq!(read.rssi.as_deref(), Some("FS"));
    }

    #[test]
    fn broken_frames_are_refused_by_what_is_wrong() {
        assert!(
            frame("aa0005800012860800012603062027472354")
                .unwrap_err()
                .contains("LRC")
        );
        assert!(
            frame("aa00058000128608000126030620274723")
                .unwrap_err()
                .contains("36 characters")
        );
        assert!(
            frame("aa0005800012860800012603062027472353XX")
                .unwrap_err()
                .contains("FS nor LS")
        );
        assert_eq!(frame("status ok").unwrap(), None);
    }
}
