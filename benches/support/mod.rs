//! What the benchmarks share: their arguments, percentiles, and the bare
//! SQLite file each one measures its baseline on.

#![allow(dead_code)] // each benchmark uses its own part

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// The benchmark's arguments: `--bench` (a full run, from `cargo bench`;
/// without it the smaller smoke run of `cargo test`) and `--NAME N` sizes.
pub struct Args(Vec<String>);

impl Args {
    pub fn get() -> Self {
        Self(std::env::args().collect())
    }

    pub fn full(&self) -> bool {
        self.0.iter().any(|a| a == "--bench")
    }

    /// `--name N`, else `full` in a full run, else `smoke`.
    pub fn size(&self, name: &str, full: usize, smoke: usize) -> usize {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(if self.full() { full } else { smoke })
    }
}

/// A bare SQLite file with the event file's durability settings (WAL,
/// synchronous=FULL) and nothing else: the floor to compare against.
pub async fn bare_pool(path: &std::path::Path) -> anyhow::Result<sqlx::SqlitePool> {
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full),
        )
        .await?)
}

/// p50 and p99.
pub fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
