//! Builds the axum router: server-rendered pages, server functions and static files.

use std::sync::Arc;

use app::api::ports::Services;
use app::{shell, App};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::config::Config;
use crate::kafka::{GatewayError, KafkaGateway};

/// Services for `config`: one Kafka client per cluster, created once and shared by every request.
pub fn services(config: &Config) -> Result<Services, GatewayError> {
    Ok(Services {
        kafka: Arc::new(KafkaGateway::new(config)?),
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
}
