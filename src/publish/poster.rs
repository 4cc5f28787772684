//! The poster put up at the finish and in the stadium: the WiFi to join,
//! the site's address and a QR code of it, in English and Korean, on one
//! page to print or show full screen.

use std::io::Write;

use askama::Template;

use crate::error::{Error, Result};
use crate::words::Language;

/// What the poster says.
#[derive(Debug, Clone)]
pub struct Poster {
    pub event: String,
    /// The WiFi's name, as the director typed it (none: not said).
    pub wifi: Option<String>,
    /// The site's address, such as http://192.168.1.20:8080/.
    pub address: String,
}

/// The modules of a QR code holding `text` (medium error correction),
/// row by row; empty if the text is too long for one.
pub fn qr_modules(text: &str) -> Vec<Vec<bool>> {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return Vec::new();
    };
    let width = code.width();
    let modules: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    modules.chunks(width).map(<[bool]>::to_vec).collect()
}

#[derive(Template)]
#[template(path = "public/poster.html")]
struct Page<'a> {
    poster: &'a Poster,
    /// The QR code as one SVG path of unit squares, with a quiet zone of 4.
    path: String,
    size: usize,
}

impl Page<'_> {
    /// The app's words, both languages on one poster.
    fn en(&self, key: &str) -> &'static str {
        Language::En.word(key)
    }

    fn ko(&self, key: &str) -> &'static str {
        Language::Ko.word(key)
    }
}

/// The poster as one self-contained HTML page (no network, no script).
pub fn write_poster(poster: &Poster, out: &mut impl Write) -> Result<()> {
    let modules = qr_modules(&poster.address);
    let path = modules
        .iter()
        .enumerate()
        .flat_map(|(y, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, dark)| **dark)
                .map(move |(x, _)| format!("M{},{}h1v1h-1z", x + 4, y + 4))
        })
        .collect();
    let html = Page {
        poster,
        path,
        size: modules.len() + 8,
    }
    .render()
    .map_err(unwritable)?;
    out.write_all(html.as_bytes()).map_err(unwritable)
}

fn unwritable(e: impl std::fmt::Display) -> Error {
    Error::Unreadable {
        path: "output".into(),
        reason: e.to_string(),
    }
}
