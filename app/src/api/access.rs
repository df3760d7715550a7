//! Server functions about the caller and the audit trail.

use crate::api::codec::Json;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::console::Console;

use crate::domain::access::Caller;
use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::error::AppError;

/// The signed-in caller with their grants, so pages show only what the server would allow.
#[server(endpoint = "auth/me")]
pub async fn who_am_i() -> Result<Caller, AppError> {
    Console::current()?.who_am_i()
}

/// Audit entries matching `filter` that the caller may see, newest first: those of groups they may
/// view, and to admins also those that belong to no cluster (sign-ins).
#[server(endpoint = "audit/list", input = Json)]
pub async fn audit_entries(filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    Console::current()?.audit_entries(filter).await
}

/// The same entries as `audit_entries`, as CSV for a download.
#[server(endpoint = "audit/export", input = Json)]
pub async fn export_audit(filter: AuditFilter) -> Result<String, AppError> {
    Console::current()?.export_audit(filter).await
}
