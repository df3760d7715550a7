//! Reads many viewers share: one load in flight per thing read, its answer kept for about a second,
//! and a bound on loads at once per cluster, so broker requests follow the clock, not the viewers.
//!
//! Only what pages show goes through here. Plans, executions and their verification read Kafka
//! themselves, every time: a second-old offset is fine on screen and never fine in a commit.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::domain::groups::RecordTime;
use app::domain::GroupDetail;
use app::error::{AppError, AppResult};
use moka::future::Cache;
use tokio::sync::Semaphore;

use crate::kafka::native::GroupListings;

/// How long an answer is shown again before Kafka is asked again (pages say when it was read).
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Loads running at once per cluster; more wait their turn.
const LOADS_AT_ONCE: usize = 4;

/// Groups whose details are kept at most (a detail can be a 10,000-partition group).
const DETAILS_KEPT: u64 = 256;

/// How long the cluster's topic partition counts are reused: partitions are added rarely, and a group
/// page only needs them to list the partitions a group never committed on.
pub const TOPIC_COUNTS_FOR: Duration = Duration::from_secs(30);

/// Partition counts per topic.
pub type TopicCounts = std::collections::HashMap<String, i32>;

pub(super) struct SharedReads {
    details: Cache<String, Arc<GroupDetail>>,
    /// Record times are slower to read than the detail (a record per partition): kept as long.
    record_times: Cache<String, Arc<Vec<RecordTime>>>,
    listing: Cache<(), Arc<GroupListings>>,
    topic_counts: Cache<(), Arc<TopicCounts>>,
    loads: Semaphore,
    /// Bumped by every `forget`: a load that was already running then read Kafka before the change,
    /// and its answer is handed to those waiting for it but not kept.
    forgotten: AtomicU64,
}

impl SharedReads {
    pub(super) fn new(fresh_for: Duration) -> Self {
        Self {
            details: Cache::builder()
                .max_capacity(DETAILS_KEPT)
                .time_to_live(fresh_for)
                .build(),
            record_times: Cache::builder()
                .max_capacity(DETAILS_KEPT)
                .time_to_live(fresh_for)
                .build(),
            listing: Cache::builder()
                .max_capacity(1)
                .time_to_live(fresh_for)
                .build(),
            topic_counts: Cache::builder()
                .max_capacity(1)
                .time_to_live(TOPIC_COUNTS_FOR.max(fresh_for))
                .build(),
            loads: Semaphore::new(LOADS_AT_ONCE),
            forgotten: AtomicU64::new(0),
        }
    }

    /// The group's detail as read at most `FRESH_FOR` ago, or by the one `load` every concurrent
    /// caller waits for. A failure is shared by those waiting, never kept.
    pub(super) async fn detail(
        &self,
        group: &str,
        load: impl Future<Output = AppResult<GroupDetail>> + Send,
    ) -> AppResult<GroupDetail> {
        self.per_group(&self.details, group, load, true)
            .await
            .map(|d| GroupDetail::clone(&d))
    }

    /// The times of the records at the group's committed offsets, shared as `detail` is. Not bounded
    /// by the load permits: its load reads the group's detail, which takes one, and a load that waits
    /// for a permit while holding one can deadlock the cluster's reads.
    pub(super) async fn record_times(
        &self,
        group: &str,
        load: impl Future<Output = AppResult<Vec<RecordTime>>> + Send,
    ) -> AppResult<Vec<RecordTime>> {
        self.per_group(&self.record_times, group, load, false)
            .await
            .map(|t| Vec::clone(&t))
    }

    async fn per_group<T: Send + Sync + 'static>(
        &self,
        cache: &Cache<String, Arc<T>>,
        group: &str,
        load: impl Future<Output = AppResult<T>> + Send,
        bounded: bool,
    ) -> AppResult<Arc<T>> {
        let before = self.forgotten.load(Ordering::SeqCst);
        let answer = if bounded {
            cache
                .try_get_with(group.to_owned(), self.bounded(load))
                .await
        } else {
            cache
                .try_get_with(group.to_owned(), async { load.await.map(Arc::new) })
                .await
        };
        if self.forgotten.load(Ordering::SeqCst) != before {
            cache.invalidate(group).await;
        }
        answer.map_err(|e| AppError::clone(&e))
    }

    /// Every group of the cluster, shared as `detail` is.
    pub(super) async fn listing(
        &self,
        load: impl Future<Output = AppResult<GroupListings>> + Send,
    ) -> AppResult<Arc<GroupListings>> {
        self.listing
            .try_get_with((), self.bounded(load))
            .await
            .map_err(|e| AppError::clone(&e))
    }

    /// Every topic's partition count, read at most `TOPIC_COUNTS_FOR` ago by one shared load. Not
    /// bounded by the load permits: a group detail load, holding one, reads it.
    pub(super) async fn topic_counts(
        &self,
        load: impl Future<Output = AppResult<TopicCounts>> + Send,
    ) -> AppResult<Arc<TopicCounts>> {
        self.topic_counts
            .try_get_with((), async { load.await.map(Arc::new) })
            .await
            .map_err(|e| AppError::clone(&e))
    }

    /// Drops what is kept about `group`: after Rewind commits or deletes its offsets, the next page
    /// view shows the change at once.
    pub(super) async fn forget(&self, group: &str) {
        self.forgotten.fetch_add(1, Ordering::SeqCst);
        self.details.invalidate(group).await;
        self.record_times.invalidate(group).await;
    }

    async fn bounded<T>(&self, load: impl Future<Output = AppResult<T>>) -> AppResult<Arc<T>> {
        // The semaphore is never closed, so acquiring only waits.
        let _permit = self.loads.acquire().await.map_err(|_| AppError::Internal {
            reference: "shared-reads".into(),
        })?;
        load.await.map(Arc::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn detail(id: &str, read_at: i64) -> GroupDetail {
        GroupDetail {
            cluster: "c".into(),
            group_id: id.into(),
            state: app::domain::GroupState::Empty,
            group_type: app::domain::GroupType::Classic,
            simple: false,
            assignor: String::new(),
            coordinator: None,
            members: Vec::new(),
            partitions: Vec::new(),
            read_at,
        }
    }

    /// Review of issue 18: group details read the cluster's topic counts, and record times read the
    /// detail, inside their own loads. With every permit held by such loads, a nested load that also
    /// waited for a permit hung the cluster's reads for good.
    #[tokio::test]
    async fn loads_that_read_other_shared_reads_never_deadlock() {
        let shared = Arc::new(SharedReads::new(Duration::from_millis(300)));
        let mut viewers = tokio::task::JoinSet::new();
        for i in 0..LOADS_AT_ONCE * 3 {
            let shared = Arc::clone(&shared);
            viewers.spawn(async move {
                let group = format!("g{i}");
                let inner = Arc::clone(&shared);
                let id = group.clone();
                shared
                    .record_times(&group, async move {
                        let d = inner
                            .detail(&id, async {
                                // Every detail load holds its permit while it reads the counts.
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                inner
                                    .topic_counts(async {
                                        tokio::time::sleep(Duration::from_millis(20)).await;
                                        Ok(TopicCounts::new())
                                    })
                                    .await?;
                                Ok(detail(&id, 0))
                            })
                            .await?;
                        Ok(vec![RecordTime {
                            topic: d.group_id,
                            partition: 0,
                            offset: 0,
                            timestamp: 0,
                        }])
                    })
                    .await
            });
        }
        let all = tokio::time::timeout(Duration::from_secs(10), async {
            let mut done = 0;
            while let Some(answer) = viewers.join_next().await {
                assert!(answer.ok().is_some_and(|a| a.is_ok()));
                done += 1;
            }
            done
        })
        .await;
        assert_eq!(all, Ok(LOADS_AT_ONCE * 3), "the shared reads deadlocked");
    }

    #[tokio::test]
    async fn concurrent_readers_share_one_load_and_a_fresh_answer_is_reused() {
        let shared = Arc::new(SharedReads::new(Duration::from_millis(300)));
        let loads = Arc::new(AtomicUsize::new(0));
        let read = |at: i64| {
            let (shared, loads) = (Arc::clone(&shared), Arc::clone(&loads));
            async move {
                shared
                    .detail("g", async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(detail("g", at))
                    })
                    .await
            }
        };
        let mut viewers = tokio::task::JoinSet::new();
        for _ in 0..100 {
            viewers.spawn(read(0));
        }
        while let Some(answer) = viewers.join_next().await {
            assert_eq!(answer.ok().and_then(|a| a.ok()).map(|d| d.read_at), Some(0));
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert_eq!(read(1).await.map(|d| d.read_at), Ok(0), "still fresh");

        shared.forget("g").await;
        assert_eq!(
            read(2).await.map(|d| d.read_at),
            Ok(2),
            "forgotten after a commit"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            read(3).await.map(|d| d.read_at),
            Ok(3),
            "stale after its time"
        );
        assert_eq!(loads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_read_running_when_rewind_commits_is_not_kept() {
        let shared = Arc::new(SharedReads::new(Duration::from_secs(60)));
        let loads = Arc::new(AtomicUsize::new(0));
        let read = |at: i64, pause: u64| {
            let (shared, loads) = (Arc::clone(&shared), Arc::clone(&loads));
            async move {
                shared
                    .detail("g", async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                        Ok(detail("g", at))
                    })
                    .await
            }
        };
        let early = tokio::spawn(read(1, 200));
        tokio::time::sleep(Duration::from_millis(50)).await;
        shared.forget("g").await;
        // Those already waiting get the early read; nobody after the commit does.
        assert_eq!(
            early.await.ok().and_then(|d| d.ok()).map(|d| d.read_at),
            Some(1)
        );
        assert_eq!(read(2, 0).await.map(|d| d.read_at), Ok(2));
        assert_eq!(read(3, 0).await.map(|d| d.read_at), Ok(2), "kept again");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_reach_every_waiter_and_are_not_kept() {
        let shared = SharedReads::new(Duration::from_secs(60));
        let unreachable = AppError::BrokerUnreachable {
            cluster: "c".into(),
            bootstrap: "b".into(),
            timeout_secs: 5,
        };
        let failed = shared.detail("g", async { Err(unreachable.clone()) }).await;
        assert_eq!(failed, Err(unreachable));
        let ok = shared.detail("g", async { Ok(detail("g", 7)) }).await;
        assert_eq!(ok.map(|d| d.read_at), Ok(7));
    }
}
