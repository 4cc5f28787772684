//! The commands the webview may call, one file per area. Each is a few
//! lines over the racedesk core.

pub mod app;
pub mod checkin;
pub mod decoders;
mod dialog;
pub mod event;
pub mod network;
pub mod races;
pub mod results;
pub mod roster;
pub mod timing;
