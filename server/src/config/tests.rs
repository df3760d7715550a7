//! Config parsing and resolution: files, environment overrides, secrets, auth and web settings.

use super::*;
use std::collections::HashMap;

fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let file = Config::parse_file(Path::new("test.toml"), text)?;
    Config::resolve(file, &|k: &str| env.get(k).cloned())
}

#[test]
fn no_config_gives_local_cluster() {
    let c = load("", &[]).expect("default config");
    assert_eq!(c.clusters.len(), 1);
    assert_eq!(c.clusters[0].name, "local");
    assert_eq!(c.clusters[0].bootstrap_servers, "127.0.0.1:9092");
    assert_eq!(c.data_dir, PathBuf::from(".rewind"));
}

#[test]
fn env_overrides_bootstrap_of_default_cluster() {
    let c = load("", &[("REWIND_LOCAL_BOOTSTRAP_SERVERS", "10.0.0.1:9094")]).expect("config");
    assert_eq!(c.clusters[0].bootstrap_servers, "10.0.0.1:9094");
}

#[test]
fn sasl_password_comes_from_named_env_and_is_never_printed() {
    let text = r#"
        [[clusters]]
        name = "prod-eu.1"
        bootstrap_servers = "k1:9093"
        security_protocol = "SASL_SSL"
        sasl_mechanism = "SCRAM-SHA-512"
        sasl_username = "rewind"
        sasl_password_env = "PROD_PW"
    "#;
    let c = load(text, &[("PROD_PW", "hunter2")]).expect("config");
    let cl = &c.clusters[0];
    assert_eq!(
        cl.sasl_password.as_ref().map(Secret::expose),
        Some("hunter2")
    );
    assert!(!format!("{c:?}").contains("hunter2"));

    let c = load(
        text,
        &[("PROD_PW", "x"), ("REWIND_PROD_EU_1_SASL_PASSWORD", "y")],
    )
    .expect("config");
    assert_eq!(
        c.clusters[0].sasl_password.as_ref().map(Secret::expose),
        Some("y")
    );
}

#[test]
fn oidc_sign_out_returns_to_our_login_page_by_default() {
    let text = r#"
        [auth.oidc]
        issuer = "https://idp.example/"
        client_id = "rewind"
        client_secret_env = "OIDC_SECRET"
        redirect_url = "https://rewind.example:8443/auth/oidc/callback"
    "#;
    let c = load(text, &[("OIDC_SECRET", "s3cret-value")]).expect("config");
    let o = c.auth.oidc.as_ref().expect("oidc");
    assert_eq!(
        o.post_logout_redirect_url,
        "https://rewind.example:8443/login"
    );
    assert!(o.provider_sign_out);
    assert_eq!(o.issuer, "https://idp.example");
    assert!(!format!("{c:?}").contains("s3cret-value"));
    let c = load(
        &format!("{text}provider_sign_out = false\npost_logout_redirect_url = \"https://x.example/bye\"\n"),
        &[("OIDC_SECRET", "s")],
    )
    .expect("config");
    let o = c.auth.oidc.as_ref().expect("oidc");
    assert!(!o.provider_sign_out);
    assert_eq!(o.post_logout_redirect_url, "https://x.example/bye");
}

#[test]
fn rejects_incomplete_or_inconsistent_clusters() {
    let missing_pw = r#"
        [[clusters]]
        name = "a"
        security_protocol = "SASL_PLAINTEXT"
        sasl_mechanism = "PLAIN"
        sasl_username = "u"
        sasl_password_env = "NOPE"
    "#;
    let err = load(missing_pw, &[]).expect_err("missing env");
    assert!(err.to_string().contains("NOPE"), "{err}");

    let dup = "[[clusters]]\nname = \"a\"\n[[clusters]]\nname = \"a\"\n";
    assert!(load(dup, &[])
        .expect_err("dup")
        .to_string()
        .contains("twice"));

    let unknown_key = "[[clusters]]\nname = \"a\"\nbootstrap = \"x\"\n";
    assert!(load(unknown_key, &[]).is_err());

    let bad_mech = r#"
        [[clusters]]
        name = "a"
        security_protocol = "SASL_PLAINTEXT"
        sasl_mechanism = "GSSAPI"
        sasl_username = "u"
        sasl_password_env = "P"
    "#;
    assert!(load(bad_mech, &[("P", "p")])
        .expect_err("mech")
        .to_string()
        .contains("GSSAPI"));
}
