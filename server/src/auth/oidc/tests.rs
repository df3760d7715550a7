//! OIDC without an identity provider: signed attempt cookies, subjects, signature algorithms, claims.

use super::*;
use crate::config::Secret;

#[test]
fn pending_attempts_live_in_a_signed_cookie_only() {
    let key = random_key();
    let a = Attempt {
        state: "s1".into(),
        verifier: "v".into(),
        nonce: "n".into(),
        next: "/".into(),
        expires: 1_000,
    };
    let sealed = a.seal(&key).unwrap();
    let opened = Attempt::open(&sealed, &key, 999).unwrap();
    assert_eq!(
        (opened.state.as_str(), opened.verifier.as_str()),
        ("s1", "v")
    );
    assert!(Attempt::open(&sealed, &key, 1_000).is_none(), "expired");
    assert!(
        Attempt::open(&sealed, &random_key(), 999).is_none(),
        "another key"
    );
    // A changed payload with the old signature is refused.
    let (json, mac) = sealed.split_once('.').unwrap();
    let mut forged = B64.decode(json).unwrap();
    forged.extend_from_slice(b" ");
    let forged = format!("{}.{mac}", B64.encode(forged));
    assert!(Attempt::open(&forged, &key, 999).is_none());
    assert!(Attempt::open("garbage", &key, 999).is_none());
}

#[test]
fn the_subject_is_issuer_and_sub_and_only_a_verified_email_names_anyone() {
    let iss = "https://idp.example";
    let id = |claims: serde_json::Value, name_claim: &str| {
        identity_of(&claims, name_claim, iss).map_err(|e| e.to_string())
    };
    let claims = serde_json::json!({ "sub": "u-1", "preferred_username": "admin1" });
    assert_eq!(
        id(claims, "preferred_username"),
        Ok(("https://idp.example#u-1".into(), "admin1".into()))
    );
    let unverified =
        serde_json::json!({ "sub": "u-2", "email": "admin1", "email_verified": false });
    assert_eq!(
        id(unverified.clone(), "preferred_username").map(|i| i.1),
        Ok("u-2".into())
    );
    assert_eq!(id(unverified, "email").map(|i| i.1), Ok("u-2".into()));
    let verified = serde_json::json!({ "sub": "u-3", "email": "a@x.test", "email_verified": true });
    assert_eq!(id(verified, "email").map(|i| i.1), Ok("a@x.test".into()));
    assert!(id(
        serde_json::json!({ "preferred_username": "x" }),
        "preferred_username"
    )
    .is_err());
}

fn client() -> OidcClient {
    OidcClient::new(OidcConfig {
        issuer: "https://idp.example".into(),
        client_id: "rewind".into(),
        client_secret: Secret::new("s".into()),
        redirect_url: "https://rewind.example/auth/oidc/callback".into(),
        scopes: "openid".into(),
        groups_claim: "groups".into(),
        name_claim: "preferred_username".into(),
        label: "SSO".into(),
        post_logout_redirect_url: "https://rewind.example/login".into(),
        provider_sign_out: true,
    })
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Signs with real keys of each family and checks the verifier accepts exactly the right ones.
#[test]
fn rs_ps_and_es_signatures_verify() {
    use openssl::hash::MessageDigest as D;
    let data = b"header.payload";
    // RSA, PKCS#1 v1.5 and PSS.
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let jwk = Jwk {
        kty: "RSA".into(),
        kid: None,
        n: Some(b64(&rsa.n().to_vec())),
        e: Some(b64(&rsa.e().to_vec())),
        crv: None,
        x: None,
        y: None,
    };
    let pkey = openssl::pkey::PKey::from_rsa(rsa).unwrap();
    let mut signer = openssl::sign::Signer::new(D::sha256(), &pkey).unwrap();
    signer.update(data).unwrap();
    let rs256 = signer.sign_to_vec().unwrap();
    assert!(verify_jws(
        &jwk,
        Alg::parse(Some("RS256")).unwrap(),
        data,
        &rs256
    ));
    assert!(!verify_jws(
        &jwk,
        Alg::parse(Some("RS256")).unwrap(),
        b"other",
        &rs256
    ));
    assert!(!verify_jws(
        &jwk,
        Alg::parse(Some("PS256")).unwrap(),
        data,
        &rs256
    ));
    let mut signer = openssl::sign::Signer::new(D::sha384(), &pkey).unwrap();
    signer
        .set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS)
        .unwrap();
    signer.set_rsa_mgf1_md(D::sha384()).unwrap();
    signer
        .set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::DIGEST_LENGTH)
        .unwrap();
    signer.update(data).unwrap();
    let ps384 = signer.sign_to_vec().unwrap();
    assert!(verify_jws(
        &jwk,
        Alg::parse(Some("PS384")).unwrap(),
        data,
        &ps384
    ));

    // ECDSA P-256, as r || s.
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let ec = openssl::ec::EcKey::generate(&group).unwrap();
    let mut ctx = openssl::bn::BigNumContext::new().unwrap();
    let (mut x, mut y) = (
        openssl::bn::BigNum::new().unwrap(),
        openssl::bn::BigNum::new().unwrap(),
    );
    ec.public_key()
        .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
        .unwrap();
    let jwk = Jwk {
        kty: "EC".into(),
        kid: None,
        n: None,
        e: None,
        crv: Some("P-256".into()),
        x: Some(b64(&x.to_vec_padded(32).unwrap())),
        y: Some(b64(&y.to_vec_padded(32).unwrap())),
    };
    let sig = openssl::ecdsa::EcdsaSig::sign(&openssl::hash::hash(D::sha256(), data).unwrap(), &ec)
        .unwrap();
    let mut raw = sig.r().to_vec_padded(32).unwrap();
    raw.extend(sig.s().to_vec_padded(32).unwrap());
    let es256 = Alg::parse(Some("ES256")).unwrap();
    assert!(verify_jws(&jwk, es256, data, &raw));
    assert!(!verify_jws(&jwk, es256, b"other", &raw));
    assert!(!verify_jws(
        &jwk,
        Alg::parse(Some("ES384")).unwrap(),
        data,
        &raw
    ));
    assert!(!verify_jws(&jwk, es256, data, &raw[..63]));
    assert!(Alg::parse(Some("HS256")).is_none());
    assert!(Alg::parse(Some("none")).is_none());
}

#[test]
fn claims_are_checked() {
    let c = client();
    let good = serde_json::json!({
        "iss": "https://idp.example", "aud": "rewind", "exp": 1000, "iat": 900, "nonce": "n"
    });
    assert!(c
        .check_claims(&good, "https://idp.example", "n", 950)
        .is_ok());
    let mut v = good.clone();
    v["aud"] = serde_json::json!("other");
    assert!(c.check_claims(&v, "https://idp.example", "n", 950).is_err());
    let mut v = good.clone();
    v["aud"] = serde_json::json!(["rewind", "other"]);
    assert!(c.check_claims(&v, "https://idp.example", "n", 950).is_err());
    v["azp"] = serde_json::json!("rewind");
    assert!(c.check_claims(&v, "https://idp.example", "n", 950).is_ok());
    assert!(c
        .check_claims(&good, "https://idp.example", "other", 950)
        .is_err());
    assert!(c
        .check_claims(&good, "https://evil.example", "n", 950)
        .is_err());
    assert!(c
        .check_claims(&good, "https://idp.example", "n", 2000)
        .is_err());
}
