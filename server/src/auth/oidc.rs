//! OpenID Connect sign-in: authorization code flow with PKCE (S256), ID token signature and claims
//! checked against the provider's discovery document and keys.
//!
//! A little past ~500 lines: discovery, the code flow and token verification share the private key and
//! claim types; its tests are in `oidc/tests.rs`.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::Deserialize;

use super::random_token;
use crate::config::OidcConfig;

/// How long a started sign-in may take at the provider.
const ATTEMPT_TTL: Duration = Duration::from_secs(600);
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
    /// RP-initiated logout, where the provider offers it.
    end_session_endpoint: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    /// RSA modulus and exponent.
    n: Option<String>,
    e: Option<String>,
    /// EC curve and point.
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// The ID-token signature algorithms accepted: RSA (PKCS#1 v1.5 and PSS) and ECDSA on the NIST
/// curves. `none` and HMAC never are: a provider's token must verify with its published keys.
#[derive(Clone, Copy)]
enum Alg {
    Rs(openssl::hash::MessageDigest),
    Ps(openssl::hash::MessageDigest),
    /// With the curve the key must be on and the byte length of each of r and s.
    Es(openssl::hash::MessageDigest, &'static str, usize),
}

impl Alg {
    fn parse(name: Option<&str>) -> Option<Self> {
        use openssl::hash::MessageDigest as D;
        Some(match name? {
            "RS256" => Self::Rs(D::sha256()),
            "RS384" => Self::Rs(D::sha384()),
            "RS512" => Self::Rs(D::sha512()),
            "PS256" => Self::Ps(D::sha256()),
            "PS384" => Self::Ps(D::sha384()),
            "PS512" => Self::Ps(D::sha512()),
            "ES256" => Self::Es(D::sha256(), "P-256", 32),
            "ES384" => Self::Es(D::sha384(), "P-384", 48),
            "ES512" => Self::Es(D::sha512(), "P-521", 66),
            _ => return None,
        })
    }

    fn key_type(self) -> &'static str {
        match self {
            Self::Rs(_) | Self::Ps(_) => "RSA",
            Self::Es(..) => "EC",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

/// A sign-in in progress. It lives only in the browser, in a short-lived cookie signed with a key of
/// this process: nothing is kept on the server, so no number of started sign-ins can crowd out a real
/// one (a table of them, capped, once let anyone switch single sign-on off).
#[derive(serde::Serialize, Deserialize)]
struct Attempt {
    state: String,
    verifier: String,
    nonce: String,
    next: String,
    /// Unix seconds after which the attempt is refused.
    expires: i64,
}

impl Attempt {
    /// `base64(json).base64(hmac-sha256(json))`.
    fn seal(&self, key: &[u8]) -> Result<String, OidcError> {
        let json = serde_json::to_vec(self).map_err(|e| OidcError::Provider(e.to_string()))?;
        let mac = hmac(key, &json)?;
        Ok(format!("{}.{}", B64.encode(&json), B64.encode(mac)))
    }

    /// The attempt a cookie holds, if its signature is ours and it has not expired.
    fn open(sealed: &str, key: &[u8], now: i64) -> Option<Self> {
        let (json, mac) = sealed.split_once('.')?;
        let json = B64.decode(json).ok()?;
        let mac = B64.decode(mac).ok()?;
        let expected = hmac(key, &json).ok()?;
        if mac.len() != expected.len() || !openssl::memcmp::eq(&mac, &expected) {
            return None;
        }
        serde_json::from_slice::<Attempt>(&json)
            .ok()
            .filter(|a| a.expires > now)
    }
}

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    // Without an OS random source nothing about sign-in can be safe; better to fail loudly.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut key).expect("the OS random number generator failed");
    key
}

fn hmac(key: &[u8], data: &[u8]) -> Result<Vec<u8>, OidcError> {
    let fail = |e: openssl::error::ErrorStack| OidcError::Provider(format!("hmac: {e}"));
    let key = openssl::pkey::PKey::hmac(key).map_err(fail)?;
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).map_err(fail)?;
    signer.update(data).map_err(fail)?;
    signer.sign_to_vec().map_err(fail)
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdentity {
    /// What the console shows and audit records: the configured name claim, else a verified email,
    /// else `sub`. Never used to match grants.
    pub name: String,
    /// The provider's stable id of the person, `<issuer>#<sub>`: what `oidc:<sub>` grants match.
    pub subject: String,
    pub teams: Vec<String>,
    pub next: String,
}

pub struct OidcClient {
    config: OidcConfig,
    http: reqwest::Client,
    discovery: tokio::sync::Mutex<Option<Discovery>>,
    jwks: tokio::sync::Mutex<Option<(Instant, Jwks)>>,
    /// Signs pending attempts (see `Attempt`); a restart forgets it, failing sign-ins in flight.
    attempt_key: [u8; 32],
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
            attempt_key: random_key(),
        }
    }

    pub fn label(&self) -> &str {
        &self.config.label
    }

    /// Where to send a signed-out browser so the provider's session ends too (RP-initiated logout
    /// with `client_id`; the provider may ask the user to confirm), if configured and offered.
    pub async fn sign_out_url(&self) -> Option<String> {
        if !self.config.provider_sign_out {
            return None;
        }
        let d = match self.discovery().await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot end the identity provider's session");
                return None;
            }
        };
        let mut url = reqwest::Url::parse(d.end_session_endpoint.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair(
                "post_logout_redirect_uri",
                &self.config.post_logout_redirect_url,
            );
        Some(url.into())
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

    /// The provider's authorization URL for a new attempt, and the sealed attempt the caller puts in
    /// a short-lived cookie (which also binds the attempt to this browser).
    pub async fn start(&self, next: String) -> Result<(String, String), OidcError> {
        let d = self.discovery().await?;
        let (state, nonce, verifier) = (random_token(), random_token(), random_token());
        let challenge = B64.encode(sha256(verifier.as_bytes()));
        let ttl = i64::try_from(ATTEMPT_TTL.as_secs()).unwrap_or(600);
        let sealed = Attempt {
            state: state.clone(),
            verifier,
            nonce: nonce.clone(),
            next,
            expires: now_secs() + ttl,
        }
        .seal(&self.attempt_key)?;
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
        Ok((format!("{}{sep}{query}", d.authorization_endpoint), sealed))
    }

    /// Completes the attempt `state` with the provider's `code`: token request with the PKCE
    /// verifier, then the ID token's signature, issuer, audience, expiry and nonce.
    ///
    /// `sealed` is the attempt cookie from `start`; it must be ours, unexpired, and for this `state`.
    pub async fn finish(
        &self,
        state: &str,
        code: &str,
        sealed: &str,
    ) -> Result<OidcIdentity, OidcError> {
        let attempt = Attempt::open(sealed, &self.attempt_key, now_secs())
            .filter(|a| a.state == state)
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
        let (subject, name) = identity_of(&claims, &self.config.name_claim, &d.issuer)?;
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
            subject,
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

    /// The token's claims if its signature (RS, PS or ES 256/384/512) verifies with one of the
    /// provider's keys.
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
        let Some(alg) = Alg::parse(header["alg"].as_str()) else {
            return Err(bad(&format!(
                "unsupported alg {:?}",
                header["alg"].as_str()
            )));
        };
        let kid = header["kid"].as_str().map(str::to_owned);
        let signature = decode(s)?;
        let signed = format!("{h}.{p}");
        for refresh in [false, true] {
            let jwks = self.jwks(d, refresh).await?;
            let keys = jwks.keys.iter().filter(|k| {
                k.kty == alg.key_type() && (kid.is_none() || k.kid.as_deref() == kid.as_deref())
            });
            for key in keys {
                if verify_jws(key, alg, signed.as_bytes(), &signature) {
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

/// Whether `sig` is `alg`'s signature of `data` by the JWK `key`; any malformed part means no.
fn verify_jws(key: &Jwk, alg: Alg, data: &[u8], sig: &[u8]) -> bool {
    use openssl::bn::BigNum;
    use openssl::pkey::PKey;
    let field = |v: &Option<String>| v.as_deref().and_then(|v| B64.decode(v).ok());
    let verified = || -> Result<bool, openssl::error::ErrorStack> {
        match alg {
            Alg::Rs(digest) | Alg::Ps(digest) => {
                let (Some(n), Some(e)) = (field(&key.n), field(&key.e)) else {
                    return Ok(false);
                };
                let rsa = openssl::rsa::Rsa::from_public_components(
                    BigNum::from_slice(&n)?,
                    BigNum::from_slice(&e)?,
                )?;
                let pkey = PKey::from_rsa(rsa)?;
                let mut v = openssl::sign::Verifier::new(digest, &pkey)?;
                if let Alg::Ps(_) = alg {
                    // RFC 7518: PSS with MGF1 on the same hash and a salt as long as the hash.
                    v.set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS)?;
                    v.set_rsa_mgf1_md(digest)?;
                    v.set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::DIGEST_LENGTH)?;
                }
                v.update(data)?;
                v.verify(sig)
            }
            Alg::Es(digest, curve, len) => {
                let (Some(x), Some(y)) = (field(&key.x), field(&key.y)) else {
                    return Ok(false);
                };
                let nid = match (key.crv.as_deref(), curve) {
                    (Some("P-256"), "P-256") => openssl::nid::Nid::X9_62_PRIME256V1,
                    (Some("P-384"), "P-384") => openssl::nid::Nid::SECP384R1,
                    (Some("P-521"), "P-521") => openssl::nid::Nid::SECP521R1,
                    _ => return Ok(false),
                };
                // JWS signatures are r and s back to back, each `len` bytes; OpenSSL wants DER.
                if sig.len() != 2 * len {
                    return Ok(false);
                }
                let group = openssl::ec::EcGroup::from_curve_name(nid)?;
                let ec = openssl::ec::EcKey::from_public_key_affine_coordinates(
                    &group,
                    BigNum::from_slice(&x)?.as_ref(),
                    BigNum::from_slice(&y)?.as_ref(),
                )?;
                let rs = openssl::ecdsa::EcdsaSig::from_private_components(
                    BigNum::from_slice(&sig[..len])?,
                    BigNum::from_slice(&sig[len..])?,
                )?;
                rs.verify(&openssl::hash::hash(digest, data)?, &ec)
            }
        }
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

/// The stable subject (`<issuer>#<sub>`) and display name of verified ID-token claims. An email
/// names someone only when the provider says it verified it: otherwise anyone could claim any
/// address at a provider that lets users edit theirs.
fn identity_of(
    claims: &serde_json::Value,
    name_claim: &str,
    issuer: &str,
) -> Result<(String, String), OidcError> {
    let text = |c: &str| claims[c].as_str().filter(|s| !s.is_empty());
    let sub = text("sub").ok_or_else(|| OidcError::BadToken("the ID token has no sub".into()))?;
    let verified_email = (claims["email_verified"].as_bool() == Some(true))
        .then(|| text("email"))
        .flatten();
    let name = text(name_claim)
        .filter(|_| name_claim != "email" || verified_email.is_some())
        .or(verified_email)
        .unwrap_or(sub);
    Ok((format!("{issuer}#{sub}"), name.to_owned()))
}

#[cfg(test)]
mod tests;
