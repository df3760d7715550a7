//! The service interface the server functions call; the `server` crate provides the implementation.
//!
//! Keeping it a trait lets server functions stay free of rdkafka (which never compiles to wasm) and lets
//! the server swap implementations (for example a second store backend) without touching the app.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::domain::{ClusterSummary, GroupDetail, GroupLag, GroupPage, GroupQuery};
use crate::error::{AppError, AppResult};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Read access to the configured Kafka clusters.
pub trait KafkaReader: Send + Sync + 'static {
    fn clusters(&self) -> Vec<ClusterSummary>;
    /// One page of the cluster's consumer groups; only that page's groups are described.
    fn list_groups<'a>(
        &'a self,
        cluster: &'a str,
        query: GroupQuery,
    ) -> BoxFuture<'a, AppResult<GroupPage>>;
    /// Total lag and topics of each of `groups` (at most a page of them), in their order.
    fn group_lags<'a>(
        &'a self,
        cluster: &'a str,
        groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<GroupLag>>>;
    /// A group's members and, per partition, committed offset, log start and log end.
    fn describe_group<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, AppResult<GroupDetail>>;
}

/// Everything a server function may use, provided once per request through Leptos context.
#[derive(Clone)]
pub struct Services {
    pub kafka: Arc<dyn KafkaReader>,
}

/// The services of this request. Missing context is a wiring bug on the server, not a user error,
/// so it is logged and reported as `Internal`.
pub fn services() -> AppResult<Services> {
    leptos::prelude::use_context::<Services>().ok_or_else(|| {
        tracing::error!(
            "Services missing from the Leptos context: the router was built without them"
        );
        AppError::Internal {
            reference: "services-missing".into(),
        }
    })
}
