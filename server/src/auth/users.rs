//! Local users managed from the console: the `Users` port over the store and the config's users,
//! with the rules that keep an admin from shadowing a config user or locking themselves out.

use app::api::ports::{Actor, BoxFuture, Users};
use app::domain::access::{Grant, SignInMethod};
use app::domain::audit::AuditEntry;
use app::domain::users::{UserChange, UserSource, UserSummary};
use app::error::{AppError, AppResult};

use super::{password, request_caller, Auth};
use crate::now_ms;
use crate::store::{store_error, LocalUser};

impl Auth {
    fn summary(&self, user: LocalUser, sessions: u32) -> UserSummary {
        let effective = self
            .caller_for(
                &user.name,
                SignInMethod::Password,
                None,
                user.teams.clone(),
                user.grants.clone(),
            )
            .grants;
        UserSummary {
            name: user.name,
            source: UserSource::Store,
            teams: user.teams,
            grants: user.grants,
            effective,
            sessions: Some(sessions),
            created_at_ms: Some(user.created_at_ms),
            updated_at_ms: (user.updated_at_ms > 0).then_some(user.updated_at_ms),
        }
    }

    fn in_config(&self, name: &str) -> Result<(), AppError> {
        if self.config.user(name).is_some() {
            return Err(AppError::invalid_input(format!(
                "User '{name}' is defined in the config file ([[auth.users]]); change or remove them there."
            )));
        }
        Ok(())
    }

    async fn record(&self, actor: &Actor, action: &str, detail: serde_json::Value) {
        self.audit(
            AuditEntry::new(
                now_ms(),
                actor.name.clone(),
                actor.source.clone(),
                action,
                "succeeded",
            )
            .with_detail(detail),
        )
        .await;
    }
}

impl Users for Auth {
    fn list(&self) -> BoxFuture<'_, AppResult<Vec<UserSummary>>> {
        Box::pin(async move {
            let stored = self.store.users().await.map_err(store_error("users"))?;
            let mut out: Vec<UserSummary> = self
                .config
                .users
                .iter()
                .map(|u| UserSummary {
                    name: u.name.clone(),
                    source: UserSource::Config,
                    teams: u.teams.clone(),
                    grants: Vec::new(),
                    effective: self
                        .caller_for(
                            &u.name,
                            SignInMethod::Password,
                            None,
                            u.teams.clone(),
                            Vec::new(),
                        )
                        .grants,
                    sessions: None,
                    created_at_ms: None,
                    updated_at_ms: None,
                })
                .collect();
            // A store user named like a config user never signs in as themselves: leave them out.
            out.extend(
                stored
                    .into_iter()
                    .filter(|(u, _)| self.in_config(&u.name).is_ok())
                    .map(|(u, n)| self.summary(u, n)),
            );
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })
    }

    fn save(
        &self,
        change: UserChange,
        creating: bool,
        actor: Actor,
    ) -> BoxFuture<'_, AppResult<UserSummary>> {
        // Read while the request's context is current: the future may run after it.
        let own_session = request_caller().and_then(|rc| rc.session);
        Box::pin(async move {
            let name = change.name.clone();
            self.in_config(&name)?;
            let (existing, sessions) = match self
                .store
                .user(name.clone())
                .await
                .map_err(store_error("user"))?
            {
                Some((u, n)) => (Some(u), n),
                None => (None, 0),
            };
            match (&existing, creating) {
                (Some(_), true) => {
                    return Err(AppError::invalid_input(format!(
                        "A user named '{name}' exists already; edit them instead."
                    )))
                }
                (None, false) => {
                    return Err(AppError::NotFound {
                        what: format!("User '{name}'"),
                    })
                }
                _ => {}
            }
            if actor.name == name {
                let after = self.caller_for(
                    &name,
                    SignInMethod::Password,
                    None,
                    change.teams.clone(),
                    change.grants.clone(),
                );
                if !after.manages_users() {
                    return Err(AppError::Refused {
                        reason: "This change would take away your own right to manage users (admin on cluster * and group *). Ask another admin to make it.".into(),
                    });
                }
            }
            let password_hash = match (change.password.clone(), &existing) {
                (Some(pw), _) => password::hash_blocking(pw).await.map_err(|e| {
                    tracing::error!(error = %e, "cannot hash a password");
                    AppError::Internal {
                        reference: "password-hash".into(),
                    }
                })?,
                (None, Some(u)) => u.password_hash.clone(),
                (None, None) => {
                    return Err(AppError::invalid_input(
                        "A new user needs a password.".to_owned(),
                    ))
                }
            };
            let now = now_ms();
            let user = LocalUser {
                name: name.clone(),
                password_hash,
                teams: change.teams.clone(),
                grants: change.grants.clone(),
                created_at_ms: existing.as_ref().map_or(now, |u| u.created_at_ms),
                updated_at_ms: now,
            };
            self.store
                .put_user(user.clone())
                .await
                .map_err(store_error("put-user"))?;
            // A new password ends every other session: whoever knew the old one is out.
            let ended = match (&change.password, &existing) {
                (Some(_), Some(_)) => {
                    let keep = own_session.filter(|_| actor.name == name);
                    self.store
                        .end_password_sessions(name.clone(), keep)
                        .await
                        .map_err(store_error("end-sessions"))?
                }
                _ => 0,
            };
            let before = existing.as_ref().map(|u| (&u.teams, &u.grants));
            self.record(
                &actor,
                if creating { "user-create" } else { "user-update" },
                serde_json::json!({
                    "user": name,
                    "teams": change.teams,
                    "grants": grants_json(&change.grants),
                    "before": before.map(|(t, g)| serde_json::json!({ "teams": t, "grants": grants_json(g) })),
                    "password_changed": change.password.is_some(),
                    "sessions_ended": ended,
                }),
            )
            .await;
            // The sessions the new password ended are all that changed.
            let sessions = sessions.saturating_sub(u32::try_from(ended).unwrap_or(u32::MAX));
            Ok(self.summary(user, sessions))
        })
    }

    fn delete(&self, name: String, actor: Actor) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(async move {
            let name = name.trim().to_owned();
            self.in_config(&name)?;
            if actor.name == name {
                return Err(AppError::Refused {
                    reason: "You cannot remove yourself; another admin can.".into(),
                });
            }
            let existed = self
                .store
                .delete_user(name.clone())
                .await
                .map_err(store_error("delete-user"))?;
            if !existed {
                return Err(AppError::NotFound {
                    what: format!("User '{name}'"),
                });
            }
            self.record(&actor, "user-delete", serde_json::json!({ "user": name }))
                .await;
            Ok(())
        })
    }
}

/// Grants as the audit shows them: `operator on prod/payments-*`.
fn grants_json(grants: &[Grant]) -> Vec<String> {
    grants
        .iter()
        .map(|g| format!("{} on {}/{}", g.role.as_str(), g.clusters, g.groups))
        .collect()
}
