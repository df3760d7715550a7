//! Deleting a group's committed offsets for whole topics or some partitions, with the tool's rules:
//! unknown topics and partitions refused before anything is sent, one OffsetDelete, audited.

use app::api::ports::Actor;
use app::domain::execution::{DeleteOffsetsReport, DeletedOffset};
use app::domain::reset::{PlanError, TopicPartition, TopicScope};
use app::error::AppResult;

use super::ResetService;
use crate::now_ms;
use crate::store::AuditEntry;

impl ResetService {
    pub(super) async fn delete_offsets_impl(
        &self,
        cluster: String,
        group: String,
        topics: Vec<TopicScope>,
        actor: Actor,
    ) -> AppResult<DeleteOffsetsReport> {
        if topics.is_empty() {
            return Err(PlanError::NoScope.into());
        }
        let g = self.existing_group(&cluster, &group).await?;
        let names: Vec<String> = topics.iter().map(|t| t.topic.clone()).collect();
        let (partitions, missing) = self.kafka.partition_snapshots(&cluster, names).await?;
        if let Some(t) = missing.first() {
            return Err(PlanError::UnknownTopic { topic: t.clone() }.into());
        }
        let mut wanted: Vec<TopicPartition> = Vec::new();
        for t in &topics {
            match &t.partitions {
                None => wanted.extend(
                    partitions
                        .iter()
                        .filter(|p| p.topic == t.topic)
                        .map(|p| TopicPartition::new(p.topic.clone(), p.partition)),
                ),
                Some(ps) => {
                    let absent: Vec<String> = ps
                        .iter()
                        .filter(|p| {
                            !partitions
                                .iter()
                                .any(|x| x.topic == t.topic && x.partition == **p)
                        })
                        .map(|p| format!("{}-{p}", t.topic))
                        .collect();
                    if !absent.is_empty() {
                        return Err(PlanError::PartitionsDoNotExist {
                            partitions: absent.join(","),
                        }
                        .into());
                    }
                    wanted.extend(ps.iter().map(|p| TopicPartition::new(t.topic.clone(), *p)));
                }
            }
        }
        wanted.sort();
        wanted.dedup();
        let refused = self
            .kafka
            .delete_offsets(
                &cluster,
                &group,
                wanted
                    .iter()
                    .map(|tp| (tp.topic.clone(), tp.partition))
                    .collect(),
            )
            .await?;
        let report = DeleteOffsetsReport {
            cluster: cluster.clone(),
            group: group.clone(),
            partitions: wanted
                .iter()
                .map(|tp| DeletedOffset {
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    before: g.committed(tp),
                    error: refused
                        .iter()
                        .find(|r| r.topic == tp.topic && r.partition == tp.partition)
                        .map(|r| r.code.clone()),
                })
                .collect(),
        };
        let failed = report
            .partitions
            .iter()
            .filter(|p| p.error.is_some())
            .count();
        self.audit(
            AuditEntry::new(
                now_ms(),
                actor.name,
                actor.source,
                "delete-offsets",
                if failed == 0 {
                    "deleted".into()
                } else {
                    format!("{failed} of {} refused", report.partitions.len())
                },
            )
            .about(cluster, Some(group))
            .with_detail(serde_json::to_value(&report).unwrap_or_default()),
        )
        .await;
        Ok(report)
    }
}
