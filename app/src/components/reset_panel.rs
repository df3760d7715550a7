//! The plan builder on a group page: the form, the plan replanned in the browser on every edit, the
//! actions on it (link, CLI, CSV, save), execute behind a confirmation, undo, and the group's history.

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::executions::{execute_plan, list_executions, undo_spec};
use crate::api::plans::{landing_records, preview_plan, save_plan, LANDING_RECORDS_MAX};
use crate::browser;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::copy_button::CopyButton;
use crate::components::error_panel::ErrorPanel;
use crate::components::execution_result::ExecutionResult;
use crate::components::history::{HistoryTable, UndoBy};
use crate::components::plan_form::{FormSignals, PlanForm, BUTTON};
use crate::components::plan_view::{summary_text, DriftTable, LandingTable, PlanView};
use crate::domain::builder::{self, build_spec, plan_link, plan_locally, FormInputs, Local};
use crate::domain::execution::Preview;
use crate::domain::offsets_csv::{cli_command, export_plan, CliCommand};
use crate::domain::reset::{Plan, ResetSpec, Scope, Strategy, StrategyKind};
use crate::error::AppError;
use crate::format::query_value;

/// A plan as the builder shows it, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownPlan {
    pub plan: Plan,
    pub cli: Option<CliCommand>,
    pub csv: String,
    /// Read from Kafka just now (true) or planned in the browser on the last snapshot (false).
    pub from_kafka: bool,
}

/// What the plan area shows.
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    Waiting,
    Invalid(String),
    NeedsKafka(String),
    /// The plan was just executed; a new edit or Preview starts the next one.
    Executed,
    Plan(Arc<ShownPlan>),
}

/// Plans the active spec from the last preview: the server's own plan when the spec is the one it read
/// for, otherwise the browser's plan on that snapshot.
fn shown_for(spec: &ResetSpec, fetched: &Preview) -> Shown {
    if fetched.plan.spec == *spec {
        return Shown::Plan(Arc::new(ShownPlan {
            plan: fetched.plan.clone(),
            cli: Some(fetched.cli.clone()),
            csv: fetched.csv.clone(),
            from_kafka: true,
        }));
    }
    match plan_locally(
        spec,
        &fetched.snapshot,
        &fetched.plan.spec,
        browser::now_ms(),
    ) {
        Local::Planned(plan) => {
            let mut plan = *plan;
            // Record times the server looked up stay true for the same target offsets.
            let known: HashMap<(&str, i32, i64), i64> = fetched
                .plan
                .groups
                .iter()
                .flat_map(|g| g.partitions.iter())
                .filter_map(|p| {
                    Some((
                        (p.topic.as_str(), p.partition, p.target?),
                        p.target_timestamp?,
                    ))
                })
                .collect();
            for p in plan.groups.iter_mut().flat_map(|g| g.partitions.iter_mut()) {
                if p.target_timestamp.is_none() {
                    if let Some(t) = p.target {
                        p.target_timestamp =
                            known.get(&(p.topic.as_str(), p.partition, t)).copied();
                    }
                }
            }
            Shown::Plan(Arc::new(ShownPlan {
                cli: Some(cli_command(&plan, &fetched.bootstrap)),
                csv: export_plan(&plan),
                plan,
                from_kafka: false,
            }))
        }
        Local::NeedsKafka(what) => Shown::NeedsKafka(what),
        Local::Invalid(e) => Shown::Invalid(e),
    }
}

#[component]
pub fn ResetPanel(
    cluster: String,
    group: String,
    /// Called after an execution, so the page can show the new offsets.
    on_executed: Callback<()>,
) -> impl IntoView {
    // A plan is fully described by the page's URL, so a link reproduces it in another browser.
    let link = use_query_map().get_untracked();
    let from_link = link
        .get("strategy")
        .filter(|s| StrategyKind::parse(s).is_some_and(StrategyKind::in_builder));
    let undo_from_link = link.get("undo").and_then(|u| u.parse::<i64>().ok());
    let form = FormSignals {
        strategy: RwSignal::new(
            from_link
                .clone()
                .unwrap_or_else(|| StrategyKind::ShiftBy.to_string()),
        ),
        value: RwSignal::new(link.get("value").unwrap_or_default()),
        zone: RwSignal::new(link.get("zone").unwrap_or_else(|| "UTC".to_string())),
        scope: RwSignal::new(link.get("scope").unwrap_or_default()),
        csv: RwSignal::new(String::new()),
        csv_name: RwSignal::new(String::new()),
    };
    let ids = StoredValue::new((cluster.clone(), group.clone()));
    let inputs = Memo::new(move |_| FormInputs {
        strategy: form.strategy.get(),
        value: form.value.get(),
        zone: form.zone.get(),
        scope: form.scope.get(),
        csv: form.csv.get(),
    });
    let form_spec = Memo::new(move |_| ids.with_value(|(c, g)| build_spec(c, g, &inputs.get())));
    // An undo's restore plan, shown instead of the form's until the form is edited.
    let special = RwSignal::new(None::<ResetSpec>);
    let active_spec = Memo::new(move |_| match special.get() {
        Some(s) => Ok(s),
        None => form_spec.get(),
    });
    let touched = RwSignal::new(from_link.is_some());
    let fetched = RwSignal::new(None::<Arc<Preview>>);
    let fetch_error = RwSignal::new(None::<AppError>);
    let executed = RwSignal::new(None::<ResetSpec>);

    let preview = Action::new(|spec: &ResetSpec| preview_plan(spec.clone()));
    Effect::new(move |_| match preview.value().get() {
        Some(Ok(p)) => {
            fetch_error.set(None);
            fetched.set(Some(Arc::new(p)));
        }
        Some(Err(e)) => fetch_error.set(Some(e)),
        None => {}
    });
    let shown = Memo::new(move |_| {
        let spec = match active_spec.get() {
            Err(e) => return Shown::Invalid(e),
            Ok(s) => s,
        };
        if executed.with(|e| e.as_ref() == Some(&spec)) {
            return Shown::Executed;
        }
        fetched.with(|f| match f {
            None => Shown::Waiting,
            Some(p) => shown_for(&spec, p),
        })
    });

    // Editing the form leaves an undo in progress and clears a stale server error.
    Effect::new(move |prev: Option<FormInputs>| {
        let now = inputs.get();
        if prev.is_some_and(|p| p != now) {
            special.set(None);
            fetch_error.set(None);
        }
        now
    });
    // The address bar always holds the plan's link (replaced, so Back leaves the page).
    let navigate = use_navigate();
    Effect::new(move |_| {
        let link = ids.with_value(|(c, g)| plan_link(c, g, &inputs.get()));
        navigate(
            &link,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });

    let undo = Action::new(|id: &i64| undo_spec(*id));
    Effect::new(move |_| {
        if let Some(Ok(spec)) = undo.value().get() {
            executed.set(None);
            special.set(Some(spec.clone()));
            preview.dispatch(spec);
        }
    });

    // After hydration: read the group once, so every edit can be planned here without a round trip.
    Effect::new(move |done: Option<()>| {
        if done.is_some() {
            return;
        }
        if let Some(id) = undo_from_link {
            undo.dispatch(id);
            return;
        }
        let spec = form_spec.get_untracked().unwrap_or_else(|_| {
            ids.with_value(|(c, g)| ResetSpec {
                cluster: c.clone(),
                groups: vec![g.clone()],
                scope: Scope::AllTopics,
                strategy: Strategy::ToCurrent,
            })
        });
        preview.dispatch(spec);
    });

    let run_preview = Callback::new(move |()| {
        touched.set(true);
        if let Ok(spec) = active_spec.get_untracked() {
            executed.set(None);
            fetch_error.set(None);
            preview.dispatch(spec);
        }
    });

    // Execute: the dialog names the group and totals; the server plans again and refuses on drift.
    let dialog = RwSignal::new(None::<Arc<ShownPlan>>);
    let sent = RwSignal::new(None::<Plan>);
    let execute =
        Action::new(|p: &Plan| execute_plan(p.spec.clone(), p.fingerprint.clone(), p.at_ms));
    Effect::new(move |_| {
        let Some(result) = execute.value().get() else {
            return;
        };
        dialog.set(None);
        on_executed.run(());
        let spec = sent.with_untracked(|p| p.as_ref().map(|p| p.spec.clone()));
        let Some(spec) = spec else { return };
        match &result {
            Ok(_) | Err(AppError::ExecutionFailed { .. }) => executed.set(Some(spec.clone())),
            _ => {}
        }
        // Kafka has moved (or was found to have moved): nothing is planned on the old offsets again.
        fetched.set(None);
        preview.dispatch(spec);
    });
    let open_dialog = move |_| {
        if let Shown::Plan(p) = shown.get_untracked() {
            dialog.set(Some(p));
        }
    };
    let can_open = move || match shown.get() {
        Shown::Plan(p) => {
            p.plan.groups.iter().all(|g| g.refusal.is_none()) && p.plan.partition_count() > 0
        }
        _ => false,
    };

    let save = Action::new(|spec: &ResetSpec| save_plan(spec.clone()));
    let history_key = (cluster.clone(), group.clone());
    let history = Resource::new(
        move || execute.version().get(),
        move |_| {
            let (c, g) = history_key.clone();
            list_executions(c, Some(g), Some(20))
        },
    );
    let on_undo = Callback::new(move |id: i64| {
        undo.dispatch(id);
    });
    let group_name = group.clone();

    view! {
        <section class="mt-4 rounded border border-slate-200 bg-white p-4" aria-labelledby="reset-heading" data-testid="reset-panel"
            data-snapshot-at=move || fetched.with(|f| f.as_ref().map(|p| p.snapshot.taken_at_ms.to_string()))>
            <h2 id="reset-heading" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Plan a reset"</h2>
            <PlanForm form
                topics=Signal::from(Memo::new(move |_| fetched.with(|f| f.as_ref().map(|p| known_topics(p)).unwrap_or_default())))
                on_submit=run_preview
                on_edit=Callback::new(move |()| touched.set(true))
                previewing=preview.pending()/>
            {move || special.get().map(|s| view! {
                <p class="mt-3 rounded border border-indigo-200 bg-indigo-50 p-2 text-sm text-indigo-900" data-testid="undo-banner">
                    {format!("Undo: {}. Edit the form to plan something else.", builder::describe(&s))}
                </p>
            })}
            {move || fetch_error.get().map(|error| view! { <div class="mt-3"><ErrorPanel error/></div> })}
            {move || undo.value().get().and_then(Result::err).map(|error| view! {
                <div class="mt-3" data-testid="undo-error"><ErrorPanel error/></div>
            })}
            <div class="min-h-[6rem]">
                {move || match shown.get() {
                    Shown::Waiting => view! { <p class="mt-3 text-sm text-slate-500" data-testid="plan-waiting">"Reading the group's offsets from Kafka..."</p> }.into_any(),
                    Shown::Invalid(e) => if touched.get() {
                        view! { <p role="alert" class="mt-3 text-sm text-rose-700" data-testid="form-error">{e}</p> }.into_any()
                    } else {
                        view! { <p class="mt-3 text-sm text-slate-500">"Choose a strategy and its value to see the plan."</p> }.into_any()
                    },
                    Shown::NeedsKafka(what) => view! {
                        <p class="mt-3 text-sm text-slate-700" data-testid="plan-needs-kafka">
                            {if preview.pending().get() { format!("Reading {what} from Kafka...") } else { format!("This plan needs {what} from Kafka: press Preview from Kafka.") }}
                        </p>
                    }.into_any(),
                    Shown::Executed => view! { <p class="mt-3 text-sm text-slate-500" data-testid="plan-executed">"This plan was executed; see the result below. Edit the form or preview again to plan the next reset."</p> }.into_any(),
                    Shown::Plan(p) => view! { <PlanArea shown=p group=ids.with_value(|(_, g)| g.clone()) cluster=ids.with_value(|(c, _)| c.clone()) inputs save on_execute=open_dialog can_open=Signal::derive(can_open)/> }.into_any(),
                }}
            </div>

            {move || dialog.get().map(|p| {
                let (all, _) = builder::totals(&p.plan);
                let plan = p.plan.clone();
                view! {
                    <ConfirmDialog group=group_name.clone() summary=summary_text(&all) pending=execute.pending().into()
                        on_execute=Callback::new(move |()| {
                            if execute.pending().get_untracked() {
                                return;
                            }
                            sent.set(Some(plan.clone()));
                            execute.dispatch(plan.clone());
                        })
                        on_cancel=Callback::new(move |()| dialog.set(None))/>
                }
            })}

            {move || execute.value().get().map(|r| match r {
                Err(AppError::Drift { plan, .. }) => {
                    let rows = sent.with_untracked(|s| s.as_ref().map(|s| builder::drift(s, &plan)).unwrap_or_default());
                    view! {
                        <div class="mt-3" data-testid="execute-error">
                            <ErrorPanel error=AppError::Drift { group: plan.spec.groups.join(", "), plan: plan.clone() }/>
                            <p class="mt-2 text-sm text-slate-700">"Nothing was changed. These partitions moved since the preview; the plan above is now the new one:"</p>
                            <DriftTable rows/>
                        </div>
                    }.into_any()
                }
                Err(error) => {
                    // A failed execution still has a record (backup, per-partition outcome, undo).
                    let report = match &error {
                        AppError::ExecutionFailed { report, .. } => Some((**report).clone()),
                        _ => None,
                    };
                    view! {
                        <div class="mt-3" data-testid="execute-error"><ErrorPanel error/></div>
                        {report.map(|report| view! { <ExecutionResult report on_undo/> })}
                    }.into_any()
                }
                Ok(report) => view! { <ExecutionResult report on_undo/> }.into_any(),
            })}

            <h3 class="mt-5 text-xs font-semibold uppercase tracking-wide text-slate-500">"History of this group"</h3>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading history..."</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(list) => view! { <HistoryTable list undo=UndoBy::Callback(on_undo)/> }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// Topics of the snapshot with their partition counts, the group's committed ones first.
fn known_topics(p: &Preview) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for part in &p.snapshot.partitions {
        match counts.last_mut() {
            Some((t, n)) if *t == part.topic => *n += 1,
            _ => counts.push((part.topic.clone(), 1)),
        }
    }
    for g in &p.snapshot.groups {
        for c in &g.committed {
            if !counts.iter().any(|(t, _)| *t == c.topic) {
                counts.push((c.topic.clone(), 0));
            }
        }
    }
    counts
}

/// The plan, and what can be done with it: link, CLI, CSV, save, execute.
#[component]
fn PlanArea(
    shown: Arc<ShownPlan>,
    cluster: String,
    group: String,
    inputs: Memo<FormInputs>,
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
    let link = Signal::derive(move || plan_link(&cluster, &group, &inputs.get()));
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
            <a class="text-sm text-indigo-700 hover:underline" data-testid="plan-link" href=link>"Link to this plan"</a>
            <CopyButton text=link label="Copy link" testid="copy-link"/>
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
