//! Every read kept as it came, once, before anything is made of it; the
//! first read of a chip at a point within the point's re-read window made
//! a passing, in the same transaction, so a read is acknowledged to its
//! decoder only when both are on disk.

use sqlx::SqliteConnection;

use super::{ChipRead, Kind};
use crate::error::{Error, Result};
use crate::model::{Bib, Station};
use crate::store::EventFile;
use crate::store::timing::{self as store, CorrectionRow, PassingRow};

/// A decoder as set up at this station.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Decoder {
    /// Its name: what its reads are kept under.
    pub name: String,
    pub kind: Kind,
    /// `host:port` we connect to; none when it connects to us.
    pub address: Option<String>,
    /// The port we listen on when it connects to us.
    pub port: Option<u16>,
    /// The timing point its mat is at.
    pub point: String,
    /// Reads of one chip within this many ms of its first make no passing
    /// of their own (a runner standing on the mat).
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub window_ms: i64,
    /// The tag's number is the bib's (the roster has no chips).
    pub bib_as_chip: bool,
    /// The last read in the window counts instead of the first (a start
    /// mat scored on the runner leaving it).
    pub last_read: bool,
    /// Antennas or locations at other points than `point`, as the timer
    /// wrote them: `1=start, 2=finish`.
    pub points: Option<String>,
}

impl Decoder {
    /// The point a read was made at: its location's or antenna's, where
    /// the timer set one, else the decoder's.
    pub fn point_of<'a>(&'a self, read: &ChipRead) -> &'a str {
        for (key, point) in pairs(self.points.as_deref().unwrap_or("")) {
            if read.location.as_deref() == Some(key) || read.antenna.as_deref() == Some(key) {
                return point;
            }
        }
        &self.point
    }
}

/// `KEY=POINT` pairs, separated by commas.
fn pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split(',').filter(|p| !p.trim().is_empty()).map(|p| {
        let (key, point) = p.split_once('=').unwrap_or((p, ""));
        (key.trim(), point.trim())
    })
}

/// The timer's `1=start, 2=finish`, each point checked and written as
/// racedesk writes points; a pair that is not one is named.
fn parse_points(text: &str) -> Result<Option<String>> {
    let mut kept = Vec::new();
    for (key, point) in pairs(text) {
        if key.is_empty() || point.is_empty() {
            return Err(Error::invalid(
                "points",
                crate::model::ParseError::new(crate::said!(
                    "invalid.decoder_points",
                    text = crate::model::shorten(text)
                )),
            ));
        }
        let point = crate::timing::parse_point(point).map_err(|_| {
            Error::invalid(
                "points",
                crate::model::ParseError::new(crate::said!(
                    "invalid.decoder_points",
                    text = crate::model::shorten(text)
                )),
            )
        })?;
        kept.push(format!("{key}={point}"));
    }
    Ok((!kept.is_empty()).then(|| kept.join(", ")))
}

/// What keeping a read did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// A read new to the file: the passing it made, if it was the first in
    /// its window, and the runner it was given to.
    New {
        passing: Option<String>,
        bib: Option<String>,
        at_ms: i64,
    },
    /// The same read was already kept.
    Again,
    /// A read whose time cannot be placed (a local time the clocks skip).
    Refused(String),
}

/// Sets up (or changes) a decoder, by its name.
pub async fn save_decoder(file: &EventFile, decoder: &Decoder) -> Result<()> {
    let point = crate::timing::parse_point(&decoder.point)?;
    let points = parse_points(decoder.points.as_deref().unwrap_or(""))?;
    if decoder.name.trim().is_empty() || decoder.name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            crate::model::ParseError::new(crate::said!("invalid.decoder_name")),
        ));
    }
    sqlx::query(
        "INSERT INTO decoder (name, kind, address, port, point, window_ms, bib_as_chip, last_read,
             points, added_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, address = excluded.address,
             port = excluded.port, point = excluded.point, window_ms = excluded.window_ms,
             bib_as_chip = excluded.bib_as_chip, last_read = excluded.last_read,
             points = excluded.points",
    )
    .bind(decoder.name.trim())
    .bind(decoder.kind.name())
    .bind(&decoder.address)
    .bind(decoder.port.map(i64::from))
    .bind(point)
    .bind(decoder.window_ms.max(0))
    .bind(decoder.bib_as_chip)
    .bind(decoder.last_read)
    .bind(points)
    .bind(crate::store::now_ms())
    .execute(file.writer())
    .await?;
    Ok(())
}

/// Refuses a decoder that cannot be read live: one we connect to needs
/// its address (one whose file is imported does not).
pub(crate) fn readable(decoder: &Decoder) -> Result<()> {
    if !decoder.kind.listens()
        && decoder
            .address
            .as_deref()
            .is_none_or(|a| a.trim().is_empty())
    {
        return Err(Error::invalid(
            "address",
            crate::model::ParseError::new(crate::said!("invalid.decoder_address")),
        ));
    }
    Ok(())
}

/// Notes whether the app reads the decoder called `name` now, so it is
/// read again when the app starts.
pub async fn set_reading(file: &EventFile, name: &str, reading: bool) -> Result<()> {
    sqlx::query("UPDATE decoder SET reading = ? WHERE name = ?")
        .bind(reading)
        .bind(name)
        .execute(file.writer())
        .await?;
    Ok(())
}

/// The decoders the app was reading when it last ran.
pub async fn were_reading(file: &EventFile) -> Result<Vec<Decoder>> {
    let reading: Vec<String> = sqlx::query_scalar("SELECT name FROM decoder WHERE reading = 1")
        .fetch_all(file.reader())
        .await?;
    Ok(decoders(file)
        .await?
        .into_iter()
        .filter(|d| reading.contains(&d.name))
        .collect())
}

/// The decoders set up in this file, by name.
pub async fn decoders(file: &EventFile) -> Result<Vec<Decoder>> {
    type Row = (
        String,
        String,
        Option<String>,
        Option<i64>,
        String,
        i64,
        bool,
        bool,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT name, kind, address, port, point, window_ms, bib_as_chip, last_read, points
         FROM decoder ORDER BY name",
    )
    .fetch_all(file.reader())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(name, kind, address, port, point, window_ms, bib_as_chip, last_read, points)| {
                Some(Decoder {
                    name,
                    kind: Kind::parse(&kind)?,
                    address,
                    port: port.and_then(|p| u16::try_from(p).ok()),
                    point,
                    window_ms,
                    bib_as_chip,
                    last_read,
                    points,
                })
            },
        )
        .collect())
}

/// Keeps `reads` from `decoder`, all in one transaction, and makes a
/// passing of each that is the first of its chip at the decoder's point
/// within the window (the last, for a decoder set to `last_read`). A read
/// that arrives after one it outranks (a rewind, a file; with `last_read`,
/// every new read of a runner still on the mat) makes the passing, and the
/// other's passing is voided by a correction that says why: the first (or
/// last) read always counts.
pub async fn keep(
    file: &EventFile,
    decoder: &Decoder,
    reads: &[ChipRead],
    station: &Station,
) -> Result<Vec<Kept>> {
    let event = crate::setup::event(file).await?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let mut by = crate::timing::captured(&mut tx, station).await?;
    let mut kept = Vec::with_capacity(reads.len());
    // A few statements a chunk rather than three a read: a decoder's
    // burst is mostly re-reads, decided here from what the chunk's chips
    // already have standing.
    for chunk in reads.chunks(CHUNK) {
        keep_chunk(&mut tx, decoder, chunk, &event, &mut by, &mut kept).await?;
    }
    tx.commit().await?;
    Ok(kept)
}

/// Reads decided and written together (a file's reads go in chunks, in
/// one transaction).
const CHUNK: usize = 500;

/// A standing passing a chip's read made: its point, instant and id.
struct Standing {
    chip: String,
    point: String,
    at_ms: i64,
    passing: String,
}

async fn keep_chunk(
    tx: &mut SqliteConnection,
    decoder: &Decoder,
    reads: &[ChipRead],
    event: &crate::model::Event,
    by: &mut crate::store::timing::Captured,
    kept: &mut Vec<Kept>,
) -> Result<()> {
    let arrived_ms = crate::store::now_ms();
    let placed: Vec<Option<i64>> = reads
        .iter()
        .map(|r| r.at.instant(event.date, event.time_zone))
        .collect();
    let key = |read: &ChipRead, at_ms: i64| format!("{}|{}|{at_ms}", decoder.name, read.chip);
    let keys: Vec<String> = reads
        .iter()
        .zip(&placed)
        .filter_map(|(r, at)| at.map(|at| key(r, at)))
        .collect();
    let mut known: std::collections::HashSet<String> = sqlx::query_scalar(
        "SELECT read_key FROM chip_read WHERE read_key IN (SELECT value FROM json_each(?))",
    )
    .bind(serde_json::to_string(&keys).unwrap_or_default())
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let chips: std::collections::BTreeSet<&str> = reads.iter().map(|r| r.chip.as_str()).collect();
    let (first, last) = placed
        .iter()
        .flatten()
        .fold((i64::MAX, i64::MIN), |(lo, hi), at| {
            (lo.min(*at), hi.max(*at))
        });
    let mut standing: Vec<Standing> = if first <= last {
        let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
            "SELECT r.chip, r.point, r.at_ms, r.passing FROM chip_read r
             WHERE r.chip IN (SELECT value FROM json_each(?1))
               AND r.at_ms BETWEEN ?2 AND ?3 AND r.passing IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM correction c
                               WHERE c.passing = r.passing AND c.kind = 'void')",
        )
        .bind(serde_json::to_string(&chips).unwrap_or_default())
        .bind(first.saturating_sub(decoder.window_ms))
        .bind(last.saturating_add(decoder.window_ms))
        .fetch_all(&mut *tx)
        .await?;
        rows.into_iter()
            .map(|(chip, point, at_ms, passing)| Standing {
                chip,
                point,
                at_ms,
                passing,
            })
            .collect()
    } else {
        Vec::new()
    };
    // The rows to write: [id, key, seq, chip, reader_time, at_ms, antenna,
    // rssi, point, passing, location].
    let mut rows = Vec::new();
    for (read, at_ms) in reads.iter().zip(placed) {
        let Some(at_ms) = at_ms else {
            kept.push(Kept::Refused(format!(
                "{} is not a time in {}",
                read.at.text(),
                event.time_zone.0
            )));
            continue;
        };
        let key = key(read, at_ms);
        if !known.insert(key.clone()) {
            kept.push(Kept::Again);
            continue;
        }
        let point = decoder.point_of(read);
        let near = |s: &Standing| {
            s.chip == read.chip && s.point == point && (s.at_ms - at_ms).abs() <= decoder.window_ms
        };
        // A standing passing that this read does not outrank: a re-read.
        let outranked = |at: i64| {
            if decoder.last_read {
                at >= at_ms
            } else {
                at <= at_ms
            }
        };
        let (passing, bib) = if standing.iter().any(|s| near(s) && outranked(s.at_ms)) {
            (None, None)
        } else {
            let bib = runner_of(tx, &read.chip, decoder.bib_as_chip).await?;
            let id = uuid::Uuid::now_v7().to_string();
            let row = PassingRow {
                point: point.to_owned(),
                at_ms,
                bib: bib.clone(),
                chip: Some(read.chip.clone()),
                source: "chip",
                import_key: Some(format!("read|{key}")),
            };
            by.id.clone_from(&id);
            store::insert_passing(tx, &row, by).await?;
            by.seq += 1;
            // The other reads' passings in the window were re-reads.
            let (outdone, stays): (Vec<Standing>, Vec<Standing>) =
                standing.into_iter().partition(|s| near(s));
            standing = stays;
            for other in outdone {
                by.id = uuid::Uuid::now_v7().to_string();
                let why = CorrectionRow {
                    passing: other.passing,
                    kind: "void",
                    bib: None,
                    at_ms: None,
                    reason: Some(format!(
                        "re-read: chip {} was read {} at this point",
                        read.chip,
                        if decoder.last_read {
                            "later"
                        } else {
                            "earlier"
                        }
                    )),
                };
                store::insert_correction(tx, &why, by).await?;
                by.seq += 1;
            }
            standing.push(Standing {
                chip: read.chip.clone(),
                point: point.to_owned(),
                at_ms,
                passing: id.clone(),
            });
            (Some(id), bib)
        };
        rows.push(serde_json::json!([
            uuid::Uuid::now_v7().to_string(),
            key,
            read.seq,
            read.chip,
            read.at.text(),
            at_ms,
            read.antenna,
            read.rssi,
            point,
            passing,
            read.location,
        ]));
        kept.push(Kept::New {
            passing,
            bib,
            at_ms,
        });
    }
    if !rows.is_empty() {
        sqlx::query(
            "INSERT INTO chip_read (id, decoder, read_key, seq, chip, reader_time, at_ms, arrived_ms,
                 antenna, rssi, point, passing, location)
             SELECT value ->> 0, ?2, value ->> 1, value ->> 2, value ->> 3, value ->> 4,
                    value ->> 5, ?3, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10
             FROM json_each(?1)",
        )
        .bind(serde_json::Value::Array(rows).to_string())
        .bind(&decoder.name)
        .bind(arrived_ms)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The bib the chip is given to now: the roster's holder of the chip, or
/// with `bib_as_chip` the tag's number as a bib. None for a chip nobody
/// holds (flagged for review, and given when the chip is).
async fn runner_of(
    tx: &mut SqliteConnection,
    chip: &str,
    bib_as_chip: bool,
) -> sqlx::Result<Option<String>> {
    let mut holder: Option<String> =
        sqlx::query_scalar("SELECT bib FROM entrant WHERE chip = ? LIMIT 1")
            .bind(chip)
            .fetch_optional(&mut *tx)
            .await?;
    // Fixed-width tags (IPICO's 12 characters) pad a shorter chip number
    // with zeros the roster does not write.
    let unpadded = chip.trim_start_matches('0');
    if holder.is_none() && unpadded.len() < chip.len() && !unpadded.is_empty() {
        holder = sqlx::query_scalar("SELECT bib FROM entrant WHERE chip = ? LIMIT 1")
            .bind(unpadded)
            .fetch_optional(&mut *tx)
            .await?;
    }
    if holder.is_some() || !bib_as_chip {
        return Ok(holder);
    }
    let number = chip.trim_start_matches('0');
    Ok(Bib::parse(number).ok().map(|b| b.to_string()))
}

/// Gives the passings made by reads of `chip` to the runner who holds the
/// chip now (a chip changed at the desk after it was read), on the
/// timer's say-so: reads keep the runner their chip had when they came,
/// and a later change applies to them only through this. Each passing
/// given to another bib gets a correction that says why; how many.
pub async fn give_reads(file: &EventFile, chip: &str, station: &Station) -> Result<usize> {
    let chip = chip.trim();
    let holder: Option<String> =
        sqlx::query_scalar("SELECT bib FROM entrant WHERE chip = ? LIMIT 1")
            .bind(chip)
            .fetch_optional(file.reader())
            .await?;
    let Some(holder) = holder else {
        return Err(Error::NotFound(crate::said!(
            "error.chip_unheld",
            chip = chip
        )));
    };
    let made: Vec<String> = sqlx::query_scalar(
        // A fixed-width tag pads the number with zeros (see runner_of).
        "SELECT DISTINCT passing FROM chip_read
         WHERE (chip = ?1 OR ltrim(chip, '0') = ltrim(?1, '0')) AND passing IS NOT NULL",
    )
    .bind(chip)
    .fetch_all(file.reader())
    .await?;
    let mut given = 0;
    for read in crate::timing::reads(file).await? {
        if made.contains(&read.id)
            && read.status != "void"
            && read.bib.as_deref() != Some(holder.as_str())
        {
            crate::timing::correct(
                file,
                &read.id,
                crate::timing::Correction::Bib(holder.clone()),
                Some(&format!("chip {chip} is held by {holder} now")),
                station,
            )
            .await?;
            given += 1;
        }
    }
    Ok(given)
}

/// What a decoder file's import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecoderImport {
    pub reads: usize,
    pub added: usize,
    /// Reads already kept (live, or from an earlier import).
    pub already: usize,
    pub passings: usize,
}

/// Imports a decoder's own file of reads (RACE RESULT's passing file,
/// RFIDServer's, IPICO frames, ChronoTrack lines, MYLAPS Store records or
/// messages) as reads of `decoder`: all or nothing, every bad line named;
/// reads already kept (live, or an earlier import) add nothing.
pub async fn import(
    file: &EventFile,
    decoder: &Decoder,
    path: &std::path::Path,
    station: &Station,
) -> Result<DecoderImport> {
    let unreadable = |reason: String| Error::Unreadable {
        path: path.to_owned(),
        reason,
    };
    let bytes = crate::files::read_regular(path).map_err(unreadable)?;
    let text = crate::files::decode_text(&bytes).text;
    let reads = super::parse_file(decoder.kind, &text).map_err(|problems| {
        let more = problems.len().saturating_sub(20);
        let mut said = problems.into_iter().take(20).collect::<Vec<_>>().join("; ");
        if more > 0 {
            said.push_str(&format!("; and {more} more"));
        }
        unreadable(format!("{said}; nothing was imported"))
    })?;
    let kept = keep(file, decoder, &reads, station).await?;
    if let Some(Kept::Refused(why)) = kept.iter().find(|k| matches!(k, Kept::Refused(_))) {
        tracing::warn!(reason = %why, "a read of the file could not be placed in time");
    }
    Ok(DecoderImport {
        reads: reads.len(),
        added: kept
            .iter()
            .filter(|k| matches!(k, Kept::New { .. }))
            .count(),
        already: kept.iter().filter(|k| matches!(k, Kept::Again)).count(),
        passings: kept
            .iter()
            .filter(|k| {
                matches!(
                    k,
                    Kept::New {
                        passing: Some(_),
                        ..
                    }
                )
            })
            .count(),
    })
}

/// A decoder and what it read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct DecoderSeen {
    pub decoder: Decoder,
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub reads: i64,
    /// Reads that arrived in the last minute.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub last_minute: i64,
    /// The last read: its chip and instant.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "[string, number] | null"))]
    pub last: Option<(String, i64)>,
    /// Its clock minus this laptop's when last read, and when (ms).
    #[cfg_attr(any(test, feature = "ts"), ts(type = "[number, number] | null"))]
    pub clock: Option<(i64, i64)>,
}

/// Each decoder set up here, with its reads.
pub async fn seen(file: &EventFile) -> Result<Vec<DecoderSeen>> {
    let now = crate::store::now_ms();
    let mut seen = Vec::new();
    for decoder in decoders(file).await? {
        let (reads, last_minute): (i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(arrived_ms > ?2), 0) FROM chip_read WHERE decoder = ?1",
        )
        .bind(&decoder.name)
        .bind(now - 60_000)
        .fetch_one(file.reader())
        .await?;
        let last: Option<(String, i64)> = sqlx::query_as(
            "SELECT chip, at_ms FROM chip_read WHERE decoder = ? ORDER BY arrived_ms DESC, rowid DESC LIMIT 1",
        )
        .bind(&decoder.name)
        .fetch_optional(file.reader())
        .await?;
        let clock: Option<(Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT clock_offset_ms, clock_read_ms FROM decoder WHERE name = ?")
                .bind(&decoder.name)
                .fetch_optional(file.reader())
                .await?;
        let clock = clock.and_then(|(offset, at)| offset.zip(at));
        seen.push(DecoderSeen {
            decoder,
            reads,
            last_minute,
            last,
            clock,
        });
    }
    Ok(seen)
}
