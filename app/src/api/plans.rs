//! Server functions about reset plans: preview, save, open a saved one, export offsets as CSV.

use crate::api::codec::Json;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::console::Console;

use crate::domain::execution::{Preview, SavedPlan};
use crate::domain::reset::ResetSpec;
use crate::error::AppError;

/// The plan for `spec` on a fresh snapshot (batched reads), its fingerprint, the equivalent
/// `kafka-consumer-groups.sh` command and the plan as the tool's CSV. Changes nothing.
#[server(endpoint = "plans/preview", input = Json)]
pub async fn preview_plan(spec: ResetSpec) -> Result<Preview, AppError> {
    Console::current()?.preview(spec).await
}

/// Previews `spec` and stores the plan under a new short id (`/plans/{id}`).
#[server(endpoint = "plans/save", input = Json)]
pub async fn save_plan(spec: ResetSpec) -> Result<SavedPlan, AppError> {
    Console::current()?.save_plan(spec).await
}

/// A saved plan with its frozen inputs and preview. One naming a group the caller may not view (a
/// copy-from source included) is not found, as if it did not exist.
#[server(endpoint = "plans/get", input = Json)]
pub async fn get_plan(id: String) -> Result<SavedPlan, AppError> {
    Console::current()?.plan(id).await
}

/// The group's committed offsets as the reference tool's CSV (`topic,partition,offset`), ready for
/// `--from-file` or for a from-file plan here.
#[server(endpoint = "plans/export-offsets", input = Json)]
pub async fn export_offsets(cluster: String, group: String) -> Result<String, AppError> {
    Console::current()?.export_offsets(cluster, group).await
}

/// Most records one landing-records call reads: enough for a screen of partitions, bounded for the
/// broker (the browser asks for no more).
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
    Console::current()?
        .landing_records(cluster, group, targets)
        .await
}

/// Deletes a saved plan; its link stops working. Executions made from it keep their records.
#[server(endpoint = "plans/delete", input = Json)]
pub async fn delete_plan(id: String) -> Result<(), AppError> {
    Console::current()?.delete_plan(id).await
}
