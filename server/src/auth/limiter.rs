//! Login rate limiting: failed sign-ins counted per client address and per user name in a sliding
//! window, checked before any password is hashed.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures one address may make in the window (a shared NAT holds several people).
pub const PER_ADDRESS: usize = 20;
/// Failures against one user name in the window, from anywhere.
pub const PER_USER: usize = 5;
/// Keys remembered at most, so a flood of distinct names or addresses cannot exhaust memory: quiet
/// keys go first, then those whose last failure is oldest.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// `Some(wait)` when `address` or `user` has used up its failures.
    pub fn blocked(&self, address: &str, user: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().ok()?;
        [
            (format!("a:{address}"), PER_ADDRESS),
            (format!("u:{}", user.to_lowercase()), PER_USER),
        ]
        .into_iter()
        .filter_map(|(key, max)| {
            let q = map.get_mut(&key)?;
            while q.front().is_some_and(|t| now.duration_since(*t) > WINDOW) {
                q.pop_front();
            }
            let oldest = *q.front()?;
            (q.len() >= max).then(|| WINDOW.saturating_sub(now.duration_since(oldest)))
        })
        .max()
    }

    pub fn failed(&self, address: &str, user: &str) {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_KEYS {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= WINDOW));
        }
        if map.len() >= MAX_KEYS {
            // Still full inside the window: forget the stalest tenth at once, so the next failures
            // do not each pay for a scan.
            let mut last: Vec<Instant> = map.values().filter_map(|q| q.back().copied()).collect();
            let cut = MAX_KEYS / 10;
            last.select_nth_unstable(cut);
            let threshold = last[cut];
            map.retain(|_, q| q.back().is_some_and(|t| *t > threshold));
        }
        for key in [format!("a:{address}"), format!("u:{}", user.to_lowercase())] {
            let q = map.entry(key).or_default();
            q.push_back(now);
            // Only the newest failures matter; a long-running attack keeps a bounded queue.
            while q.len() > PER_ADDRESS {
                q.pop_front();
            }
        }
    }

    /// A successful sign-in clears that user's count (not the address's).
    pub fn succeeded(&self, user: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("u:{}", user.to_lowercase()));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;

    #[test]
    fn trips_per_user_and_per_address() {
        let l = LoginLimiter::default();
        for _ in 0..PER_USER {
            assert!(l.blocked("1.1.1.1", "vera").is_none());
            l.failed("1.1.1.1", "vera");
        }
        assert!(l.blocked("1.1.1.1", "vera").is_some());
        // Another user from another address is not affected; the same user from elsewhere is.
        assert!(l.blocked("2.2.2.2", "olivia").is_none());
        assert!(l.blocked("2.2.2.2", "VERA").is_some());
        for i in 0..PER_ADDRESS {
            l.failed("3.3.3.3", &format!("u{i}"));
        }
        assert!(l.blocked("3.3.3.3", "fresh").is_some());
        l.succeeded("vera");
        assert!(l.blocked("2.2.2.2", "vera").is_none());
    }

    #[test]
    fn a_flood_of_fresh_keys_stays_bounded() {
        let l = LoginLimiter::default();
        for i in 0..MAX_KEYS {
            l.failed(
                &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                "x",
            );
        }
        assert!(l.failures.lock().unwrap().len() <= MAX_KEYS);
        l.failed("9.9.9.9", "y");
        let len = l.failures.lock().unwrap().len();
        assert!(len < MAX_KEYS, "{len}");
        // The newest failures survive the cut.
        assert!(l.failures.lock().unwrap().contains_key("a:9.9.9.9"));
    }
}
