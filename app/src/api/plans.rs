//! Server functions about reset plans: preview, save, open a saved one, export offsets as CSV.

use crate::api::codec::Json;
use leptos::prelude::*;

use crate::domain::execution::{Preview, SavedPlan};
use crate::domain::reset::ResetSpec;
use crate::error::AppError;

/// The plan for `spec` on a fresh snapshot (batched reads), its fingerprint, the equivalent
/// `kafka-consumer-groups.sh` command and the plan as the tool's CSV. Changes nothing.
#[server(endpoint = "plans/preview", input = Json)]
pub async fn preview_plan(spec: ResetSpec) -> Result<Preview, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    authorize_groups(&s, Action::Preview, &spec)?;
    s.resets.preview(spec).await
}

/// Previews `spec` and stores the plan under a new short id (`/plans/{id}`).
#[server(endpoint = "plans/save", input = Json)]
pub async fn save_plan(spec: ResetSpec) -> Result<SavedPlan, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    let actor = authorize_groups(&s, Action::SavePlan, &spec)?;
    s.resets.save_plan(spec, actor).await
}

/// A saved plan with its frozen inputs and preview. One naming a group the caller may not view (a
/// copy-from source included) is not found, as if it did not exist.
#[server(endpoint = "plans/get", input = Json)]
pub async fn get_plan(id: String) -> Result<SavedPlan, AppError> {
    use crate::api::ports::services;
    let s = services()?;
    visible_plan(&s, id).await
}

#[cfg(feature = "ssr")]
async fn visible_plan(s: &crate::api::ports::Services, id: String) -> Result<SavedPlan, AppError> {
    let plan = s.resets.saved_plan(id.clone()).await?;
    let caller = s.auth.caller()?;
    let spec = &plan.plan.spec;
    if spec
        .groups_shown()
        .all(|g| caller.sees_group(&spec.cluster, g))
    {
        Ok(plan)
    } else {
        Err(AppError::NotFound {
            what: format!("Plan {id}"),
        })
    }
}

/// The group's committed offsets as the reference tool's CSV (`topic,partition,offset`), ready for
/// `--from-file` or for a from-file plan here.
#[server(endpoint = "plans/export-offsets", input = Json)]
pub async fn export_offsets(cluster: String, group: String) -> Result<String, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    s.auth.authorize(Action::Preview, &cluster, Some(&group))?;
    s.resets.export_offsets(cluster, group).await
}

/// Most records one landing-records call reads: enough for a screen of partitions, bounded for the broker.
pub const LANDING_RECORDS_MAX: usize = 500;

/// The record each partition of `group`'s plan lands on (timestamp, key, a short value preview), for up
/// to `LANDING_RECORDS_MAX` partitions, read on demand. The role is checked on `group`, so every target
/// must be on a topic that group has committed offsets on: a right on one group is not a right to read
/// any topic's records.
#[server(endpoint = "plans/landing-records", input = Json)]
pub async fn landing_records(
    cluster: String,
    group: String,
    targets: Vec<(String, i32, i64)>,
) -> Result<Vec<crate::domain::reset::LandingRecord>, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    s.auth.authorize(Action::Preview, &cluster, Some(&group))?;
    if targets.len() > LANDING_RECORDS_MAX {
        return Err(AppError::invalid_input(format!(
            "At most {LANDING_RECORDS_MAX} records are read at once; {} were asked for.",
            targets.len()
        )));
    }
    s.resets.landing_records(cluster, group, targets).await
}

/// Deletes a saved plan; its link stops working. Executions made from it keep their records.
#[server(endpoint = "plans/delete", input = Json)]
pub async fn delete_plan(id: String) -> Result<(), AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    let plan = visible_plan(&s, id.clone()).await?;
    let actor = authorize_groups(&s, Action::DeletePlan, &plan.plan.spec)?;
    s.resets.delete_plan(id, actor).await
}

/// The caller if they may do `action` on every group of `spec` (on the cluster when it names none),
/// and may view the group a copy-from plan reads: its plan, saved or refused, shows that group's
/// offsets.
#[cfg(feature = "ssr")]
pub(crate) fn authorize_groups(
    s: &crate::api::ports::Services,
    action: crate::api::ports::Action,
    spec: &ResetSpec,
) -> Result<crate::api::ports::Actor, AppError> {
    use crate::domain::reset::MAX_GROUPS_PER_PLAN;
    // Bounded before anything is checked or read: each group costs Kafka requests and a row per
    // partition in the answer.
    if spec.groups.len() > MAX_GROUPS_PER_PLAN {
        return Err(AppError::invalid_input(format!(
            "A plan resets at most {MAX_GROUPS_PER_PLAN} groups at once; this one names {}. Split it.",
            spec.groups.len()
        )));
    }
    if let Some(group) = spec.copy_source() {
        s.auth
            .authorize(crate::api::ports::Action::View, &spec.cluster, Some(group))?;
    }
    let Some((last, others)) = spec.groups.split_last() else {
        return s.auth.authorize(action, &spec.cluster, None);
    };
    for g in others {
        s.auth.authorize(action, &spec.cluster, Some(g))?;
    }
    s.auth.authorize(action, &spec.cluster, Some(last))
}
