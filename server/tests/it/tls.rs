//! Kafka over TLS with a client certificate: Rewind reads a cluster through the test broker's SSL
//! listener, which requires one, with the CA, certificate and encrypted key a deployment would
//! configure; a CA that did not sign the broker, or no client certificate, gets a specific error.
//!
//! `scripts/kafka.sh` makes a throwaway CA, the broker's and a client certificate in the broker's
//! data dir; `scripts/test.sh` exports `REWIND_TEST_TLS_BOOTSTRAP`, `REWIND_TEST_TLS_DIR` and
//! `REWIND_TEST_TLS_KEY_PASSWORD`.

use crate::support::{commit_offsets, create_topic, unique, TestServer};
use app::domain::GroupPage;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the TLS tests through scripts/test.sh"))
}

/// A cluster on the SSL listener; `ca` names a file of the TLS dir, `client` whether to present
/// the client certificate.
fn tls_cluster(name: &str, ca: &str, client: bool) -> String {
    let dir = env("REWIND_TEST_TLS_DIR");
    let mut toml = format!(
        "[[clusters]]\nname = \"{name}\"\nbootstrap_servers = \"{}\"\nsecurity_protocol = \"SSL\"\n\
         ssl_ca_location = \"{dir}/{ca}\"\n",
        env("REWIND_TEST_TLS_BOOTSTRAP")
    );
    if client {
        toml.push_str(&format!(
            "ssl_certificate_location = \"{dir}/client.pem\"\nssl_key_location = \"{dir}/client.key\"\n\
             ssl_key_password_env = \"REWIND_TEST_TLS_KEY_PASSWORD\"\n"
        ));
    }
    toml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_read_over_mutual_tls() {
    let topic = unique("tls-topic");
    create_topic(&topic, 2).await;
    let group = unique("tls-group");
    commit_offsets(&group, &topic, &[(0, 0), (1, 0)]);
    let server = TestServer::start(&tls_cluster("tls", "ca.pem", true)).await;
    let (status, json) = server
        .call("groups/list", &[("cluster", "tls"), ("search", &group)])
        .await;
    assert_eq!(status, 200, "{json}");
    let page: GroupPage = serde_json::from_value(json).unwrap();
    assert_eq!(page.groups.len(), 1);
    assert_eq!(page.groups[0].group_id, group);
    let (status, clusters) = server.call("clusters/list", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(clusters[0]["security_protocol"], "SSL", "{clusters}");
    // Paths are configuration, the key's passphrase a secret: neither reaches the browser.
    let password = env("REWIND_TEST_TLS_KEY_PASSWORD");
    assert!(!clusters.to_string().contains(&password));
}

/// The `kafka_tls` error's detail for listing groups of `tls_cluster(name, ca, client)`.
async fn tls_error(name: &str, ca: &str, client: bool) -> String {
    let server = TestServer::start(&tls_cluster(name, ca, client)).await;
    let (status, json) = server.call("groups/list", &[("cluster", name)]).await;
    assert_ne!(status, 200);
    assert_eq!(json["kind"], "kafka_tls", "{json}");
    let password = env("REWIND_TEST_TLS_KEY_PASSWORD");
    assert!(!json.to_string().contains(&password), "{json}");
    json["detail"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_broker_or_a_missing_client_certificate_gets_a_tls_error() {
    // The broker's certificate is signed by a CA this cluster does not trust.
    let detail = tls_error("tls-wrong-ca", "other-ca.pem", true).await;
    assert!(detail.contains("certificate verify failed"), "{detail}");
    // The broker requires a client certificate and Rewind has none configured.
    let detail = tls_error("tls-no-cert", "ca.pem", false).await;
    assert!(detail.contains("client certificate"), "{detail}");
}
