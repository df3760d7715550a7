//! Local users as admins manage them from the console: what a listing shows, what a change carries,
//! and the rules a change must meet (shared by the page, the server functions and `rewind users`).

use serde::{Deserialize, Serialize};

use crate::domain::access::{Grant, Role};
use crate::error::AppError;

/// At least this many characters, the same for the console and `rewind users add`.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Argon2 hashes any length, but a megabyte "password" is an attack on the hashing pool, not a secret.
pub const MAX_PASSWORD_CHARS: usize = 256;
const MAX_NAME_CHARS: usize = 64;
const MAX_PATTERN_CHARS: usize = 249;
const MAX_ENTRIES: usize = 50;

/// Where a user is defined: only store users can be changed from the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserSource {
    /// `[[auth.users]]` in the config file: read-only here.
    Config,
    /// The store: created from the console or with `rewind users add`.
    Store,
}

/// One local user as the users page lists them; never their password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub name: String,
    pub source: UserSource,
    pub teams: Vec<String>,
    /// Grants given to this user directly (store users only).
    pub grants: Vec<Grant>,
    /// Everything the user gets when they sign in: direct grants plus the config's rules that name
    /// them, one of their teams, or everyone.
    pub effective: Vec<Grant>,
    /// Unexpired password sessions (store users; not counted for config users).
    pub sessions: Option<u32>,
    pub created_at_ms: Option<i64>,
    pub updated_at_ms: Option<i64>,
}

/// Creates a store user, or changes one. The password is optional on a change (kept when absent);
/// setting one signs the user out everywhere else.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChange {
    pub name: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub grants: Vec<Grant>,
}

// The password never reaches a log line, even through `{:?}` of a request.
impl std::fmt::Debug for UserChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChange")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("teams", &self.teams)
            .field("grants", &self.grants)
            .finish()
    }
}

impl UserChange {
    /// Trims names, teams and patterns and checks every field; `creating` requires a password.
    pub fn normalised(mut self, creating: bool) -> Result<Self, AppError> {
        self.name = self.name.trim().to_owned();
        check_name(&self.name)?;
        self.password = self.password.filter(|p| !p.is_empty());
        match &self.password {
            Some(p) => check_password(p)?,
            None if creating => {
                return Err(invalid(format!(
                    "A new user needs a password of at least {MIN_PASSWORD_CHARS} characters."
                )))
            }
            None => {}
        }
        let mut teams: Vec<String> = Vec::new();
        for t in self
            .teams
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            if t.contains(',') || t.contains(char::is_control) || t.chars().count() > MAX_NAME_CHARS
            {
                return Err(invalid(format!(
                    "Team '{t}' is not valid: up to {MAX_NAME_CHARS} characters, no commas."
                )));
            }
            if !teams.iter().any(|x| x == t) {
                teams.push(t.to_owned());
            }
        }
        self.teams = teams;
        for g in &mut self.grants {
            g.clusters = g.clusters.trim().to_owned();
            g.groups = g.groups.trim().to_owned();
            for (what, p) in [("cluster", &g.clusters), ("group", &g.groups)] {
                if p.is_empty()
                    || p.contains(char::is_control)
                    || p.chars().count() > MAX_PATTERN_CHARS
                {
                    return Err(invalid(format!(
                        "The {what} pattern of a {} grant must be a glob of 1 to {MAX_PATTERN_CHARS} characters (use * for all).",
                        g.role.as_str()
                    )));
                }
            }
        }
        self.grants.dedup();
        if self.teams.len() > MAX_ENTRIES || self.grants.len() > MAX_ENTRIES {
            return Err(invalid(format!(
                "At most {MAX_ENTRIES} teams and {MAX_ENTRIES} grants per user."
            )));
        }
        Ok(self)
    }
}

/// A user name: what the audit records and sign-in matches, so plain and unambiguous.
pub fn check_name(name: &str) -> Result<(), AppError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "User name '{name}' is not valid: 1 to {MAX_NAME_CHARS} letters, digits, '.', '_', '-' or '@'."
        )))
    }
}

pub fn check_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(invalid(format!(
            "The password must have at least {MIN_PASSWORD_CHARS} characters (it has {n})."
        )));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(invalid(format!(
            "The password must have at most {MAX_PASSWORD_CHARS} characters."
        )));
    }
    Ok(())
}

/// `ROLE[:CLUSTERS[:GROUPS]]`, as `rewind users add --grant` takes it; missing patterns mean `*`.
pub fn parse_grant(text: &str) -> Result<Grant, AppError> {
    let mut parts = text.splitn(3, ':');
    let role = match parts.next().unwrap_or_default().trim() {
        "viewer" => Role::Viewer,
        "operator" => Role::Operator,
        "admin" => Role::Admin,
        other => {
            return Err(invalid(format!(
                "Unknown role '{other}' in grant '{text}': use viewer, operator or admin."
            )))
        }
    };
    Ok(Grant {
        role,
        clusters: parts.next().unwrap_or("*").to_owned(),
        groups: parts.next().unwrap_or("*").to_owned(),
    })
}

fn invalid(message: String) -> AppError {
    AppError::InvalidInput { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(name: &str, password: Option<&str>) -> UserChange {
        UserChange {
            name: name.into(),
            password: password.map(str::to_owned),
            teams: vec![" ops ".into(), "".into(), "ops".into()],
            grants: vec![Grant {
                role: Role::Operator,
                clusters: " prod ".into(),
                groups: "payments-*".into(),
            }],
        }
    }

    #[test]
    fn changes_are_normalised_and_checked() {
        let c = change(" grace ", Some("twelve chars!"))
            .normalised(true)
            .unwrap();
        assert_eq!(c.name, "grace");
        assert_eq!(c.teams, vec!["ops".to_owned()]);
        assert_eq!(c.grants[0].clusters, "prod");
        assert!(change("grace", None).normalised(false).is_ok());
        let err = change("grace", None).normalised(true).unwrap_err();
        assert!(err.to_string().contains("needs a password"), "{err}");
        let err = change("grace", Some("short"))
            .normalised(false)
            .unwrap_err();
        assert!(err.to_string().contains("at least 12"), "{err}");
        let err = change("gr ace", Some("twelve chars!"))
            .normalised(true)
            .unwrap_err();
        assert!(err.to_string().contains("not valid"), "{err}");
        let mut bad = change("grace", None);
        bad.grants[0].groups = " ".into();
        let err = bad.normalised(false).unwrap_err();
        assert!(err.to_string().contains("group pattern"), "{err}");
        assert!(!format!("{:?}", change("g", Some("hunter2hunter2"))).contains("hunter2"));
    }

    #[test]
    fn grants_parse_with_defaults() {
        let g = parse_grant("operator:prod").unwrap();
        assert_eq!(
            (g.role, g.clusters.as_str(), g.groups.as_str()),
            (Role::Operator, "prod", "*")
        );
        let g = parse_grant("admin").unwrap();
        assert_eq!((g.clusters.as_str(), g.groups.as_str()), ("*", "*"));
        let g = parse_grant("viewer:dev-*:orders-*").unwrap();
        assert_eq!(g.groups, "orders-*");
        assert!(parse_grant("root").is_err());
    }
}
