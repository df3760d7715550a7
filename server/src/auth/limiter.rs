//! Sign-in throttling: growing delays after failed sign-ins, per (user, address) pair, per address
//! and per user, with the attempt reserved before any password is hashed.
//!
//! Hand-written because the policy is not a rate: rate-limiting crates (governor and the like) hand
//! out tokens per key, so an attacker who keeps spending a victim's tokens locks the victim out, which
//! is the attack this module exists to stop. Here:
//! - a pair's own failures slow that pair down, doubling the delay up to `PAIR_CAP`;
//! - an address's failures (password spraying) and a user's failures from everywhere (distributed
//!   guessing) slow everyone down too, but never a pair that has signed in before: the victim at their
//!   usual address, or a colleague behind the same NAT, keeps signing in while others are delayed;
//! - each attempt is counted as a failure when it starts and forgiven if it succeeds, so parallel
//!   guesses cannot all pass a check made before any of them failed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failures older than this are forgotten.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failures allowed before a delay applies, and the longest delay, per kind of key.
struct Policy {
    free: usize,
    cap: Duration,
}

/// One person mistyping at one address: three tries, then 1 s, 2 s, 4 s ... up to the window.
const PAIR: Policy = Policy {
    free: 3,
    cap: WINDOW,
};
/// One address trying many names (a shared NAT holds several people).
const ADDRESS: Policy = Policy {
    free: 20,
    cap: WINDOW,
};
/// One name tried from many addresses; short, since it delays a victim on a new address too.
const USER: Policy = Policy {
    free: 10,
    cap: Duration::from_secs(60),
};

/// Keys remembered at most, so a flood of distinct names or addresses cannot exhaust memory.
const MAX_KEYS: usize = 100_000;
/// A refusal is audited at most this often per pair: a flood of refused attempts writes nothing more.
const AUDIT_REFUSALS_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Failures {
    times: VecDeque<Instant>,
    refusal_audited_at: Option<Instant>,
}

impl Failures {
    /// How long until the next attempt may start under `policy`.
    fn wait(&mut self, policy: &Policy, now: Instant) -> Duration {
        while self
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t) > WINDOW)
        {
            self.times.pop_front();
        }
        // The first `free` failures cost nothing; the next waits 1 s after the last, then 2 s, 4 s ...
        let Some(last) = self
            .times
            .back()
            .filter(|_| self.times.len() >= policy.free)
        else {
            return Duration::ZERO;
        };
        let over = self.times.len() - policy.free;
        let shift = u32::try_from(over).unwrap_or(u32::MAX).min(20);
        let delay = Duration::from_secs(1u64 << shift).min(policy.cap);
        delay.saturating_sub(now.duration_since(*last))
    }
}

#[derive(Default)]
struct State {
    failures: HashMap<String, Failures>,
    /// Pairs that signed in successfully, with when: exempt from address and user delays.
    known: HashMap<String, Instant>,
}

#[derive(Default, Clone)]
pub struct LoginLimiter {
    state: Arc<Mutex<State>>,
}

/// The outcome of asking to try a password.
pub enum Attempt {
    /// Go ahead; call `succeeded` if the password was right (a dropped reservation stays a failure).
    Allowed(Reservation),
    /// Wait this long. `audit` is true for the first refusal of a pair in a while.
    Refused { wait: Duration, audit: bool },
}

/// A started attempt, already counted as a failure until it succeeds.
pub struct Reservation {
    limiter: LoginLimiter,
    keys: [String; 3],
    at: Instant,
}

impl Reservation {
    /// The password was right: forgive this attempt and the pair's earlier failures, and remember
    /// the pair as known.
    pub fn succeeded(self) {
        let Ok(mut s) = self.limiter.state.lock() else {
            return;
        };
        s.failures.remove(&self.keys[0]);
        self.uncount(&mut s);
        s.known.insert(self.keys[0].clone(), self.at);
    }

    /// No password was checked (the server was too busy): the attempt does not count.
    pub fn not_checked(self) {
        if let Ok(mut s) = self.limiter.state.lock() {
            self.uncount(&mut s);
        }
    }

    fn uncount(&self, s: &mut State) {
        for key in &self.keys {
            if let Some(f) = s.failures.get_mut(key) {
                if let Some(i) = f.times.iter().rposition(|t| *t == self.at) {
                    f.times.remove(i);
                }
            }
        }
    }
}

/// The key of a client address: IPv6 clients by their /64, which one host or site usually holds whole,
/// so rotating through it buys no fresh budget.
fn address_key(address: &str) -> String {
    match address.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => address.to_owned(),
    }
}

impl LoginLimiter {
    /// Reserves an attempt for `user` from `address`, or says how long to wait.
    pub fn begin(&self, address: &str, user: &str) -> Attempt {
        self.begin_at(address, user, Instant::now())
    }

    fn begin_at(&self, address: &str, user: &str, now: Instant) -> Attempt {
        let user = user.to_lowercase();
        let address = address_key(address);
        let keys = [
            format!("p:{user}\n{address}"),
            format!("a:{address}"),
            format!("u:{user}"),
        ];
        let Ok(mut s) = self.state.lock() else {
            // A poisoned lock means a panic elsewhere; refuse rather than let guesses through.
            return Attempt::Refused {
                wait: Duration::from_secs(1),
                audit: false,
            };
        };
        make_room(&mut s, now);
        let known = s
            .known
            .get(&keys[0])
            .is_some_and(|at| now.duration_since(*at) < Duration::from_secs(30 * 24 * 3600));
        let mut wait = s
            .failures
            .entry(keys[0].clone())
            .or_default()
            .wait(&PAIR, now);
        if !known {
            for (key, policy) in [(&keys[1], &ADDRESS), (&keys[2], &USER)] {
                let w = s.failures.entry(key.clone()).or_default().wait(policy, now);
                wait = wait.max(w);
            }
        }
        if !wait.is_zero() {
            let pair = s.failures.entry(keys[0].clone()).or_default();
            let audit = pair
                .refusal_audited_at
                .is_none_or(|at| now.duration_since(at) >= AUDIT_REFUSALS_EVERY);
            if audit {
                pair.refusal_audited_at = Some(now);
            }
            return Attempt::Refused { wait, audit };
        }
        for key in &keys {
            let f = s.failures.entry(key.clone()).or_default();
            f.times.push_back(now);
            // Only the newest failures matter; a long attack keeps a bounded queue.
            while f.times.len() > ADDRESS.free + 32 {
                f.times.pop_front();
            }
        }
        Attempt::Allowed(Reservation {
            limiter: self.clone(),
            keys,
            at: now,
        })
    }
}

/// Keeps the maps under `MAX_KEYS`: quiet keys go first, then those whose last failure is oldest.
fn make_room(s: &mut State, now: Instant) {
    if s.known.len() >= MAX_KEYS {
        let cut = oldest_tenth(s.known.values().copied());
        s.known.retain(|_, at| *at > cut);
    }
    if s.failures.len() + 3 < MAX_KEYS {
        return;
    }
    s.failures.retain(|_, f| {
        f.times
            .back()
            .is_some_and(|t| now.duration_since(*t) <= WINDOW)
    });
    if s.failures.len() > MAX_KEYS - MAX_KEYS / 10 {
        // Still nearly full inside the window: forget the stalest tenth at once, so at least a tenth
        // of the room is free and the next attempts do not each pay for a scan.
        let cut = oldest_tenth(s.failures.values().filter_map(|f| f.times.back().copied()));
        s.failures
            .retain(|_, f| f.times.back().is_some_and(|t| *t > cut));
    }
}

fn oldest_tenth(times: impl Iterator<Item = Instant>) -> Instant {
    let mut times: Vec<Instant> = times.collect();
    let cut = times.len() / 10;
    match times.get(cut) {
        Some(_) => *times.select_nth_unstable(cut).1,
        None => Instant::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn try_at(l: &LoginLimiter, addr: &str, user: &str, now: Instant) -> Option<Reservation> {
        match l.begin_at(addr, user, now) {
            Attempt::Allowed(r) => Some(r),
            Attempt::Refused { .. } => None,
        }
    }

    #[test]
    fn a_pair_gets_three_tries_then_growing_delays() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..PAIR.free {
            assert!(try_at(&l, "1.1.1.1", "vera", t0).is_some());
        }
        assert!(
            try_at(&l, "1.1.1.1", "VERA", t0).is_none(),
            "names are case-blind"
        );
        let t1 = t0 + Duration::from_millis(1001);
        assert!(try_at(&l, "1.1.1.1", "vera", t1).is_some(), "after 1 s");
        // The delay doubled: 2 s after the last failure.
        assert!(try_at(&l, "1.1.1.1", "vera", t1 + Duration::from_millis(1500)).is_none());
        assert!(try_at(&l, "1.1.1.1", "vera", t1 + Duration::from_millis(2001)).is_some());
    }

    #[test]
    fn parallel_attempts_are_counted_before_any_finishes() {
        let l = LoginLimiter::default();
        let now = Instant::now();
        let held: Vec<Reservation> = (0..40)
            .filter_map(|_| try_at(&l, "1.1.1.1", "vera", now))
            .collect();
        assert_eq!(held.len(), PAIR.free);
    }

    #[test]
    fn a_victim_at_a_known_address_is_not_locked_out_by_others() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        try_at(&l, "10.0.0.1", "vera", t0).unwrap().succeeded();
        // Many failures against vera from many addresses.
        for i in 0..50 {
            let _ = try_at(&l, &format!("203.0.113.{i}"), "vera", t0);
        }
        assert!(
            try_at(&l, "203.0.113.99", "vera", t0).is_none(),
            "a stranger waits"
        );
        assert!(
            try_at(&l, "10.0.0.1", "vera", t0).is_some(),
            "vera at home does not"
        );
        // And from a new address she waits at most the user cap.
        let later = t0 + USER.cap + Duration::from_millis(1);
        assert!(try_at(&l, "198.51.100.7", "vera", later).is_some());
    }

    #[test]
    fn spraying_from_one_address_slows_strangers_not_known_colleagues() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        try_at(&l, "10.0.0.1", "olivia", t0).unwrap().succeeded();
        for i in 0..ADDRESS.free {
            let _ = try_at(&l, "10.0.0.1", &format!("u{i}"), t0);
        }
        assert!(try_at(&l, "10.0.0.1", "fresh", t0).is_none());
        assert!(try_at(&l, "10.0.0.1", "olivia", t0).is_some());
    }

    #[test]
    fn success_forgives_the_attempt_and_refusals_are_audited_sparingly() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..PAIR.free {
            let _ = try_at(&l, "1.1.1.1", "vera", t0);
        }
        let audits: Vec<bool> = (0..5)
            .map(|_| match l.begin_at("1.1.1.1", "vera", t0) {
                Attempt::Refused { audit, .. } => audit,
                Attempt::Allowed(_) => panic!("allowed"),
            })
            .collect();
        assert_eq!(audits, vec![true, false, false, false, false]);
        let t1 = t0 + Duration::from_secs(2);
        try_at(&l, "1.1.1.1", "vera", t1).unwrap().succeeded();
        for _ in 0..PAIR.free {
            assert!(try_at(&l, "1.1.1.1", "vera", t1).is_some());
        }
    }

    #[test]
    fn an_ipv6_64_is_one_address() {
        let l = LoginLimiter::default();
        let now = Instant::now();
        for i in 0..ADDRESS.free {
            let _ = try_at(&l, &format!("2001:db8:1:2::{i:x}"), &format!("u{i}"), now);
        }
        assert!(try_at(&l, "2001:db8:1:2:ffff::1", "fresh", now).is_none());
        assert!(try_at(&l, "2001:db8:1:3::1", "fresh", now).is_some());
    }

    #[test]
    fn an_attempt_not_checked_does_not_count() {
        let l = LoginLimiter::default();
        let now = Instant::now();
        for _ in 0..10 {
            try_at(&l, "1.1.1.1", "vera", now).unwrap().not_checked();
        }
        assert!(try_at(&l, "1.1.1.1", "vera", now).is_some());
    }

    #[test]
    fn a_flood_of_fresh_keys_stays_bounded() {
        let l = LoginLimiter::default();
        let now = Instant::now();
        for i in 0..MAX_KEYS {
            let addr = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            let _ = try_at(&l, &addr, "x", now);
        }
        let len = l.state.lock().unwrap().failures.len();
        assert!(len < MAX_KEYS, "{len}");
        let _ = try_at(&l, "9.9.9.9", "y", now + Duration::from_secs(1));
        assert!(l.state.lock().unwrap().failures.contains_key("a:9.9.9.9"));
    }
}
