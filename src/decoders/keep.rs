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
    if decoder.name.trim().is_empty() || decoder.name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            crate::model::ParseError::new(crate::said!("invalid.decoder_name")),
        ));
    }
    sqlx::query(
        "INSERT INTO decoder (name, kind, address, port, point, window_ms, bib_as_chip, added_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, address = excluded.address,
             port = excluded.port, point = excluded.point, window_ms = excluded.window_ms,
             bib_as_chip = excluded.bib_as_chip",
    )
    .bind(decoder.name.trim())
    .bind(decoder.kind.name())
    .bind(&decoder.address)
    .bind(decoder.port.map(i64::from))
    .bind(point)
    .bind(decoder.window_ms.max(0))
    .bind(decoder.bib_as_chip)
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
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT name, kind, address, port, point, window_ms, bib_as_chip FROM decoder ORDER BY name",
    )
    .fetch_all(file.reader())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(name, kind, address, port, point, window_ms, bib_as_chip)| {
                Some(Decoder {
                    name,
                    kind: Kind::parse(&kind)?,
                    address,
                    port: port.and_then(|p| u16::try_from(p).ok()),
                    point,
                    window_ms,
                    bib_as_chip,
                })
            },
        )
        .collect())
}

/// Keeps `reads` from `decoder`, all in one transaction, and makes a
/// passing of each that is the first of its chip at the decoder's point
/// within the window. A read that arrives after a later one of the same
/// chip (a rewind, a file) makes the passing, and the later one's passing
/// is voided by a correction that says why: the first read always counts.
pub async fn keep(
    file: &EventFile,
    decoder: &Decoder,
    reads: &[ChipRead],
    station: &Station,
) -> Result<Vec<Kept>> {
    let event = crate::setup::event(file).await?;
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let mut by = crate::timing::captured(&mut tx, station).await?;
    let arrived_ms = crate::store::now_ms();
    let mut kept = Vec::with_capacity(reads.len());
    for read in reads {
        let Some(at_ms) = read.at.instant(event.date, event.time_zone) else {
            kept.push(Kept::Refused(format!(
                "{} is not a time in {}",
                read.at.text(),
                event.time_zone.0
            )));
            continue;
        };
        let key = format!("{}|{}|{at_ms}", decoder.name, read.chip);
        let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM chip_read WHERE read_key = ?")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_some() {
            kept.push(Kept::Again);
            continue;
        }
        let near = passings_near(
            &mut tx,
            &read.chip,
            &decoder.point,
            at_ms,
            decoder.window_ms,
        )
        .await?;
        let (passing, bib) = if near.iter().any(|(at, _)| *at <= at_ms) {
            (None, None)
        } else {
            let bib = runner_of(&mut tx, &read.chip, decoder.bib_as_chip).await?;
            let id = uuid::Uuid::now_v7().to_string();
            let row = PassingRow {
                point: decoder.point.clone(),
                at_ms,
                bib: bib.clone(),
                chip: Some(read.chip.clone()),
                source: "chip",
                import_key: Some(format!("read|{key}")),
            };
            by.id.clone_from(&id);
            store::insert_passing(&mut tx, &row, &by).await?;
            by.seq += 1;
            // A later read's passing in the window was a re-read.
            for (_, later) in near {
                by.id = uuid::Uuid::now_v7().to_string();
                let why = CorrectionRow {
                    passing: later,
                    kind: "void",
                    bib: None,
                    at_ms: None,
                    reason: Some(format!(
                        "re-read: chip {} was read earlier at this point",
                        read.chip
                    )),
                };
                store::insert_correction(&mut tx, &why, &by).await?;
                by.seq += 1;
            }
            (Some(id), bib)
        };
        sqlx::query(
            "INSERT INTO chip_read (id, decoder, read_key, seq, chip, reader_time, at_ms, arrived_ms,
                 antenna, rssi, point, passing)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&decoder.name)
        .bind(&key)
        .bind(read.seq)
        .bind(&read.chip)
        .bind(read.at.text())
        .bind(at_ms)
        .bind(arrived_ms)
        .bind(&read.antenna)
        .bind(&read.rssi)
        .bind(&decoder.point)
        .bind(&passing)
        .execute(&mut *tx)
        .await?;
        kept.push(Kept::New {
            passing,
            bib,
            at_ms,
        });
    }
    tx.commit().await?;
    Ok(kept)
}

/// The standing passings this chip's reads made at `point` within
/// `window_ms` of `at_ms`: their instants and ids.
async fn passings_near(
    tx: &mut SqliteConnection,
    chip: &str,
    point: &str,
    at_ms: i64,
    window_ms: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT r.at_ms, r.passing FROM chip_read r
         WHERE r.chip = ?1 AND r.point = ?2 AND r.at_ms BETWEEN ?3 - ?4 AND ?3 + ?4
           AND r.passing IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM correction c WHERE c.passing = r.passing AND c.kind = 'void')",
    )
    .bind(chip)
    .bind(point)
    .bind(at_ms)
    .bind(window_ms)
    .fetch_all(&mut *tx)
    .await
}

/// The bib the chip is given to now: the roster's holder of the chip, or
/// with `bib_as_chip` the tag's number as a bib. None for a chip nobody
/// holds (flagged for review, and given when the chip is).
async fn runner_of(
    tx: &mut SqliteConnection,
    chip: &str,
    bib_as_chip: bool,
) -> sqlx::Result<Option<String>> {
    let holder: Option<String> =
        sqlx::query_scalar("SELECT bib FROM entrant WHERE chip = ? LIMIT 1")
            .bind(chip)
            .fetch_optional(&mut *tx)
            .await?;
    if holder.is_some() || !bib_as_chip {
        return Ok(holder);
    }
    let number = chip.trim_start_matches('0');
    Ok(Bib::parse(number).ok().map(|b| b.to_string()))
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
        seen.push(DecoderSeen {
            decoder,
            reads,
            last_minute,
            last,
        });
    }
    Ok(seen)
}
