//! Maps librdkafka errors to `AppError`: the detail is logged, the browser gets a clean variant.

use app::error::AppError;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::config::ClusterConfig;

/// How long a request to the brokers may take before we call the cluster unreachable.
pub const REQUEST_TIMEOUT_SECS: u64 = 5;

pub fn map_kafka_error(cluster: &ClusterConfig, operation: &str, err: &KafkaError) -> AppError {
    tracing::warn!(cluster = %cluster.name, operation, error = %err, "Kafka request failed");
    let Some(code) = err.rdkafka_error_code() else {
        return AppError::Kafka {
            cluster: cluster.name.clone(),
            operation: operation.into(),
            code: "client error".into(),
        };
    };
    use RDKafkaErrorCode as C;
    match code {
        C::AllBrokersDown
        | C::BrokerTransportFailure
        | C::OperationTimedOut
        | C::RequestTimedOut
        | C::Resolve
        | C::BrokerNotAvailable
        | C::NetworkException => AppError::BrokerUnreachable {
            cluster: cluster.name.clone(),
            bootstrap: cluster.bootstrap_servers.clone(),
            timeout_secs: REQUEST_TIMEOUT_SECS,
        },
        C::GroupAuthorizationFailed
        | C::TopicAuthorizationFailed
        | C::ClusterAuthorizationFailed
        | C::SaslAuthenticationFailed
        | C::Authentication => AppError::NotAuthorised {
            cluster: cluster.name.clone(),
            operation: operation.into(),
        },
        other => AppError::Kafka {
            cluster: cluster.name.clone(),
            operation: operation.into(),
            code: other.to_string(),
        },
    }
}
