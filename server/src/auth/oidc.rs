//! OpenID Connect sign-in: authorization code flow with PKCE (S256), ID token signature and claims
//! checked against the provider's discovery document and keys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::Deserialize;

use super::random_token;
use crate::config::OidcConfig;

/// How long a started sign-in may take at the provider.
const ATTEMPT_TTL: Duration = Duration::from_secs(600);
const MAX_ATTEMPTS: usize = 10_000;
/// Clock difference tolerated between Rewind and the provider.
const SKEW_SECS: i64 = 120;
/// Keys are fetched again for an unknown `kid` (key rotation), at most this often.
const JWKS_REFRESH: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider cannot be reached or answered badly: {0}")]
    Provider(String),
    #[error("this sign-in attempt is unknown or expired; start again")]
    UnknownAttempt,
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the identity provider's ID token is not valid: {0}")]
    BadToken(String),
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

struct Attempt {
    verifier: String,
    nonce: String,
    next: String,
    started: Instant,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdentity {
    pub name: String,
    pub teams: Vec<String>,
    pub next: String,
}

pub struct OidcClient {
    config: OidcConfig,
    http: reqwest::Client,
    discovery: tokio::sync::Mutex<Option<Discovery>>,
    jwks: tokio::sync::Mutex<Option<(Instant, Jwks)>>,
    attempts: Mutex<HashMap<String, Attempt>>,
}

impl OidcClient {
    pub fn new(config: OidcConfig) -> Self {
        Self {
            config,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            discovery: tokio::sync::Mutex::new(None),
            jwks: tokio::sync::Mutex::new(None),
            attempts: Mutex::new(HashMap::new()),
        }
    }

    pub fn label(&self) -> &str {
        &self.config.label
    }

    /// Read once, on first use: the provider may start after Rewind.
    async fn discovery(&self) -> Result<Discovery, OidcError> {
        let mut cached = self.discovery.lock().await;
        if let Some(d) = cached.as_ref() {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer);
        let d: Discovery = self.get_json(&url).await?;
        if d.issuer.trim_end_matches('/') != self.config.issuer {
            return Err(OidcError::Provider(format!(
                "discovery names issuer {}, the config {}",
                d.issuer, self.config.issuer
            )));
        }
        *cached = Some(d.clone());
        Ok(d)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(OidcError::Provider(format!(
                "GET {url}: HTTP {}",
                resp.status()
            )));
        }
        resp.json()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))
    }

    /// The provider's authorization URL for a new attempt, and the attempt's `state` (which the
    /// caller binds to the browser in a cookie).
    pub async fn start(&self, next: String) -> Result<(String, String), OidcError> {
        let d = self.discovery().await?;
        let (state, nonce, verifier) = (random_token(), random_token(), random_token());
        let challenge = B64.encode(sha256(verifier.as_bytes()));
        if let Ok(mut attempts) = self.attempts.lock() {
            attempts.retain(|_, a| a.started.elapsed() < ATTEMPT_TTL);
            if attempts.len() >= MAX_ATTEMPTS {
                return Err(OidcError::Provider(
                    "too many sign-ins in progress; try again shortly".into(),
                ));
            }
            attempts.insert(
                state.clone(),
                Attempt {
                    verifier,
                    nonce: nonce.clone(),
                    next,
                    started: Instant::now(),
                },
            );
        }
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", self.config.redirect_url.as_str()),
            ("scope", self.config.scopes.as_str()),
            ("state", state.as_str()),
            ("nonce", nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .map_err(|e| OidcError::Provider(e.to_string()))?;
        let sep = if d.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok((format!("{}{sep}{query}", d.authorization_endpoint), state))
    }

    /// Completes the attempt `state` with the provider's `code`: token request with the PKCE
    /// verifier, then the ID token's signature, issuer, audience, expiry and nonce.
    pub async fn finish(&self, state: &str, code: &str) -> Result<OidcIdentity, OidcError> {
        let attempt = self
            .attempts
            .lock()
            .ok()
            .and_then(|mut a| a.remove(state))
            .filter(|a| a.started.elapsed() < ATTEMPT_TTL)
            .ok_or(OidcError::UnknownAttempt)?;
        let d = self.discovery().await?;
        // RFC 6749 2.3.1: id and secret are form-encoded before they go into Basic.
        let enc = |s: &str| {
            serde_urlencoded::to_string([("", s)])
                .map(|v| v.trim_start_matches('=').to_owned())
                .unwrap_or_default()
        };
        let resp = self
            .http
            .post(&d.token_endpoint)
            .basic_auth(
                enc(&self.config.client_id),
                Some(enc(self.config.client_secret.expose())),
            )
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.config.redirect_url.as_str()),
                ("code_verifier", attempt.verifier.as_str()),
            ])
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("token request: {e}")))?;
        let status = resp.status();
        let body: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| OidcError::Provider(format!("token response: {e}")))?;
        if !status.is_success() {
            let error = body["error"].as_str().unwrap_or("unknown error");
            return Err(OidcError::Refused(format!(
                "token request answered {status}: {error}"
            )));
        }
        let id_token = body["id_token"]
            .as_str()
            .ok_or_else(|| OidcError::BadToken("the token response has no id_token".into()))?;
        let claims = self.verified_claims(id_token, &d).await?;
        self.check_claims(&claims, &d.issuer, &attempt.nonce, now_secs())?;
        let name = [self.config.name_claim.as_str(), "email", "sub"]
            .iter()
            .find_map(|c| claims[*c].as_str().filter(|s| !s.is_empty()))
            .ok_or_else(|| OidcError::BadToken("no name, email or sub claim".into()))?
            .to_owned();
        let teams = match &claims[self.config.groups_claim.as_str()] {
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            serde_json::Value::String(s) => s
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Ok(OidcIdentity {
            name,
            teams,
            next: attempt.next,
        })
    }

    fn check_claims(
        &self,
        claims: &serde_json::Value,
        issuer: &str,
        nonce: &str,
        now: i64,
    ) -> Result<(), OidcError> {
        let bad = |m: &str| Err(OidcError::BadToken(m.into()));
        if claims["iss"].as_str() != Some(issuer) {
            return bad("issuer mismatch");
        }
        let aud: Vec<&str> = match &claims["aud"] {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => vec![],
        };
        if !aud.contains(&self.config.client_id.as_str()) {
            return bad("the token is not for this client (aud)");
        }
        if aud.len() > 1 && claims["azp"].as_str() != Some(self.config.client_id.as_str()) {
            return bad("several audiences and azp is not this client");
        }
        match claims["exp"].as_i64() {
            Some(exp) if exp + SKEW_SECS > now => {}
            _ => return bad("expired"),
        }
        if claims["iat"]
            .as_i64()
            .is_none_or(|iat| iat > now + SKEW_SECS)
        {
            return bad("issued in the future or without iat");
        }
        if claims["nonce"].as_str() != Some(nonce) {
            return bad("nonce mismatch (replayed or foreign token)");
        }
        Ok(())
    }

    /// The token's claims if its RS256/384/512 signature verifies with one of the provider's keys.
    async fn verified_claims(
        &self,
        token: &str,
        d: &Discovery,
    ) -> Result<serde_json::Value, OidcError> {
        let bad = |m: &str| OidcError::BadToken(m.into());
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not a signed JWT"));
        };
        let decode = |x: &str| B64.decode(x).map_err(|_| bad("bad base64url"));
        let header: serde_json::Value =
            serde_json::from_slice(&decode(h)?).map_err(|_| bad("bad header"))?;
        let digest = match header["alg"].as_str() {
            Some("RS256") => openssl::hash::MessageDigest::sha256(),
            Some("RS384") => openssl::hash::MessageDigest::sha384(),
            Some("RS512") => openssl::hash::MessageDigest::sha512(),
            // `none` and HMAC algorithms are never accepted from a provider.
            other => return Err(bad(&format!("unsupported alg {other:?}"))),
        };
        let kid = header["kid"].as_str().map(str::to_owned);
        let signature = decode(s)?;
        let signed = format!("{h}.{p}");
        for refresh in [false, true] {
            let jwks = self.jwks(d, refresh).await?;
            let keys = jwks.keys.iter().filter(|k| {
                k.kty == "RSA" && (kid.is_none() || k.kid.as_deref() == kid.as_deref())
            });
            for key in keys {
                if verify_rsa(key, digest, signed.as_bytes(), &signature) {
                    return serde_json::from_slice(&decode(p)?).map_err(|_| bad("bad claims"));
                }
            }
        }
        Err(bad("no provider key verifies the signature"))
    }

    async fn jwks(&self, d: &Discovery, refresh: bool) -> Result<Jwks, OidcError> {
        let mut cached = self.jwks.lock().await;
        match cached.as_ref() {
            Some((at, jwks)) if !refresh || at.elapsed() < JWKS_REFRESH => Ok(jwks.clone()),
            _ => {
                let jwks: Jwks = self.get_json(&d.jwks_uri).await?;
                *cached = Some((Instant::now(), jwks.clone()));
                Ok(jwks)
            }
        }
    }
}

fn verify_rsa(key: &Jwk, digest: openssl::hash::MessageDigest, data: &[u8], sig: &[u8]) -> bool {
    let (Some(n), Some(e)) = (key.n.as_deref(), key.e.as_deref()) else {
        return false;
    };
    let (Ok(n), Ok(e)) = (B64.decode(n), B64.decode(e)) else {
        return false;
    };
    let verified = || -> Result<bool, openssl::error::ErrorStack> {
        let rsa = openssl::rsa::Rsa::from_public_components(
            openssl::bn::BigNum::from_slice(&n)?,
            openssl::bn::BigNum::from_slice(&e)?,
        )?;
        let pkey = openssl::pkey::PKey::from_rsa(rsa)?;
        let mut v = openssl::sign::Verifier::new(digest, &pkey)?;
        v.update(data)?;
        v.verify(sig)
    };
    verified().unwrap_or(false)
}

fn sha256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

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
        })
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
}
