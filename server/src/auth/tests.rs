//! Config users' sessions, cookies and forwarded addresses, over an in-memory store.

use super::*;
use axum::http::HeaderValue;

fn auth_with(users: Vec<crate::config::ConfigUser>, store: Arc<dyn Store>) -> Auth {
    let config = AuthConfig {
        insecure_no_auth: false,
        session_ttl_ms: 3_600_000,
        session_idle_ms: 3_600_000,
        secure_cookies: false,
        users,
        oidc: None,
        proxy: None,
        grants: Vec::new(),
        forwarders: Vec::new(),
    };
    Auth::new(config, store, "/pkg/rewind.css".into())
}

fn vera(hash: &str) -> crate::config::ConfigUser {
    crate::config::ConfigUser {
        name: "vera".into(),
        password_hash: hash.into(),
        teams: Vec::new(),
    }
}

/// Security review, item 14: a config user's session ends when the config changes their
/// password or drops them (it outlived both before).
#[tokio::test]
async fn a_config_users_session_ends_when_the_config_changes_or_drops_them() {
    let store: Arc<dyn Store> = Arc::new(crate::store::SqliteStore::in_memory().unwrap());
    let before = auth_with(vec![vera("$argon2id$old")], store.clone());
    let set_cookie = before
        .start_session(
            "vera",
            "password",
            Some(credential_tag("$argon2id$old")),
            Vec::new(),
            "127.0.0.1",
        )
        .await
        .expect("a session");
    let token = set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("a token");
    let mut headers = HeaderMap::new();
    headers.insert(
        header::COOKIE,
        HeaderValue::from_str(&format!("rewind_session={token}")).expect("a header"),
    );
    let who = |auth: Auth| {
        let headers = headers.clone();
        async move { auth.resolve(&headers, None).await.caller.map(|c| c.name) }
    };
    assert_eq!(who(before).await.as_deref(), Some("vera"));
    let same = auth_with(vec![vera("$argon2id$old")], store.clone());
    assert_eq!(
        who(same).await.as_deref(),
        Some("vera"),
        "a restart alone keeps it"
    );
    let changed = auth_with(vec![vera("$argon2id$new")], store.clone());
    assert_eq!(
        who(changed).await,
        None,
        "a new password in the config ends it"
    );
    let dropped = auth_with(Vec::new(), store.clone());
    assert_eq!(who(dropped).await, None, "so does removing the user");
    // A store user of that name made later does not inherit the config user's session.
    store
        .put_user(crate::store::LocalUser {
            name: "vera".into(),
            password_hash: "$argon2id$store".into(),
            teams: Vec::new(),
            grants: Vec::new(),
            created_at_ms: 0,
            updated_at_ms: 0,
        })
        .await
        .expect("a store user");
    let store_user = auth_with(Vec::new(), store.clone());
    assert_eq!(
        who(store_user).await,
        None,
        "nor does a store user of that name"
    );
}

#[test]
fn cookies_and_forwarded_addresses() {
    let mut h = HeaderMap::new();
    h.insert(
        header::COOKIE,
        HeaderValue::from_static("a=1; rewind_session=tok; b=2"),
    );
    h.insert(
        "x-forwarded-for",
        HeaderValue::from_static("9.9.9.9, 10.1.2.3"),
    );
    assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("tok"));
    let mut two = HeaderMap::new();
    two.append(header::COOKIE, HeaderValue::from_static("rewind_session=a"));
    two.append(
        header::COOKIE,
        HeaderValue::from_static("x=1; rewind_session=b"),
    );
    assert_eq!(
        cookie(&two, SESSION_COOKIE),
        None,
        "ambiguous cookies are refused"
    );
    assert_eq!(cookie(&h, "c"), None);
    let peer = Some("127.0.0.1".parse().expect("ip"));
    assert_eq!(client_address(&h, peer, true), "10.1.2.3");
    assert_eq!(client_address(&h, peer, false), "127.0.0.1");
    assert_eq!(random_token().len(), 43);
    assert_eq!(token_hash("x").len(), 64);
}
