//! The reset panel of a group page: pick a strategy and scope, preview the plan, execute it after typing
//! the group id, undo an execution, and see the group's history.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::executions::{execute_plan, list_executions, undo_spec};
use crate::api::plans::preview_plan;
use crate::components::error_panel::ErrorPanel;
use crate::domain::execution::{ExecuteReport, ExecutionStatus, ExecutionSummary, Preview};
use crate::domain::reset::{PlanError, ResetSpec, Scope, Strategy, TopicScope};
use crate::domain::timespec::{carries_offset, format_in_zone};
use crate::error::AppError;
use crate::format::{int, opt_int, query_value, utc};

/// Rows of a plan shown at once; the totals always cover all of them.
const PLAN_ROWS: usize = 200;

const STRATEGIES: &[(&str, &str)] = &[
    ("shift-by", "Shift by N records"),
    ("to-offset", "To an offset"),
    ("to-datetime", "To a date and time"),
    ("by-duration", "Back by a duration"),
    ("to-earliest", "To the earliest offset"),
    ("to-latest", "To the latest offset (skip everything)"),
    ("to-current", "To the current offset"),
];

/// The spec the form describes, or what is wrong with the form.
fn build_spec(
    cluster: &str,
    group: &str,
    strategy: &str,
    value: &str,
    zone: &str,
    scope: &str,
) -> Result<ResetSpec, String> {
    let value = value.trim();
    let number = |what: &str| {
        value
            .trim_start_matches('+')
            .parse::<i64>()
            .map_err(|_| format!("{what} must be a whole number, got '{value}'"))
    };
    let strategy = match strategy {
        "shift-by" => Strategy::ShiftBy {
            shift: number("The shift")?,
        },
        "to-offset" => Strategy::ToOffset {
            offset: number("The offset")?,
        },
        "to-datetime" => {
            // An input with its own offset (the CLI's `...+08:00`, or `Z`) needs no zone.
            let own_offset = carries_offset(value);
            Strategy::ToDatetime {
                input: value.to_owned(),
                zone: Some(zone.trim().to_owned()).filter(|z| !z.is_empty() && !own_offset),
            }
        }
        "by-duration" => Strategy::ByDuration {
            duration: value.to_owned(),
        },
        "to-earliest" => Strategy::ToEarliest,
        "to-latest" => Strategy::ToLatest,
        _ => Strategy::ToCurrent,
    };
    let scope = if scope.trim().is_empty() {
        Scope::AllTopics
    } else {
        let topics = scope
            .split_whitespace()
            .map(TopicScope::parse)
            .collect::<Result<Vec<_>, PlanError>>()
            .map_err(|e| e.to_string())?;
        Scope::Topics { topics }
    };
    Ok(ResetSpec {
        cluster: cluster.to_owned(),
        groups: vec![group.to_owned()],
        scope,
        strategy,
    })
}

fn needs_value(strategy: &str) -> Option<(&'static str, &'static str)> {
    match strategy {
        "shift-by" => Some(("Shift (records, negative re-reads)", "-1000")),
        "to-offset" => Some(("Offset", "0")),
        "to-datetime" => Some((
            "Date and time (wall clock in the zone)",
            "2026-11-24T08:00:00.000",
        )),
        "by-duration" => Some(("Duration back from now", "PT2H or 90m or 1d")),
        _ => None,
    }
}

const INPUT: &str = "w-full rounded border border-slate-300 px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";
const BUTTON: &str = "rounded px-3 py-1 text-sm font-medium focus:outline-none focus:ring-2 focus:ring-indigo-500 disabled:opacity-50";

#[component]
pub fn ResetPanel(
    cluster: String,
    group: String,
    /// Called after an execution, so the page can show the new offsets.
    on_executed: Callback<()>,
) -> impl IntoView {
    // A plan is fully described by the page's URL, so a link reproduces it in another browser.
    let link_inputs = use_query_map().get_untracked();
    let from_link = link_inputs
        .get("strategy")
        .filter(|s| STRATEGIES.iter().any(|(v, _)| v == s));
    let strategy = RwSignal::new(from_link.clone().unwrap_or_else(|| "shift-by".to_string()));
    let value = RwSignal::new(link_inputs.get("value").unwrap_or_default());
    let zone = RwSignal::new(link_inputs.get("zone").unwrap_or_else(|| "UTC".to_string()));
    let scope = RwSignal::new(link_inputs.get("scope").unwrap_or_default());
    let ids = StoredValue::new((cluster.clone(), group.clone()));
    let plan_link = move || {
        ids.with_value(|(c, g)| {
            format!(
                "/group?cluster={}&id={}&strategy={}&value={}&zone={}&scope={}",
                query_value(c),
                query_value(g),
                query_value(&strategy.get()),
                query_value(&value.get()),
                query_value(&zone.get()),
                query_value(&scope.get())
            )
        })
    };
    let form_error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(String::new());

    let preview = Action::new(|spec: &ResetSpec| preview_plan(spec.clone()));
    let execute = Action::new(|p: &Preview| {
        execute_plan(
            p.plan.spec.clone(),
            p.plan.fingerprint.clone(),
            p.plan.at_ms,
        )
    });
    let undo = Action::new(|id: &i64| undo_spec(*id));
    // An undo is previewed like any plan: its spec goes through the same preview and confirmation.
    Effect::new(move |_| {
        if let Some(Ok(spec)) = undo.value().get() {
            confirm.set(String::new());
            execute.value().set(None);
            preview.dispatch(spec);
        }
    });
    Effect::new(move |_| {
        if execute.value().get().is_some() {
            on_executed.run(());
        }
    });
    let history_key = (cluster.clone(), group.clone());
    let history = Resource::new(
        move || execute.version().get(),
        move |_| {
            let (c, g) = history_key.clone();
            list_executions(c, Some(g), Some(20))
        },
    );

    let navigate = use_navigate();
    let run_preview = move || {
        let built = ids.with_value(|(c, g)| {
            build_spec(
                c,
                g,
                &strategy.get_untracked(),
                &value.get_untracked(),
                &zone.get_untracked(),
                &scope.get_untracked(),
            )
        });
        match built {
            Ok(spec) => {
                form_error.set(None);
                confirm.set(String::new());
                execute.value().set(None);
                preview.dispatch(spec);
                // The address bar becomes the plan's link (replacing, so Back leaves the page).
                navigate(
                    &plan_link(),
                    NavigateOptions {
                        replace: true,
                        scroll: false,
                        ..Default::default()
                    },
                );
            }
            Err(e) => form_error.set(Some(e)),
        }
    };
    let run_preview = StoredValue::new(run_preview);
    let on_preview = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run_preview.with_value(|run| run());
    };
    // Opened from a plan's link: preview it at once, as its author saw it (after hydration only).
    if from_link.is_some() {
        Effect::new(move |done: Option<()>| {
            if done.is_none() {
                run_preview.with_value(|run| run());
            }
        });
    }
    let group_for_confirm = group.clone();
    let can_execute = Signal::derive(move || {
        confirm.get() == group_for_confirm
            && !execute.pending().get()
            // One execution per preview: after it, the offsets differ and a new preview is needed.
            && execute.value().get().is_none()
            && preview
                .value()
                .get()
                .is_some_and(|r| r.is_ok_and(|p| p.plan.groups.iter().all(|g| g.refusal.is_none())))
    });

    view! {
        <section class="mt-4 rounded border border-slate-200 bg-white p-4" aria-labelledby="reset-heading" data-testid="reset-panel">
            <h2 id="reset-heading" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Reset offsets"</h2>
            <form class="mt-2 grid gap-3 sm:grid-cols-2 lg:grid-cols-4" on:submit=on_preview>
                <label class="text-sm">
                    <span class="mb-1 block text-slate-600">"Strategy"</span>
                    <select class=INPUT name="strategy" data-testid="strategy"
                        on:change=move |ev| strategy.set(event_target_value(&ev))
                        prop:value=move || strategy.get()>
                        {STRATEGIES.iter().map(|(v, label)| view! { <option value=*v>{*label}</option> }).collect_view()}
                    </select>
                </label>
                {move || needs_value(&strategy.get()).map(|(label, placeholder)| view! {
                    <label class="text-sm">
                        <span class="mb-1 block text-slate-600">{label}</span>
                        <input class=INPUT name="value" data-testid="strategy-value" placeholder=placeholder
                            prop:value=move || value.get()
                            on:input=move |ev| value.set(event_target_value(&ev))/>
                    </label>
                })}
                {move || (strategy.get() == "to-datetime").then(|| view! {
                    <label class="text-sm">
                        <span class="mb-1 block text-slate-600">"Time zone (IANA)"</span>
                        <input class=INPUT name="zone" data-testid="zone" list="zones"
                            prop:value=move || zone.get()
                            on:input=move |ev| zone.set(event_target_value(&ev))/>
                        <datalist id="zones">
                            <option value="UTC"/><option value="Europe/Berlin"/><option value="America/New_York"/><option value="Asia/Shanghai"/>
                        </datalist>
                    </label>
                })}
                <label class="text-sm">
                    <span class="mb-1 block text-slate-600">"Scope: topics (empty = all the group committed)"</span>
                    <input class=INPUT name="scope" data-testid="scope" placeholder="orders orders:0,1"
                        prop:value=move || scope.get()
                        on:input=move |ev| scope.set(event_target_value(&ev))/>
                </label>
                <div class="flex items-end">
                    <button type="submit" class=format!("{BUTTON} bg-indigo-600 text-white hover:bg-indigo-700") data-testid="preview-button"
                        disabled=move || preview.pending().get()>
                        {move || if preview.pending().get() { "Previewing..." } else { "Preview" }}
                    </button>
                </div>
            </form>
            {move || form_error.get().map(|e| view! { <p role="alert" class="mt-2 text-sm text-rose-700" data-testid="form-error">{e}</p> })}

            {move || preview.value().get().map(|r| match r {
                Err(error) => view! { <div class="mt-3"><ErrorPanel error/></div> }.into_any(),
                Ok(p) => view! { <PlanView preview=p/> }.into_any(),
            })}

            {move || preview.value().get().and_then(Result::ok).map(|_| view! {
                <p class="mt-2 text-sm">
                    <a class="text-indigo-700 hover:underline" data-testid="plan-link" href=plan_link>"Link to this plan"</a>
                    <span class="text-xs text-slate-500">" (opens this preview in any browser)"</span>
                </p>
                <div class="mt-3 flex flex-wrap items-end gap-3 rounded border border-amber-200 bg-amber-50 p-3">
                    <label class="text-sm">
                        <span class="mb-1 block text-amber-900">"Type the group id to confirm"</span>
                        <input class=INPUT data-testid="confirm-group" autocomplete="off"
                            prop:value=move || confirm.get()
                            on:input=move |ev| confirm.set(event_target_value(&ev))/>
                    </label>
                    <button type="button" class=format!("{BUTTON} bg-rose-600 text-white hover:bg-rose-700") data-testid="execute-button"
                        disabled=move || !can_execute.get()
                        on:click=move |_| {
                            if let Some(Ok(p)) = preview.value().get_untracked() {
                                execute.dispatch(p);
                            }
                        }>
                        {move || if execute.pending().get() { "Executing..." } else { "Execute" }}
                    </button>
                </div>
            })}

            {move || execute.value().get().map(|r| match r {
                Err(error) => {
                    // A failed execution still has a record (backup, per-partition outcome, undo).
                    let report = match &error {
                        AppError::ExecutionFailed { report, .. } => Some((**report).clone()),
                        _ => None,
                    };
                    view! {
                        <div class="mt-3" data-testid="execute-error"><ErrorPanel error/></div>
                        {report.map(|report| view! { <ExecutionResult report on_undo=move |id| { undo.dispatch(id); }/> })}
                    }.into_any()
                }
                Ok(report) => view! { <ExecutionResult report on_undo=move |id| { undo.dispatch(id); }/> }.into_any(),
            })}
            {move || undo.value().get().and_then(Result::err).map(|error| view! {
                <div class="mt-3" data-testid="undo-error"><ErrorPanel error/></div>
            })}

            <h3 class="mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500">"History of this group"</h3>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading history..."</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(list) => view! { <HistoryTable list on_undo=move |id| { undo.dispatch(id); }/> }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PlanView(preview: Preview) -> impl IntoView {
    let plan = preview.plan;
    let rows: Vec<_> = plan
        .groups
        .iter()
        .flat_map(|g| g.partitions.iter().cloned())
        .collect();
    let n = rows.len();
    let changed = rows.iter().filter(|p| p.changes()).count();
    let reread: i64 = rows
        .iter()
        .filter_map(|p| p.delta())
        .filter(|d| *d < 0)
        .map(|d| -d)
        .sum();
    let skipped: i64 = rows
        .iter()
        .filter_map(|p| p.delta())
        .filter(|d| *d > 0)
        .sum();
    let warnings = rows.iter().filter(|p| !p.warnings.is_empty()).count();
    let refusals: Vec<String> = plan
        .groups
        .iter()
        .filter_map(|g| g.refusal.as_ref().map(|r| r.message(&g.group)))
        .collect();
    let zone = match &plan.spec.strategy {
        Strategy::ToDatetime { zone: Some(z), .. } => Some(z.clone()),
        _ => None,
    };
    let at = plan.at_ms.map(|ms| {
        let local = zone
            .as_deref()
            .and_then(|z| format_in_zone(ms, z).map(|t| format!(" = {t} in {z}")))
            .unwrap_or_default();
        format!("Instant looked up: {}{local}", utc(ms))
    });
    view! {
        <div class="mt-3" data-testid="plan">
            {refusals.into_iter().map(|r| view! {
                <p role="alert" class="mb-2 rounded border border-rose-200 bg-rose-50 p-2 text-sm text-rose-900" data-testid="plan-refusal">{r}</p>
            }).collect_view()}
            <p class="text-sm" data-testid="plan-summary">
                {format!("{} of {} partitions change: {} records re-read, {} skipped", int(changed as i64), int(n as i64), int(reread), int(skipped))}
                {(warnings > 0).then(|| format!("; {} with warnings", int(warnings as i64)))}
            </p>
            {at.map(|a| view! { <p class="text-xs text-slate-500">{a}</p> })}
            <div class="mt-2 overflow-x-auto rounded border border-slate-200">
                <table class="min-w-full text-sm" data-testid="plan-table">
                    <thead class="bg-slate-100 text-left text-xs uppercase tracking-wide text-slate-500">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Topic"</th>
                            <th scope="col" class="px-3 py-2 text-right">"Partition"</th>
                            <th scope="col" class="px-3 py-2 text-right">"Log start"</th>
                            <th scope="col" class="px-3 py-2 text-right">"Current"</th>
                            <th scope="col" class="px-3 py-2 text-right">"Target"</th>
                            <th scope="col" class="px-3 py-2 text-right">"Delta"</th>
                            <th scope="col" class="px-3 py-2 text-right">"Log end"</th>
                            <th scope="col" class="px-3 py-2">"Lands on record of"</th>
                            <th scope="col" class="px-3 py-2">"Warnings"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().take(PLAN_ROWS).map(|p| {
                            let tp = p.tp();
                            let delta = p.delta().map(|d| if d > 0 { format!("+{}", int(d)) } else { int(d) }).unwrap_or_else(|| "-".into());
                            let target = p.target.map(int).unwrap_or_else(|| "delete".into());
                            let warn: Vec<String> = p.warnings.iter().map(|w| w.message(&tp, p.target)).collect();
                            view! {
                                <tr class="border-t border-slate-100" data-testid="plan-row">
                                    <td class="break-all px-3 py-1 font-mono">{p.topic.clone()}</td>
                                    <td class="px-3 py-1 text-right">{p.partition}</td>
                                    <td class="px-3 py-1 text-right">{int(p.log_start)}</td>
                                    <td class="px-3 py-1 text-right">{opt_int(p.current)}</td>
                                    <td class="px-3 py-1 text-right font-semibold" data-testid="plan-target">{target}</td>
                                    <td class="px-3 py-1 text-right">{delta}</td>
                                    <td class="px-3 py-1 text-right">{int(p.log_end)}</td>
                                    <td class="px-3 py-1 text-xs">{p.target_timestamp.map(utc).unwrap_or_else(|| "-".into())}</td>
                                    <td class="px-3 py-1 text-xs text-amber-800">{warn.join(" ")}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {(n > PLAN_ROWS).then(|| view! { <p class="mt-1 text-xs text-slate-500">{format!("First {PLAN_ROWS} of {} partitions shown.", int(n as i64))}</p> })}
            <p class="mt-2 text-xs text-slate-500">"Same with Kafka's tool:"</p>
            <pre class="overflow-x-auto rounded bg-slate-900 p-2 text-xs text-slate-100" data-testid="cli-command">{preview.cli.command}</pre>
            {preview.cli.note.map(|n| view! { <p class="text-xs text-slate-500">{n}</p> })}
        </div>
    }
}

#[component]
fn ExecutionResult(
    report: ExecuteReport,
    on_undo: impl Fn(i64) + Send + Sync + Copy + 'static,
) -> impl IntoView {
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
                            on:click=move |_| on_undo(id)>
                            "Undo (preview the restore)"
                        </button>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn HistoryTable(
    list: Vec<ExecutionSummary>,
    on_undo: impl Fn(i64) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="text-sm text-slate-500" data-testid="history-empty">"No reset has been executed on this group from Rewind."</p> }.into_any();
    }
    view! {
        <div class="mt-1 overflow-x-auto rounded border border-slate-200">
            <table class="min-w-full text-sm" data-testid="history-table">
                <thead class="bg-slate-100 text-left text-xs uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-3 py-2">"#"</th>
                        <th scope="col" class="px-3 py-2">"When"</th>
                        <th scope="col" class="px-3 py-2">"Who"</th>
                        <th scope="col" class="px-3 py-2">"Strategy"</th>
                        <th scope="col" class="px-3 py-2 text-right">"Partitions"</th>
                        <th scope="col" class="px-3 py-2">"Result"</th>
                        <th scope="col" class="px-3 py-2"><span class="sr-only">"Undo"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|e| {
                        let id = e.id;
                        let strategy = match e.undo_of {
                            Some(u) => format!("undo of #{u}"),
                            None => e.strategy.clone(),
                        };
                        view! {
                            <tr class="border-t border-slate-100" data-testid="history-row">
                                <td class="px-3 py-1">{e.id}</td>
                                <td class="px-3 py-1 text-xs">{utc(e.started_at_ms)}</td>
                                <td class="px-3 py-1">{e.actor.clone()}</td>
                                <td class="px-3 py-1">{strategy}</td>
                                <td class="px-3 py-1 text-right">{e.partitions}</td>
                                <td class="px-3 py-1" title=e.message.clone().unwrap_or_default()>{e.status.as_str()}</td>
                                <td class="px-3 py-1">
                                    <button type="button" class="text-indigo-700 hover:underline" on:click=move |_| on_undo(id)>"Undo"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
