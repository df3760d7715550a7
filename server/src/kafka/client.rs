//! Turns a `ClusterConfig` into librdkafka settings.

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::ClientConfig;

use crate::config::ClusterConfig;

/// librdkafka settings for `cluster`. Secrets go straight into librdkafka and nowhere else.
pub fn client_config(cluster: &ClusterConfig) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &cluster.bootstrap_servers)
        .set("security.protocol", cluster.security_protocol.as_str())
        .set("client.id", "rewind")
        // Fail a request to a dead cluster in seconds rather than librdkafka's 30-60 s defaults,
        // so the UI can say "unreachable" while the operator is still looking.
        .set("socket.connection.setup.timeout.ms", "5000")
        .set("reconnect.backoff.max.ms", "2000")
        // librdkafka logs every failed reconnect; errors are reported through our own results.
        .set_log_level(RDKafkaLogLevel::Warning);
    if let Some(m) = &cluster.sasl_mechanism {
        cfg.set("sasl.mechanism", m);
    }
    if let Some(u) = &cluster.sasl_username {
        cfg.set("sasl.username", u);
    }
    if let Some(p) = &cluster.sasl_password {
        cfg.set("sasl.password", p.expose());
    }
    if let Some(p) = &cluster.ssl_ca_location {
        cfg.set("ssl.ca.location", p.to_string_lossy());
    }
    if let Some(p) = &cluster.ssl_certificate_location {
        cfg.set("ssl.certificate.location", p.to_string_lossy());
    }
    if let Some(p) = &cluster.ssl_key_location {
        cfg.set("ssl.key.location", p.to_string_lossy());
    }
    if let Some(p) = &cluster.ssl_key_password {
        cfg.set("ssl.key.password", p.expose());
    }
    cfg
}
