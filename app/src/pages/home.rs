//! The home page: the configured clusters and a searchable, paged list of the selected one's groups.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::clusters::{cluster_or_first, list_clusters};
use crate::api::groups::{group_lags, list_groups};
use crate::components::error_panel::ErrorPanel;
use crate::components::state_badge::StateBadge;
use crate::components::table::{col, num, TableHead};
use std::collections::HashMap;

use crate::domain::{ClusterSummary, GroupLag, GroupPage, GroupSort, GroupState, LagIndexInfo};
use crate::error::AppError;
use crate::format::{group_href, int, opt_int, query_value, utc};

/// The list's inputs, read from the URL so every view is a shareable link.
#[derive(Clone, PartialEq)]
struct ListParams {
    cluster: Option<String>,
    search: String,
    state: Option<GroupState>,
    sort: GroupSort,
    page: u32,
}

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let q = query.read();
        ListParams {
            cluster: q.get("cluster").filter(|c| !c.is_empty()),
            search: q.get("q").unwrap_or_default(),
            state: q
                .get("state")
                .map(|s| GroupState::parse(&s))
                .filter(|s| *s != GroupState::Unknown),
            sort: if q.get("sort").as_deref() == Some("lag") {
                GroupSort::Lag
            } else {
                GroupSort::Name
            },
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    });

    let clusters = Resource::new(|| (), |_| list_clusters());
    let groups = Resource::new(
        move || params.get(),
        |p| async move {
            let cluster = cluster_or_first(p.cluster).await?;
            list_groups(cluster, p.search, p.state, p.sort, p.page, 0).await
        },
    );

    // While the lag index builds, look again every 1.5 s so the order appears without a click.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let building = groups
            .get()
            .and_then(|r| r.ok())
            .and_then(|p| p.lag_index)
            .is_some_and(|i| i.building.is_some());
        if building {
            set_timeout(
                move || groups.refetch(),
                std::time::Duration::from_millis(1500),
            );
        }
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
                            Ok(list) => view! { <ClusterList clusters=list selected=params.get_untracked().cluster/> }.into_any(),
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
                <SearchForm params=params/>
                <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Reading consumer groups from the brokers..."</p> }>
                    {move || Suspend::new(async move {
                        match groups.await {
                            Ok(page) => view! { <GroupTable page params=params.get_untracked()/> }.into_any(),
                            Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// Search box and state filter. A GET form, so it works before hydration and yields a shareable URL.
#[component]
fn SearchForm(params: Memo<ListParams>) -> impl IntoView {
    let p = params.get_untracked();
    let states = [
        GroupState::Stable,
        GroupState::Empty,
        GroupState::PreparingRebalance,
        GroupState::CompletingRebalance,
        GroupState::Dead,
    ];
    view! {
        <Form method="GET" action="/">
            <div class="mb-3 flex flex-wrap items-end gap-2">
                {p.cluster.clone().map(|c| view! { <input type="hidden" name="cluster" value=c/> })}
                <label class="flex min-w-0 flex-1 flex-col text-xs text-slate-600">
                    "Search group ids"
                    <input
                        type="search"
                        name="q"
                        value=p.search.clone()
                        placeholder="e.g. payments"
                        class="mt-1 w-full rounded border border-slate-300 px-2 py-1 text-sm text-slate-900 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    />
                </label>
                <label class="flex flex-col text-xs text-slate-600">
                    "State"
                    <select
                        name="state"
                        class="mt-1 rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    >
                        <option value="" selected=p.state.is_none()>"Any"</option>
                        {states
                            .into_iter()
                            .map(|s| view! { <option value=s.as_str() selected=p.state == Some(s)>{s.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label class="flex flex-col text-xs text-slate-600">
                    "Sort"
                    <select
                        name="sort"
                        class="mt-1 rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    >
                        <option value="name" selected=p.sort == GroupSort::Name>"Group id"</option>
                        <option value="lag" selected=p.sort == GroupSort::Lag>"Lag, highest first"</option>
                    </select>
                </label>
                <button
                    type="submit"
                    class="rounded bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                >
                    "Search"
                </button>
            </div>
        </Form>
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
                    let href = format!("/?cluster={}", query_value(&c.name));
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

/// The URL of another page of the same list.
fn page_href(cluster: &str, p: &ListParams, page: u32) -> String {
    let mut href = format!("/?cluster={}&page={page}", query_value(cluster));
    if !p.search.is_empty() {
        href.push_str(&format!("&q={}", query_value(&p.search)));
    }
    if let Some(s) = p.state {
        href.push_str(&format!("&state={}", s.as_str()));
    }
    if p.sort == GroupSort::Lag {
        href.push_str("&sort=lag");
    }
    href
}

#[component]
fn GroupTable(page: GroupPage, params: ListParams) -> impl IntoView {
    let counts = page
        .state_counts
        .iter()
        .map(|(s, n)| format!("{} {}", int(i64::from(*n)), s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let summary = format!(
        "{} groups on {}: {}",
        int(i64::from(page.total)),
        page.cluster,
        counts
    );
    let first = page.page * page.page_size;
    let shown = format!(
        "Showing {}-{} of {} matching",
        int(i64::from(first + u32::from(!page.groups.is_empty()))),
        int(i64::from(first) + page.groups.len() as i64),
        int(i64::from(page.matched)),
    );
    let has_prev = page.page > 0;
    let has_next = u64::from(first) + (page.groups.len() as u64) < u64::from(page.matched);
    let prev = page_href(&page.cluster, &params, page.page.saturating_sub(1));
    let next = page_href(&page.cluster, &params, page.page + 1);
    let warnings = (!page.warnings.is_empty()).then(|| {
        view! {
            <p role="status" class="mb-2 rounded border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                "Some brokers did not answer; the list may be incomplete: " {page.warnings.join("; ")}
            </p>
        }
    });
    let index_note = page
        .lag_index
        .clone()
        .map(|i| view! { <LagIndexNote info=i/> });
    if page.groups.is_empty() {
        let text = if page.total == 0 {
            format!("No consumer groups on {} yet.", page.cluster)
        } else {
            "No group matches this search.".to_owned()
        };
        return view! {
            {warnings}
            <p class="mb-2 text-sm text-slate-600" data-testid="group-summary">{summary}</p>
            <p class="rounded border border-dashed border-slate-300 bg-white p-6 text-center text-slate-500">{text}</p>
        }
        .into_any();
    }
    let cluster = page.cluster.clone();
    // Lag needs every group's committed offsets and the log ends: computed after the page is shown, for
    // this page only, and streamed into the table when ready.
    let ids: Vec<String> = page.groups.iter().map(|g| g.group_id.clone()).collect();
    let lag_cluster = page.cluster.clone();
    let lags = Resource::new(
        move || (lag_cluster.clone(), ids.clone()),
        |(cluster, ids)| async move {
            group_lags(cluster, ids).await.map(|v| {
                v.into_iter()
                    .map(|l| (l.group_id.clone(), l))
                    .collect::<HashMap<String, GroupLag>>()
            })
        },
    );
    view! {
        {warnings}
        <p class="mb-2 text-sm text-slate-600" data-testid="group-summary">{summary}</p>
        {index_note}
        <div class="overflow-x-auto rounded border border-slate-200 bg-white">
            <table class="min-w-full text-sm" data-testid="group-table">
                <TableHead cols=vec![
                    col("Group"), col("State"), num("Members"), num("Lag"),
                    col("Type").with("hidden md:table-cell"),
                    num("Coord.").with("hidden md:table-cell").titled("Coordinator broker id"),
                    col("Topics").with("hidden lg:table-cell"),
                ]/>
                <tbody class="divide-y divide-slate-100">
                    {page
                        .groups
                        .into_iter()
                        .map(|g| {
                            let href = group_href(&cluster, &g.group_id);
                            let id_attr = g.group_id.clone();
                            let title = g.group_id.clone();
                            let (lag_id, topics_id) = (g.group_id.clone(), g.group_id.clone());
                            let kind = g.group_type.as_str();
                            // Kafka calls a group that only ever committed offsets a "simple" group.
                            let simple = g.simple.then(|| view! {
                                <span class="ml-1 text-xs text-slate-400" title="Only ever committed offsets: no member has joined">"simple"</span>
                            });
                            let members = g.members.map(|m| m.to_string()).unwrap_or_else(|| "-".into());
                            let coordinator = g.coordinator.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
                            view! {
                                <tr data-group-id=id_attr>
                                    <td class="max-w-[11rem] truncate px-3 py-1.5 font-mono sm:max-w-[15rem]" title=title>
                                        <a class="text-indigo-700 hover:underline" href=href>{g.group_id}</a>
                                    </td>
                                    <td class="whitespace-nowrap px-3 py-1.5"><StateBadge state=g.state/></td>
                                    <td class="px-3 py-1.5 text-right tabular-nums">{members}</td>
                                    <td class="whitespace-nowrap px-3 py-1.5 text-right tabular-nums" data-col="lag">
                                        <LagCell lags id=lag_id show=|l: &GroupLag| {
                                            if l.committed_partitions == 0 { "-".to_owned() } else { opt_int(l.lag) }
                                        }/>
                                    </td>
                                    <td class="hidden whitespace-nowrap px-3 py-1.5 text-slate-600 md:table-cell">{kind}{simple}</td>
                                    <td class="hidden px-3 py-1.5 text-right tabular-nums text-slate-600 md:table-cell">{coordinator}</td>
                                    <td class="hidden max-w-[12rem] truncate px-3 py-1.5 text-slate-600 lg:table-cell" data-col="topics">
                                        <LagCell lags id=topics_id show=|l: &GroupLag| {
                                            if l.topics.is_empty() { "-".to_owned() } else { l.topics.join(", ") }
                                        }/>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="mt-2 flex items-center justify-between text-sm text-slate-600" aria-label="Pages">
            <span data-testid="page-info">{shown}</span>
            <span class="flex gap-2">
                {has_prev.then(|| view! { <a class="rounded border border-slate-300 bg-white px-2 py-1 hover:bg-slate-100" href=prev rel="prev">"Previous"</a> })}
                {has_next.then(|| view! { <a class="rounded border border-slate-300 bg-white px-2 py-1 hover:bg-slate-100" href=next rel="next">"Next"</a> })}
            </span>
        </nav>
    }
    .into_any()
}

type PageLags = Resource<Result<HashMap<String, GroupLag>, AppError>>;

/// One cell filled from the page's lag once it arrives; `...` until then, `?` if it failed.
#[component]
fn LagCell(lags: PageLags, id: String, show: fn(&GroupLag) -> String) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <span class="text-slate-400" title="computing">"..."</span> }>
            {
                let id = id.clone();
                move || {
                    let id = id.clone();
                    Suspend::new(async move {
                        match lags.await {
                            Ok(map) => map.get(&id).map(show).unwrap_or_else(|| "-".to_owned()),
                            Err(_) => "?".to_owned(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

/// Where the lag order comes from: the index's age, or its build progress.
#[component]
fn LagIndexNote(info: LagIndexInfo) -> impl IntoView {
    let text = match (info.as_of, info.building) {
        (None, Some((done, total))) if total > 0 => format!(
            "Computing the lag of every group to sort by it: {} of {} done. Shown by id until then.",
            int(i64::from(done)),
            int(i64::from(total))
        ),
        (None, _) => "Computing the lag of every group to sort by it. Shown by id until then.".to_owned(),
        (Some(at), None) => format!("Sorted by lag as of {}.", utc(at)),
        (Some(at), Some(_)) => format!("Sorted by lag as of {}; a newer reading is on its way.", utc(at)),
    };
    view! {
        <p role="status" class="mb-2 text-xs text-slate-500" data-testid="lag-index">{text}</p>
    }
}
