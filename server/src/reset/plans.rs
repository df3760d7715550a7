//! Saved plans (frozen spec and preview under a short id) and the group's offsets as the reference
//! tool's CSV.

use app::api::ports::Actor;
use app::domain::execution::SavedPlan;
use app::domain::offsets_csv;
use app::domain::reset::ResetSpec;
use app::error::AppResult;

use super::ResetService;
use crate::now_ms;
use crate::store::{store_error, AuditEntry};
use app::api::ports::Resets;

impl ResetService {
    pub(super) async fn save_plan_impl(
        &self,
        spec: ResetSpec,
        actor: Actor,
    ) -> AppResult<SavedPlan> {
        let plan = self.plan(&spec, None).await?;
        let saved = SavedPlan {
            id: plan_id(),
            created_at_ms: now_ms(),
            created_by: actor.name.clone(),
            plan,
        };
        self.store
            .save_plan(saved.clone())
            .await
            .map_err(store_error("save-plan"))?;
        for group in &spec.groups {
            self.audit(
                AuditEntry::new(
                    saved.created_at_ms,
                    actor.name.clone(),
                    actor.source.clone(),
                    "save-plan",
                    "saved",
                )
                .about(spec.cluster.clone(), Some(group.clone()))
                .with_detail(serde_json::json!({
                    "plan": saved.id,
                    "strategy": spec.strategy.name(),
                })),
            )
            .await;
        }
        Ok(saved)
    }

    pub(super) async fn delete_plan_impl(&self, id: String, actor: Actor) -> AppResult<()> {
        let plan = self.saved_plan(id.clone()).await?;
        let deleted = self
            .store
            .delete_plan(id.clone())
            .await
            .map_err(store_error("delete-plan"))?;
        let spec = &plan.plan.spec;
        for group in &spec.groups {
            self.audit(
                AuditEntry::new(
                    now_ms(),
                    actor.name.clone(),
                    actor.source.clone(),
                    "delete-plan",
                    if deleted { "deleted" } else { "already gone" },
                )
                .about(spec.cluster.clone(), Some(group.clone()))
                .with_detail(serde_json::json!({
                    "plan": id,
                    "created_by": plan.created_by,
                    "spec": ResetSpec { groups: vec![group.clone()], ..spec.clone() },
                })),
            )
            .await;
        }
        Ok(())
    }

    pub(super) async fn export_offsets_impl(
        &self,
        cluster: String,
        group: String,
    ) -> AppResult<String> {
        let g = self.existing_group(&cluster, &group).await?;
        Ok(offsets_csv::write_csv(
            g.committed
                .iter()
                .map(|c| (group.as_str(), c.topic.as_str(), c.partition, c.offset)),
            false,
        ))
    }
}

/// A short, unguessable-enough id for a saved plan's URL.
fn plan_id() -> String {
    let n = crate::store::random_u64();
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut id = String::with_capacity(10);
    let mut x = n;
    for _ in 0..10 {
        id.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
        x /= ALPHABET.len() as u64;
    }
    id
}
