//! Server functions about the configured clusters.

use leptos::prelude::*;

use crate::domain::ClusterSummary;
use crate::error::AppError;

/// The configured clusters, without credentials.
#[server(endpoint = "clusters/list")]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    Ok(crate::api::ports::services()?.kafka.clusters())
}
