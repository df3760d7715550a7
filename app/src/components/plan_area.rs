//! The plan the builder shows and what can be done with it (link, CLI, CSV, save, execute), and the
//! card that stands in for the form while an undo is planned.

use std::sync::Arc;

use leptos::prelude::*;

use crate::api::plans::{landing_records, LANDING_RECORDS_MAX};
use crate::components::copy_button::CopyButton;
use crate::components::error_panel::ErrorPanel;
use crate::components::plan_form::BUTTON;
use crate::components::plan_view::{LandingTable, PlanView};
use crate::components::shown_plan::ShownPlan;
use crate::domain::builder;
use crate::domain::reset::ResetSpec;
use crate::error::AppError;
use crate::format::query_value;

/// An undo in progress, in place of the form: which execution, what its plan restores, and the way
/// back to planning something else.
#[component]
pub fn UndoCard(id: i64, spec: Signal<Option<ResetSpec>>, on_leave: Callback<()>) -> impl IntoView {
    view! {
        <div class="mt-2 rounded border border-indigo-200 bg-indigo-50 p-3 text-sm text-indigo-900" data-testid="undo-banner">
            <p class="font-medium">{format!("Undo of execution #{id}")}</p>
            <p class="mt-1" data-testid="undo-description">
                {move || match spec.get() {
                    Some(s) => format!("Restores every offset execution #{id} changed to the value it backed up ({}). This page's link shares this undo.", builder::describe(&s)),
                    None => format!("Reading the backup of execution #{id}..."),
                }}
            </p>
            <button type="button" class=format!("{BUTTON} mt-2 border border-slate-300 bg-white text-slate-800 hover:bg-slate-100") data-testid="leave-undo"
                on:click=move |_| on_leave.run(())>
                "Plan a different reset instead"
            </button>
        </div>
    }
}

/// The plan, and what can be done with it: link, CLI, CSV, save, execute.
#[component]
pub fn PlanArea(
    shown: Arc<ShownPlan>,
    cluster: String,
    group: String,
    /// The page's link: the plan's, or the undo's while one is active.
    link: Signal<String>,
    /// False where the link cannot carry the plan (a CSV file): saving is the way to share it.
    shareable: Signal<bool>,
    save: Action<ResetSpec, Result<crate::domain::execution::SavedPlan, AppError>>,
    on_execute: impl Fn(leptos::ev::MouseEvent) + Send + Sync + 'static,
    can_open: Signal<bool>,
) -> impl IntoView {
    // Landing records: read on demand (one consumer assignment), for the partitions that move first.
    let targets: Vec<(String, i32, i64)> = {
        let mut rows: Vec<_> = shown
            .plan
            .groups
            .iter()
            .flat_map(|g| g.partitions.iter())
            .filter_map(|p| {
                let t = p.target?;
                (t >= p.log_start && t < p.log_end)
                    .then(|| (!p.changes(), (p.topic.clone(), p.partition, t)))
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        rows.into_iter()
            .take(LANDING_RECORDS_MAX)
            .map(|(_, t)| t)
            .collect()
    };
    let n_targets = targets.len();
    let landing = Action::new(
        move |(c, g, t): &(String, String, Vec<(String, i32, i64)>)| {
            landing_records(c.clone(), g.clone(), t.clone())
        },
    );
    let landing_key = (cluster.clone(), group.clone(), targets);
    let cli = shown.cli.clone();
    let csv = shown.csv.clone();
    let spec = shown.plan.spec.clone();
    let spec_shown = spec.clone();
    let file_name = format!(
        "rewind-plan-{}.csv",
        shown
            .plan
            .spec
            .groups
            .first()
            .map(|g| query_value(g))
            .unwrap_or_default()
    );
    view! {
        <PlanView plan=shown.plan.clone() from_kafka=shown.from_kafka/>
        {(n_targets > 0).then(|| view! {
            <div class="mt-2">
                <button type="button" class=format!("{BUTTON} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100") data-testid="show-landing"
                    disabled=move || landing.pending().get()
                    on:click=move |_| { landing.dispatch(landing_key.clone()); }>
                    {move || if landing.pending().get() { "Reading records...".to_string() } else { format!("Show the records they land on ({n_targets})") }}
                </button>
                {move || landing.value().get().map(|r| match r {
                    Ok(records) => view! { <LandingTable records/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                })}
            </div>
        })}
        {cli.clone().map(|c| view! {
            <p class="mt-3 text-xs text-slate-500">"Same with Kafka's tool:"</p>
            <pre class="overflow-x-auto whitespace-pre-wrap break-all rounded bg-slate-900 p-2 text-xs text-slate-100" data-testid="cli-command">{c.command}</pre>
            {c.note.map(|n| view! { <p class="text-xs text-slate-500">{n}</p> })}
        })}
        <div class="mt-3 flex flex-wrap items-center gap-2" role="group" aria-label="Share this plan">
            {move || if shareable.get() {
                view! {
                    <a class="text-sm text-indigo-700 hover:underline" data-testid="plan-link" href=link>"Link to this plan"</a>
                    <CopyButton text=link label="Copy link" testid="copy-link"/>
                }.into_any()
            } else {
                view! {
                    <span class="text-sm text-slate-700" data-testid="link-needs-save">"A link cannot carry the CSV file: save the plan to share it (the saved plan keeps the file)."</span>
                }.into_any()
            }}
            {cli.map(|c| view! { <CopyButton text=Signal::derive(move || c.command.clone()) label="Copy CLI command" testid="copy-cli"/> })}
            <a class=format!("{BUTTON} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100") data-testid="download-csv"
                href="#" download=file_name
                on:click=move |ev| {
                    // Built on click: a 10,000-partition CSV does not belong in the DOM on every keystroke.
                    let el = event_target::<leptos::web_sys::Element>(&ev);
                    let _ = el.set_attribute("href", &format!("data:text/csv;charset=utf-8,{}", query_value(&csv)));
                }>"Download CSV"</a>
            <button type="button" class=format!("{BUTTON} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100") data-testid="save-plan"
                disabled=move || save.pending().get()
                on:click=move |_| { save.dispatch(spec.clone()); }>
                {move || if save.pending().get() { "Saving..." } else { "Save plan" }}
            </button>
            {move || save.value().get().map(|r| match r {
                // A save answers for the spec it was made from; next to another plan it would mislead.
                Ok(saved) if saved.plan.spec != spec_shown => ().into_any(),
                Ok(saved) => {
                    let href = format!("/plans/{}", saved.id);
                    view! {
                        <span class="text-sm">"Saved as "<a class="font-mono text-indigo-700 hover:underline" data-testid="saved-link" href=href.clone()>{href.clone()}</a></span>
                    }.into_any()
                }
                Err(error) => view! { <ErrorPanel error/> }.into_any(),
            })}
            <span class="flex-1"></span>
            <button type="button" class=format!("{BUTTON} bg-rose-600 text-white hover:bg-rose-700") data-testid="execute-button"
                disabled=move || !can_open.get() on:click=on_execute>
                "Execute..."
            </button>
        </div>
    }
    .into_any()
}
