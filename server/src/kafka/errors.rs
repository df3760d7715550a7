//! Maps librdkafka errors to `AppError`: the detail is logged, the browser gets a clean variant.

use app::error::AppError;
use rdkafka::error::RDKafkaErrorCode;

use super::native::NativeError;
use crate::config::ClusterConfig;

/// How long a request to the brokers may take before we call the cluster unreachable.
pub const REQUEST_TIMEOUT_SECS: u64 = 5;

pub fn map_native_error(cluster: &ClusterConfig, err: &NativeError) -> AppError {
    tracing::warn!(cluster = %cluster.name, error = %err, "Kafka admin request failed");
    map_code(cluster, err.operation, err.code)
}

fn map_code(cluster: &ClusterConfig, operation: &str, code: RDKafkaErrorCode) -> AppError {
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
            code: protocol_name(other),
        },
    }
}

/// The Kafka protocol's name for an error (`GROUP_SUBSCRIBED_TO_TOPIC`), which operators can search for,
/// derived from rdkafka's variant name.
pub fn protocol_name(code: RDKafkaErrorCode) -> String {
    // librdkafka calls the protocol's UNKNOWN_SERVER_ERROR (-1) just "Unknown".
    if code == RDKafkaErrorCode::Unknown {
        return "UNKNOWN_SERVER_ERROR".into();
    }
    let camel = format!("{code:?}");
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_are_screaming_snake_case() {
        assert_eq!(
            protocol_name(RDKafkaErrorCode::GroupSubscribedToTopic),
            "GROUP_SUBSCRIBED_TO_TOPIC"
        );
        assert_eq!(
            protocol_name(RDKafkaErrorCode::Unknown),
            "UNKNOWN_SERVER_ERROR"
        );
    }
}
