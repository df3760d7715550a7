//! The signed-in caller in the page: who is signed in (with sign-out), the banner when sign-in is
//! off, and gates that hide controls the caller's role does not allow (the server checks anyway).

use leptos::prelude::*;

use crate::api::access::who_am_i;
use crate::domain::access::{Action, Caller, Grant, SignInMethod};
use crate::error::AppError;

/// The caller of this page, read once per page load.
#[derive(Clone, Copy)]
pub struct CallerResource(pub Resource<Result<Caller, AppError>>);

pub fn provide_caller() {
    provide_context(CallerResource(Resource::new(|| (), |_| who_am_i())));
}

fn caller_resource() -> Option<Resource<Result<Caller, AppError>>> {
    use_context::<CallerResource>().map(|c| c.0)
}

/// Name, roles and sign-out in the header; a warning banner on every page when sign-in is off.
#[component]
pub fn UserBar() -> impl IntoView {
    let caller = caller_resource();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Some(caller) = caller else { return ().into_any() };
                match caller.await {
                    Ok(c) if c.method == SignInMethod::None => view! {
                        <span class="rounded bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900" data-testid="user">"sign-in off"</span>
                    }.into_any(),
                    Ok(c) => {
                        let roles = grants_summary(&c.grants);
                        view! {
                            <span class="min-w-0 max-w-[14rem] truncate text-sm text-slate-700" data-testid="user" title=roles.clone()>
                                <span class="font-medium">{c.name.clone()}</span>
                                <span class="hidden text-slate-500 sm:inline">{format!(" ({roles})")}</span>
                            </span>
                            <form method="post" action="/logout">
                                <button type="submit" class="text-sm text-slate-700 hover:text-indigo-700" data-testid="sign-out">"Sign out"</button>
                            </form>
                        }.into_any()
                    }
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
    }
}

/// `operator on prod / payments-*, viewer on everything`: what the header's tooltip and the users
/// page show.
pub fn grants_summary(grants: &[Grant]) -> String {
    if grants.is_empty() {
        return "no access granted".into();
    }
    grants
        .iter()
        .map(|g| {
            let on = match (g.clusters.as_str(), g.groups.as_str()) {
                ("*", "*") => "everything".to_owned(),
                (cl, "*") => format!("cluster {cl}"),
                (cl, gr) => format!("{cl} / {gr}"),
            };
            format!("{} on {on}", g.role.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The banner every page shows when the server runs with `--insecure-no-auth`.
#[component]
pub fn InsecureBanner() -> impl IntoView {
    let caller = caller_resource();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let insecure = match caller {
                    Some(c) => c.await.is_ok_and(|c| c.method == SignInMethod::None),
                    None => false,
                };
                insecure.then(|| view! {
                    <div role="alert" class="bg-amber-400 px-4 py-2 text-center text-sm font-medium text-amber-950" data-testid="insecure-banner">
                        "Sign-in is off (--insecure-no-auth): anyone who can reach this console can reset consumer groups. For local demos only."
                    </div>
                })
            })}
        </Suspense>
    }
}

/// Shows `children` when the caller may do `action` on `group` of `cluster`, else `fallback`.
#[component]
pub fn IfAllowed(
    action: Action,
    cluster: String,
    #[prop(optional)] group: Option<String>,
    children: ChildrenFn,
    #[prop(optional, into)] fallback: ViewFn,
) -> impl IntoView {
    let caller = caller_resource();
    let (cluster, group) = (StoredValue::new(cluster), StoredValue::new(group));
    let children = StoredValue::new(children);
    let fallback = StoredValue::new(fallback);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let allowed = match caller {
                    Some(c) => c.await.is_ok_and(|c| {
                        c.may(action, &cluster.get_value(), group.get_value().as_deref())
                    }),
                    None => false,
                };
                if allowed {
                    children.with_value(|c| c()).into_any()
                } else {
                    fallback.with_value(|f| f.run()).into_any()
                }
            })}
        </Suspense>
    }
}
