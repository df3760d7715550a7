//! Who may do what: roles granted per cluster and group-id pattern, and the check every server
//! function makes. Pure, so the browser hides exactly what the server would refuse.

use serde::{Deserialize, Serialize};

/// What a caller wants to do; each needs a role on the cluster (and group, where there is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Read groups, plans, history and audit.
    View,
    Preview,
    SavePlan,
    /// Execute and undo.
    Execute,
    DeletePlan,
    DeleteOffsets,
    /// Pin a group so the lag sampler keeps its per-partition samples (a standing cost on the broker
    /// and the store, so an operator's decision, audited).
    Pin,
    /// Create, change and remove local users and their grants. Only an admin on every cluster and
    /// every group may: anyone less could grant themselves (or a friend) more than they have.
    ManageUsers,
}

impl Action {
    pub fn needs(self) -> Role {
        match self {
            Self::View => Role::Viewer,
            Self::Preview | Self::SavePlan | Self::Execute | Self::DeletePlan | Self::Pin => {
                Role::Operator
            }
            Self::DeleteOffsets | Self::ManageUsers => Role::Admin,
        }
    }

    /// The action's name in the audit trail.
    pub fn audit_name(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Preview => "preview",
            Self::SavePlan => "save-plan",
            Self::Execute => "execute",
            Self::DeletePlan => "delete-plan",
            Self::DeleteOffsets => "delete-offsets",
            Self::Pin => "pin",
            Self::ManageUsers => "manage-users",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Preview => "preview a reset",
            Self::SavePlan => "save a plan",
            Self::Execute => "execute a reset",
            Self::DeletePlan => "delete a plan",
            Self::DeleteOffsets => "delete committed offsets",
            Self::Pin => "pin a group's per-partition lag history",
            Self::ManageUsers => "manage users",
        }
    }
}

/// Ordered: each role includes everything the ones before it may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read only.
    #[default]
    Viewer,
    /// Preview, save plans, execute and undo.
    Operator,
    /// Everything: delete offsets, read every audit entry.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }
}

/// A role on the clusters matching `clusters` and the groups matching `groups` (globs: `*` any run
/// of characters, `?` one character).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub clusters: String,
    pub groups: String,
}

impl Grant {
    fn covers(&self, cluster: &str, group: Option<&str>) -> bool {
        glob_match(&self.clusters, cluster) && group.is_none_or(|g| glob_match(&self.groups, g))
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Password,
    Oidc,
    Proxy,
    /// `--insecure-no-auth`: nobody signed in, everyone is admin.
    None,
}

/// The signed-in caller as every server function sees it, with the grants that apply to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The name audit and executions record.
    pub name: String,
    pub method: SignInMethod,
    /// Identity-provider or local groups the grants were resolved from.
    pub teams: Vec<String>,
    pub grants: Vec<Grant>,
}

impl Caller {
    /// The caller when sign-in is switched off.
    pub fn insecure() -> Self {
        Self {
            name: "anonymous (sign-in off)".into(),
            method: SignInMethod::None,
            teams: Vec::new(),
            grants: vec![Grant {
                role: Role::Admin,
                clusters: "*".into(),
                groups: "*".into(),
            }],
        }
    }

    /// The highest role on `group` of `cluster`; with no group, the highest on any group there.
    pub fn role(&self, cluster: &str, group: Option<&str>) -> Option<Role> {
        self.grants
            .iter()
            .filter(|g| g.covers(cluster, group))
            .map(|g| g.role)
            .max()
    }

    pub fn may(&self, action: Action, cluster: &str, group: Option<&str>) -> bool {
        if action == Action::ManageUsers {
            return self.manages_users();
        }
        self.role(cluster, group)
            .is_some_and(|r| r >= action.needs())
    }

    /// Ok when the caller may, else the refusal naming what they lack.
    pub fn check(
        &self,
        action: Action,
        cluster: &str,
        group: Option<&str>,
    ) -> Result<(), crate::error::AppError> {
        if self.may(action, cluster, group) {
            return Ok(());
        }
        Err(crate::error::AppError::Forbidden {
            user: self.name.clone(),
            action: action.label().into(),
            needs: action.needs(),
            cluster: cluster.into(),
            group: group.map(str::to_owned),
        })
    }

    /// The group globs of the caller's grants on `cluster` that let them view: what lists of groups
    /// (the groups list, a cluster's history) are cut to, before `sees_group` checks each row.
    pub fn visible_groups(&self, cluster: &str) -> Vec<String> {
        self.grants
            .iter()
            .filter(|g| g.role >= Action::View.needs() && glob_match(&g.clusters, cluster))
            .map(|g| g.groups.clone())
            .collect()
    }

    /// Whether the caller may see group `group` of `cluster` at all.
    pub fn sees_group(&self, cluster: &str, group: &str) -> bool {
        self.may(Action::View, cluster, Some(group))
    }

    /// Admin on every cluster and group, by literal `*` patterns (a `?` or `a*` grant that happens to
    /// match the text "*" does not count).
    pub fn manages_users(&self) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == Role::Admin && g.clusters == "*" && g.groups == "*")
    }

    /// Administers anything at all (may read entries that belong to no cluster).
    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin)
    }
}

/// `*` matches any run of characters (empty included), `?` exactly one; everything else literally.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    // Runs for every group of the cluster on every page of the groups list (50,000 at a time), so
    // the common cases allocate nothing: `*` alone, and ASCII on both sides compared byte by byte.
    if pattern == "*" {
        return true;
    }
    if pattern.is_ascii() && text.is_ascii() {
        return glob_match_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_match_units(&p, &t, '*', '?')
}

/// `glob_match` over units (bytes of ASCII text, or chars): greedy with backtracking to the last
/// `star`, linear in practice, no recursion.
fn glob_match_units<T: Copy + PartialEq>(p: &[T], t: &[T], star: T, any: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(&c) if c == star => {
                last_star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == any || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match last_star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    last_star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("payments-*", "payments-processor"));
        assert!(!glob_match("payments-*", "orders-payments-x"));
        assert!(glob_match("*-dlq", "orders-dlq"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("a*b*c", "a--b--b--c"));
        assert!(!glob_match("a*b*c", "a--b--b--"));
        // Beyond ASCII, `?` is one character, not one byte.
        assert!(glob_match("caf?", "café"));
        assert!(!glob_match("caf??", "café"));
        assert!(glob_match("*é-*", "café-events"));
        assert!(glob_match("prod", "prod"));
        assert!(!glob_match("prod", "prod2"));
    }

    fn caller(grants: &[(Role, &str, &str)]) -> Caller {
        Caller {
            name: "u".into(),
            method: SignInMethod::Password,
            teams: vec![],
            grants: grants
                .iter()
                .map(|(role, c, g)| Grant {
                    role: *role,
                    clusters: (*c).into(),
                    groups: (*g).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn roles_are_per_cluster_and_group_pattern() {
        let c = caller(&[
            (Role::Viewer, "*", "*"),
            (Role::Operator, "prod", "payments-*"),
            (Role::Admin, "dev", "*"),
        ]);
        assert!(c.may(Action::View, "prod", Some("orders")));
        assert!(!c.may(Action::Execute, "prod", Some("orders")));
        assert!(c.may(Action::Execute, "prod", Some("payments-eu")));
        assert!(!c.may(Action::DeleteOffsets, "prod", Some("payments-eu")));
        assert!(c.may(Action::DeleteOffsets, "dev", Some("x")));
        assert!(c.is_admin());
        let err = c
            .check(Action::Execute, "prod", Some("orders"))
            .unwrap_err();
        assert!(err.to_string().contains("operator"), "{err}");
        let none = caller(&[(Role::Operator, "prod", "payments-*")]);
        assert!(!none.sees_group("prod", "orders"));
        assert!(!none.may(Action::View, "staging", None));
        assert!(none.may(Action::View, "prod", None));
        assert!(
            !c.may(Action::ManageUsers, "dev", Some("x")),
            "admin on one cluster only"
        );
        let tricky = caller(&[(Role::Admin, "?", "*")]);
        assert!(!tricky.may(Action::ManageUsers, "*", Some("*")));
        assert!(caller(&[(Role::Admin, "*", "*")]).may(Action::ManageUsers, "*", Some("*")));
        assert!(Caller::insecure().manages_users());
    }
}
