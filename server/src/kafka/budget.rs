//! One time budget per retried Kafka request: every attempt of it shares the budget.
//!
//! Each admin call takes its own timeout. `retry_transient` asks again while a coordinator is
//! unavailable, and its last attempt used to get a full timeout of its own near the end of the retry
//! window: with no broker up, a describe or a preview answered after 10 s while saying "no broker
//! answered within 5 s". Inside `within`, each attempt gets what is left of one budget instead. The
//! attempts run on one blocking-pool thread with no await in between, so the budget lives in that
//! thread while `within` runs.

use std::cell::Cell;
use std::time::{Duration, Instant};

use super::errors::REQUEST_TIMEOUT_SECS;

thread_local! {
    static ENDS_AT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The whole budget of one request.
pub fn total() -> Duration {
    Duration::from_secs(REQUEST_TIMEOUT_SECS)
}

/// What is left of the running budget (the whole budget outside `within`). Never zero: an
/// exhausted budget gives librdkafka 1 ms, so the next call answers "timed out" at once.
pub fn timeout() -> Duration {
    ENDS_AT.with(|end| match end.get() {
        Some(end) => end
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1)),
        None => total(),
    })
}

/// Runs `work` (blocking librdkafka calls) with a fresh budget of `budget`.
pub fn within<T>(budget: Duration, work: impl FnOnce() -> T) -> T {
    struct Reset(Option<Instant>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let previous = self.0;
            ENDS_AT.with(|end| end.set(previous));
        }
    }
    let _reset = Reset(ENDS_AT.with(|end| end.replace(Some(Instant::now() + budget))));
    work()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_in_one_request_share_its_budget() {
        assert_eq!(timeout(), total());
        within(Duration::from_millis(200), || {
            let first = timeout();
            assert!(first <= Duration::from_millis(200));
            std::thread::sleep(Duration::from_millis(250));
            // Spent: the next call gets 1 ms and times out at once instead of waiting its own 5 s.
            assert_eq!(timeout(), Duration::from_millis(1));
        });
        assert_eq!(timeout(), total(), "the budget ends with the request");
    }

    #[test]
    fn a_panicking_request_does_not_leave_its_budget_behind() {
        let result = std::panic::catch_unwind(|| {
            within(Duration::from_millis(1), || panic!("work failed"));
        });
        assert!(result.is_err());
        assert_eq!(timeout(), total());
    }
}
