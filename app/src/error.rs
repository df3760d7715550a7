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

    #[error("Invalid input: {0}")]
    InvalidInput(String),

    /// Something failed on the server that the caller cannot fix; the detail is in the server log.
    #[error("Internal server error (see the server log, reference {reference}).")]
    Internal { reference: String },

    /// The request never reached our code or its answer could not be read (network, encoding).
    #[error("Request failed: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
