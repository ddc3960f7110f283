//! Polling with backoff until a resource reaches a state: a file `ACTIVE`, a background
//! interaction finished, a batch done. One loop, so all wait alike.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

/// The first pause between two polls; it doubles after each, up to [`LONGEST_PAUSE`]. Google's
/// images are active at once and a background image takes seconds: the first answers come
/// quickly, a long job is not asked about more than every few seconds.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// Calls `check` until it gives a value (or fails), pausing between calls (0.5 s doubling to
/// 5 s), for at most `deadline`: after it, [`Error::Timeout`].
pub(crate) async fn until<T, F, Fut>(deadline: Duration, check: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Error>>,
{
    until_with(deadline, LONGEST_PAUSE, check).await
}

/// [`until`] with another longest pause (a batch runs for minutes or hours: it is asked about
/// less often).
pub(crate) async fn until_with<T, F, Fut>(
    deadline: Duration,
    longest_pause: Duration,
    mut check: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Error>>,
{
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        if let Some(done) = check().await? {
            return Ok(done);
        }
        let left = deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(Error::Timeout(deadline));
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(longest_pause);
    }
}
