//! Local users at /users: who may sign in with a password, their teams and grants, and the form
//! admins (on every cluster and group) add, change and remove them with.

use leptos::prelude::*;

use crate::api::users::{delete_user, list_users, save_user};
use crate::components::error_panel::ErrorPanel;
use crate::components::plan_form::BUTTON;
use crate::components::session::{grants_summary, CallerResource, IfAllowed};
use crate::components::table::{col, num, Col, TableHead};
use crate::domain::access::{Action as Can, Grant, Role};
use crate::domain::users::{UserChange, UserSource, UserSummary, MIN_PASSWORD_CHARS};
use crate::format::utc;

const INPUT: &str = "mt-1 block w-full rounded border border-slate-300 px-2 py-1 text-sm";
const PRIMARY: &str = "bg-slate-900 text-white hover:bg-slate-700";
const SECONDARY: &str = "border border-slate-300 bg-white text-slate-800 hover:bg-slate-100";
const ROLES: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <section aria-labelledby="users-heading">
            <h1 id="users-heading" class="text-lg font-semibold">"Users"</h1>
            <p class="mb-3 text-sm text-slate-600">
                "Local users who sign in with a password. What each may do is their own grants plus the config's "
                <code class="text-xs">"[[auth.grants]]"</code>
                " rules for their name and teams. Single sign-on and proxy users get their teams from the identity provider."
            </p>
            <IfAllowed action=Can::ManageUsers cluster="*".to_owned() group="*".to_owned()
                fallback=|| view! {
                    <p role="alert" class="rounded border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-testid="users-forbidden">
                        "Managing users needs the admin role on every cluster and group (cluster * and group *)."
                    </p>
                }>
                <UserAdmin/>
            </IfAllowed>
        </section>
    }
    .into_any()
}

/// One grant row of the form, with a key so rows keep their inputs when another is removed.
#[derive(Clone, Copy)]
struct GrantDraft {
    key: u32,
    role: RwSignal<Role>,
    clusters: RwSignal<String>,
    groups: RwSignal<String>,
}

/// The form's fields; `editing` is the user being changed, `None` while adding one.
#[derive(Clone, Copy)]
struct Draft {
    editing: RwSignal<Option<String>>,
    name: RwSignal<String>,
    password: RwSignal<String>,
    teams: RwSignal<String>,
    grants: RwSignal<Vec<GrantDraft>>,
    next_key: StoredValue<u32>,
}

impl Draft {
    fn new() -> Self {
        Self {
            editing: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            password: RwSignal::new(String::new()),
            teams: RwSignal::new(String::new()),
            grants: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
        }
    }

    fn add_grant(&self, g: Grant) {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        let row = GrantDraft {
            key,
            role: RwSignal::new(g.role),
            clusters: RwSignal::new(g.clusters),
            groups: RwSignal::new(g.groups),
        };
        self.grants.update(|v| v.push(row));
    }

    /// Fills the form from `user`, or empties it for a new one.
    fn load(&self, user: Option<&UserSummary>) {
        self.editing.set(user.map(|u| u.name.clone()));
        self.name
            .set(user.map(|u| u.name.clone()).unwrap_or_default());
        self.password.set(String::new());
        self.teams
            .set(user.map(|u| u.teams.join(", ")).unwrap_or_default());
        self.grants.set(Vec::new());
        for g in user.map(|u| u.grants.clone()).unwrap_or_default() {
            self.add_grant(g);
        }
    }

    fn change(&self) -> UserChange {
        UserChange {
            name: self.name.get_untracked(),
            password: Some(self.password.get_untracked()).filter(|p| !p.is_empty()),
            teams: self
                .teams
                .get_untracked()
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
            grants: self
                .grants
                .get_untracked()
                .iter()
                .map(|g| Grant {
                    role: g.role.get_untracked(),
                    clusters: g.clusters.get_untracked(),
                    groups: g.groups.get_untracked(),
                })
                .collect(),
        }
    }
}

#[component]
fn UserAdmin() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let users = Resource::new(move || version.get(), |_| list_users());
    let draft = Draft::new();
    let save =
        Action::new(|(change, creating): &(UserChange, bool)| save_user(change.clone(), *creating));
    let remove = Action::new(|name: &String| delete_user(name.clone()));
    let confirming = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(u)) = save.value().get() {
            notice.set(Some(format!("Saved user {}.", u.name)));
            draft.load(None);
            version.update(|v| *v += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            if let Some(name) = confirming.get_untracked() {
                notice.set(Some(format!(
                    "Removed user {name}; their sessions have ended."
                )));
            }
            confirming.set(None);
            version.update(|v| *v += 1);
        }
    });
    let on_edit = Callback::new(move |u: UserSummary| {
        notice.set(None);
        save.value().set(None);
        draft.load(Some(&u));
    });
    let on_remove = Callback::new(move |name: String| {
        notice.set(None);
        remove.value().set(None);
        confirming.set(Some(name));
    });
    view! {
        {move || notice.get().map(|n| view! {
            <p role="status" class="mb-3 rounded border border-emerald-200 bg-emerald-50 p-2 text-sm text-emerald-900" data-testid="users-notice">{n}</p>
        })}
        {move || confirming.get().map(|name| {
            let target = name.clone();
            view! {
                <div role="alertdialog" aria-labelledby="remove-title" class="mb-3 rounded border border-rose-200 bg-rose-50 p-3 text-sm" data-testid="remove-confirm">
                    <p id="remove-title" class="font-medium text-rose-900">{format!("Remove user {name}?")}</p>
                    <p class="text-rose-900">"They can no longer sign in with a password, and their open sessions end now. The audit keeps what they did."</p>
                    <div class="mt-2 flex gap-2">
                        <button type="button" class=format!("{BUTTON} bg-rose-600 text-white hover:bg-rose-700") data-testid="remove-yes"
                            disabled=move || remove.pending().get()
                            on:click=move |_| { remove.dispatch(target.clone()); }>"Remove"</button>
                        <button type="button" class=format!("{BUTTON} {SECONDARY}") on:click=move |_| confirming.set(None)>"Cancel"</button>
                    </div>
                    {move || remove.value().get().and_then(|r| r.err()).map(|error| view! { <div class="mt-2"><ErrorPanel error/></div> })}
                </div>
            }
        })}
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Reading users..."</p> }>
            {move || Suspend::new(async move {
                // Your own row has no Remove: the server refuses it anyway.
                let me = match use_context::<CallerResource>() {
                    Some(c) => c.0.await.ok().map(|c| c.name),
                    None => None,
                };
                match users.await {
                    Ok(list) => view! { <UserTable list me on_edit on_remove/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
        <UserForm draft save/>
    }
    .into_any()
}

#[component]
fn UserTable(
    list: Vec<UserSummary>,
    me: Option<String>,
    on_edit: Callback<UserSummary>,
    on_remove: Callback<String>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="text-sm text-slate-600" data-testid="users-empty">"No local users yet: add one below."</p> }.into_any();
    }
    let cols: Vec<Col> = vec![
        col("Name"),
        col("Defined in"),
        col("Teams"),
        col("Own grants"),
        col("Effective access"),
        num("Sessions"),
        col("Changed (UTC)"),
        col(""),
    ];
    view! {
        <div class="overflow-x-auto rounded border border-slate-200 bg-white">
            <table class="min-w-full text-sm" data-testid="users-table">
                <TableHead cols/>
                <tbody>
                    {list.into_iter().map(|u| {
                        let is_me = me.as_deref() == Some(u.name.as_str());
                        view! { <UserRow u is_me on_edit on_remove/> }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn UserRow(
    u: UserSummary,
    /// The signed-in admin's own row.
    is_me: bool,
    on_edit: Callback<UserSummary>,
    on_remove: Callback<String>,
) -> impl IntoView {
    let editable = u.source == UserSource::Store;
    let changed = u
        .updated_at_ms
        .or(u.created_at_ms)
        .map(utc)
        .unwrap_or_else(|| "-".into());
    let own = if u.grants.is_empty() {
        "-".to_owned()
    } else {
        grants_summary(&u.grants)
    };
    let source = match u.source {
        UserSource::Config => "config file",
        UserSource::Store => "console",
    };
    let name = u.name.clone();
    let user = StoredValue::new(u.clone());
    view! {
        <tr class="border-t border-slate-100 align-top" data-testid="user-row" data-user=u.name.clone()>
            <td class="whitespace-nowrap px-3 py-1.5 font-medium">{u.name.clone()}</td>
            <td class="px-3 py-1.5 text-slate-600">{source}</td>
            <td class="px-3 py-1.5" data-col="teams">{if u.teams.is_empty() { "-".to_owned() } else { u.teams.join(", ") }}</td>
            <td class="px-3 py-1.5" data-col="grants">{own}</td>
            <td class="px-3 py-1.5" data-col="effective">{grants_summary(&u.effective)}</td>
            <td class="px-3 py-1.5 text-right tabular-nums">{u.sessions.map_or_else(|| "-".to_owned(), |n| n.to_string())}</td>
            <td class="whitespace-nowrap px-3 py-1.5 tabular-nums">{changed}</td>
            <td class="whitespace-nowrap px-3 py-1.5 text-right">
                {if editable {
                    view! {
                        <button type="button" class="text-indigo-700 hover:underline" data-testid="user-edit"
                            on:click=move |_| on_edit.run(user.get_value())>"Edit"</button>
                        {if is_me {
                            view! { <span class="ml-3 text-xs text-slate-500">"you"</span> }.into_any()
                        } else {
                            view! {
                                <button type="button" class="ml-3 text-rose-700 hover:underline" data-testid="user-remove"
                                    on:click=move |_| on_remove.run(name.clone())>"Remove"</button>
                            }.into_any()
                        }}
                    }.into_any()
                } else {
                    view! { <span class="text-xs text-slate-500" title="Defined in [[auth.users]] of the config file">"read-only"</span> }.into_any()
                }}
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn UserForm(
    draft: Draft,
    save: Action<(UserChange, bool), Result<UserSummary, crate::error::AppError>>,
) -> impl IntoView {
    let creating = move || draft.editing.get().is_none();
    view! {
        <form class="mt-4 rounded border border-slate-200 bg-white p-4" data-testid="user-form" aria-labelledby="user-form-heading"
            on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch((draft.change(), draft.editing.get_untracked().is_none()));
            }>
            <h2 id="user-form-heading" class="text-sm font-semibold">
                {move || match draft.editing.get() { Some(n) => format!("Change user {n}"), None => "Add a user".to_owned() }}
            </h2>
            <div class="mt-3 grid grid-cols-1 gap-3 sm:grid-cols-3">
                <label class="text-xs font-medium text-slate-700">"User name"
                    <input class=INPUT data-testid="user-name" autocomplete="off" required
                        readonly=move || !creating()
                        prop:value=move || draft.name.get()
                        on:input=move |ev| draft.name.set(event_target_value(&ev))/>
                </label>
                <label class="text-xs font-medium text-slate-700">
                    {move || if creating() { "Password" } else { "New password (leave empty to keep)" }}
                    <input class=INPUT type="password" data-testid="user-password" autocomplete="new-password"
                        minlength=MIN_PASSWORD_CHARS.to_string()
                        prop:value=move || draft.password.get()
                        on:input=move |ev| draft.password.set(event_target_value(&ev))/>
                    <span class="font-normal text-slate-500">{format!("At least {MIN_PASSWORD_CHARS} characters. A new password signs the user out everywhere.")}</span>
                </label>
                <label class="text-xs font-medium text-slate-700">"Teams (comma-separated)"
                    <input class=INPUT data-testid="user-teams" placeholder="kafka-operators"
                        prop:value=move || draft.teams.get()
                        on:input=move |ev| draft.teams.set(event_target_value(&ev))/>
                    <span class="font-normal text-slate-500">"Matched by the config's team: grants."</span>
                </label>
            </div>
            <fieldset class="mt-3">
                <legend class="text-xs font-medium text-slate-700">"Own grants (globs: * any run of characters, ? one)"</legend>
                <For each=move || draft.grants.get() key=|g| g.key let:g>
                    <GrantRow g draft/>
                </For>
                <button type="button" class=format!("{BUTTON} {SECONDARY} mt-2") data-testid="grant-add"
                    on:click=move |_| draft.add_grant(Grant { role: Role::Viewer, clusters: "*".into(), groups: "*".into() })>"Add grant"</button>
            </fieldset>
            <div class="mt-4 flex items-center gap-3">
                <button type="submit" class=format!("{BUTTON} {PRIMARY}") data-testid="user-save" disabled=move || save.pending().get()>
                    {move || if creating() { "Add user" } else { "Save changes" }}
                </button>
                {move || (!creating()).then(|| view! {
                    <button type="button" class=format!("{BUTTON} {SECONDARY}") on:click=move |_| { save.value().set(None); draft.load(None); }>"Cancel"</button>
                })}
            </div>
            {move || save.value().get().and_then(|r| r.err()).map(|error| view! { <div class="mt-3"><ErrorPanel error/></div> })}
        </form>
    }
    .into_any()
}

#[component]
fn GrantRow(g: GrantDraft, draft: Draft) -> impl IntoView {
    view! {
        <div class="mt-2 grid grid-cols-[8rem_1fr_1fr_auto] items-end gap-2" data-testid="grant-row">
            <label class="text-xs text-slate-600">"Role"
                <select class=INPUT data-testid="grant-role"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(r) = ROLES.iter().find(|r| r.as_str() == v) { g.role.set(*r); }
                    }>
                    {ROLES.iter().map(|r| view! {
                        <option value=r.as_str() selected=move || g.role.get() == *r>{r.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="text-xs text-slate-600">"Clusters"
                <input class=INPUT data-testid="grant-clusters" prop:value=move || g.clusters.get()
                    on:input=move |ev| g.clusters.set(event_target_value(&ev))/>
            </label>
            <label class="text-xs text-slate-600">"Groups"
                <input class=INPUT data-testid="grant-groups" prop:value=move || g.groups.get()
                    on:input=move |ev| g.groups.set(event_target_value(&ev))/>
            </label>
            <button type="button" class=format!("{BUTTON} {SECONDARY}") aria-label="Remove this grant" data-testid="grant-remove"
                on:click=move |_| draft.grants.update(|v| v.retain(|x| x.key != g.key))>"Remove"</button>
        </div>
    }
    .into_any()
}
