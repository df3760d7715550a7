//! Execution history, for one group or a whole cluster: who, when, what, the result, and on demand
//! the offsets before and after each partition; every row leads to its undo.

use leptos::prelude::*;

use crate::api::executions::{get_execution, list_executions};
use crate::components::error_panel::ErrorPanel;
use crate::components::table::{col, num, TableHead};
use crate::domain::execution::{Execution, ExecutionStatus, ExecutionSummary};
use crate::format::{group_href, int, opt_int, utc};

/// Partition rows shown in an execution's details; the rest are summarised.
const DETAIL_ROWS: usize = 200;

/// How a row offers its undo: a callback on the group's page, or a link to that page elsewhere.
#[derive(Clone, Copy)]
pub enum UndoBy {
    Callback(Callback<i64>),
    Link,
}

pub fn undo_href(cluster: &str, group: &str, execution: i64) -> String {
    format!("{}&undo={execution}", group_href(cluster, group))
}

/// The last executions of one group, read again after each of its executions (`executions`: how many
/// the page has run).
#[component]
pub fn GroupHistory(
    cluster: String,
    group: String,
    executions: Signal<usize>,
    on_undo: Callback<i64>,
) -> impl IntoView {
    let history = Resource::new(
        move || executions.get(),
        move |_| list_executions(cluster.clone(), Some(group.clone()), Some(20)),
    );
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading history..."</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(list) => view! { <HistoryTable list undo=UndoBy::Callback(on_undo)/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn HistoryTable(
    list: Vec<ExecutionSummary>,
    undo: UndoBy,
    /// Show the group column (cluster-wide history).
    #[prop(optional)]
    with_group: bool,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="text-sm text-slate-500" data-testid="history-empty">"No reset has been executed here from Rewind yet."</p> }.into_any();
    }
    let mut cols = vec![col("#"), col("When"), col("Who")];
    if with_group {
        cols.push(col("Group"));
    }
    cols.extend([
        col("What"),
        num("Partitions"),
        col("Result"),
        col("Actions"),
    ]);
    view! {
        <div class="mt-1 overflow-x-auto rounded border border-slate-200 bg-white">
            <table class="min-w-full text-sm" data-testid="history-table">
                <TableHead cols/>
                {list.into_iter().map(|e| view! { <HistoryRow e undo with_group/> }).collect_view()}
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn HistoryRow(e: ExecutionSummary, undo: UndoBy, with_group: bool) -> impl IntoView {
    let id = e.id;
    let what = match (e.undo_of, e.what.is_empty()) {
        (Some(u), _) => format!("undo of #{u}"),
        (None, true) => e.strategy.clone(),
        (None, false) => e.what.clone(),
    };
    let open = RwSignal::new(false);
    let details = Action::new(move |id: &i64| get_execution(*id));
    let status_class = match e.status {
        // It committed, then a consumer moved the offsets: the reset did not hold.
        ExecutionStatus::Succeeded if e.overwritten_at_ms.is_some() => {
            "font-semibold text-amber-800"
        }
        ExecutionStatus::Succeeded => "text-emerald-800",
        ExecutionStatus::Failed => "font-semibold text-rose-800",
        ExecutionStatus::Pending => "text-amber-800",
    };
    let status_text = if e.overwritten_at_ms.is_some() {
        "succeeded, then overwritten by a consumer"
    } else {
        e.status.as_str()
    };
    let undo_control = match undo {
        UndoBy::Callback(cb) => view! {
            <button type="button" class="text-indigo-700 hover:underline focus:outline-none focus:ring-2 focus:ring-indigo-500" data-testid="history-undo"
                on:click=move |_| cb.run(id)>"Undo"</button>
        }
        .into_any(),
        UndoBy::Link => view! {
            <a class="text-indigo-700 hover:underline" data-testid="history-undo" href=undo_href(&e.cluster, &e.group, id)>"Undo"</a>
        }
        .into_any(),
    };
    let group_cell = with_group.then(|| {
        view! {
            <td class="max-w-[16rem] truncate px-3 py-1 font-mono" title=e.group.clone()>
                <a class="text-indigo-700 hover:underline" href=group_href(&e.cluster, &e.group)>{e.group.clone()}</a>
            </td>
        }
    });
    view! {
        <tbody class="border-t border-slate-100">
            <tr data-testid="history-row" data-execution=id.to_string() id=format!("execution-{id}")>
                <td class="px-3 py-1 tabular-nums">{id}</td>
                <td class="whitespace-nowrap px-3 py-1 text-xs">{utc(e.started_at_ms)}</td>
                <td class="px-3 py-1">{e.actor.clone()}</td>
                {group_cell}
                <td class="px-3 py-1">{what}</td>
                <td class="px-3 py-1 text-right tabular-nums">{e.partitions}</td>
                <td class=format!("px-3 py-1 {status_class}") title=e.message.clone().unwrap_or_default() data-testid="history-status">{status_text}</td>
                <td class="whitespace-nowrap px-3 py-1">
                    <button type="button" class="mr-3 text-indigo-700 hover:underline focus:outline-none focus:ring-2 focus:ring-indigo-500"
                        aria-expanded=move || open.get().to_string() data-testid="history-details"
                        on:click=move |_| {
                            let now_open = !open.get_untracked();
                            open.set(now_open);
                            if now_open && details.value().get_untracked().is_none() {
                                details.dispatch(id);
                            }
                        }>
                        {move || if open.get() { "Hide" } else { "Details" }}
                    </button>
                    {undo_control}
                </td>
            </tr>
            {move || open.get().then(|| view! {
                <tr class="bg-slate-50">
                    <td colspan="8" class="px-3 py-2">
                        {move || match details.value().get() {
                            None => view! { <p class="text-xs text-slate-500">"Loading..."</p> }.into_any(),
                            Some(Err(error)) => view! { <ErrorPanel error/> }.into_any(),
                            Some(Ok(execution)) => view! { <ExecutionDetails execution/> }.into_any(),
                        }}
                    </td>
                </tr>
            })}
        </tbody>
    }
    .into_any()
}

/// The spec, the message, and each partition's offset before, target, after and result.
#[component]
pub fn ExecutionDetails(execution: Execution) -> impl IntoView {
    let spec = crate::domain::builder::describe(&execution.spec);
    let n = execution.partitions.len();
    let href = group_href(&execution.cluster, &execution.group);
    view! {
        <div class="text-xs" data-testid="execution-details">
            <p>
                "Group " <a class="font-mono text-indigo-700 hover:underline" href=href>{execution.group.clone()}</a>
                " on " {execution.cluster.clone()} ", by " {execution.actor.clone()}
                {execution.finished_at_ms.map(|f| format!(", finished {}", utc(f)))}
            </p>
            <p class="font-mono text-slate-600">{spec}</p>
            {execution.message.clone().map(|m| view! { <p class="text-rose-800">{m}</p> })}
            <table class="mt-1 min-w-full">
                <TableHead class="text-slate-500" pad="pr-3" cols=vec![
                    col("Partition"), num("Before"), num("Target"), num("After"), col("Result"),
                ]/>
                <tbody>
                    {execution.partitions.into_iter().take(DETAIL_ROWS).map(|p| {
                        let result = match (&p.error, p.verified()) {
                            (Some(e), _) => e.clone(),
                            (None, true) => "verified".to_string(),
                            (None, false) => "not verified".to_string(),
                        };
                        view! {
                            <tr data-testid="execution-partition">
                                <td class="pr-3 font-mono">{p.tp().to_string()}</td>
                                <td class="pr-3 text-right tabular-nums" data-col="before">{opt_int(p.before)}</td>
                                <td class="pr-3 text-right tabular-nums" data-col="target">{p.target.map(int).unwrap_or_else(|| "delete".into())}</td>
                                <td class="pr-3 text-right tabular-nums" data-col="after">{opt_int(p.after)}</td>
                                <td class="pr-3">{result}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(n > DETAIL_ROWS).then(|| view! { <p class="text-slate-500">{format!("First {DETAIL_ROWS} of {} partitions.", int(n as i64))}</p> })}
        </div>
    }
    .into_any()
}
