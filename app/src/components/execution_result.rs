//! The outcome of an execute: per execution its status and verified partitions, with an undo each.

use leptos::prelude::*;

use crate::api::history::execution_replay_progress;
use crate::components::plan_form::BUTTON;
use crate::domain::execution::{ExecuteReport, ExecutionStatus};
use crate::domain::lag_history::ReplayProgress;
use crate::format::{duration, int};

/// How often the replay's progress is read again (it follows the lag samples).
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

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
                        {ok.then(|| view! { <ReplayProgressLine id/> })}
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

/// The replay an execution started, catching up: records re-read of the total, rate and time left,
/// from Rewind's lag samples; read again while shown.
#[component]
fn ReplayProgressLine(id: i64) -> impl IntoView {
    let progress = LocalResource::new(move || execution_replay_progress(id));
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(move || progress.refetch(), PROGRESS_EVERY);
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = PROGRESS_EVERY;
    move || {
        progress.get().and_then(|r| r.ok()).flatten().map(
            |p| view! { <p class="mt-1" data-testid="replay-progress">{progress_text(&p)}</p> },
        )
    }
}

fn progress_text(p: &ReplayProgress) -> String {
    if p.as_of_ms.is_none() {
        return format!(
            "Replay: {} records to re-read; progress shows after the next lag sample.",
            int(p.to_reread)
        );
    }
    let pct = if p.to_reread > 0 {
        p.reread * 100 / p.to_reread
    } else {
        100
    };
    let mut text = format!(
        "Replay: {} of {} records re-read ({pct} %)",
        int(p.reread),
        int(p.to_reread)
    );
    match (p.rate_per_s, p.eta_ms) {
        _ if p.reread >= p.to_reread => text.push_str(", done."),
        (Some(rate), Some(eta)) => text.push_str(&format!(
            ", {rate:.1} records/s, about {} left.",
            duration(eta)
        )),
        _ => text.push_str(": no consumer has re-read any yet."),
    }
    text
}
