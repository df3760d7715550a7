//! Deliberate pauses for fault-injection tests (a SIGKILL between backup and commit, or between
//! commit and record), compiled in only with the `faults` feature: release builds cannot pause.

#[cfg(feature = "faults")]
use std::time::Duration;

/// Where an execution may be made to pause. Without the `faults` feature it holds nothing and every
/// pause returns at once; with it, `REWIND_FAULT_PAUSE_BEFORE_COMMIT_MS` and
/// `REWIND_FAULT_PAUSE_AFTER_COMMIT_MS` set the pauses (zero when unset).
#[derive(Debug, Clone, Default)]
pub struct FaultPauses {
    #[cfg(feature = "faults")]
    before_commit: Duration,
    #[cfg(feature = "faults")]
    after_commit: Duration,
}

impl FaultPauses {
    pub fn from_env() -> Self {
        #[cfg(feature = "faults")]
        {
            let ms = |name: &str| {
                std::env::var(name)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .map_or(Duration::ZERO, Duration::from_millis)
            };
            Self {
                before_commit: ms("REWIND_FAULT_PAUSE_BEFORE_COMMIT_MS"),
                after_commit: ms("REWIND_FAULT_PAUSE_AFTER_COMMIT_MS"),
            }
        }
        #[cfg(not(feature = "faults"))]
        Self::default()
    }

    /// After the backup is durable, before anything is sent to Kafka.
    pub async fn before_commit(&self) {
        #[cfg(feature = "faults")]
        pause(self.before_commit, "before commit").await;
    }

    /// After the commit, before the outcome is recorded.
    pub async fn after_commit(&self) {
        #[cfg(feature = "faults")]
        pause(self.after_commit, "after commit").await;
    }
}

#[cfg(feature = "faults")]
async fn pause(d: Duration, at: &str) {
    if !d.is_zero() {
        tracing::warn!(ms = ?d, "fault injection: pausing {at}");
        tokio::time::sleep(d).await;
    }
}
