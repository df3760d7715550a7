//! The console's use cases with the rules that guard them, in one place: who may do what on which
//! group, what a caller may see (visibility filters, copy-from sources, multi-group records cut to the
//! caller's group) and the bounds on input. Server functions are one-liners over `Console`; its unit
//! tests run it over fakes of the ports, without a broker or a store.

mod audit;
#[cfg(test)]
mod fakes;
mod groups;
mod history;
mod resets;
#[cfg(test)]
mod tests;

use crate::api::ports::{services, Action, Actor, Services};
use crate::domain::access::Caller;
use crate::domain::execution::{Execution, SavedPlan};
use crate::domain::reset::{ResetSpec, MAX_GROUPS_PER_PLAN};
use crate::error::{AppError, AppResult};

/// The services of one request, with the rules every use case shares.
pub struct Console {
    s: Services,
}

impl Console {
    pub fn new(s: Services) -> Self {
        Self { s }
    }

    /// The console of this request (its services come from the Leptos context).
    pub fn current() -> AppResult<Self> {
        services().map(Self::new)
    }

    fn caller(&self) -> AppResult<Caller> {
        self.s.auth.caller()
    }

    /// The caller if they may do `action` on every group of `spec` (on the cluster when it names none),
    /// and may view the group a copy-from plan reads: its plan, saved or refused, shows that group's
    /// offsets.
    fn authorize_spec(&self, action: Action, spec: &ResetSpec) -> AppResult<Actor> {
        // Bounded before anything is checked or read: each group costs Kafka requests and a row per
        // partition in the answer.
        if spec.groups.len() > MAX_GROUPS_PER_PLAN {
            return Err(AppError::invalid_input(format!(
                "A plan resets at most {MAX_GROUPS_PER_PLAN} groups at once; this one names {}. Split it.",
                spec.groups.len()
            )));
        }
        if let Some(group) = spec.copy_source() {
            self.s
                .auth
                .authorize(Action::View, &spec.cluster, Some(group))?;
        }
        let Some((last, others)) = spec.groups.split_last() else {
            return self.s.auth.authorize(action, &spec.cluster, None);
        };
        for g in others {
            self.s.auth.authorize(action, &spec.cluster, Some(g))?;
        }
        self.s.auth.authorize(action, &spec.cluster, Some(last))
    }

    /// Execution `id` if the caller may view its group and its copy-from source; otherwise the same
    /// answer as for an id that does not exist, so ids cannot be walked to learn other teams' groups.
    async fn visible_execution(&self, id: i64) -> AppResult<Execution> {
        let e = self.s.resets.execution(id).await?;
        let caller = self.caller()?;
        let visible = std::iter::once(e.group.as_str())
            .chain(e.spec.copy_source())
            .all(|g| caller.sees_group(&e.cluster, g));
        if visible {
            Ok(e)
        } else {
            Err(AppError::NotFound {
                what: format!("Execution {id}"),
            })
        }
    }

    /// A saved plan if the caller may view every group it shows (a copy-from source included);
    /// otherwise not found, as if it did not exist.
    async fn visible_plan(&self, id: String) -> AppResult<SavedPlan> {
        let plan = self.s.resets.saved_plan(id.clone()).await?;
        let caller = self.caller()?;
        let spec = &plan.plan.spec;
        if spec
            .groups_shown()
            .all(|g| caller.sees_group(&spec.cluster, g))
        {
            Ok(plan)
        } else {
            Err(AppError::NotFound {
                what: format!("Plan {id}"),
            })
        }
    }
}
