//! The caller, the audit trail as they may see it, and local users (admins only).

use super::Console;
use crate::api::ports::Action;
use crate::domain::access::{Caller, Role};
use crate::domain::audit::{AuditEntry, AuditFilter, AuditVisibility};
use crate::domain::reset::StrategyKind;
use crate::domain::users::{UserChange, UserSummary};
use crate::error::AppResult;

impl Console {
    pub fn who_am_i(&self) -> AppResult<Caller> {
        self.caller()
    }

    /// Entries matching `filter` that the caller may see, newest first: those of groups they may view,
    /// and to admins also those that belong to no cluster (sign-ins).
    pub async fn audit_entries(&self, filter: AuditFilter) -> AppResult<Vec<AuditEntry>> {
        let caller = self.caller()?;
        let want = filter.effective_limit();
        // The store returns only entries of clusters and groups the caller's grants cover; `visible`
        // then checks what SQL cannot (every group an entry's detail names), which rarely drops any.
        let mut page = AuditFilter {
            limit: want,
            visible: Some(AuditVisibility {
                grants: caller
                    .grants
                    .iter()
                    .filter(|g| g.role >= Role::Viewer)
                    .map(|g| (g.clusters.clone(), g.groups.clone()))
                    .collect(),
                clusterless: caller.is_admin(),
            }),
            ..filter
        };
        let mut out = Vec::new();
        // Bounded: a few pages at most, whatever the trail holds.
        for _ in 0..4 {
            let batch = self.s.audit.entries(page.clone()).await?;
            let last = batch.last().map(|e| e.id);
            let full = batch.len() == page.limit;
            out.extend(batch.into_iter().filter(|e| visible(&caller, e)));
            match last {
                Some(id) if full && out.len() < want => page.before_id = Some(id),
                _ => break,
            }
        }
        out.truncate(want);
        Ok(out)
    }

    /// The same entries as `audit_entries`, as CSV for a download.
    pub async fn export_audit(&self, filter: AuditFilter) -> AppResult<String> {
        let filter = AuditFilter {
            limit: AuditFilter::MAX_LIMIT,
            ..filter
        };
        Ok(crate::domain::audit::to_csv(
            &self.audit_entries(filter).await?,
        ))
    }

    pub async fn users(&self) -> AppResult<Vec<UserSummary>> {
        self.s.auth.authorize(Action::ManageUsers, "*", Some("*"))?;
        self.s.users.list().await
    }

    pub async fn save_user(&self, change: UserChange, creating: bool) -> AppResult<UserSummary> {
        let actor = self.s.auth.authorize(Action::ManageUsers, "*", Some("*"))?;
        let change = change.normalised(creating)?;
        self.s.users.save(change, creating, actor).await
    }

    pub async fn delete_user(&self, name: String) -> AppResult<()> {
        let actor = self.s.auth.authorize(Action::ManageUsers, "*", Some("*"))?;
        self.s.users.delete(name, actor).await
    }
}

/// Whether the caller may view every group the entry names: its own group, the groups and copy-from
/// source of a spec in its detail, and each part of a group field that older versions wrote for a
/// multi-group action as one joined string (`"a, b"`, which a glob like `a*` would match whole).
fn visible(caller: &Caller, e: &AuditEntry) -> bool {
    let Some(c) = &e.cluster else {
        return caller.is_admin();
    };
    let sees = |g: Option<&str>| caller.may(Action::View, c, g);
    let joined = e.group.iter().flat_map(|g| g.split(", ")).map(Some);
    let spec = &e.detail["spec"];
    let in_spec = spec["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            (spec["strategy"]["kind"] == StrategyKind::CopyFromGroup.as_str())
                .then(|| &spec["strategy"]["group"]),
        )
        .map(|g| g.as_str());
    sees(e.group.as_deref()) && joined.chain(in_spec).all(sees)
}
