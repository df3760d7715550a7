//! Server functions about consumer groups.

use leptos::prelude::*;

use crate::domain::GroupList;
use crate::error::AppError;

/// Every consumer group of `cluster`, with its state and member count, read from the brokers.
#[server(endpoint = "groups/list")]
pub async fn list_groups(cluster: String) -> Result<GroupList, AppError> {
    crate::api::ports::services()?
        .kafka
        .list_groups(&cluster)
        .await
}
