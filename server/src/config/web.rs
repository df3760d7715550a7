//! Which names and origins browsers reach Rewind by: `public_url` and `allowed_hosts`.

use super::ConfigError;

/// Which names and origins browsers reach Rewind by (DNS rebinding and cross-site checks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebConfig {
    /// `scheme://host[:port]` of `public_url`, when configured.
    pub public_origin: Option<String>,
    /// `host[:port]` values accepted in `Host`, lower-cased: `public_url`'s and `allowed_hosts`.
    pub allowed_hosts: Vec<String>,
}

pub(super) fn resolve_web(
    public_url: Option<String>,
    allowed: Vec<String>,
) -> Result<WebConfig, ConfigError> {
    let bad = |problem: String| ConfigError::Web { problem };
    let mut web = WebConfig::default();
    if let Some(raw) = public_url {
        let url = reqwest::Url::parse(&raw)
            .map_err(|e| bad(format!("public_url '{raw}' is not a URL: {e}")))?;
        let host = url
            .host_str()
            .filter(|_| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                bad(format!(
                    "public_url '{raw}' must be http:// or https:// with a host"
                ))
            })?;
        web.allowed_hosts.push(match url.port() {
            Some(port) => format!("{host}:{port}").to_ascii_lowercase(),
            None => host.to_ascii_lowercase(),
        });
        web.public_origin = Some(url.origin().ascii_serialization());
    }
    for h in allowed {
        let h = h.trim().to_ascii_lowercase();
        if h.is_empty() || h.contains(['/', ' ', '@']) {
            return Err(bad(format!(
                "allowed_hosts entry '{h}' must be host or host:port"
            )));
        }
        web.allowed_hosts.push(h);
    }
    Ok(web)
}
