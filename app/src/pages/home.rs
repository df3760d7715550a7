//! The home page: the configured clusters and a searchable, paged, self-refreshing list of the selected
//! one's groups (the table itself is `components::group_list`).

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::clusters::{cluster_or_first, list_clusters};
use crate::api::groups::{group_lag_times, group_lags, list_groups};
use crate::api::history::group_lag_sparklines;
use crate::components::draw_later::PartLive;
use crate::components::error_panel::ErrorPanel;
use crate::components::group_list::{GroupTable, ListParams, PageLagTimes, PageLags, PageSparks};
use crate::components::hydrate_later::HydrateLater;
use crate::components::refresh_button::RefreshButton;
use crate::domain::groups::GroupLagTime;
use crate::domain::lag_history::{Sparkline, Status};
use crate::domain::{ClusterSummary, GroupLag, GroupSort, GroupState};
use crate::format::query_value;

/// How often the list reads Kafka again on its own while the tab is visible.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// How long typing in the search box must pause before the list follows it.
const SEARCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

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
            status: q.get("status").and_then(|s| Status::parse(&s)),
            sort: match q.get("sort").as_deref() {
                Some("lag") => GroupSort::Lag,
                Some("growth") => GroupSort::Growth,
                _ => GroupSort::Name,
            },
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    });

    let clusters = Resource::new(|| (), |_| list_clusters());
    let groups = Resource::new(
        move || params.get(),
        |p| async move {
            let cluster = cluster_or_first(p.cluster).await?;
            list_groups(cluster, p.search, p.state, p.status, p.sort, p.page, 0).await
        },
    );
    // Set in the browser once the table is live (hydrated or drawn). The browser's own reads below wait
    // for it: the table hydrates in a later task than this setup, and an answer arriving before then
    // would change its cells from the server's HTML, which hydration cannot take (components/hydrate_later.rs).
    let table_live = RwSignal::new(false);
    // The lag of the groups on the page: read in the browser once the page shows, again for a new page
    // or a refresh. The last reading stays on screen while the next one is read, so nothing flickers.
    let page_ids = Memo::new(move |_| {
        if !table_live.get() {
            return None;
        }
        groups.get().and_then(|r| r.ok()).map(|p| {
            (
                p.cluster,
                p.groups.into_iter().map(|g| g.group_id).collect::<Vec<_>>(),
            )
        })
    });
    let lags = LocalResource::new(move || {
        let ids = page_ids.get();
        async move {
            let (cluster, ids) = ids?;
            Some(group_lags(cluster, ids).await.map(|v| {
                v.into_iter()
                    .map(|l| (l.group_id.clone(), l))
                    .collect::<HashMap<String, GroupLag>>()
            }))
        }
    });
    // Lag in time costs a record per lagging partition: read once the lag in records is on screen,
    // and again after each reading of it.
    let times = LocalResource::new(move || {
        let ids = page_ids.get();
        let lags_read = lags.get().flatten().is_some();
        async move {
            let (cluster, ids) = ids.filter(|_| lags_read)?;
            Some(group_lag_times(cluster, ids).await.map(|v| {
                v.into_iter()
                    .map(|t| (t.group_id.clone(), t))
                    .collect::<HashMap<String, GroupLagTime>>()
            }))
        }
    });
    // The last hour of each group on the page, from Rewind's own samples (no Kafka read).
    let sparks = LocalResource::new(move || {
        let ids = page_ids.get();
        async move {
            let (cluster, ids) = ids?;
            Some(group_lag_sparklines(cluster, ids).await.map(|v| {
                v.into_iter()
                    .map(|s| (s.group_id.clone(), s))
                    .collect::<HashMap<String, Sparkline>>()
            }))
        }
    });
    // Not before the table is live: it would hydrate against a list being read again.
    let refresh = move || {
        if table_live.get_untracked() {
            groups.refetch();
            lags.refetch();
            sparks.refetch();
        }
    };
    let (lags_shown, times_shown, sparks_shown): (PageLags, PageLagTimes, PageSparks) =
        (shown(lags), shown(times), shown(sparks));

    // While the lag index builds, look again every 1.5 s so the order appears without a click.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let building = table_live.get()
            && groups
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
    // A list left open stays current: read again every 30 s while the tab is in view.
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if !document().hidden() {
                    refresh();
                }
            },
            REFRESH_EVERY,
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = REFRESH_EVERY;

    view! {
        <h1 class="sr-only">"Consumer groups"</h1>
        // Clusters above the list, not beside it: beside it, the list lost 16rem and its last columns
        // (coordinator, topics) went out of view at 1280 px (so did they in the page's former 72rem).
        // The page hydrates in three tasks: its setup, the clusters, the search form and table. As one,
        // they were the home page's longest task, 130 to 300 ms at a 4x CPU slowdown
        // (components/hydrate_later.rs, docs/performance/page-weight.md).
        {HydrateLater(view! {
        <section aria-labelledby="clusters-heading" class="mb-6">
            <h2 id="clusters-heading" class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-600">
                "Clusters"
            </h2>
            <Transition fallback=|| view! { <p class="text-sm text-slate-600">"Loading clusters..."</p> }>
                {move || Suspend::new(async move {
                    match clusters.await {
                        Ok(list) => view! { <ClusterList clusters=list selected=params.get_untracked().cluster/> }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        })}
        <section aria-labelledby="groups-heading" class="min-w-0">
            <div class="mb-2 flex items-center justify-between gap-2">
                <h2 id="groups-heading" class="text-xs font-semibold uppercase tracking-wide text-slate-600">
                    "Consumer groups"
                </h2>
                <RefreshButton on_refresh=refresh/>
            </div>
            // The search form with the table: a filter changed before the table hydrated would read
            // the list again under it.
            {HydrateLater(view! {
            <SearchForm params=params/>
            <Transition fallback=|| view! { <p class="text-sm text-slate-600">"Reading consumer groups from the brokers..."</p> }>
                {move || Suspend::new(async move {
                    match groups.await {
                        Ok(page) => view! { <GroupTable page params=params.get_untracked() lags=lags_shown times=times_shown sparks=sparks_shown/><PartLive live=table_live/> }.into_any(),
                        Err(error) => view! { <ErrorPanel error/><PartLive live=table_live/> }.into_any(),
                    }
                })}
            </Transition>
            })}
        </section>
    }
    .into_any()
}

/// Search box and state filter, applied as they change (the search once typing pauses). A GET form
/// underneath, so it also works before the page is interactive.
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
    let search = RwSignal::new(p.search.clone());
    let state = RwSignal::new(p.state.map(|s| s.as_str().to_owned()).unwrap_or_default());
    let status = RwSignal::new(p.status.map(|s| s.as_str().to_owned()).unwrap_or_default());
    let navigate = use_navigate();
    // The list a filter change leads to: its first page, in the URL (replaced while typing).
    let apply = Callback::new(move |replace: bool| {
        let p = params.get_untracked();
        let next = ListParams {
            search: search.get_untracked().trim().to_owned(),
            state: Some(GroupState::parse(&state.get_untracked()))
                .filter(|s| *s != GroupState::Unknown),
            status: Status::parse(&status.get_untracked()),
            page: 0,
            ..p.clone()
        };
        let href = match &p.cluster {
            Some(c) => next.href(c),
            // No cluster chosen: the server's first one applies, so none is named.
            None => strip_cluster(&next.href("")),
        };
        navigate(
            &href,
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        );
    });
    let pause = StoredValue::new(None::<TimeoutHandle>);
    let cancel_pause = move || {
        if let Some(h) = pause.try_update_value(Option::take).flatten() {
            h.clear();
        }
    };
    // Leaving the page (a group clicked) must not let a pending search navigate back to the list.
    on_cleanup(cancel_pause);
    let typed = move || {
        if let Some(h) = pause.get_value() {
            h.clear();
        }
        pause.set_value(set_timeout_with_handle(move || apply.run(true), SEARCH_PAUSE).ok());
    };
    view! {
        <form method="GET" action="/" role="search"
            on:submit=move |ev| { ev.prevent_default(); cancel_pause(); apply.run(false); }>
            <div class="mb-3 flex flex-wrap items-end gap-2">
                {p.cluster.clone().map(|c| view! { <input type="hidden" name="cluster" value=c/> })}
                // At phone width the search keeps a usable width and the filters wrap below it.
                <label class="flex min-w-[12rem] flex-1 flex-col text-xs text-slate-600">
                    "Search group ids"
                    <input
                        type="search"
                        name="q"
                        data-testid="group-search"
                        value=p.search.clone()
                        prop:value=move || search.get()
                        on:input=move |ev| { search.set(event_target_value(&ev)); typed(); }
                        placeholder="e.g. payments"
                        class="mt-1 w-full rounded border border-slate-300 px-2 py-1 text-sm text-slate-900 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    />
                </label>
                <label class="flex flex-col text-xs text-slate-600">
                    "State"
                    <select
                        name="state"
                        data-testid="group-state"
                        on:change=move |ev| { state.set(event_target_value(&ev)); apply.run(false); }
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
                    "Lag status"
                    <select
                        name="status"
                        data-testid="group-status"
                        title="From the lag samples of the last minutes (see the README's Lag history)"
                        on:change=move |ev| { status.set(event_target_value(&ev)); apply.run(false); }
                        class="mt-1 rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    >
                        <option value="" selected=p.status.is_none()>"Any"</option>
                        {Status::ALL
                            .into_iter()
                            .map(|s| view! { <option value=s.as_str() selected=p.status == Some(s)>{s.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                {match p.sort {
                    GroupSort::Lag => Some(view! { <input type="hidden" name="sort" value="lag"/> }),
                    GroupSort::Growth => Some(view! { <input type="hidden" name="sort" value="growth"/> }),
                    GroupSort::Name => None,
                }}
                // Filters apply as they change; the button only serves a page that is not yet interactive.
                <button type="submit" class="sr-only">"Search"</button>
            </div>
        </form>
    }
    .into_any()
}

/// What the table reads of a page read: the last answer of `read`, kept while the next one loads, in a
/// signal a browser-only effect fills. The table must not read the local resource itself: inside its
/// `Transition` that made the server render the list's fallback instead of the list.
fn shown<T: Clone + Send + Sync + 'static>(
    read: LocalResource<Option<T>>,
) -> ReadSignal<Option<T>> {
    let last = RwSignal::new(None::<T>);
    Effect::new(move |_| {
        if let Some(v) = read.get().flatten() {
            last.set(Some(v));
        }
    });
    last.read_only()
}

/// A list URL without a cluster (the server's first one then applies).
fn strip_cluster(href: &str) -> String {
    match href.strip_prefix("/?cluster=") {
        Some(rest) => match rest.split_once('&') {
            Some((_, params)) => format!("/?{params}"),
            None => "/".to_owned(),
        },
        None => href.to_owned(),
    }
}

#[component]
fn ClusterList(clusters: Vec<ClusterSummary>, selected: Option<String>) -> impl IntoView {
    let first = clusters.first().map(|c| c.name.clone());
    let current = selected.or(first);
    view! {
        <ul class="flex flex-wrap gap-2" data-testid="cluster-list">
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
                        <li class="min-w-[12rem] max-w-full">
                            <a href=href class=class aria-current=active.then_some("page")>
                                <span class="block font-medium">{c.name}</span>
                                <span class="block truncate font-mono text-xs text-slate-600">{c.bootstrap_servers}</span>
                                <span class="block text-xs text-slate-600">{c.security_protocol}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
