//! Password hashes: Argon2id in PHC strings, hashed and checked on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// A fresh Argon2id hash (default parameters: 19 MiB, 2 passes) with a random salt.
pub fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// `hash` on the blocking pool: Argon2 takes tens of milliseconds of CPU on purpose.
pub async fn hash_blocking(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| e.to_string())?
}

/// Whether `password` matches `phc`; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks against `phc`, or against a fixed hash when there is no such user, so the answer takes as
/// long either way and does not tell which user names exist.
/// Too many password checks were waiting: none was made.
#[derive(Debug, PartialEq, Eq)]
pub struct Busy;

pub async fn verify_blocking(password: String, phc: Option<String>) -> Result<bool, Busy> {
    // Each check holds ~19 MiB for its duration: a burst of sign-ins queues here instead of taking
    // a blocking thread (and its memory) each, and gives up after a while rather than queueing
    // without end behind a flood.
    let Ok(Ok(_permit)) = tokio::time::timeout(QUEUE_WAIT, CHECKS.acquire()).await else {
        return Err(Busy);
    };
    Ok(tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify(&password, &phc),
        None => {
            let _ = verify(&password, DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false))
}

/// Password checks running at once, at most.
const CONCURRENT_CHECKS: usize = 2;
/// How long a sign-in waits for a check to be free before it is told to retry (503).
const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_CHECKS);

/// The Argon2id hash of a random string nobody knows, for timing only.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3mM1S2Aa7ebW4ZPzW4Uu0kdwbLIHqDu3v9ZIRHr0Ux4";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = hash("correct horse").expect("hash");
        let b = hash("correct horse").expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(verify("correct horse", &a));
        assert!(!verify("wrong", &a));
        assert!(!verify("x", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
