//! `watch`: the event held open as the app holds it (a [`Session`]), for a
//! director with a terminal and no app: each change of the file, whoever
//! made it, as a line of JSON; automatic backups with --backup-to.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use racedesk::session::{Backups, Session};

use crate::common::*;

#[derive(Args)]
pub struct WatchArgs {
    /// Back the event file up into this folder (a USB stick) when it
    /// changed, every --every minutes.
    #[arg(long, value_name = "FOLDER")]
    backup_to: Option<PathBuf>,
    /// Minutes between automatic backups.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    every: u64,
    /// Stop after this many changes (scripts and tests); runs until
    /// stopped otherwise.
    #[arg(long)]
    changes: Option<u64>,
}

pub async fn run(db: &Path, args: WatchArgs) -> Result<(), Failure> {
    let file = open(db).await?;
    let session = Session::start(file, station_id());
    session.set_backups(args.backup_to.map(|folder| Backups {
        folder,
        every: Duration::from_secs(args.every * 60),
    }));
    let mut changes = session.changes();
    let mut seen = 0;
    loop {
        tokio::select! {
            change = changes.recv() => match change {
                Ok(change) => {
                    let mut line = serde_json::to_vec(&change)
                        .map_err(|e| Failure::Other(e.to_string()))?;
                    line.push(b'\n');
                    emit(&line)?;
                    seen += 1;
                    if args.changes.is_some_and(|n| seen >= n) {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    session.close().await;
    Ok(())
}
