//! The capture clock: the wall clock read once, then a monotonic clock, so
//! a change of the laptop's clock in the middle of a race (a time server,
//! a volunteer "fixing" it) moves no one's time.

use std::time::Instant;

/// Where the wall time comes from: the system clock, or a test's own.
pub trait WallClock: Send + Sync {
    /// Unix epoch milliseconds now.
    fn now_ms(&self) -> i64;
}

/// The system clock.
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_ms(&self) -> i64 {
        wall_ms()
    }
}

/// The system clock's Unix epoch milliseconds, moved by
/// `RACEDESK_CLOCK_OFFSET_MS` where that is set: a laptop whose clock is
/// off, for the tests and rehearsals of the stations' clock check.
pub fn wall_ms() -> i64 {
    static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let offset = *OFFSET.get_or_init(|| {
        std::env::var("RACEDESK_CLOCK_OFFSET_MS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    });
    chrono::Utc::now().timestamp_millis().saturating_add(offset)
}

/// Reads the wall clock when made, and counts from there on a monotonic
/// clock.
pub struct CaptureClock {
    base_ms: i64,
    started: Instant,
}

impl CaptureClock {
    pub fn new(wall: &dyn WallClock) -> Self {
        Self {
            base_ms: wall.now_ms(),
            started: Instant::now(),
        }
    }

    pub fn system() -> Self {
        Self::new(&SystemClock)
    }

    /// Unix epoch milliseconds now, on this clock.
    pub fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.base_ms.saturating_add(elapsed)
    }

    /// How far the wall clock is from this clock now (wall minus capture),
    /// in ms: what a station records as its offset.
    pub fn offset_ms(&self, wall: &dyn WallClock) -> i64 {
        wall.now_ms() - self.now_ms()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    /// A wall clock a test can set.
    struct Wall(AtomicI64);

    impl WallClock for Wall {
        fn now_ms(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn a_jump_of_the_wall_clock_moves_no_capture() {
        let wall = Wall(AtomicI64::new(1_800_000_000_000));
        let clock = CaptureClock::new(&wall);
        let before = clock.now_ms();
        // Someone sets the laptop's clock an hour ahead mid-race.
        wall.0.fetch_add(3_600_000, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let after = clock.now_ms();
        let elapsed = after - before;
        assert!(
            (20..1000).contains(&elapsed),
            "elapsed {elapsed} ms should be the real 20 ms, not an hour"
        );
        assert!(
            (clock.offset_ms(&wall) - 3_600_000).abs() < 1000,
            "the jump shows as the station's offset"
        );
    }
}
