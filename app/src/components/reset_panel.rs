//! The plan builder on a group page: the form, the plan replanned in the browser on every edit, the
//! actions on it (link, CLI, CSV, save), execute behind a confirmation, undo, and the group's history.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::executions::{execute_plan, undo_spec};
use crate::api::plans::{get_plan, preview_plan, save_plan};
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::draw_later::DrawLater;
use crate::components::error_panel::ErrorPanel;
use crate::components::execution_result::ExecutionResult;
use crate::components::field_error::{FieldErrors, ALL_FIELDS};
use crate::components::history::{undo_href, GroupHistory};
use crate::components::plan_area::{PlanArea, UndoCard};
use crate::components::plan_form::{FormSignals, PlanForm};
use crate::components::plan_view::{plan_zone, summary_text, DriftTable};
use crate::components::shown_plan::{known_topics, shown_at_field, shown_for, Shown, ShownPlan};
use crate::domain::builder::{self, build_spec, plan_link, Field, FormError, FormInputs};
use crate::domain::execution::Preview;
use crate::domain::reset::{Plan, ResetSpec, Scope, Strategy, StrategyKind};
use crate::error::AppError;
use crate::format::{group_href, query_value};

/// How long typing must pause before a plan that needs Kafka is read: long enough that a date typed
/// character by character is read once, short enough to feel immediate.
const AUTO_READ_PAUSE: std::time::Duration = std::time::Duration::from_millis(400);

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
    // A saved plan opened in the builder: the one way to share a plan whose CSV a link cannot carry.
    let plan_from_link = link.get("plan").filter(|p| !p.is_empty());
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
        csv_name: form.csv_name.get(),
    });
    let form_spec = Memo::new(move |_| ids.with_value(|(c, g)| build_spec(c, g, &inputs.get())));
    // An undo in progress: the execution it undoes (in the page's link from the start, so a link copied
    // at any moment shares the undo, never the form's plan under it), and its restore plan once read.
    let undoing = RwSignal::new(undo_from_link);
    let special = RwSignal::new(None::<ResetSpec>);
    let active_spec = Memo::new(move |_| match (undoing.get(), special.get()) {
        (None, _) => form_spec.get(),
        (Some(_), Some(s)) => Ok(s),
        (Some(id), None) => Err(FormError {
            field: Field::Strategy,
            message: format!("Reading the backup of execution #{id}..."),
        }),
    });
    // A plan opened from a link shows its messages at once; a blank form waits for each field's edit.
    let visited = RwSignal::new(if from_link.is_some() {
        ALL_FIELDS.to_vec()
    } else {
        Vec::new()
    });
    let fetched = RwSignal::new(None::<Arc<Preview>>);
    let fetch_error = RwSignal::new(None::<AppError>);
    let executed = RwSignal::new(None::<ResetSpec>);

    let preview = Action::new(|spec: &ResetSpec| preview_plan(spec.clone()));
    // One read at a time lands: a new read aborts the one before, so a slow older answer can never
    // replace a newer plan (the action itself keeps whichever answer comes last).
    let in_flight = StoredValue::new(None::<ActionAbortHandle>);
    let read = move |spec: ResetSpec| {
        if let Some(previous) = in_flight.try_update_value(Option::take).flatten() {
            previous.abort();
        }
        in_flight.set_value(Some(preview.dispatch(spec)));
    };
    Effect::new(move |_| match preview.value().get() {
        Some(Ok(p)) => {
            fetch_error.set(None);
            fetched.set(Some(Arc::new(p)));
        }
        Some(Err(e)) => fetch_error.set(Some(e)),
        None => {}
    });
    let shown = Memo::new(move |_| {
        if undoing.get().is_some() && special.with(Option::is_none) {
            return Shown::Waiting;
        }
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
            undoing.set(None);
            special.set(None);
            fetch_error.set(None);
        }
        now
    });
    // The saved plan the form was filled from, while the form still holds it unchanged.
    let loaded = RwSignal::new(None::<(String, FormInputs)>);
    let from_saved = Memo::new(move |_| {
        loaded.with(|l| match l {
            Some((id, f)) if inputs.with(|i| i == f) => Some(id.clone()),
            _ => None,
        })
    });
    // The address bar always holds the link of what is planned: the undo while one is active, the saved
    // plan it was opened from, else the form's plan (replaced, so Back leaves the page).
    let link = Memo::new(move |_| {
        ids.with_value(|(c, g)| match (undoing.get(), from_saved.get()) {
            (Some(id), _) => undo_href(c, g, id),
            (None, Some(plan)) => format!("{}&plan={}", group_href(c, g), query_value(&plan)),
            (None, None) => plan_link(c, g, &inputs.get()),
        })
    });
    // A link carries no file: a plan from a CSV is shared by saving it (or opening it saved).
    let shareable = Signal::derive(move || {
        undoing.get().is_some()
            || from_saved.get().is_some()
            || inputs.with(|i| StrategyKind::parse(&i.strategy) != Some(StrategyKind::FromFile))
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        let link = link.get();
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
    Effect::new(move |_| match undo.value().get() {
        // Only the undo still asked for: a slower answer for an earlier one is not it.
        Some(Ok(spec))
            if matches!(spec.strategy, Strategy::RestoreBackup { execution }
                if Some(execution) == undoing.get_untracked()) =>
        {
            executed.set(None);
            special.set(Some(spec.clone()));
            read(spec);
        }
        // Nothing to undo (unknown execution, no backup): the form comes back beside the error.
        Some(Err(_)) => undoing.set(None),
        Some(Ok(_)) | None => {}
    });
    let start_undo = move |id: i64| {
        undoing.set(Some(id));
        special.set(None);
        fetch_error.set(None);
        undo.dispatch(id);
    };

    let open_saved = Action::new(|id: &String| get_plan(id.clone()));
    Effect::new(move |_| match open_saved.value().get() {
        Some(Ok(saved)) => {
            let spec = saved.plan.spec;
            let ours = ids.with_value(|(c, g)| spec.cluster == *c && spec.groups == [g.clone()]);
            if !ours {
                fetch_error.set(Some(AppError::invalid_input(format!(
                    "saved plan {} resets {} of cluster '{}', not this group; open it from its own page",
                    saved.id,
                    spec.groups.join(", "),
                    spec.cluster
                ))));
                return;
            }
            let mut f = builder::form_of(&spec);
            // The saved zone is part of the plan's instant; only a plan without one keeps the form's.
            if f.zone.is_empty() {
                f.zone = form.zone.get_untracked();
            }
            f.csv_name = format!("saved plan {}", saved.id);
            form.strategy.set(f.strategy.clone());
            form.value.set(f.value.clone());
            form.zone.set(f.zone.clone());
            form.scope.set(f.scope.clone());
            form.csv.set(f.csv.clone());
            form.csv_name.set(f.csv_name.clone());
            loaded.set(Some((saved.id, f)));
            visited.set(ALL_FIELDS.to_vec());
            read(spec);
        }
        Some(Err(e)) => fetch_error.set(Some(e)),
        None => {}
    });

    // After hydration: read the group once, so every edit can be planned here without a round trip.
    Effect::new(move |done: Option<()>| {
        if done.is_some() {
            return;
        }
        if let Some(id) = undo_from_link {
            start_undo(id);
            return;
        }
        if let Some(id) = plan_from_link.clone() {
            open_saved.dispatch(id);
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
        read(spec);
    });

    // A valid plan that needs Kafka (an instant's offsets, another group's commits, a topic not yet
    // read) is read on its own once typing pauses. A newer spec cancels the wait, and a newer read
    // aborts an older one (`read`). A spec already being read is not read twice.
    let pause = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let spec = active_spec.get();
        let needs_kafka = matches!(shown.get(), Shown::NeedsKafka(_));
        if let Some(h) = pause.get_value() {
            h.clear();
        }
        pause.set_value(None);
        let Ok(spec) = spec else { return };
        if !needs_kafka {
            return;
        }
        let later = move || {
            let current = active_spec.with_untracked(|s| s.as_ref() == Ok(&spec));
            let reading = preview.pending().get_untracked()
                && preview
                    .input()
                    .with_untracked(|i| i.as_ref() == Some(&spec));
            if current && !reading {
                fetch_error.set(None);
                read(spec.clone());
            }
        };
        if let Ok(h) = set_timeout_with_handle(later, AUTO_READ_PAUSE) {
            pause.set_value(Some(h));
        }
    });
    // Leaving the page cancels a pending read: its signals are gone by the time it would fire.
    on_cleanup(move || {
        if let Some(h) = pause.try_update_value(Option::take).flatten() {
            h.clear();
        }
    });

    let run_preview = Callback::new(move |()| {
        visited.set(ALL_FIELDS.to_vec());
        if let Ok(spec) = active_spec.get_untracked() {
            executed.set(None);
            fetch_error.set(None);
            read(spec);
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
        read(spec);
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
    let on_undo = Callback::new(start_undo);
    let group_name = group.clone();
    // The form's own message, else Kafka's answer to the last read when it is about the form's input.
    let errors = FieldErrors {
        error: Signal::derive(move || match shown.get() {
            Shown::Invalid(e) => Some(e),
            _ => fetch_error.with(|e| match e {
                Some(AppError::Plan { error }) if FormError::is_about_input(error) => {
                    Some(FormError::from_plan(error))
                }
                _ => None,
            }),
        }),
        visited,
    };
    let topics = Signal::from(Memo::new(move |_| {
        fetched.with(|f| f.as_ref().map(|p| known_topics(p)).unwrap_or_default())
    }));

    view! {
        <section id="reset" class="mt-4 scroll-mt-4 rounded border border-slate-200 bg-white p-4" aria-labelledby="reset-heading" data-testid="reset-panel"
            data-snapshot-at=move || fetched.with(|f| f.as_ref().map(|p| p.snapshot.taken_at_ms.to_string()))>
            <h2 id="reset-heading" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Plan a reset"</h2>
            // While an undo is active it replaces the form: the page plans and shares the undo alone.
            <Show when=move || undoing.get().is_none()
                fallback=move || undoing.get().map(|id| view! {
                    <UndoCard id spec=Signal::derive(move || special.get())
                        on_leave=Callback::new(move |()| {
                            undoing.set(None);
                            special.set(None);
                            fetch_error.set(None);
                            executed.set(None);
                            if let Ok(spec) = form_spec.get_untracked() {
                                read(spec);
                            }
                        })/>
                })>
                // One task after the panel's own setup: each is the first call of much code.
                <DrawLater>
                    <PlanForm form
                        topics=topics
                        on_submit=run_preview
                        on_edit=Callback::new(|()| ())
                        errors
                        previewing=preview.pending()/>
                </DrawLater>
            </Show>
            // A planning error from Kafka (an unknown topic, say) is shown under its field; others here.
            {move || fetch_error.get()
                .filter(|e| undoing.get().is_some() || !shown_at_field(e, &visited.get()))
                .map(|error| view! { <div class="mt-3"><ErrorPanel error/></div> })}
            {move || undo.value().get().and_then(Result::err).map(|error| view! {
                <div class="mt-3" data-testid="undo-error"><ErrorPanel error/></div>
            })}
            <div class="min-h-[6rem]">
                {move || match shown.get() {
                    Shown::Waiting => view! {
                        <p class="mt-3 text-sm text-slate-600" data-testid="plan-waiting">
                            {move || if preview.pending().get() || undo.pending().get() {
                                "Reading the group's offsets from Kafka..."
                            } else {
                                "No offsets read yet: press Preview from Kafka."
                            }}
                        </p>
                    }.into_any(),
                    Shown::Invalid(e) => if visited.with(|v| v.contains(&e.field)) {
                        view! { <p class="mt-3 text-sm text-slate-500" data-testid="plan-invalid">"The plan appears here once the field marked in red is fixed."</p> }.into_any()
                    } else {
                        view! { <p class="mt-3 text-sm text-slate-500" data-testid="plan-invalid">"Choose a strategy and its value to see the plan."</p> }.into_any()
                    },
                    // Read on its own after a pause; a failed read shows its error above instead.
                    Shown::NeedsKafka(what) => view! {
                        <p class="mt-3 text-sm text-slate-700" data-testid="plan-needs-kafka" role="status">
                            {move || if fetch_error.with(Option::is_some) { String::new() } else { format!("Reading {what} from Kafka...") }}
                        </p>
                    }.into_any(),
                    Shown::Executed => view! { <p class="mt-3 text-sm text-slate-500" data-testid="plan-executed">"This plan was executed; see the result below. Edit the form or preview again to plan the next reset."</p> }.into_any(),
                    Shown::Plan(p) => view! { <PlanArea shown=p group=ids.with_value(|(_, g)| g.clone()) cluster=ids.with_value(|(c, _)| c.clone()) link=link.into() shareable save on_execute=open_dialog can_open=Signal::derive(can_open)/> }.into_any(),
                }}
            </div>

            {move || dialog.get().map(|p| {
                let (all, _) = builder::totals(&p.plan);
                let plan = p.plan.clone();
                view! {
                    <ConfirmDialog group=group_name.clone() summary=summary_text(&all, plan_zone(&p.plan).as_deref()) pending=execute.pending().into()
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
            // One task after the form: the history's read and table are the first call of much code.
            <DrawLater>
                <GroupHistory cluster=cluster.clone() group=group.clone() executions=execute.version().into() on_undo/>
            </DrawLater>
        </section>
    }
    .into_any()
}
