//! `AppError`: the only error type that crosses the server-function boundary.
//!
//! Every variant carries just what an operator needs to act on; internal detail (librdkafka error
//! strings, stack context) is logged on the server and never serialised to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("No cluster named '{cluster}' is configured.")]
    UnknownCluster { cluster: String },

    #[error("Consumer group '{group}' does not exist on cluster '{cluster}'.")]
    UnknownGroup { cluster: String, group: String },

    #[error(
        "Cannot reach Kafka cluster '{cluster}' at {bootstrap}: no broker answered within {timeout_secs} s."
    )]
    BrokerUnreachable {
        cluster: String,
        bootstrap: String,
        timeout_secs: u64,
    },

    #[error("Kafka cluster '{cluster}' refused the request: not authorised ({operation}).")]
    NotAuthorised { cluster: String, operation: String },

    /// A Kafka error we have no more specific variant for; `code` is the protocol error name
    /// (for example `COORDINATOR_NOT_AVAILABLE`), which is safe to show and searchable.
    #[error("Kafka cluster '{cluster}' answered {operation} with error {code}.")]
    Kafka {
        cluster: String,
        operation: String,
        code: String,
    },

    #[error("Invalid input: {message}")]
    InvalidInput { message: String },

    /// Something failed on the server that the caller cannot fix; the detail is in the server log.
    #[error("Internal server error (see the server log, reference {reference}).")]
    Internal { reference: String },

    /// The request never reached our code or its answer could not be read (network, encoding).
    #[error("Request failed: {message}")]
    Transport { message: String },
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport {
            message: value.to_string(),
        }
    }
}

impl AppError {
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput {
            message: message.into(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant must survive the wire: an internally tagged enum cannot carry a bare newtype,
    /// and a variant that fails to serialise makes the server panic while answering.
    #[test]
    fn every_variant_round_trips_through_json() {
        let all = vec![
            AppError::UnknownCluster {
                cluster: "c".into(),
            },
            AppError::UnknownGroup {
                cluster: "c".into(),
                group: "g".into(),
            },
            AppError::BrokerUnreachable {
                cluster: "c".into(),
                bootstrap: "b:1".into(),
                timeout_secs: 5,
            },
            AppError::NotAuthorised {
                cluster: "c".into(),
                operation: "op".into(),
            },
            AppError::Kafka {
                cluster: "c".into(),
                operation: "op".into(),
                code: "X".into(),
            },
            AppError::invalid_input("bad"),
            AppError::Internal {
                reference: "r".into(),
            },
            AppError::Transport {
                message: "t".into(),
            },
        ];
        for e in all {
            // `ser` panics when a variant cannot be serialised; `de` must give the same value back.
            let back = AppError::de(e.ser());
            assert_eq!(back, e);
        }
    }
}
