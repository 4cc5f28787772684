//! LLRP (Impinj Speedway and R700, Zebra): we connect to the reader, TCP
//! 5084. Binary and big-endian. A message is a 10-byte header (3 reserved
//! bits, version 1 in 3 bits, the type in 10; the whole length, u32; an id,
//! u32) and parameters: TLV (u16 type, u16 length with the header) or TV
//! (top bit set, a 7-bit type, a length fixed by the type).
//!
//! The reader greets with a READER_EVENT_NOTIFICATION whose UTCTimestamp
//! gives its clock; we ask it to keep a 2 s keepalive and to hold what it
//! reads while no client is connected, and add one ROSpec of our own that
//! starts at once and reports every tag with its antenna, peak RSSI and
//! first-seen time (microseconds, Unix UTC). LLRP acknowledges nothing: a
//! report sent into a connection as it broke is gone, and what the reader
//! read while the link was down comes when we ask for the held reports.

use super::{ChipRead, ReadAt};

/// Message types.
pub const GET_READER_CAPABILITIES: u16 = 1;
pub const SET_READER_CONFIG: u16 = 3;
pub const CLOSE_CONNECTION: u16 = 14;
pub const ADD_ROSPEC: u16 = 20;
pub const DELETE_ROSPEC: u16 = 21;
pub const ENABLE_ROSPEC: u16 = 24;
pub const DISABLE_ROSPEC: u16 = 25;
pub const GET_ROSPECS: u16 = 26;
pub const RO_ACCESS_REPORT: u16 = 61;
pub const KEEPALIVE: u16 = 62;
pub const READER_EVENT_NOTIFICATION: u16 = 63;
pub const ENABLE_EVENTS_AND_REPORTS: u16 = 64;
pub const KEEPALIVE_ACK: u16 = 72;
pub const ERROR_MESSAGE: u16 = 100;

/// A request's response is its type plus 10 (CLOSE_CONNECTION's is 4).
pub fn response_to(kind: u16) -> u16 {
    if kind == CLOSE_CONNECTION {
        4
    } else {
        kind + 10
    }
}

/// Parameter types.
const UTC_TIMESTAMP: u16 = 128;
const ROSPEC: u16 = 177;
const RO_BOUNDARY_SPEC: u16 = 178;
const ROSPEC_START_TRIGGER: u16 = 179;
const ROSPEC_STOP_TRIGGER: u16 = 182;
const AI_SPEC: u16 = 183;
const AI_SPEC_STOP_TRIGGER: u16 = 184;
const INVENTORY_PARAMETER_SPEC: u16 = 186;
const KEEPALIVE_SPEC: u16 = 220;
const EVENTS_AND_REPORTS: u16 = 226;
const RO_REPORT_SPEC: u16 = 237;
const TAG_REPORT_CONTENT_SELECTOR: u16 = 238;
const TAG_REPORT_DATA: u16 = 240;
const EPC_DATA: u16 = 241;
const READER_EVENT_NOTIFICATION_DATA: u16 = 246;
const CONNECTION_ATTEMPT_EVENT: u16 = 256;
const LLRP_STATUS: u16 = 287;
/// TV parameters.
const ANTENNA_ID: u16 = 1;
const FIRST_SEEN_UTC: u16 = 2;
const LAST_SEEN_UTC: u16 = 4;
const PEAK_RSSI: u16 = 6;
const EPC_96: u16 = 13;

/// The id of the ROSpec racedesk adds.
pub const ROSPEC_ID: u32 = 0x7261_6365; // "race"
/// The keepalive asked of the reader; two missed mean the link is gone.
pub const KEEPALIVE_MS: u32 = 2000;
/// The longest message accepted: a report of a few thousand tags.
const MOST: usize = 4 << 20;

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: u16,
    pub id: u32,
    pub body: Vec<u8>,
}

impl Message {
    pub fn new(kind: u16, id: u32, body: Vec<u8>) -> Message {
        Message { kind, id, body }
    }

    /// The message on the wire.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10 + self.body.len());
        out.extend_from_slice(&((1u16 << 10) | (self.kind & 0x3ff)).to_be_bytes());
        out.extend_from_slice(&(10 + self.body.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// Messages as bytes arrive.
#[derive(Default)]
pub struct Frames {
    pending: Vec<u8>,
}

impl Frames {
    /// The whole messages received so far; an error when the bytes are not
    /// LLRP (the stream cannot be read further).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Message>, String> {
        self.pending.extend_from_slice(bytes);
        let mut messages = Vec::new();
        while self.pending.len() >= 10 {
            let head = u16::from_be_bytes([self.pending[0], self.pending[1]]);
            let length = u32::from_be_bytes([
                self.pending[2],
                self.pending[3],
                self.pending[4],
                self.pending[5],
            ]) as usize;
            if (head >> 10) & 7 != 1 {
                return Err(format!("LLRP version {} is not 1", (head >> 10) & 7));
            }
            if !(10..=MOST).contains(&length) {
                return Err(format!("a message of {length} bytes is not LLRP"));
            }
            if self.pending.len() < length {
                break;
            }
            let frame: Vec<u8> = self.pending.drain(..length).collect();
            messages.push(Message {
                kind: head & 0x3ff,
                id: u32::from_be_bytes([frame[6], frame[7], frame[8], frame[9]]),
                body: frame[10..].to_vec(),
            });
        }
        Ok(messages)
    }
}

/// One parameter: its type and value (without its header).
#[derive(Debug, Clone, Copy)]
struct Param<'a> {
    kind: u16,
    value: &'a [u8],
}

/// The length of a TV parameter's value, by its type; none for a type
/// this reader of LLRP does not know (the rest cannot be read).
fn tv_length(kind: u16) -> Option<usize> {
    Some(match kind {
        6 => 1,
        1 | 7 | 8 | 10 | 11 | 12 | 14 | 15 | 17 => 2,
        9 | 16 | 18 => 4,
        2..=5 => 8,
        13 => 12,
        _ => return None,
    })
}

/// The parameters of `body`, in order.
fn params(mut body: &[u8]) -> Result<Vec<Param<'_>>, String> {
    let mut out = Vec::new();
    while let Some(&first) = body.first() {
        if first & 0x80 != 0 {
            let kind = u16::from(first & 0x7f);
            let n = tv_length(kind).ok_or_else(|| format!("TV parameter {kind} is unknown"))?;
            if body.len() < 1 + n {
                return Err(format!("TV parameter {kind} is cut short"));
            }
            out.push(Param {
                kind,
                value: &body[1..1 + n],
            });
            body = &body[1 + n..];
        } else {
            if body.len() < 4 {
                return Err("a parameter's header is cut short".into());
            }
            let kind = u16::from_be_bytes([body[0], body[1]]) & 0x3ff;
            let length = usize::from(u16::from_be_bytes([body[2], body[3]]));
            if length < 4 || length > body.len() {
                return Err(format!(
                    "parameter {kind} says {length} bytes, {} are left",
                    body.len()
                ));
            }
            out.push(Param {
                kind,
                value: &body[4..length],
            });
            body = &body[length..];
        }
    }
    Ok(out)
}

fn u64_at(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.get(..8)?.try_into().ok()?))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The reads in an RO_ACCESS_REPORT's body: the EPC in hex as the chip,
/// the first-seen time (else the last-seen), antenna and peak RSSI.
pub fn report(body: &[u8]) -> Result<Vec<ChipRead>, String> {
    let mut reads = Vec::new();
    for tag in params(body)? {
        if tag.kind != TAG_REPORT_DATA {
            continue;
        }
        let (mut epc, mut first, mut last, mut antenna, mut rssi) = (None, None, None, None, None);
        for p in params(tag.value)? {
            match p.kind {
                EPC_96 => epc = Some(hex(p.value)),
                EPC_DATA => {
                    let bits = p.value.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                    let bytes = usize::from(bits.unwrap_or(0)).div_ceil(8);
                    epc = p.value.get(2..2 + bytes).map(hex);
                }
                ANTENNA_ID => antenna = Some(u16::from_be_bytes([p.value[0], p.value[1]])),
                PEAK_RSSI => rssi = Some(p.value[0] as i8),
                FIRST_SEEN_UTC => first = u64_at(p.value),
                LAST_SEEN_UTC => last = u64_at(p.value),
                _ => {}
            }
        }
        let chip = epc
            .filter(|e| !e.is_empty())
            .ok_or("a tag report with no EPC")?;
        let micros = first
            .or(last)
            .ok_or_else(|| format!("tag {chip} was reported with no time"))?;
        reads.push(ChipRead {
            chip,
            at: ReadAt::Utc(i64::try_from(micros / 1000).map_err(|_| "a time out of range")?),
            seq: None,
            antenna: antenna.map(|a| a.to_string()),
            rssi: rssi.map(|r| r.to_string()),
            location: None,
        });
    }
    Ok(reads)
}

/// What a READER_EVENT_NOTIFICATION says: the reader's clock (ms since
/// the Unix epoch), and whether it refused this connection (another
/// client holds it), with its status.
pub fn reader_event(body: &[u8]) -> Result<(Option<i64>, Option<u16>), String> {
    let mut clock = None;
    let mut refused = None;
    for data in params(body)? {
        if data.kind != READER_EVENT_NOTIFICATION_DATA {
            continue;
        }
        for p in params(data.value)? {
            match p.kind {
                UTC_TIMESTAMP => {
                    clock = u64_at(p.value).and_then(|us| i64::try_from(us / 1000).ok());
                }
                CONNECTION_ATTEMPT_EVENT => {
                    let status = p.value.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                    refused = status.filter(|s| *s != 0);
                }
                _ => {}
            }
        }
    }
    Ok((clock, refused))
}

/// A response's LLRPStatus: Ok for success, else its code and words.
pub fn status(body: &[u8]) -> Result<(), String> {
    for p in params(body)? {
        if p.kind == LLRP_STATUS && p.value.len() >= 4 {
            let code = u16::from_be_bytes([p.value[0], p.value[1]]);
            if code == 0 {
                return Ok(());
            }
            let words = String::from_utf8_lossy(&p.value[4..]).into_owned();
            return Err(format!("the reader answered status {code}: {words}"));
        }
    }
    Err("a response with no status".into())
}

/// Whether a GET_ROSPECS_RESPONSE holds ROSpec `id`, active (state 2).
pub fn rospec_active(body: &[u8], id: u32) -> bool {
    params(body).is_ok_and(|ps| {
        ps.iter().any(|p| {
            p.kind == ROSPEC
                && p.value.len() >= 6
                && p.value[..4] == id.to_be_bytes()
                && p.value[5] == 2
        })
    })
}

/// A TLV parameter.
fn tlv(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + value.len());
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&(4 + value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// SET_READER_CONFIG: a keepalive every [`KEEPALIVE_MS`], and reports
/// held while no client is connected. No factory reset: that would throw
/// away what the reader holds from while the link was down.
pub fn set_reader_config(id: u32) -> Message {
    let mut body = vec![0u8];
    let mut keepalive = vec![1u8];
    keepalive.extend_from_slice(&KEEPALIVE_MS.to_be_bytes());
    body.extend(tlv(KEEPALIVE_SPEC, &keepalive));
    body.extend(tlv(EVENTS_AND_REPORTS, &[0x80]));
    Message::new(SET_READER_CONFIG, id, body)
}

/// ADD_ROSPEC: racedesk's ROSpec, started at once and never stopped, on
/// every antenna, reporting each tag as it is read with its antenna, peak
/// RSSI and first-seen time.
pub fn add_rospec(id: u32) -> Message {
    let start = tlv(ROSPEC_START_TRIGGER, &[1]);
    let stop = tlv(ROSPEC_STOP_TRIGGER, &[0, 0, 0, 0, 0]);
    let boundary = tlv(RO_BOUNDARY_SPEC, &[start, stop].concat());
    let mut ai = vec![0, 1, 0, 0]; // one antenna id: 0, every antenna
    ai.extend(tlv(AI_SPEC_STOP_TRIGGER, &[0, 0, 0, 0, 0]));
    ai.extend(tlv(INVENTORY_PARAMETER_SPEC, &[0, 1, 1])); // EPC Class 1 Gen 2
    let ai = tlv(AI_SPEC, &ai);
    // Antenna id, peak RSSI, first-seen time.
    let selector = tlv(TAG_REPORT_CONTENT_SELECTOR, &0x1600u16.to_be_bytes());
    // Upon each tag (N = 1).
    let report = tlv(RO_REPORT_SPEC, &[[1, 0, 1].as_slice(), &selector].concat());
    let mut spec = ROSPEC_ID.to_be_bytes().to_vec();
    spec.extend([0, 0]); // priority 0, disabled
    spec.extend([boundary, ai, report].concat());
    Message::new(ADD_ROSPEC, id, tlv(ROSPEC, &spec))
}

/// A message about one ROSpec (ENABLE, DISABLE, DELETE; 0 is every one).
pub fn rospec_message(kind: u16, id: u32, rospec: u32) -> Message {
    Message::new(kind, id, rospec.to_be_bytes().to_vec())
}

/// The reader's side, for the simulator: its greeting with its clock.
pub(crate) fn greeting(id: u32, clock_us: u64) -> Message {
    let mut data = tlv(UTC_TIMESTAMP, &clock_us.to_be_bytes());
    data.extend(tlv(CONNECTION_ATTEMPT_EVENT, &[0, 0]));
    Message::new(
        READER_EVENT_NOTIFICATION,
        id,
        tlv(READER_EVENT_NOTIFICATION_DATA, &data),
    )
}

/// The reader's side: a response with its status (0 is success).
pub(crate) fn response(kind: u16, id: u32, code: u16, extra: &[u8]) -> Message {
    let mut status = code.to_be_bytes().to_vec();
    status.extend([0, 0]);
    let mut body = tlv(LLRP_STATUS, &status);
    body.extend_from_slice(extra);
    Message::new(kind, id, body)
}

/// The reader's side: a ROSpec as GET_ROSPECS_RESPONSE lists it (its id
/// and state only).
pub(crate) fn rospec_listed(rospec: u32, state: u8) -> Vec<u8> {
    let mut value = rospec.to_be_bytes().to_vec();
    value.extend([0, state]);
    tlv(ROSPEC, &value)
}

/// The reader's side: one TagReportData, EPC-96 when the EPC fits.
pub(crate) fn tag_report(epc: &[u8], antenna: u16, rssi: i8, first_us: u64) -> Vec<u8> {
    let mut value = Vec::new();
    if epc.len() == 12 {
        value.push(0x80 | EPC_96 as u8);
        value.extend_from_slice(epc);
    } else {
        let mut data = ((epc.len() * 8) as u16).to_be_bytes().to_vec();
        data.extend_from_slice(epc);
        value.extend(tlv(EPC_DATA, &data));
    }
    value.push(0x80 | ANTENNA_ID as u8);
    value.extend_from_slice(&antenna.to_be_bytes());
    value.push(0x80 | PEAK_RSSI as u8);
    value.push(rssi as u8);
    value.push(0x80 | FIRST_SEEN_UTC as u8);
    value.extend_from_slice(&first_us.to_be_bytes());
    tlv(TAG_REPORT_DATA, &value)
}

/// The reader's side: what SET_READER_CONFIG asks (the keepalive period in
/// ms, whether reports are held while no client is connected, a reset).
pub(crate) fn config_asked(body: &[u8]) -> (Option<u32>, Option<bool>, bool) {
    let reset = body.first().is_some_and(|b| b & 0x80 != 0);
    let (mut keepalive, mut hold) = (None, None);
    for p in params(body.get(1..).unwrap_or_default()).unwrap_or_default() {
        match p.kind {
            KEEPALIVE_SPEC if p.value.len() >= 5 && p.value[0] == 1 => {
                keepalive = Some(u32::from_be_bytes([
                    p.value[1], p.value[2], p.value[3], p.value[4],
                ]));
            }
            EVENTS_AND_REPORTS if !p.value.is_empty() => hold = Some(p.value[0] & 0x80 != 0),
            _ => {}
        }
    }
    (keepalive, hold, reset)
}

/// The reader's side: the id of the ROSpec an ADD_ROSPEC adds.
pub(crate) fn rospec_added(body: &[u8]) -> Option<u32> {
    let spec = params(body).ok()?.into_iter().find(|p| p.kind == ROSPEC)?;
    Some(u32::from_be_bytes(spec.value.get(..4)?.try_into().ok()?))
}

/// EPC bytes for a chip written in hex (zero-padded to 96 bits when
/// shorter); none for a chip that is not hex.
pub(crate) fn epc_of(chip: &str) -> Option<Vec<u8>> {
    if chip.is_empty() || !chip.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = if chip.len() <= 24 {
        format!("{chip:0>24}")
    } else {
        format!("{}{chip}", "0".repeat(chip.len() % 2))
    };
    (0..padded.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&padded[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_example_report_gives_its_tag_antenna_rssi_and_time() {
        let frame = bytes(
            "043d000000290000000700f0001f8de2001018860b01290700d0d881000186c4820006179c3cc80f28",
        );
        let messages = Frames::default().push(&frame).unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].kind, RO_ACCESS_REPORT);
        assert_eq!(messages[0].id, 7);
        let reads = report(&messages[0].body).unwrap();
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].chip, "E2001018860B01290700D0D8");
        assert_eq!(reads[0].antenna.as_deref(), Some("1"));
        assert_eq!(reads[0].rssi.as_deref(), Some("-60"));
        // 2024-05-04T08:01:02.345Z
        assert_eq!(reads[0].at, ReadAt::Utc(1_714_809_662_345));
    }

    #[test]
    fn frames_split_anywhere_come_out_whole_and_keepalives_are_answered_in_kind() {
        let keepalive = bytes("043e0000000a00000005");
        let mut frames = Frames::default();
        let mut got = Vec::new();
        for byte in keepalive.iter().chain(&keepalive) {
            got.extend(frames.push(&[*byte]).unwrap());
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].kind, KEEPALIVE);
        let ack = Message::new(KEEPALIVE_ACK, got[0].id, Vec::new()).bytes();
        assert_eq!(ack, bytes("04480000000a00000005"));
    }

    #[test]
    fn bytes_that_are_not_llrp_are_refused_and_cut_reports_named() {
        assert!(
            Frames::default()
                .push(&bytes("ffff0000000a00000005"))
                .is_err()
        );
        assert!(
            Frames::default()
                .push(&bytes("043d0000000300000005"))
                .is_err()
        );
        // A TagReportData whose length runs past the message.
        let err = report(&bytes("00f000ff8de2")).unwrap_err();
        assert!(err.contains("parameter 240"), "{err}");
        // An EPC-96 cut short.
        let err = report(&bytes("00f000078de200")).unwrap_err();
        assert!(err.contains("cut short"), "{err}");
        // A tag with no time.
        let no_time = tlv(TAG_REPORT_DATA, &[&[0x8d][..], &[0xe2; 12]].concat());
        assert!(report(&no_time).unwrap_err().contains("no time"));
    }

    #[test]
    fn what_we_build_reads_back_as_the_reader_sees_it() {
        let (keepalive, hold, reset) = config_asked(&set_reader_config(1).body);
        assert_eq!(
            (keepalive, hold, reset),
            (Some(KEEPALIVE_MS), Some(true), false)
        );
        assert_eq!(rospec_added(&add_rospec(2).body), Some(ROSPEC_ID));
        let (clock, refused) = reader_event(&greeting(1, 1_714_809_662_345_000).body).unwrap();
        assert_eq!((clock, refused), (Some(1_714_809_662_345), None));
        assert!(status(&response(13, 1, 0, &[]).body).is_ok());
        assert!(
            status(&response(30, 1, 101, &[]).body)
                .unwrap_err()
                .contains("101")
        );
        let listed = response(36, 1, 0, &rospec_listed(ROSPEC_ID, 2));
        assert!(rospec_active(&listed.body, ROSPEC_ID));
        assert!(!rospec_active(&listed.body, 1));
        // A short chip in hex is zero-padded to EPC-96; a long one rides
        // in EPCData.
        let epc = epc_of("E2000001").unwrap();
        assert_eq!(hex(&epc), "0000000000000000E2000001");
        let long = epc_of("E2801160600002054CC2086B0A").unwrap();
        for epc in [epc, long] {
            let read = &report(&tag_report(&epc, 2, -48, 5_000)).unwrap()[0];
            assert_eq!(read.chip, hex(&epc));
            assert_eq!(read.at, ReadAt::Utc(5));
            assert_eq!(read.antenna.as_deref(), Some("2"));
        }
        assert_eq!(epc_of("BIB-12"), None);
    }
}
