//! The audit trail: every change and sign-in, filterable by who, what, where and outcome, exportable as CSV.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::access::{audit_entries, export_audit};
use crate::components::error_panel::ErrorPanel;
use crate::components::plan_form::BUTTON;
use crate::components::table::{col, Col, TableHead};
use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::format::{group_href, opt_int, query_value, utc};

/// Partitions listed per entry before "and N more".
const SHOWN_PARTITIONS: usize = 12;

const ACTIONS: [&str; 12] = [
    "execute",
    "undo",
    "delete-offsets",
    "save-plan",
    "delete-plan",
    "sign-in",
    "sign-out",
    "resolve-pending",
    "preview",
    "user-create",
    "user-update",
    "user-delete",
];

const INPUT: &str = "mt-1 block w-full rounded border border-slate-300 px-2 py-1 text-sm";

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let text = |k: &str| q.get(k).unwrap_or_default().trim().to_owned();
        AuditFilter {
            actor: text("actor"),
            action: text("action"),
            cluster: text("cluster"),
            group: text("group"),
            result: text("result"),
            ..AuditFilter::default()
        }
    });
    let entries = Resource::new(move || filter.get(), audit_entries);
    let export = Action::new(|f: &AuditFilter| export_audit(f.clone()));
    let f = filter.get_untracked();
    view! {
        <section aria-labelledby="audit-heading">
            <h1 id="audit-heading" class="text-lg font-semibold">"Audit"</h1>
            <p class="mb-3 text-sm text-slate-600">"Every execute, undo, offset deletion, saved or deleted plan and sign-in, newest first: who, when, from where, what, before and after, and the result. You see the entries of groups you may view; admins also see sign-ins."</p>
            <form method="get" action="/audit" class="mb-4 grid grid-cols-2 gap-3 rounded border border-slate-200 bg-white p-3 sm:grid-cols-6" aria-label="Filter the audit">
                <label class="text-xs font-medium text-slate-700">"Who"<input name="actor" value=f.actor class=INPUT/></label>
                <label class="text-xs font-medium text-slate-700">"Action"
                    <select name="action" class=INPUT>
                        <option value="" selected=f.action.is_empty()>"any"</option>
                        {ACTIONS.iter().map(|a| view! { <option value=*a selected=f.action == *a>{*a}</option> }).collect_view()}
                    </select>
                </label>
                <label class="text-xs font-medium text-slate-700">"Cluster"<input name="cluster" value=f.cluster class=INPUT/></label>
                <label class="text-xs font-medium text-slate-700">"Group contains"<input name="group" value=f.group class=INPUT/></label>
                <label class="text-xs font-medium text-slate-700">"Result contains"<input name="result" value=f.result class=INPUT/></label>
                <div class="flex items-end gap-2">
                    <button type="submit" class=format!("{BUTTON} bg-slate-900 text-white hover:bg-slate-700")>"Filter"</button>
                    <a class="text-sm text-indigo-700 hover:underline" href="/audit">"Clear"</a>
                </div>
            </form>
            <div class="mb-3 flex items-center gap-3">
                <button type="button" class=format!("{BUTTON} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100") data-testid="audit-export"
                    disabled=move || export.pending().get()
                    on:click=move |_| { export.dispatch(filter.get_untracked()); }>"Export CSV"</button>
                {move || export.value().get().map(|r| match r {
                    Ok(csv) => {
                        let rows = csv.lines().count().saturating_sub(1);
                        view! {
                            <a class="text-sm text-indigo-700 hover:underline" data-testid="audit-csv" download="rewind-audit.csv"
                                href=format!("data:text/csv;charset=utf-8,{}", query_value(&csv))>
                                {format!("Save rewind-audit.csv ({rows} entries)")}
                            </a>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                })}
            </div>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Reading the audit trail..."</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) if list.is_empty() => view! { <p class="text-sm text-slate-600" data-testid="audit-empty">"No audit entries match."</p> }.into_any(),
                        Ok(list) => view! { <AuditTable list/> }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn AuditTable(list: Vec<AuditEntry>) -> impl IntoView {
    let cols: Vec<Col> = vec![
        col("When (UTC)"),
        col("Who"),
        col("From"),
        col("Action"),
        col("Cluster / group"),
        col("Result"),
        col("Before → after"),
    ];
    view! {
        <div class="overflow-x-auto rounded border border-slate-200 bg-white">
            <table class="min-w-full text-sm" data-testid="audit-table">
                <TableHead cols/>
                <tbody>
                    {list.into_iter().map(|e| view! { <AuditRow e/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn AuditRow(e: AuditEntry) -> impl IntoView {
    let target = match (&e.cluster, &e.group) {
        (Some(c), Some(g)) if !g.contains(", ") => view! {
            <a class="text-indigo-700 hover:underline" href=group_href(c, g)>{format!("{c} / {g}")}</a>
        }
        .into_any(),
        (Some(c), Some(g)) => format!("{c} / {g}").into_any(),
        (Some(c), None) => c.clone().into_any(),
        _ => "-".into_any(),
    };
    let parts = e.partitions();
    let user_change = e.user_change();
    let more = parts.len().saturating_sub(SHOWN_PARTITIONS);
    let offsets = parts
        .into_iter()
        .take(SHOWN_PARTITIONS)
        .map(|p| {
            view! {
                <li data-testid="audit-offset">{format!("{}-{}: {} → {}", p.topic, p.partition, opt_int(p.before), opt_int(p.after))}</li>
            }
        })
        .collect_view();
    let result_class = if e.result == "succeeded" || e.result == "saved" || e.result == "deleted" {
        "text-emerald-700"
    } else {
        "text-rose-700"
    };
    view! {
        <tr class="border-t border-slate-100 align-top" data-testid="audit-row">
            <td class="whitespace-nowrap px-3 py-1.5 tabular-nums">{utc(e.at_ms)}</td>
            <td class="px-3 py-1.5 font-medium" data-col="actor">{e.actor}</td>
            <td class="px-3 py-1.5 text-slate-600" data-col="source">{e.source}</td>
            <td class="px-3 py-1.5" data-col="action">{e.action}</td>
            <td class="px-3 py-1.5">{target}</td>
            <td class=format!("px-3 py-1.5 {result_class}") data-col="result">{e.result}</td>
            <td class="px-3 py-1.5 text-xs tabular-nums">
                <ul>{offsets}</ul>
                {user_change.map(|c| view! { <p data-testid="audit-user-change">{c}</p> })}
                {(more > 0).then(|| view! { <p class="text-slate-500">{format!("and {more} more (in the CSV export)")}</p> })}
            </td>
        </tr>
    }
}
