//! Server functions about the caller and the audit trail.

use crate::api::codec::Json;
use leptos::prelude::*;

use crate::domain::access::Caller;
use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::error::AppError;

/// The signed-in caller with their grants, so pages show only what the server would allow.
#[server(endpoint = "auth/me")]
pub async fn who_am_i() -> Result<Caller, AppError> {
    crate::api::ports::services()?.auth.caller()
}

/// Audit entries matching `filter` that the caller may see, newest first: those of groups they may
/// view, and to admins also those that belong to no cluster (sign-ins).
#[server(endpoint = "audit/list", input = Json)]
pub async fn audit_entries(filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    use crate::domain::access::Role;
    use crate::domain::audit::AuditVisibility;
    let s = crate::api::ports::services()?;
    let caller = s.auth.caller()?;
    let want = filter.effective_limit();
    // The store returns only entries of clusters and groups the caller's grants cover; `visible` then
    // checks what SQL cannot (every group an entry's detail names), which rarely drops any.
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
        let batch = s.audit.entries(page.clone()).await?;
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

/// Whether the caller may view every group the entry names: its own group, the groups and copy-from
/// source of a spec in its detail, and each part of a group field that older versions wrote for a
/// multi-group action as one joined string (`"a, b"`, which a glob like `a*` would match whole).
#[cfg(feature = "ssr")]
fn visible(caller: &Caller, e: &AuditEntry) -> bool {
    let Some(c) = &e.cluster else {
        return caller.is_admin();
    };
    let sees = |g: Option<&str>| caller.may(crate::domain::access::Action::View, c, g);
    let joined = e.group.iter().flat_map(|g| g.split(", ")).map(Some);
    let spec = &e.detail["spec"];
    let in_spec = spec["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .chain((spec["strategy"]["kind"] == "copy-from-group").then(|| &spec["strategy"]["group"]))
        .map(|g| g.as_str());
    sees(e.group.as_deref()) && joined.chain(in_spec).all(sees)
}

/// The same entries as `audit_entries`, as CSV for a download.
#[server(endpoint = "audit/export", input = Json)]
pub async fn export_audit(filter: AuditFilter) -> Result<String, AppError> {
    let filter = AuditFilter {
        limit: AuditFilter::MAX_LIMIT,
        ..filter
    };
    Ok(crate::domain::audit::to_csv(&audit_entries(filter).await?))
}
