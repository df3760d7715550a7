//! The group page: state, members, and where each partition stands (committed, log start, log end, lag).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::groups::{describe_group, record_times};
use crate::components::draw_later::{DrawLater, PartLive};
use crate::components::error_panel::ErrorPanel;
use crate::components::hydrate_later::HydrateLater;
use crate::components::lag_chart::LagChart;
use crate::components::refresh_button::RefreshButton;
use crate::components::reset_panel::ResetPanel;
use crate::components::session::IfAllowed;
use crate::components::state_badge::StateBadge;
use crate::components::table::{col, num, TableHead};
use crate::domain::access::Action;
use crate::domain::groups::RecordTime;
use crate::domain::{GroupDetail, GroupMember};
use crate::error::AppError;
use crate::format::{count, int, opt_duration, opt_int, query_value, utc};

/// Partition rows shown at first: the reset builder below stays within reach, and a 10,000-partition
/// group stays quick to load (its topic totals sum up the rest); all of them are one click away.
const FIRST_ROWS: usize = 25;

#[component]
pub fn GroupPage() -> impl IntoView {
    let query = use_query_map();
    let target = Memo::new(move |_| {
        let q = query.read();
        (q.get("cluster").unwrap_or_default(), q.get("id"))
    });
    let detail = Resource::new(
        move || target.get(),
        |(cluster, id)| async move {
            match id {
                Some(id) => describe_group(cluster, id).await,
                None => Err(AppError::invalid_input(
                    "the link names no group (missing ?id=)",
                )),
            }
        },
    );
    // Set in the browser once the group (or why it cannot be read) is on the page: the builder goes
    // below it. Not from the resource: its answer can be known before the group is drawn. One task
    // after the group hydrates, so the chart and builder are not compiled in that same long task.
    let group_shown = RwSignal::new(false);
    // Lag in time costs a record read per partition: read in the browser once the group is on the page
    // (never during server rendering), then merged into the rows it belongs to. Not before: the group
    // hydrates in a later task than this setup, and times arriving first would change its rows from the
    // server's HTML, which hydration cannot take (components/hydrate_later.rs).
    let times = LocalResource::new(move || {
        let (cluster, id) = target.get();
        let shown = group_shown.get();
        async move {
            match id.filter(|_| shown) {
                Some(id) => record_times(cluster, id).await.ok(),
                None => None,
            }
        }
    });
    // What the rows read: a plain signal, filled by a browser-only effect. Reading the local resource
    // itself inside the transition below makes Leptos give up on it during server rendering (a local
    // resource can never resolve there), so the page was sent without its group and the group arrived
    // after hydration, pushing the builder down (layout shift 0.27).
    let known_times = RwSignal::new(None::<Vec<RecordTime>>);
    Effect::new(move |_| {
        if let Some(t) = times.get().flatten() {
            known_times.set(Some(t));
        }
    });
    let refresh = move || {
        detail.refetch();
        times.refetch();
    };
    let back = move || format!("/?cluster={}", query_value(&target.get().0));

    view! {
        <nav class="mb-3 text-sm"><a class="text-indigo-700 hover:underline" href=back>"All groups"</a></nav>
        // Transition keeps the current view while a refresh loads: no flicker.
        // Only the group's data is awaited here: the times are a browser-only read, and waiting on one
        // during server rendering left the page without its group (rendered after hydration, pushing
        // the builder down: layout shift 0.25). The times are merged into the rows when they arrive.
        // The group hydrates one browser task after its chunk has arrived and the page was set up: as
        // one, they were a task of 130 to 250 ms at a 4x CPU slowdown (components/hydrate_later.rs).
        {HydrateLater(view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-600">"Reading the group from the brokers..."</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <GroupView detail=d times=known_times.read_only() on_refresh=refresh/><PartLive live=group_shown next_task=true/> }.into_any(),
                    // A group Kafka does not know may still be given offsets: the builder stays.
                    Err(error) => view! { <ErrorPanel error/><PartLive live=group_shown next_task=true/> }.into_any(),
                }
            })}
        </Transition>
        })}
        // Outside the transition: a refresh of the group above keeps the plan being built here. Shown
        // once the group has been read, below it: appearing above a group that then arrives, it jumped
        // ~700 px down (layout shift 0.25).
        <Show when=move || group_shown.get()>
        {move || {
            let (cluster, id) = target.get();
            id.map(|group| {
                let (c, g) = (cluster.clone(), group.clone());
                view! {
                    <LagChart cluster=cluster.clone() group=group.clone()/>
                    // The builder one task after the chart: each is a first call of much code.
                    <DrawLater>{
                        let (cluster, group, c, g) = (cluster.clone(), group.clone(), c.clone(), g.clone());
                        // Viewers get no builder: previews, plans and executes need the operator role.
                        view! {
                            <IfAllowed action=Action::Preview cluster=cluster.clone() group=group.clone()
                                fallback=move || view! { <ReadOnlyNote cluster=c.clone() group=g.clone()/> }>
                                <ResetPanel cluster=cluster.clone() group=group.clone() on_executed=Callback::new(move |()| refresh())/>
                            </IfAllowed>
                        }
                    }</DrawLater>
                }
                .into_any()
            })
        }}
        </Show>
    }
    .into_any()
}

#[component]
fn ReadOnlyNote(cluster: String, group: String) -> impl IntoView {
    view! {
        <section id="reset" class="mt-6 rounded border border-slate-200 bg-white p-4 text-sm text-slate-700" data-testid="read-only">
            <h2 class="font-semibold text-slate-900">"Read-only access"</h2>
            <p class="mt-1">{format!(
                "You may view group '{group}' of cluster '{cluster}'. Previewing, saving and executing resets needs the operator role there; ask an admin of this Rewind."
            )}</p>
        </section>
    }
}

#[component]
fn GroupView(
    detail: GroupDetail,
    times: ReadSignal<Option<Vec<RecordTime>>>,
    on_refresh: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let total_lag = detail.total_lag();
    let coordinator = detail
        .coordinator
        .as_ref()
        .map(|n| format!("{}:{} (id {})", n.host, n.port, n.id))
        .unwrap_or_else(|| "-".into());
    let kind = if detail.simple {
        format!("{} (offsets only)", detail.group_type.as_str())
    } else {
        detail.group_type.as_str().to_owned()
    };
    let assignor = if detail.assignor.is_empty() {
        "-".to_owned()
    } else {
        detail.assignor.clone()
    };
    let n_partitions = detail.partitions.len();
    let show_all = RwSignal::new(false);
    let members = detail.members.clone();
    let n_members = members.len();
    // The rows with lag in time once its read arrives (a browser-only read; the server renders none).
    let base = StoredValue::new(detail);
    let detail = Memo::new(move |_| match times.get() {
        Some(t) => base.get_value().with_record_times(&t),
        None => base.get_value(),
    });

    view! {
        <section class="rounded border border-slate-200 bg-white p-4" aria-labelledby="group-heading">
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div class="min-w-0">
                    <p class="text-xs uppercase tracking-wide text-slate-500">"Consumer group"</p>
                    <h1 id="group-heading" class="break-all font-mono text-lg font-semibold" data-testid="group-id">
                        {base.with_value(|d| d.group_id.clone())}
                    </h1>
                </div>
                <div class="flex gap-2">
                    // The page's main job, at the top: the builder is below the group's tables.
                    <a href="#reset" data-testid="reset-entry"
                        class="rounded bg-indigo-600 px-3 py-1 text-sm font-medium text-white hover:bg-indigo-700 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-1">
                        "Reset offsets"
                    </a>
                    <RefreshButton on_refresh/>
                </div>
            </div>
            <dl class="mt-3 grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-3 lg:grid-cols-6" data-testid="group-facts">
                <Fact label="State"><StateBadge state=base.with_value(|d| d.state)/></Fact>
                <Fact label="Type">{kind}</Fact>
                <Fact label="Assignor">{assignor}</Fact>
                <Fact label="Coordinator">{coordinator}</Fact>
                <Fact label="Members">{n_members}</Fact>
                <Fact label="Total lag"><span data-testid="total-lag">{count(total_lag, "record", "records")}</span></Fact>
            </dl>
            <p class="mt-2 text-xs text-slate-600">"Read at " {base.with_value(|d| utc(d.read_at))}</p>
        </section>

        <MembersTable members/>

        <section class="mt-4" aria-labelledby="partitions-heading">
            <h2 id="partitions-heading" class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">
                {format!("Partitions ({})", int(n_partitions as i64))}
            </h2>
            {(n_partitions == 0).then(|| view! {
                <p class="rounded border border-dashed border-slate-300 bg-white p-6 text-center text-slate-500">
                    "This group has no committed offsets and no assigned partitions."
                </p>
            })}
            <div class="overflow-x-auto rounded border border-slate-200 bg-white">
                <table class="min-w-full text-sm" data-testid="partition-table">
                    <TableHead cols=vec![
                        col("Topic"), num("Partition"), num("Committed"), num("Log start"), num("Log end"), num("Lag"),
                        num("Lag (time)").titled("Age of the record the group reads next"),
                        col("Member"), col("Metadata"),
                    ]/>
                    <tbody class="divide-y divide-slate-100">
                        {move || detail.with(|d| d.topic_totals())
                            .into_iter()
                            .map(|t| {
                                let unknown = (t.unknown_lag > 0).then(|| format!(" ({} unknown)", t.unknown_lag));
                                view! {
                                    <tr class="bg-slate-50 font-medium" data-topic-total=t.topic.clone()>
                                        <td class="px-3 py-1.5 font-mono">{t.topic.clone()}</td>
                                        <td class="px-3 py-1.5 text-right text-slate-600">{format!("{} partitions", t.partitions)}</td>
                                        <td class="px-3 py-1.5 text-right text-slate-600">{format!("{} committed", t.committed_partitions)}</td>
                                        <td></td>
                                        <td></td>
                                        <td class="px-3 py-1.5 text-right tabular-nums">{int(t.lag)}{unknown}</td>
                                        <td class="px-3 py-1.5 text-right tabular-nums" title="Largest in this topic">{opt_duration(t.max_time_lag_ms)}</td>
                                        <td></td>
                                        <td></td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                        {move || {
                            let limit = if show_all.get() { usize::MAX } else { FIRST_ROWS };
                            detail.with(|d| {
                                d.partitions
                                    .iter()
                                    .take(limit)
                                    .map(|p| {
                                        let member = p
                                            .member
                                            .and_then(|i| d.members.get(i))
                                            .map(|m| format!("{} @ {}", m.client_id, m.host))
                                            .unwrap_or_else(|| "-".into());
                                        let lag = p.lag();
                                        let lag_class = match lag {
                                            Some(l) if l > 0 => "px-3 py-1.5 text-right tabular-nums text-amber-800",
                                            _ => "px-3 py-1.5 text-right tabular-nums",
                                        };
                                        view! {
                                            <tr data-partition=format!("{}-{}", p.topic, p.partition)>
                                                <td class="px-3 py-1.5 font-mono text-slate-600">{p.topic.clone()}</td>
                                                <td class="px-3 py-1.5 text-right tabular-nums">{p.partition}</td>
                                                <td class="px-3 py-1.5 text-right tabular-nums" data-col="committed">{opt_int(p.committed)}</td>
                                                <td class="px-3 py-1.5 text-right tabular-nums" data-col="log-start">{opt_int(p.log_start)}</td>
                                                <td class="px-3 py-1.5 text-right tabular-nums" data-col="log-end">{opt_int(p.log_end)}</td>
                                                <td class=lag_class data-col="lag">{opt_int(lag)}</td>
                                                <td class="px-3 py-1.5 text-right tabular-nums" data-col="time-lag">{opt_duration(p.time_lag_ms(d.read_at))}</td>
                                                <td class="max-w-xs truncate px-3 py-1.5 text-slate-600">{member}</td>
                                                <td class="max-w-xs truncate px-3 py-1.5 font-mono text-xs text-slate-500">{p.metadata.clone().unwrap_or_default()}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()
                            })
                        }}
                    </tbody>
                </table>
            </div>
            {move || (n_partitions > FIRST_ROWS && !show_all.get()).then(|| view! {
                <button
                    type="button"
                    class="mt-2 rounded border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    on:click=move |_| show_all.set(true)
                >
                    {format!("Show all {} partitions ({} hidden)", int(n_partitions as i64), int((n_partitions - FIRST_ROWS) as i64))}
                </button>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Fact(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="min-w-0">
            <dt class="text-xs text-slate-500">{label}</dt>
            <dd class="truncate">{children()}</dd>
        </div>
    }
    .into_any()
}

#[component]
fn MembersTable(members: Vec<GroupMember>) -> impl IntoView {
    if members.is_empty() {
        return view! {
            <p class="mt-4 rounded border border-slate-200 bg-white px-4 py-3 text-sm text-slate-600" data-testid="no-members">
                "No active members: offsets of this group can be reset."
            </p>
        }
        .into_any();
    }
    view! {
        <section class="mt-4" aria-labelledby="members-heading">
            <h2 id="members-heading" class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">
                {format!("Members ({})", members.len())}
            </h2>
            <div class="overflow-x-auto rounded border border-slate-200 bg-white">
                <table class="min-w-full text-sm" data-testid="member-table">
                    <TableHead cols=vec![col("Client id"), col("Host"), col("Member id"), col("Assigned partitions")]/>
                    <tbody class="divide-y divide-slate-100">
                        {members
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <tr>
                                        <td class="px-3 py-1.5 font-mono">{m.client_id}</td>
                                        <td class="px-3 py-1.5 font-mono text-slate-600">{m.host}</td>
                                        <td class="max-w-xs truncate px-3 py-1.5 font-mono text-xs text-slate-500" title=m.member_id.clone()>{m.member_id.clone()}</td>
                                        <td class="px-3 py-1.5 text-slate-600">{assignment_text(&m.assignment)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

/// `orders:0,1,2; payments:3` as Kafka's tool prints assignments (topics and partitions sorted).
fn assignment_text(assignment: &[(String, i32)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<(&str, Vec<i32>)> = None;
    let mut sorted: Vec<&(String, i32)> = assignment.iter().collect();
    sorted.sort();
    for (t, p) in sorted {
        match &mut current {
            Some((ct, ps)) if *ct == t.as_str() => ps.push(*p),
            _ => {
                if let Some((ct, ps)) = current.take() {
                    parts.push(format!("{ct}:{}", join(&ps)));
                }
                current = Some((t.as_str(), vec![*p]));
            }
        }
    }
    if let Some((ct, ps)) = current {
        parts.push(format!("{ct}:{}", join(&ps)));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("; ")
    }
}

fn join(ps: &[i32]) -> String {
    ps.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::assignment_text;

    #[test]
    fn assignment_is_grouped_and_sorted() {
        let a = vec![
            ("b".to_string(), 3),
            ("a".to_string(), 1),
            ("a".to_string(), 0),
        ];
        assert_eq!(assignment_text(&a), "a:0,1; b:3");
        assert_eq!(assignment_text(&[]), "-");
    }
}
