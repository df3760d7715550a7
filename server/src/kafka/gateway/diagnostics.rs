//! Why a cluster cannot be reached: SASL and TLS failures librdkafka reports on the client's main
//! queue (served here on a thread of its own), turned into errors an operator can act on.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::error::AppError;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use super::stats::{ClientCounts, RequestCounter};
use super::ClusterClient;
use crate::kafka::errors::map_native_error;
use crate::kafka::native::{self, NativeError};

/// How long a reported authentication failure explains the cluster's timeouts.
const AUTH_FAILURE_WINDOW: Duration = Duration::from_secs(120);

/// Why connections to a cluster failed before any request could be sent.
#[derive(Debug, Clone)]
pub(super) enum ConnectFailure {
    /// SASL: wrong user, password or mechanism.
    Credentials(String),
    /// TLS: the broker's certificate is not trusted, or ours was refused or missing.
    Tls(String),
}

pub(super) type LastConnectFailure = Arc<Mutex<Option<(Instant, ConnectFailure)>>>;

/// librdkafka's TLS message without the broker prefix and timing suffix, with a hint where the broker
/// refused us (librdkafka already adds one when we refuse the broker).
fn tls_reason(message: &str) -> String {
    let text = message
        .find("://")
        .and_then(|i| message[i..].find(": ").map(|j| &message[i + j + 2..]))
        .unwrap_or(message);
    let text = text.rsplit_once(" (after ").map_or(text, |(t, _)| t).trim();
    if text.contains("alert bad certificate")
        || text.contains("alert certificate required")
        || text.contains("alert unknown ca")
    {
        format!("{text} (the broker refused Rewind's client certificate, or none is configured: check ssl_certificate_location and ssl_key_location)")
    } else {
        text.to_owned()
    }
}

/// A TLS failure: librdkafka reports our own refusal of the broker as `SSL`, and the broker's alert
/// about our certificate as a transport failure carrying OpenSSL's reason.
fn is_tls_failure(code: RDKafkaErrorCode, message: &str) -> bool {
    code == RDKafkaErrorCode::SSL
        || (code == RDKafkaErrorCode::BrokerTransportFailure
            && (message.contains("SSL routines") || message.contains("SSL alert")))
}

impl ClusterClient {
    /// `map_native_error`, naming a recent authentication failure instead of "unreachable".
    pub(super) fn map_error(&self, err: &NativeError) -> AppError {
        let mapped = map_native_error(&self.config, err);
        if !matches!(mapped, AppError::BrokerUnreachable { .. }) {
            return mapped;
        }
        let recent = self
            .auth_failure
            .lock()
            .ok()
            .and_then(|f| f.clone())
            .filter(|(at, _)| at.elapsed() < AUTH_FAILURE_WINDOW);
        match recent {
            Some((_, ConnectFailure::Credentials(detail))) => AppError::KafkaAuthentication {
                cluster: self.config.name.clone(),
                detail,
            },
            Some((_, ConnectFailure::Tls(detail))) => AppError::KafkaTls {
                cluster: self.config.name.clone(),
                detail,
            },
            None => mapped,
        }
    }
}

/// Serves an admin client's main queue on a thread of its own: logs and errors go to tracing,
/// statistics update `requests`.
pub(super) fn spawn_main_queue_server(
    cluster: &str,
    admin: Arc<AdminClient<DefaultClientContext>>,
    requests: Arc<RequestCounter>,
    auth_failure: LastConnectFailure,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    let name = cluster.to_owned();
    std::thread::Builder::new().name(format!("kafka-main-{name}")).spawn(move || {
        let Ok(rk) = native::handle(admin.inner()) else { return };
        let counts = ClientCounts::default();
        native::serve_main_queue(rk, &stop, |ev| match ev {
            native::MainEvent::Stats(json) => {
                if let Err(e) = requests.observe(&counts, json.as_bytes()) {
                    tracing::debug!(cluster = %name, error = %e, "unreadable librdkafka statistics");
                }
            }
            native::MainEvent::Log { level, facility, message } => {
                if level <= 3 {
                    tracing::error!(cluster = %name, %facility, "librdkafka: {message}");
                } else {
                    tracing::warn!(cluster = %name, %facility, "librdkafka: {message}");
                }
            }
            native::MainEvent::Error { code, message } => {
                tracing::warn!(cluster = %name, %code, "librdkafka error: {message}");
                let failure = match code {
                    RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed => {
                        Some(ConnectFailure::Credentials(message.to_owned()))
                    }
                    _ if is_tls_failure(code, &message) => Some(ConnectFailure::Tls(tls_reason(&message))),
                    _ => None,
                };
                if let (Some(failure), Ok(mut f)) = (failure, auth_failure.lock()) {
                    *f = Some((Instant::now(), failure));
                }
            }
        });
    })?;
    Ok(())
}

#[cfg(test)]
mod tls_tests {
    use super::{is_tls_failure, tls_reason};
    use rdkafka::error::RDKafkaErrorCode as C;

    #[test]
    fn tls_failures_are_recognised_and_explained() {
        let refused = "ssl://127.0.0.1:19095/bootstrap: Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42 (after 0ms in state APIVERSION_QUERY)";
        assert!(is_tls_failure(C::BrokerTransportFailure, refused));
        let reason = tls_reason(refused);
        assert!(
            reason.starts_with("Receive failed: error:0A000412"),
            "{reason}"
        );
        assert!(
            reason.contains("check ssl_certificate_location"),
            "{reason}"
        );
        let untrusted = "ssl://127.0.0.1:19095/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed (install ca-certificates package) (after 2ms in state SSL_HANDSHAKE)";
        assert!(is_tls_failure(C::SSL, untrusted));
        assert!(tls_reason(untrusted).ends_with("(install ca-certificates package)"));
        assert!(!is_tls_failure(
            C::BrokerTransportFailure,
            "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused"
        ));
    }
}
