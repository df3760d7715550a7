//! Saved plans in SQLite.

use app::api::ports::BoxFuture;
use app::domain::execution::SavedPlan;
use rusqlite::{params, OptionalExtension};

use super::{db, from_json, to_json, SqliteStore};
use crate::store::{PlanStore, StoreResult};

impl PlanStore for SqliteStore {
    fn save_plan(&self, plan: SavedPlan) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO plans (id, cluster, created_at_ms, created_by, plan_json) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    plan.id,
                    plan.plan.spec.cluster,
                    plan.created_at_ms,
                    plan.created_by,
                    to_json(&plan.plan)?
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn plan(&self, id: String) -> BoxFuture<'_, StoreResult<Option<SavedPlan>>> {
        self.run(move |conn| {
            let row: Option<(String, i64, String, String)> = conn
                .query_row(
                    "SELECT id, created_at_ms, created_by, plan_json FROM plans WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(db)?;
            row.map(|(id, created_at_ms, created_by, plan_json)| {
                Ok(SavedPlan {
                    id,
                    created_at_ms,
                    created_by,
                    plan: from_json(&plan_json)?,
                })
            })
            .transpose()
        })
    }

    fn delete_plan(&self, id: String) -> BoxFuture<'_, StoreResult<bool>> {
        self.run(move |conn| {
            let n = conn
                .execute("DELETE FROM plans WHERE id = ?1", params![id])
                .map_err(db)?;
            Ok(n > 0)
        })
    }
}
