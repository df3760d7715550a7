//! Server functions about the configured clusters.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::console::Console;

use crate::domain::ClusterSummary;
use crate::error::AppError;

/// The configured clusters the caller may see, without credentials.
#[server(endpoint = "clusters/list")]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    Console::current()?.clusters()
}

/// The cluster a page names, or the first configured one when it names none.
pub async fn cluster_or_first(cluster: Option<String>) -> Result<String, AppError> {
    match cluster {
        Some(c) => Ok(c),
        None => list_clusters()
            .await?
            .into_iter()
            .next()
            .map(|c| c.name)
            .ok_or_else(|| AppError::invalid_input("no cluster is configured")),
    }
}
