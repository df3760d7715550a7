//! The home page: the configured clusters and the consumer groups of the selected one.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::clusters::list_clusters;
use crate::api::groups::list_groups;
use crate::components::error_panel::ErrorPanel;
use crate::components::state_badge::StateBadge;
use crate::domain::{ClusterSummary, GroupList, GroupState};
use crate::error::AppError;

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let selected = move || query.read().get("cluster");

    let clusters = Resource::new(|| (), |_| list_clusters());
    let groups = Resource::new(selected, |cluster| async move {
        let cluster = match cluster {
            Some(c) => c,
            None => list_clusters()
                .await?
                .into_iter()
                .next()
                .map(|c| c.name)
                .ok_or_else(|| AppError::InvalidInput("no cluster is configured".into()))?,
        };
        list_groups(cluster).await
    });

    view! {
        <div class="grid gap-6 lg:grid-cols-[16rem_1fr]">
            <section aria-labelledby="clusters-heading" class="min-w-0">
                <h2 id="clusters-heading" class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">
                    "Clusters"
                </h2>
                <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading clusters..."</p> }>
                    {move || Suspend::new(async move {
                        match clusters.await {
                            Ok(list) => view! { <ClusterList clusters=list selected=selected()/> }.into_any(),
                            Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section aria-labelledby="groups-heading" class="min-w-0">
                <div class="mb-2 flex items-center justify-between gap-2">
                    <h2 id="groups-heading" class="text-xs font-semibold uppercase tracking-wide text-slate-500">
                        "Consumer groups"
                    </h2>
                    <button
                        type="button"
                        class="rounded border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                        on:click=move |_| groups.refetch()
                    >
                        "Refresh"
                    </button>
                </div>
                <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Reading consumer groups from the brokers..."</p> }>
                    {move || Suspend::new(async move {
                        match groups.await {
                            Ok(list) => view! { <GroupTable list/> }.into_any(),
                            Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
fn ClusterList(clusters: Vec<ClusterSummary>, selected: Option<String>) -> impl IntoView {
    let first = clusters.first().map(|c| c.name.clone());
    let current = selected.or(first);
    view! {
        <ul class="space-y-1" data-testid="cluster-list">
            {clusters
                .into_iter()
                .map(|c| {
                    let active = current.as_deref() == Some(c.name.as_str());
                    let href = format!("/?cluster={}", encode_query_value(&c.name));
                    let class = if active {
                        "block rounded border border-indigo-300 bg-indigo-50 px-3 py-2"
                    } else {
                        "block rounded border border-slate-200 bg-white px-3 py-2 hover:bg-slate-100"
                    };
                    view! {
                        <li>
                            <a href=href class=class aria-current=active.then_some("page")>
                                <span class="block font-medium">{c.name}</span>
                                <span class="block truncate font-mono text-xs text-slate-500">{c.bootstrap_servers}</span>
                                <span class="block text-xs text-slate-500">{c.security_protocol}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
fn GroupTable(list: GroupList) -> impl IntoView {
    let total = list.groups.len();
    let count = |s: GroupState| list.groups.iter().filter(|g| g.state == s).count();
    let summary = format!(
        "{total} groups on {}: {} Stable, {} Empty, {} other",
        list.cluster,
        count(GroupState::Stable),
        count(GroupState::Empty),
        total - count(GroupState::Stable) - count(GroupState::Empty),
    );
    if list.groups.is_empty() {
        return view! {
            <p class="rounded border border-dashed border-slate-300 bg-white p-6 text-center text-slate-500">
                "No consumer groups on " {list.cluster} " yet."
            </p>
        }
        .into_any();
    }
    view! {
        <p class="mb-2 text-sm text-slate-600" data-testid="group-summary">{summary}</p>
        <div class="overflow-x-auto rounded border border-slate-200 bg-white">
            <table class="min-w-full text-sm" data-testid="group-table">
                <thead class="bg-slate-100 text-left text-xs uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Group"</th>
                        <th scope="col" class="px-3 py-2">"State"</th>
                        <th scope="col" class="px-3 py-2 text-right">"Members"</th>
                        <th scope="col" class="px-3 py-2">"Protocol"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {list
                        .groups
                        .into_iter()
                        .map(|g| {
                            let id_attr = g.group_id.clone();
                            let title = g.group_id.clone();
                            // A group that only holds commits (no member ever joined since) has no protocol.
                            let protocol = if g.protocol_type.is_empty() { "-".to_owned() } else { g.protocol_type };
                            view! {
                                <tr data-group-id=id_attr>
                                    <td class="max-w-md truncate px-3 py-1.5 font-mono" title=title>{g.group_id}</td>
                                    <td class="px-3 py-1.5"><StateBadge state=g.state/></td>
                                    <td class="px-3 py-1.5 text-right tabular-nums">{g.members}</td>
                                    <td class="px-3 py-1.5 text-slate-500">{protocol}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Percent-encodes a query value: cluster names come from config and may hold any character.
fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode_query_value;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode_query_value("local"), "local");
        assert_eq!(encode_query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
