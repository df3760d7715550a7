//! `AppError`: the only error type that crosses the server-function boundary.
//!
//! Every variant carries just what an operator needs to act on; internal detail (librdkafka error
//! strings, stack context) is logged on the server and never serialised to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::access::Role;
use crate::domain::execution::ExecuteReport;
use crate::domain::reset::{MemberRef, Plan, PlanError, Refusal};
use crate::domain::GroupState;

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

    /// The brokers refused Rewind's SASL credentials for this cluster (wrong user, password or
    /// mechanism); `detail` is librdkafka's reason, which never contains the password.
    #[error("Kafka cluster '{cluster}' refused Rewind's credentials: {detail}")]
    KafkaAuthentication { cluster: String, detail: String },

    /// The TLS handshake with the cluster's brokers failed: their certificate is not signed by
    /// `ssl_ca_location`, or they refused (or missed) Rewind's client certificate. `detail` is
    /// librdkafka's reason.
    #[error("TLS connection to Kafka cluster '{cluster}' failed: {detail}")]
    KafkaTls { cluster: String, detail: String },

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

    /// The web surface refused the request before any work (a cross-site request, for one).
    #[error("Refused: {reason}")]
    Refused { reason: String },

    /// The spec cannot be planned; the message is the reference tool's where it has one.
    #[error("{error}")]
    Plan { error: PlanError },

    /// Execute refused: the group has active members that would overwrite the commit.
    #[error("{}", Refusal::Active { state: *state, members: members.clone() }.message(group))]
    GroupActive {
        group: String,
        state: GroupState,
        members: Vec<MemberRef>,
    },

    /// Execute refused: the group has no members, yet someone other than Rewind keeps committing its
    /// offsets (a consumer using assign()), and would overwrite the reset within seconds.
    #[error("Group '{group}' has no members, but its offsets were committed at {commits} different moments in the last {window_secs} s by something other than Rewind (last: {last}). A consumer that commits without joining the group (assign()) is probably running and would overwrite this reset: stop it, then execute again. Nothing was committed.")]
    HiddenCommitter {
        group: String,
        commits: usize,
        window_secs: u64,
        last: String,
    },

    /// Execute refused: Kafka changed since the preview; `plan` is the plan on the fresh snapshot.
    #[error("The offsets of group '{group}' changed since the preview; nothing was committed. Review the new plan.")]
    Drift { group: String, plan: Box<Plan> },

    /// Execute refused: another execution holds the group.
    #[error("Group '{group}' is being reset by execution {execution} ({actor}, started at {started_at}); nothing was done.")]
    ExecutionInProgress {
        group: String,
        execution: i64,
        actor: String,
        started_at: String,
    },

    /// An execution ran and did not verify; its record (backup included) is kept under `execution`.
    #[error("Execution {execution} on group '{group}' failed: {reason}")]
    ExecutionFailed {
        execution: i64,
        group: String,
        reason: String,
        /// Every group's execution so far (a multi-group execute stops at the first failure).
        report: Box<ExecuteReport>,
    },

    /// A pin past the cluster's limit of groups sampled per partition.
    #[error("Cluster '{cluster}' has {max} pinned groups already, the most Rewind samples per partition. Unpin one first.")]
    TooManyPins { cluster: String, max: usize },

    /// No valid session: sign in first (the session expired, was signed out, or never existed).
    #[error("You are not signed in, or your session has expired. Sign in again.")]
    NotSignedIn,

    /// Signed in, but no grant gives the role this needs on this cluster and group.
    #[error("{user} may not {action} on {}: that needs the {} role there.", match group { Some(g) => format!("group '{g}' of cluster '{cluster}'"), None => format!("cluster '{cluster}'") }, needs.as_str())]
    Forbidden {
        user: String,
        action: String,
        needs: Role,
        cluster: String,
        group: Option<String>,
    },

    #[error("{what} was not found.")]
    NotFound { what: String },

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
        match value {
            // On the server these mean the caller's request could not be decoded: the caller's
            // mistake (400), not the network's. (In the browser they are about answers, below.)
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                Self::invalid_input(request_decoding_message(&m))
            }
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::MissingArg(field) => {
                Self::invalid_input(format!("the request lacks the field `{field}`"))
            }
            other => AppError::Transport {
                message: other.to_string(),
            },
        }
    }
}

/// A request-decoding failure in words for the caller: the field (when the codec knows it) and what
/// was wrong, without Rust type names.
#[cfg(any(feature = "ssr", test))]
fn request_decoding_message(raw: &str) -> String {
    // serde quotes the offending value, which can be the whole request body: keep the answer short
    // (and the rewriting below linear) whatever the caller sent.
    const MAX_CHARS: usize = 300;
    let mut clipped: String = raw.trim().chars().take(MAX_CHARS).collect();
    if raw.trim().chars().nth(MAX_CHARS).is_some() {
        clipped.push_str(" ...");
    }
    // serde names the Rust type it wanted ("expected struct ResetSpec"); the caller needs the shape.
    const RUST_TYPES: [(&str, &str); 3] = [
        ("expected tuple struct ", "expected an array"),
        ("expected struct ", "expected an object"),
        ("expected enum ", "expected one of the documented values"),
    ];
    let mut text = String::with_capacity(clipped.len());
    let mut rest = clipped.as_str();
    'scan: while !rest.is_empty() {
        for (needle, plain) in RUST_TYPES {
            if let Some(after) = rest.strip_prefix(needle) {
                text.push_str(plain);
                let name = after
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                rest = &after[name..];
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            text.push(c);
        }
        rest = chars.as_str();
    }
    // Rust's primitive names mean nothing to a caller either.
    for (rust, plain) in [
        ("i64", "an integer"),
        ("i32", "an integer"),
        ("u64", "a non-negative integer"),
        ("u32", "a non-negative integer"),
        ("usize", "a non-negative integer"),
        ("f64", "a number"),
    ] {
        text = text.replace(&format!("expected {rust}"), &format!("expected {plain}"));
    }
    if text.is_empty() {
        "the request could not be read".into()
    } else {
        format!("the request could not be read: {text}")
    }
}

impl AppError {
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput {
            message: message.into(),
        }
    }

    /// The HTTP status this error answers with: 4xx for what the caller can change, 502/504 when
    /// Kafka refused or did not answer, 500 only for Rewind's own faults.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidInput { .. } => 400,
            Self::Plan { error } => error.status(),
            Self::NotSignedIn => 401,
            Self::Forbidden { .. } | Self::Refused { .. } => 403,
            Self::UnknownCluster { .. } | Self::UnknownGroup { .. } | Self::NotFound { .. } => 404,
            Self::GroupActive { .. }
            | Self::HiddenCommitter { .. }
            | Self::Drift { .. }
            | Self::ExecutionInProgress { .. }
            | Self::TooManyPins { .. } => 409,
            Self::NotAuthorised { .. }
            | Self::KafkaAuthentication { .. }
            | Self::KafkaTls { .. }
            | Self::Kafka { .. }
            | Self::ExecutionFailed { .. } => 502,
            Self::BrokerUnreachable { .. } => 504,
            Self::Internal { .. } | Self::Transport { .. } => 500,
        }
    }
}

impl From<PlanError> for AppError {
    fn from(error: PlanError) -> Self {
        Self::Plan { error }
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
            AppError::NotSignedIn,
            AppError::Forbidden {
                user: "vera".into(),
                action: "execute a reset".into(),
                needs: Role::Operator,
                cluster: "c".into(),
                group: Some("g".into()),
            },
            AppError::Refused {
                reason: "cross-site".into(),
            },
            AppError::KafkaAuthentication {
                cluster: "c".into(),
                detail: "SASL authentication error".into(),
            },
            AppError::KafkaTls {
                cluster: "c".into(),
                detail: "SSL handshake failed: certificate verify failed".into(),
            },
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
            AppError::Plan {
                error: PlanError::NoScope,
            },
            AppError::GroupActive {
                group: "g".into(),
                state: GroupState::Stable,
                members: vec![],
            },
            AppError::HiddenCommitter {
                group: "g".into(),
                commits: 3,
                window_secs: 30,
                last: "t-0 at 5 1 s ago".into(),
            },
            AppError::ExecutionInProgress {
                group: "g".into(),
                execution: 3,
                actor: "a".into(),
                started_at: "t".into(),
            },
            AppError::ExecutionFailed {
                execution: 3,
                group: "g".into(),
                reason: "r".into(),
                report: Box::default(),
            },
            AppError::NotFound { what: "w".into() },
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
            // 500 is for Rewind's own faults only.
            let internal = matches!(e, AppError::Internal { .. } | AppError::Transport { .. });
            assert_eq!(e.status() == 500, internal, "{e:?} answers {}", e.status());
            assert!((400..600).contains(&e.status()));
        }
    }

    #[test]
    fn statuses_follow_who_can_fix_it() {
        let plan = |error| AppError::Plan { error };
        assert_eq!(AppError::invalid_input("x").status(), 400);
        assert_eq!(
            plan(PlanError::UnknownTopic { topic: "t".into() }).status(),
            400
        );
        assert_eq!(
            plan(PlanError::PartitionsWithoutLeader {
                partitions: "t-0".into()
            })
            .status(),
            502
        );
        assert_eq!(AppError::NotSignedIn.status(), 401);
        assert_eq!(AppError::NotFound { what: "w".into() }.status(), 404);
        let active = AppError::GroupActive {
            group: "g".into(),
            state: GroupState::Stable,
            members: vec![],
        };
        assert_eq!(active.status(), 409);
        let down = AppError::BrokerUnreachable {
            cluster: "c".into(),
            bootstrap: "b".into(),
            timeout_secs: 5,
        };
        assert_eq!(down.status(), 504);
    }

    #[test]
    fn request_decoding_messages_name_no_rust_types() {
        assert_eq!(
            request_decoding_message(
                "spec: invalid type: string \"x\", expected struct ResetSpec at line 1 column 12"
            ),
            "the request could not be read: spec: invalid type: string \"x\", expected an object at line 1 column 12"
        );
        assert_eq!(
            request_decoding_message("strategy: expected enum Strategy"),
            "the request could not be read: strategy: expected one of the documented values"
        );
        assert_eq!(
            request_decoding_message("spec.strategy.shift: invalid type: floating point `1.5`, expected i64"),
            "the request could not be read: spec.strategy.shift: invalid type: floating point `1.5`, expected an integer"
        );
        assert_eq!(
            request_decoding_message(""),
            "the request could not be read"
        );
    }
}
