//! The groups list of the home page: the table (sortable by its Group and Lag headers, lag in records
//! with a bar scaled to the page, lag in time), paging, and the list's inputs as they travel in the URL.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::browser;
use crate::components::lag_chart::{Sparkline, StatusBadge};
use crate::components::state_badge::StateBadge;
use crate::domain::groups::GroupLagTime;
use crate::domain::lag_history::{Sparkline as Spark, Status};
use crate::domain::{GroupLag, GroupPage, GroupSort, GroupState, LagIndexInfo};
use crate::error::AppError;
use crate::format::{duration, group_href, int, opt_int, query_value, utc};

/// The list's inputs, read from the URL so every view is a shareable link.
#[derive(Clone, Debug, PartialEq)]
pub struct ListParams {
    pub cluster: Option<String>,
    pub search: String,
    pub state: Option<GroupState>,
    pub status: Option<Status>,
    pub sort: GroupSort,
    pub page: u32,
}

impl ListParams {
    /// The URL of this list (no empty parameters, so no stray `&=`).
    pub fn href(&self, cluster: &str) -> String {
        let mut href = format!("/?cluster={}", query_value(cluster));
        if !self.search.is_empty() {
            href.push_str(&format!("&q={}", query_value(&self.search)));
        }
        if let Some(s) = self.state {
            href.push_str(&format!("&state={}", s.as_str()));
        }
        if let Some(s) = self.status {
            href.push_str(&format!("&status={}", s.as_str()));
        }
        match self.sort {
            GroupSort::Lag => href.push_str("&sort=lag"),
            GroupSort::Growth => href.push_str("&sort=growth"),
            GroupSort::Name => {}
        }
        if self.page > 0 {
            href.push_str(&format!("&page={}", self.page));
        }
        href
    }
}

/// Every group's lag on the page, read in the browser after the page shows (and on each refresh).
/// Each of these is a signal the page fills from its local resource in a browser-only effect: read
/// inside the list's `Transition`, a local resource made Leptos render the whole list as its fallback
/// on the server (a local resource never resolves there), so the list arrived only after hydration.
pub type PageLags = ReadSignal<Option<Result<HashMap<String, GroupLag>, AppError>>>;

/// Each group's last hour from the lag samples, with its status.
pub type PageSparks = ReadSignal<Option<Result<HashMap<String, Spark>, AppError>>>;

/// When each group's oldest unread record was written, read after the lag (a record per partition).
pub type PageLagTimes = ReadSignal<Option<Result<HashMap<String, GroupLagTime>, AppError>>>;

#[component]
pub fn GroupTable(
    page: GroupPage,
    params: ListParams,
    lags: PageLags,
    times: PageLagTimes,
    sparks: PageSparks,
) -> impl IntoView {
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
    let at = |n: u32| ListParams {
        page: n,
        ..params.clone()
    };
    let prev = at(page.page.saturating_sub(1)).href(&page.cluster);
    let next = at(page.page + 1).href(&page.cluster);
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
            <p class="rounded border border-dashed border-slate-300 bg-white p-6 text-center text-slate-600">{text}</p>
        }
        .into_any();
    }
    let cluster = page.cluster.clone();
    // The header links sort the list; the one in use is marked for assistive technology too.
    let sorted_by = |sort: GroupSort| {
        let href = ListParams {
            sort,
            page: 0,
            ..params.clone()
        }
        .href(&cluster);
        (href, params.sort == sort)
    };
    let (by_name, name_current) = sorted_by(GroupSort::Name);
    let (by_lag, lag_current) = sorted_by(GroupSort::Lag);
    let (by_growth, growth_current) = sorted_by(GroupSort::Growth);
    let th = "px-3 py-2";
    let link = "rounded text-slate-700 underline decoration-dotted underline-offset-2 hover:text-indigo-700 focus:outline-none focus:ring-2 focus:ring-indigo-500";
    view! {
        {warnings}
        <p class="mb-2 text-sm text-slate-600" data-testid="group-summary">{summary}</p>
        {index_note}
        <div class="overflow-x-auto rounded border border-slate-200 bg-white">
            <table class="min-w-full text-sm" data-testid="group-table">
                <thead class="bg-slate-100 text-left text-xs uppercase tracking-wide text-slate-600">
                    <tr>
                        <th scope="col" class=th aria-sort=name_current.then_some("ascending")>
                            <a class=link href=by_name data-testid="sort-name" title="Sort by group id">"Group"</a>
                            {name_current.then(|| view! { <span aria-hidden="true">" ▲"</span> })}
                        </th>
                        <th scope="col" class=th>"State"</th>
                        <th scope="col" class=format!("{th} hidden text-right sm:table-cell")>"Members"</th>
                        <th scope="col" class=format!("{th} text-right") aria-sort=lag_current.then_some("descending")>
                            <a class=link href=by_lag data-testid="sort-lag" title="Sort by lag, highest first">"Lag"</a>
                            {lag_current.then(|| view! { <span aria-hidden="true">" ▼"</span> })}
                        </th>
                        <th scope="col" class=format!("{th} hidden text-right sm:table-cell") title="Age of the oldest record the group has not read yet">"Behind"</th>
                        <th scope="col" class=format!("{th} hidden md:table-cell") aria-sort=growth_current.then_some("descending")>
                            <a class=link href=by_growth data-testid="sort-growth" title="Lag over the last hour and its status; sort by lag growing fastest">"Last hour"</a>
                            {growth_current.then(|| view! { <span aria-hidden="true">" ▼"</span> })}
                        </th>
                        <th scope="col" class=format!("{th} hidden md:table-cell")>"Type"</th>
                        <th scope="col" class=format!("{th} hidden text-right md:table-cell") title="Coordinator broker id">"Coord."</th>
                        <th scope="col" class=format!("{th} hidden lg:table-cell")>"Topics"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {page
                        .groups
                        .into_iter()
                        .map(|g| {
                            let href = group_href(&cluster, &g.group_id);
                            let id_attr = g.group_id.clone();
                            let title = g.group_id.clone();
                            let (lag_id, topics_id, time_id, spark_id) =
                                (g.group_id.clone(), g.group_id.clone(), g.group_id.clone(), g.group_id.clone());
                            let kind = g.group_type.as_str();
                            // Kafka calls a group that only ever committed offsets a "simple" group.
                            let simple = g.simple.then(|| view! {
                                <span class="ml-1 text-xs text-slate-600" title="Only ever committed offsets: no member has joined">"simple"</span>
                            });
                            let members = g.members.map(|m| m.to_string()).unwrap_or_else(|| "-".into());
                            let coordinator = g.coordinator.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
                            view! {
                                <tr data-group-id=id_attr>
                                    <td class="max-w-[11rem] truncate px-3 py-1.5 font-mono sm:max-w-[15rem]" title=title>
                                        <a class="text-indigo-700 hover:underline" href=href>{g.group_id}</a>
                                    </td>
                                    <td class="whitespace-nowrap px-3 py-1.5"><StateBadge state=g.state/></td>
                                    <td class="hidden px-3 py-1.5 text-right tabular-nums sm:table-cell" data-col="members">{members}</td>
                                    <td class="whitespace-nowrap px-3 py-1.5 text-right tabular-nums" data-col="lag">
                                        <LagWithBar lags id=lag_id/>
                                    </td>
                                    <td class="hidden whitespace-nowrap px-3 py-1.5 text-right tabular-nums sm:table-cell" data-col="time-lag">
                                        {move || behind(times.get(), &time_id)}
                                    </td>
                                    <td class="hidden whitespace-nowrap px-3 py-1.5 md:table-cell" data-col="trend">
                                        {move || match sparks.get() {
                                            Some(Ok(map)) => map.get(&spark_id).cloned().map(|s| view! {
                                                <span class="inline-flex items-center gap-2">
                                                    <Sparkline lags=s.lags/>
                                                    <StatusBadge judgement=s.judgement/>
                                                </span>
                                            }.into_any()).unwrap_or_else(|| "...".into_any()),
                                            Some(Err(_)) => "?".into_any(),
                                            None => "...".into_any(),
                                        }}
                                    </td>
                                    <td class="hidden whitespace-nowrap px-3 py-1.5 text-slate-600 md:table-cell">{kind}{simple}</td>
                                    <td class="hidden px-3 py-1.5 text-right tabular-nums text-slate-600 md:table-cell">{coordinator}</td>
                                    <td class="hidden max-w-[12rem] truncate px-3 py-1.5 text-slate-600 lg:table-cell" data-col="topics">
                                        {move || match lags.get() {
                                            Some(Ok(map)) => map.get(&topics_id).map(|l| if l.topics.is_empty() { "-".to_owned() } else { l.topics.join(", ") }).unwrap_or_else(|| "-".to_owned()),
                                            Some(Err(_)) => "?".to_owned(),
                                            None => "...".to_owned(),
                                        }}
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

/// A group's lag in time as the list shows it, with what it means in its title.
fn behind(
    read: Option<Result<HashMap<String, GroupLagTime>, AppError>>,
    id: &str,
) -> impl IntoView {
    let (text, title) = match read {
        None => ("...".to_owned(), "reading"),
        Some(Err(_)) => ("?".to_owned(), "the records could not be read"),
        Some(Ok(map)) => match map.get(id) {
            // This page's groups are not read yet (the last reading was of another page).
            None => ("...".to_owned(), "reading"),
            Some(t) => match (t.oldest_unread_ms, t.partial) {
                (Some(at), false) => (
                    duration(browser::now_ms() - at),
                    "age of the oldest unread record",
                ),
                (Some(at), true) => (
                    format!("≥ {}", duration(browser::now_ms() - at)),
                    "at least: some partitions could not be read in time",
                ),
                (None, true) => (
                    "?".to_owned(),
                    "the unread records could not be read in time",
                ),
                (None, false) => ("-".to_owned(), "nothing unread"),
            },
        },
    };
    view! { <span title=title>{text}</span> }
}

/// How far behind, at a glance: the lag, and a bar scaled to the largest lag on the page (amber when
/// behind, rose when it holds most of the page's lag). The last reading stays while a refresh runs.
#[component]
fn LagWithBar(lags: PageLags, id: String) -> impl IntoView {
    move || {
        let Some(read) = lags.get() else {
            return view! { <span class="text-slate-600" title="computing">"..."</span> }
                .into_any();
        };
        let Ok(map) = read else {
            return view! { <span title="the lag could not be read">"?"</span> }.into_any();
        };
        let max = map.values().filter_map(|l| l.lag).max().unwrap_or(0);
        match map.get(&id) {
            Some(l) if l.committed_partitions > 0 => {
                let lag = l.lag.unwrap_or(0);
                let pct = if max > 0 {
                    lag as f64 * 100.0 / max as f64
                } else {
                    0.0
                };
                let colour = if pct >= 50.0 {
                    "bg-rose-500"
                } else {
                    "bg-amber-400"
                };
                view! {
                    <span class="inline-flex items-center justify-end gap-2" data-lag=lag.to_string()>
                        <span class="hidden h-1.5 w-16 overflow-hidden rounded bg-slate-100 sm:inline-block" aria-hidden="true">
                            {(lag > 0).then(|| view! {
                                <span class=format!("block h-full {colour}") style=format!("width: {pct:.1}%")></span>
                            })}
                        </span>
                        <span>{opt_int(l.lag)}</span>
                    </span>
                }
                .into_any()
            }
            Some(_) => view! { <span title="no committed offsets">"-"</span> }.into_any(),
            // This page's groups are not read yet (the last reading was of another page).
            None => {
                view! { <span class="text-slate-600" title="computing">"..."</span> }.into_any()
            }
        }
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
        <p role="status" class="mb-2 text-xs text-slate-600" data-testid="lag-index">{text}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 18, item 10: a list URL carries only what is set: no stray `&=`.
    #[test]
    fn list_links_carry_only_what_is_set() {
        let p = ListParams {
            cluster: None,
            search: String::new(),
            state: None,
            status: None,
            sort: GroupSort::Name,
            page: 0,
        };
        assert_eq!(p.href("local"), "/?cluster=local");
        let s = ListParams {
            status: Some(Status::Stalled),
            sort: GroupSort::Growth,
            ..p.clone()
        };
        assert_eq!(
            s.href("local"),
            "/?cluster=local&status=STALLED&sort=growth"
        );
        let q = ListParams {
            search: "pay ments".into(),
            state: Some(GroupState::Empty),
            sort: GroupSort::Lag,
            page: 2,
            ..p
        };
        assert_eq!(
            q.href("local"),
            "/?cluster=local&q=pay%20ments&state=Empty&sort=lag&page=2"
        );
    }
}
