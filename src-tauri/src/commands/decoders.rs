//! The finish screen's Decoders panel: the chip decoders of this event,
//! set up, read (connected, or listened for) and stopped; the reading
//! itself runs in the core's session.

use racedesk::decoders::{Decoder, DecoderView, Kind};
use serde::Deserialize;
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

/// A decoder as the panel's form gives it.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct DecoderForm {
    pub name: String,
    /// raceresult, mylaps, chronotrack, ultra, ipico or llrp.
    pub kind: String,
    /// The decoder's address (host or host:port) when we connect to it.
    pub address: Option<String>,
    /// Our port when it connects to us.
    pub port: Option<u16>,
    pub point: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub window_ms: i64,
    pub bib_as_chip: bool,
    /// The last read in the window counts, not the first.
    pub last_read: bool,
    /// Antennas or locations at other points: `1=start, 2=finish`.
    pub points: Option<String>,
}

#[tauri::command]
pub async fn decoders_list(state: State<'_, AppState>) -> CommandResult<Vec<DecoderView>> {
    Ok(state.session.decoders().await?)
}

/// Sets the decoder up and reads it from now on.
#[tauri::command]
pub async fn decoder_read(
    state: State<'_, AppState>,
    form: DecoderForm,
) -> CommandResult<Vec<DecoderView>> {
    let kind = Kind::named(&form.kind)?;
    let decoder = Decoder {
        name: form.name.trim().to_owned(),
        address: form
            .address
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty() && !kind.listens()),
        port: if kind.listens() {
            Some(form.port.unwrap_or(kind.port()))
        } else {
            None
        },
        kind,
        point: form.point,
        window_ms: form.window_ms.clamp(0, 3_600_000),
        bib_as_chip: form.bib_as_chip,
        last_read: form.last_read,
        points: form.points.filter(|p| !p.trim().is_empty()),
    };
    state.session.read_decoder(decoder).await?;
    Ok(state.session.decoders().await?)
}

/// Stops reading the decoder (its reads stay).
#[tauri::command]
pub async fn decoder_stop(
    state: State<'_, AppState>,
    name: String,
) -> CommandResult<Vec<DecoderView>> {
    state.session.stop_decoder(&name).await?;
    Ok(state.session.decoders().await?)
}

/// A dry run: a simulated decoder of `kind` played on this laptop and read
/// at the finish (see `Session::dry_run`).
#[tauri::command]
pub async fn decoder_dry_run(
    state: State<'_, AppState>,
    kind: String,
) -> CommandResult<Vec<DecoderView>> {
    state.session.dry_run(Kind::named(&kind)?).await?;
    Ok(state.session.decoders().await?)
}

/// Sets the decoder's clock to this laptop's, on the timer's say-so.
#[tauri::command]
pub async fn decoder_set_clock(
    state: State<'_, AppState>,
    name: String,
) -> CommandResult<Vec<DecoderView>> {
    state.session.set_decoder_clock(&name).await?;
    Ok(state.session.decoders().await?)
}
