//! The outcome of an execute: per execution its status and verified partitions, with an undo each.

use leptos::prelude::*;

use crate::components::plan_form::BUTTON;
use crate::domain::execution::{ExecuteReport, ExecutionStatus};

/// What an execute did, per group, with an undo for each execution.
#[component]
pub fn ExecutionResult(report: ExecuteReport, on_undo: Callback<i64>) -> impl IntoView {
    view! {
        <div class="mt-3" data-testid="execution-result">
            {report.executions.into_iter().map(|e| {
                let ok = e.status == ExecutionStatus::Succeeded;
                let verified = e.partitions.iter().filter(|p| p.verified()).count();
                let id = e.id;
                view! {
                    <div class=if ok { "rounded border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900" } else { "rounded border border-rose-200 bg-rose-50 p-3 text-sm text-rose-900" }>
                        <p class="font-semibold" data-testid="execution-status">
                            {format!("Execution {} {}: {} of {} partitions verified", e.id, e.status.as_str(), verified, e.partitions.len())}
                        </p>
                        {e.message.map(|m| view! { <p>{m}</p> })}
                        <button type="button" class=format!("{BUTTON} mt-2 border border-slate-300 bg-white text-slate-800 hover:bg-slate-100") data-testid="undo-button"
                            on:click=move |_| on_undo.run(id)>
                            "Undo (preview the restore)"
                        </button>
                    </div>
                }
            }).collect_view()}
            {(!report.not_attempted.is_empty()).then(|| view! {
                <p class="mt-2 text-sm text-rose-800">{format!("Not attempted: {}", report.not_attempted.join(", "))}</p>
            })}
        </div>
    }
    .into_any()
}
