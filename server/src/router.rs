//! Builds the axum router: server-rendered pages, server functions and static files.

use std::sync::Arc;

use app::api::ports::Services;
use app::{shell, App};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::config::Config;
use crate::kafka::{GatewayError, KafkaGateway};
use crate::reset::{FaultPauses, LocalOperator, ResetService};
use crate::store::{SqliteStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Kafka(#[from] GatewayError),
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
}

/// Services for `config`: one Kafka client per cluster and the store, created once and shared by every
/// request. Executions a crash left pending are resolved in the background from here on.
/// Must be called within a Tokio runtime.
pub fn services(config: &Config) -> Result<Services, StartError> {
    services_with(config, Arc::new(KafkaGateway::new(config)?))
}

/// As `services`, over a gateway built by the caller (benchmarks turn its statistics on).
pub fn services_with(config: &Config, gateway: Arc<KafkaGateway>) -> Result<Services, StartError> {
    let store = Arc::new(SqliteStore::open(&config.data_dir.join("rewind.db"))?);
    let resets = Arc::new(ResetService::new(
        gateway.clone(),
        store,
        FaultPauses::from_env(),
    ));
    resets.spawn_recovery();
    Ok(Services {
        kafka: gateway,
        resets,
        auth: Arc::new(LocalOperator {
            name: "local operator".into(),
        }),
    })
}

/// The whole HTTP surface. Server functions and pages get `services` through Leptos context.
pub fn build(leptos_options: LeptosOptions, services: Services) -> Router {
    let routes = generate_route_list(App);
    let context = move || provide_context(services.clone());
    Router::new()
        .leptos_routes_with_context(&leptos_options, routes, context, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options)
        .layer(axum::middleware::from_fn(crate::web::same_origin))
        .layer(axum::middleware::from_fn(crate::web::security_headers))
        .layer(crate::web::body_limit())
}
