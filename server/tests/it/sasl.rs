//! Kafka over SASL: Rewind reads a cluster through the test broker's SASL_PLAINTEXT listener with
//! SCRAM-SHA-256 and -512, and wrong credentials get a specific error instead of "unreachable".
//!
//! `scripts/kafka.sh` creates the SCRAM user when it formats the broker; `scripts/test.sh` exports
//! `REWIND_TEST_SCRAM_PASSWORD` (the right one) and `REWIND_TEST_SCRAM_WRONG_PASSWORD`.

use crate::support::{bootstrap, commit_offsets, create_topic, unique, TestServer};
use app::domain::GroupPage;

/// The SASL listener sits two ports above the plain one (see scripts/kafka.sh).
fn sasl_bootstrap() -> String {
    std::env::var("REWIND_TEST_SASL_BOOTSTRAP").unwrap_or_else(|_| {
        let plain = bootstrap();
        let (host, port) = plain.rsplit_once(':').unwrap();
        format!("{host}:{}", port.parse::<u16>().unwrap() + 2)
    })
}

fn scram_cluster(name: &str, mechanism: &str, password_env: &str) -> String {
    assert!(
        std::env::var(password_env).is_ok(),
        "{password_env} is not set: run the SASL tests through scripts/test.sh"
    );
    format!(
        "[[clusters]]\nname = \"{name}\"\nbootstrap_servers = \"{}\"\nsecurity_protocol = \"SASL_PLAINTEXT\"\n\
         sasl_mechanism = \"{mechanism}\"\nsasl_username = \"rewind\"\nsasl_password_env = \"{password_env}\"\n",
        sasl_bootstrap()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_read_through_a_scram_listener() {
    let topic = unique("sasl-topic");
    create_topic(&topic, 2).await;
    let group = unique("sasl-group");
    commit_offsets(&group, &topic, &[(0, 0), (1, 0)]);
    for mechanism in ["SCRAM-SHA-512", "SCRAM-SHA-256"] {
        let server = TestServer::start(&scram_cluster(
            "scram",
            mechanism,
            "REWIND_TEST_SCRAM_PASSWORD",
        ))
        .await;
        let (status, json) = server
            .call("groups/list", &[("cluster", "scram"), ("search", &group)])
            .await;
        assert_eq!(status, 200, "{mechanism}: {json}");
        let page: GroupPage = serde_json::from_value(json).unwrap();
        assert_eq!(page.groups.len(), 1, "{mechanism}");
        assert_eq!(page.groups[0].group_id, group);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_get_a_clear_error_that_never_shows_the_password() {
    let server = TestServer::start(&scram_cluster(
        "scram-wrong",
        "SCRAM-SHA-512",
        "REWIND_TEST_SCRAM_WRONG_PASSWORD",
    ))
    .await;
    let (status, json) = server
        .call("groups/list", &[("cluster", "scram-wrong")])
        .await;
    assert_ne!(status, 200);
    assert_eq!(json["kind"], "kafka_authentication", "{json}");
    let text = json.to_string();
    assert!(
        text.contains("SCRAM-SHA-512") || text.contains("uthentication"),
        "{text}"
    );
    let wrong = std::env::var("REWIND_TEST_SCRAM_WRONG_PASSWORD").unwrap();
    assert!(!text.contains(&wrong), "{text}");
}
