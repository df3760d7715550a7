//! `KafkaGateway`: the `KafkaReader` implementation over librdkafka.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use app::api::ports::{BoxFuture, KafkaReader};
use app::domain::{ClusterSummary, GroupList, GroupState, GroupSummary};
use app::error::{AppError, AppResult};
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;

use super::client::client_config;
use super::errors::{map_kafka_error, REQUEST_TIMEOUT_SECS};
use crate::config::{ClusterConfig, Config};

/// One cluster's long-lived client. `AdminClient` runs its own thread that polls librdkafka's queue,
/// so events never pile up while the console is idle.
struct ClusterClient {
    config: ClusterConfig,
    admin: Arc<AdminClient<DefaultClientContext>>,
}

pub struct KafkaGateway {
    clusters: BTreeMap<String, ClusterClient>,
    /// Configured order, which is the order the UI lists clusters in.
    order: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot create a Kafka client for cluster '{cluster}': {source}")]
pub struct GatewayError {
    cluster: String,
    source: KafkaError,
}

impl KafkaGateway {
    /// Creates one client per cluster. librdkafka connects lazily, so this does not need the brokers up.
    pub fn new(config: &Config) -> Result<Self, GatewayError> {
        let mut clusters = BTreeMap::new();
        let mut order = Vec::new();
        for c in &config.clusters {
            let admin: AdminClient<DefaultClientContext> =
                client_config(c).create().map_err(|source| GatewayError {
                    cluster: c.name.clone(),
                    source,
                })?;
            order.push(c.name.clone());
            clusters.insert(
                c.name.clone(),
                ClusterClient {
                    config: c.clone(),
                    admin: Arc::new(admin),
                },
            );
        }
        Ok(Self { clusters, order })
    }

    fn cluster(&self, name: &str) -> AppResult<&ClusterClient> {
        self.clusters
            .get(name)
            .ok_or_else(|| AppError::UnknownCluster {
                cluster: name.to_owned(),
            })
    }

    async fn list_groups_impl(&self, cluster: &str) -> AppResult<GroupList> {
        let client = self.cluster(cluster)?;
        let admin = Arc::clone(&client.admin);
        // rd_kafka_list_groups blocks for up to the timeout: keep it off the async workers.
        let result = tokio::task::spawn_blocking(move || {
            admin
                .inner()
                .fetch_group_list(None, Duration::from_secs(REQUEST_TIMEOUT_SECS))
                .map(|list| {
                    list.groups()
                        .iter()
                        .map(|g| GroupSummary {
                            group_id: g.name().to_owned(),
                            state: GroupState::parse(g.state()),
                            protocol_type: g.protocol_type().to_owned(),
                            members: u32::try_from(g.members().len()).unwrap_or(u32::MAX),
                        })
                        .collect::<Vec<_>>()
                })
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "group listing task failed");
            AppError::Internal {
                reference: "list-groups-join".into(),
            }
        })?;
        let mut groups = result.map_err(|e| map_kafka_error(&client.config, "ListGroups", &e))?;
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(GroupList {
            cluster: cluster.to_owned(),
            groups,
        })
    }
}

impl KafkaReader for KafkaGateway {
    fn clusters(&self) -> Vec<ClusterSummary> {
        self.order
            .iter()
            .filter_map(|n| self.clusters.get(n))
            .map(|c| ClusterSummary {
                name: c.config.name.clone(),
                bootstrap_servers: c.config.bootstrap_servers.clone(),
                security_protocol: c.config.security_protocol.as_str().to_owned(),
            })
            .collect()
    }

    fn list_groups<'a>(&'a self, cluster: &'a str) -> BoxFuture<'a, AppResult<GroupList>> {
        Box::pin(self.list_groups_impl(cluster))
    }
}
