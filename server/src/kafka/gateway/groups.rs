//! The groups list and a group's page, read from Kafka: the listing (shared by concurrent viewers),
//! the page's descriptions, and a group's description, commits and log bounds. The rules that page,
//! order and merge them are `app::domain::groups`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use app::domain::groups::{
    add_uncommitted, cut_page, exists, lag_time_targets, partition_rows, set_log_bound, LogBound,
    RecordTime,
};
use app::domain::{
    BrokerNode, GroupDetail, GroupMember, GroupPage, GroupQuery, GroupSort, GroupState,
    GroupSummary, LagIndexInfo,
};
use app::error::{AppError, AppResult};
use rdkafka::types::RDKafkaErrorCode;

use super::coalesce::TopicCounts;
use super::lag_index::{committed_rows, LAG_INDEX_TTL};
use super::many_groups::describe_groups;
use super::records::record_timestamps;
use super::{group_type, is_transient, retry_transient, timeout, ClusterClient, KafkaGateway};
use crate::kafka::native;
use crate::now_ms;

impl KafkaGateway {
    pub(super) async fn list_groups_impl(
        &self,
        cluster: &str,
        query: GroupQuery,
    ) -> AppResult<GroupPage> {
        let client = self.cluster(cluster)?;
        let cluster_name = cluster.to_owned();
        // Sorting by lag uses the newest complete index; a stale or missing one is rebuilt meanwhile.
        let snapshot = if query.sort == GroupSort::Lag {
            let snapshot = client
                .lag_index
                .lock()
                .ok()
                .and_then(|i| i.snapshot.clone());
            if snapshot
                .as_ref()
                .is_none_or(|s| s.taken.elapsed() > LAG_INDEX_TTL)
            {
                self.start_lag_index_build(client);
            }
            snapshot
        } else {
            None
        };
        let lag_index = (query.sort == GroupSort::Lag).then(|| LagIndexInfo {
            as_of: snapshot.as_ref().map(|s| s.as_of_ms),
            building: client.lag_index.lock().ok().and_then(|i| i.building),
        });
        let listing = client
            .shared
            .listing(self.blocking(client, "list-groups", |admin| {
                let rk = native::handle(admin.inner())?;
                retry_transient(|| {
                    let listing = native::list_consumer_groups(rk, timeout())?;
                    // No broker answered at all: that is an error, not an empty cluster.
                    match listing.errors.first() {
                        Some(e) if listing.groups.is_empty() => Err(e.clone()),
                        _ => Ok(listing),
                    }
                })
            }))
            .await?;
        self.blocking(client, "describe-page", move |admin| {
            let warnings: Vec<String> = listing
                .errors
                .iter()
                .map(|e| format!("{} ({})", e.code, e.operation))
                .collect();
            let states: Vec<GroupState> = listing
                .groups
                .iter()
                .map(|g| GroupState::parse(g.state))
                .collect();
            let indexed: Vec<(usize, &native::GroupListing)> =
                listing.groups.iter().enumerate().collect();
            let cut = cut_page(
                &indexed,
                |(i, g)| (g.group_id.as_str(), states[*i]),
                &query,
                match query.sort {
                    GroupSort::Growth => query.order.as_ref(),
                    _ => snapshot.as_ref().map(|s| &s.lags),
                },
            );
            // Only the visible page is described, one request per coordinator: member counts for
            // 50,000 groups would cost a DescribeGroups per group coordinator.
            let ids: Vec<String> = cut.page.iter().map(|(_, g)| g.group_id.clone()).collect();
            let described: HashMap<String, native::GroupDescription> =
                describe_groups(admin, &ids)?
                    .into_iter()
                    .flatten()
                    .map(|d| (d.group_id.clone(), d))
                    .collect();
            let groups = cut
                .page
                .iter()
                .map(|(i, g)| {
                    let d = described.get(&g.group_id).filter(|d| d.error.is_none());
                    GroupSummary {
                        group_id: g.group_id.clone(),
                        // The description is newer than the listing.
                        state: d.map_or(states[*i], |d| GroupState::parse(d.state)),
                        group_type: group_type(d.map_or(g.group_type, |d| d.group_type)),
                        simple: d.map_or(g.simple, |d| d.simple),
                        members: d.map(|d| u32::try_from(d.members.len()).unwrap_or(u32::MAX)),
                        coordinator: d.and_then(|d| d.coordinator.as_ref().map(|n| n.id)),
                    }
                })
                .collect();
            Ok(GroupPage {
                cluster: cluster_name,
                total: cut.total,
                matched: cut.matched,
                state_counts: cut.state_counts,
                page: query.page,
                page_size: cut.page_size,
                groups,
                warnings,
                lag_index,
            })
        })
        .await
    }

    /// The group as its page shows it, read at most `FRESH_FOR` ago: viewers of one group share reads.
    pub(super) async fn describe_group_impl(
        &self,
        cluster: &str,
        group: &str,
    ) -> AppResult<GroupDetail> {
        let client = self.cluster(cluster)?;
        client
            .shared
            .detail(group, self.read_group_detail(client, group))
            .await
    }

    /// When the records at the group's committed offsets (as its page shows them) were written,
    /// shared by concurrent viewers like the page itself.
    pub(super) async fn record_times_impl(
        &self,
        cluster: &str,
        group: &str,
    ) -> AppResult<Vec<RecordTime>> {
        let client = self.cluster(cluster)?;
        client
            .shared
            .record_times(group, async move {
                // Read (or shared) only when the times are: a cached answer needs no detail.
                let detail = self.describe_group_impl(cluster, group).await?;
                // Only a committed offset that still has a record to read has a time.
                let wanted = lag_time_targets(detail.partitions.iter());
                let offsets: HashMap<(String, i32), i64> = wanted
                    .iter()
                    .map(|(t, p, o)| ((t.clone(), *p), *o))
                    .collect();
                if wanted.is_empty() {
                    return Ok(Vec::new());
                }
                let mut times: Vec<RecordTime> = record_timestamps(&client.readers, wanted)
                    .await
                    .into_iter()
                    .filter_map(|((topic, partition), timestamp)| {
                        let offset = *offsets.get(&(topic.clone(), partition))?;
                        Some(RecordTime {
                            topic,
                            partition,
                            offset,
                            timestamp,
                        })
                    })
                    .collect();
                times.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
                Ok(times)
            })
            .await
    }

    /// Every topic's partition count, shared by the cluster's page views for `TOPIC_COUNTS_FOR`. All
    /// topics in one request: naming topics could auto-create them on brokers that allow it.
    async fn topic_counts(&self, client: &ClusterClient) -> AppResult<Arc<TopicCounts>> {
        client
            .shared
            .topic_counts(self.blocking(client, "topic-counts", |admin| {
                let metadata = admin
                    .inner()
                    .fetch_metadata(None, timeout())
                    .map_err(native::NativeError::from_kafka("Metadata"))?;
                Ok(metadata
                    .topics()
                    .iter()
                    .filter(|t| t.error().is_none())
                    .map(|t| {
                        let n = i32::try_from(t.partitions().len()).unwrap_or(i32::MAX);
                        (t.name().to_owned(), n)
                    })
                    .collect())
            }))
            .await
    }

    async fn read_group_detail(
        &self,
        client: &ClusterClient,
        group: &str,
    ) -> AppResult<GroupDetail> {
        let started = Instant::now();
        let cluster = client.config.name.as_str();
        // The group, its offsets and the topics' partition counts are independent reads: asked
        // together, not one after the other.
        let (describe_id, offsets_id) = ([group.to_owned()], [group.to_owned()]);
        let group_reads = async {
            tokio::try_join!(
                self.blocking(client, "describe-group", move |admin| {
                    let rk = native::handle(admin.inner())?;
                    retry_transient(|| {
                        let d = native::describe_consumer_groups(rk, &describe_id, timeout())?
                            .into_iter()
                            .next();
                        match d.as_ref().and_then(|g| g.error.clone()) {
                            Some(e) if is_transient(e.code) => Err(e),
                            _ => Ok(d),
                        }
                    })
                }),
                self.blocking(client, "committed-offsets", move |admin| {
                    let rk = native::handle(admin.inner())?;
                    retry_transient(|| {
                        native::list_committed_offsets(rk, &offsets_id, timeout(), 1)?
                            .into_iter()
                            .next()
                            .unwrap_or_else(|| Ok(Vec::new()))
                    })
                }),
            )
        };
        let (group_reads, counts) = tokio::join!(group_reads, self.topic_counts(client));
        let (desc, committed) = group_reads?;
        let unknown = || AppError::UnknownGroup {
            cluster: cluster.to_owned(),
            group: group.to_owned(),
        };
        let desc = desc.ok_or_else(unknown)?;
        if let Some(e) = &desc.error {
            return Err(match e.code {
                RDKafkaErrorCode::GroupIdNotFound => unknown(),
                _ => client.map_error(e),
            });
        }
        let state = GroupState::parse(desc.state);
        if !exists(state, !committed.is_empty()) {
            return Err(unknown());
        }

        let members: Vec<GroupMember> = desc
            .members
            .iter()
            .map(|m| GroupMember {
                member_id: m.member_id.clone(),
                client_id: m.client_id.clone(),
                host: m.host.clone(),
                group_instance_id: m.group_instance_id.clone(),
                assignment: m.assignment.clone(),
            })
            .collect();
        let mut rows = partition_rows(&members, committed_rows(committed));
        match counts {
            Ok(counts) => add_uncommitted(&mut rows, |t| counts.get(t).copied()),
            // The committed rows still stand; only the never-committed ones are missing.
            Err(e) => {
                tracing::warn!(cluster, error = %e, "no topic partition counts: never-committed partitions are not listed")
            }
        }

        let keys: Arc<Vec<(String, i32)>> = Arc::new(rows.keys().cloned().collect());
        let (earliest, latest) = self.log_bounds(client, keys).await?;
        let by_key = |offsets: Vec<native::ListedOffset>| {
            offsets
                .into_iter()
                .map(|o| ((o.topic, o.partition), o.offset))
        };
        set_log_bound(&mut rows, LogBound::Start, by_key(earliest));
        set_log_bound(&mut rows, LogBound::End, by_key(latest));
        // Lag in time is not read here: it costs a record per partition (seconds for a wide group),
        // and the page shows everything else at once. `record_times` reads it after.

        tracing::debug!(cluster, group, elapsed = ?started.elapsed(), "described a group");
        Ok(GroupDetail {
            cluster: cluster.to_owned(),
            group_id: group.to_owned(),
            state,
            group_type: group_type(desc.group_type),
            simple: desc.simple,
            assignor: desc.assignor,
            coordinator: desc.coordinator.map(|n| BrokerNode {
                id: n.id,
                host: n.host,
                port: n.port,
            }),
            members,
            partitions: rows.into_values().collect(),
            read_at: now_ms(),
        })
    }
}
