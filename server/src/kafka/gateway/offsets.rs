//! `OffsetsGateway` for `KafkaGateway`: the snapshot reads and the commits and deletes resets make.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use app::api::ports::BoxFuture;
use app::domain::reset::{
    CommittedOffset, GroupSnapshot, LandingRecord, MemberRef, PartitionSnapshot, TimeFound,
};
use app::domain::GroupState;
use app::error::{AppError, AppResult};
use rdkafka::types::RDKafkaErrorCode;

use super::super::errors::protocol_name;
use super::{group_type, is_transient, native, retry_transient, timeout, KafkaGateway, OffsetSpec};
use crate::reset::port::{OffsetsGateway, PartitionError};

/// Committed-offset fetches in flight at once for a many-group snapshot.
const SNAPSHOT_IN_FLIGHT: usize = 32;

fn partition_errors(refused: Vec<(String, i32, RDKafkaErrorCode)>) -> Vec<PartitionError> {
    refused
        .into_iter()
        .map(|(topic, partition, code)| PartitionError {
            topic,
            partition,
            code: protocol_name(code),
        })
        .collect()
}

impl OffsetsGateway for KafkaGateway {
    fn bootstrap(&self, cluster: &str) -> AppResult<String> {
        Ok(self.cluster(cluster)?.config.bootstrap_servers.clone())
    }

    fn group_snapshots<'a>(
        &'a self,
        cluster: &'a str,
        groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<GroupSnapshot>>> {
        Box::pin(async move {
            let client = self.cluster(cluster)?;
            let ids = groups.clone();
            let (descs, committed) = self
                .blocking(client, "group-snapshots", move |admin| {
                    let rk = native::handle(admin.inner())?;
                    let descs = retry_transient(|| {
                        let d = native::describe_consumer_groups(rk, &ids, timeout())?;
                        match d.iter().find_map(|g| g.error.clone()) {
                            Some(e) if is_transient(e.code) => Err(e),
                            _ => Ok(d),
                        }
                    })?;
                    let committed = retry_transient(|| {
                        let c = native::list_committed_offsets(
                            rk,
                            &ids,
                            timeout(),
                            SNAPSHOT_IN_FLIGHT,
                        )?;
                        match c.iter().find_map(|r| r.as_ref().err()) {
                            Some(e) if is_transient(e.code) => Err(e.clone()),
                            _ => Ok(c),
                        }
                    })?;
                    Ok((descs, committed))
                })
                .await?;
            let mut out = Vec::with_capacity(groups.len());
            for ((group, desc), committed) in groups.into_iter().zip(descs).zip(committed) {
                let committed = committed.map_err(|e| client.map_error(&e))?;
                let not_found = desc
                    .error
                    .as_ref()
                    .is_some_and(|e| e.code == RDKafkaErrorCode::GroupIdNotFound);
                if let Some(e) = desc.error.as_ref().filter(|_| !not_found) {
                    return Err(client.map_error(e));
                }
                let mut offsets: Vec<CommittedOffset> = committed
                    .into_iter()
                    .filter_map(|c| {
                        Some(CommittedOffset {
                            offset: c.offset?,
                            metadata: c.metadata.unwrap_or_default(),
                            topic: c.topic,
                            partition: c.partition,
                        })
                    })
                    .collect();
                offsets.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
                let state = if not_found {
                    GroupState::Dead
                } else {
                    GroupState::parse(desc.state)
                };
                // The broker describes a group it does not know as Dead; with no offsets, it is new.
                let exists = !(state == GroupState::Dead && offsets.is_empty());
                out.push(GroupSnapshot {
                    group,
                    state,
                    group_type: group_type(desc.group_type),
                    exists,
                    members: desc
                        .members
                        .into_iter()
                        .map(|m| MemberRef {
                            member_id: m.member_id,
                            client_id: m.client_id,
                            host: m.host,
                        })
                        .collect(),
                    committed: offsets,
                });
            }
            Ok(out)
        })
    }

    fn partition_snapshots<'a>(
        &'a self,
        cluster: &'a str,
        topics: Vec<String>,
    ) -> BoxFuture<'a, AppResult<(Vec<PartitionSnapshot>, Vec<String>)>> {
        Box::pin(async move {
            let client = self.cluster(cluster)?;
            if topics.is_empty() {
                return Ok((Vec::new(), Vec::new()));
            }
            // Leaders first (the log bounds are asked of them), then both bounds at once.
            let (found, missing, led) = self
                .blocking(client, "partition-snapshots", move |admin| {
                    let wanted: BTreeSet<String> = topics.into_iter().collect();
                    // All topics: asking for named ones could auto-create them on brokers that allow it.
                    let metadata = admin
                        .inner()
                        .fetch_metadata(None, timeout())
                        .map_err(native::NativeError::from_kafka("Metadata"))?;
                    let mut found: BTreeMap<(String, i32), Option<i32>> = BTreeMap::new();
                    for t in metadata.topics() {
                        if !wanted.contains(t.name()) || t.error().is_some() {
                            continue;
                        }
                        for p in t.partitions() {
                            let leader =
                                (p.leader() >= 0 && p.error().is_none()).then_some(p.leader());
                            found.insert((t.name().to_owned(), p.id()), leader);
                        }
                    }
                    let present: BTreeSet<&str> = found.keys().map(|(t, _)| t.as_str()).collect();
                    let missing: Vec<String> = wanted
                        .iter()
                        .filter(|t| !present.contains(t.as_str()))
                        .cloned()
                        .collect();
                    let led: Vec<(String, i32)> = found
                        .iter()
                        .filter(|(_, l)| l.is_some())
                        .map(|(k, _)| k.clone())
                        .collect();
                    Ok((found, missing, led))
                })
                .await?;
            let (earliest, latest) = self.log_bounds(client, Arc::new(led)).await?;
            let mut parts: BTreeMap<(String, i32), PartitionSnapshot> = found
                .into_iter()
                .map(|((topic, partition), leader)| {
                    (
                        (topic.clone(), partition),
                        PartitionSnapshot {
                            topic,
                            partition,
                            leader,
                            log_start: None,
                            log_end: None,
                        },
                    )
                })
                .collect();
            for o in earliest {
                if let Some(p) = parts.get_mut(&(o.topic, o.partition)) {
                    p.log_start = o.offset;
                }
            }
            for o in latest {
                if let Some(p) = parts.get_mut(&(o.topic, o.partition)) {
                    p.log_end = o.offset;
                }
            }
            let partitions = parts.into_values().collect::<Vec<_>>();
            Ok((partitions, missing))
        })
    }

    fn offsets_for_time<'a>(
        &'a self,
        cluster: &'a str,
        partitions: Vec<(String, i32)>,
        at_ms: i64,
    ) -> BoxFuture<'a, AppResult<Vec<TimeFound>>> {
        Box::pin(async move {
            let client = self.cluster(cluster)?;
            let listed = self
                .blocking(client, "offsets-for-time", move |admin| {
                    let rk = native::handle(admin.inner())?;
                    native::list_offsets(rk, &partitions, OffsetSpec::Timestamp(at_ms), timeout())
                })
                .await?;
            let mut found = Vec::with_capacity(listed.len());
            for o in listed {
                // -1 ("no record at or after the instant") comes back as an offset of None with no
                // error; librdkafka's failed sub-request marker is an error and must not pass as -1.
                if let Some(code) = o.error {
                    return Err(AppError::Kafka {
                        cluster: cluster.to_owned(),
                        operation: "ListOffsets".into(),
                        code: format!("{} for {}-{}", protocol_name(code), o.topic, o.partition),
                    });
                }
                found.push(TimeFound {
                    topic: o.topic,
                    partition: o.partition,
                    offset: o.offset,
                    timestamp: o.offset.and(o.timestamp),
                });
            }
            found.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
            Ok(found)
        })
    }

    fn commit_offsets<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
        offsets: Vec<(String, i32, i64)>,
        metadata: &'a str,
    ) -> BoxFuture<'a, AppResult<Vec<PartitionError>>> {
        Box::pin(async move {
            let client = self.cluster(cluster)?;
            let request = vec![(group.to_owned(), offsets)];
            let metadata = metadata.to_owned();
            let outcome = self
                .blocking(client, "commit-offsets", move |admin| {
                    let rk = native::handle(admin.inner())?;
                    native::alter_committed_offsets(rk, &request, Some(&metadata), timeout(), 1)?
                        .into_iter()
                        .next()
                        .unwrap_or_else(|| Ok(Vec::new()))
                })
                .await;
            // Even a failed commit may have landed: pages read the group again.
            client.shared.forget(group).await;
            Ok(partition_errors(outcome?))
        })
    }

    fn delete_offsets<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
        partitions: Vec<(String, i32)>,
    ) -> BoxFuture<'a, AppResult<Vec<PartitionError>>> {
        Box::pin(async move {
            let client = self.cluster(cluster)?;
            let group_id = group.to_owned();
            let outcome = self
                .blocking(client, "delete-offsets", move |admin| {
                    let rk = native::handle(admin.inner())?;
                    Ok(native::delete_committed_offsets(
                        rk,
                        &group_id,
                        &partitions,
                        timeout(),
                    ))
                })
                .await;
            client.shared.forget(group).await;
            match outcome? {
                Ok(refused) => Ok(partition_errors(refused)),
                Err(e) if e.code == RDKafkaErrorCode::GroupIdNotFound => {
                    Err(AppError::UnknownGroup {
                        cluster: cluster.to_owned(),
                        group: group.to_owned(),
                    })
                }
                Err(e) => Err(client.map_error(&e)),
            }
        })
    }

    fn recent_commits<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
        since_ms: i64,
    ) -> BoxFuture<'a, AppResult<crate::reset::port::RecentCommits>> {
        Box::pin(self.recent_commits_impl(cluster, group, since_ms))
    }

    fn record_timestamps<'a>(
        &'a self,
        cluster: &'a str,
        wanted: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'a, HashMap<(String, i32), i64>> {
        Box::pin(async move {
            let Ok(client) = self.cluster(cluster) else {
                return HashMap::new();
            };
            if wanted.is_empty() {
                return HashMap::new();
            }
            super::record_timestamps(&client.readers, wanted).await
        })
    }

    fn landing_records<'a>(
        &'a self,
        cluster: &'a str,
        wanted: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'a, AppResult<Vec<LandingRecord>>> {
        Box::pin(async move {
            let client = self.cluster(cluster)?;
            let mut records: Vec<LandingRecord> = super::landing_records(&client.readers, wanted)
                .await
                .into_values()
                .collect();
            records.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
            Ok(records)
        })
    }
}
