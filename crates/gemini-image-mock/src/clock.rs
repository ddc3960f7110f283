//! The mock's clock: the wall clock plus an offset that tests move forward
//! (`POST /__mock/clock`), so that a file's 48 hours or its processing pass in a moment.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The wall clock, moved forward by what tests asked for.
#[derive(Debug, Default)]
pub struct MockClock {
    offset: Mutex<Duration>,
}

impl MockClock {
    /// The time on the mock's clock.
    pub fn now(&self) -> SystemTime {
        SystemTime::now() + self.offset()
    }

    /// How far the clock has been moved forward.
    pub fn offset(&self) -> Duration {
        self.offset.lock().map(|o| *o).unwrap_or_default()
    }

    /// Moves the clock forward by `by` (it never goes back but by [`MockClock::reset`]).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut offset) = self.offset.lock() {
            *offset = offset.saturating_add(by);
        }
    }

    /// Back to the wall clock.
    pub fn reset(&self) {
        if let Ok(mut offset) = self.offset.lock() {
            *offset = Duration::ZERO;
        }
    }
}

/// `at` in RFC 3339, UTC, with `digits` fractional digits (Google writes 6 for most times and
/// 9 for a file's expiration).
pub fn rfc3339(at: SystemTime, digits: usize) -> String {
    let nanos = at
        .duration_since(UNIX_EPOCH)
        .map(|d| i128::try_from(d.as_nanos()).unwrap_or(0))
        .unwrap_or(0);
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let fraction = format!("{:09}", time.nanosecond());
    let digits = digits.min(9);
    let fraction = if digits == 0 {
        String::new()
    } else {
        format!(".{}", &fraction[..digits])
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_google_writes_them() {
        let at = UNIX_EPOCH + Duration::new(1_781_705_580, 159_379_123);
        assert_eq!(rfc3339(at, 6), "2026-06-17T14:13:00.159379Z");
        assert_eq!(rfc3339(at, 9), "2026-06-17T14:13:00.159379123Z");
        assert_eq!(rfc3339(at, 0), "2026-06-17T14:13:00Z");
    }

    #[test]
    fn the_clock_moves_forward_and_back_to_the_wall() {
        let clock = MockClock::default();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() > SystemTime::now() + Duration::from_secs(3599));
        clock.reset();
        assert_eq!(clock.offset(), Duration::ZERO);
    }
}
