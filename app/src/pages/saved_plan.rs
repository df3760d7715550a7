//! A saved plan at /plans/{id}: its frozen inputs and preview, and the drift since it was saved, read
//! from Kafka each time the page opens.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::plans::{delete_plan, get_plan, preview_plan};
use crate::components::error_panel::ErrorPanel;
use crate::components::plan_form::BUTTON;
use crate::components::plan_view::{DriftTable, PlanView};
use crate::components::session::IfAllowed;
use crate::domain::access::Action as Can;
use crate::domain::builder::{self, drift, form_of, plan_link};
use crate::domain::execution::SavedPlan;
use crate::domain::offsets_csv::export_plan;
use crate::domain::reset::StrategyKind;
use crate::format::{count, group_href, query_value, utc};

#[component]
pub fn SavedPlanPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let saved = Resource::new(move || id.get(), get_plan);
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Opening the plan..."</p> }>
            {move || Suspend::new(async move {
                match saved.await {
                    Ok(s) => view! { <SavedPlanView saved=s/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn SavedPlanView(saved: SavedPlan) -> impl IntoView {
    let plan = saved.plan;
    let spec = plan.spec.clone();
    let form = form_of(&spec);
    let group = spec.groups.first().cloned().unwrap_or_default();
    // One group and a strategy the builder offers: the builder takes the plan by its link, or (a file's
    // rows being too large for a link) by this saved plan's id.
    let in_builder = spec.groups.len() == 1
        && StrategyKind::parse(&form.strategy).is_some_and(StrategyKind::in_builder);
    let builder_link = in_builder.then(|| {
        if form.csv.is_empty() {
            plan_link(&spec.cluster, &group, &form)
        } else {
            format!(
                "{}&plan={}",
                group_href(&spec.cluster, &group),
                query_value(&saved.id)
            )
        }
    });
    // The file itself for a plan from a file; otherwise the plan in the tool's CSV format.
    let file = if form.csv.is_empty() {
        export_plan(&plan)
    } else {
        form.csv.clone()
    };
    let file_name = format!("rewind-plan-{}.csv", saved.id);
    let now_spec = spec.clone();
    // The same spec planned on Kafka as it is now, compared partition by partition with the frozen plan.
    let now = Resource::new(|| (), move |_| preview_plan(now_spec.clone()));
    let frozen = plan.clone();
    view! {
        <nav class="mb-3 text-sm"><a class="text-indigo-700 hover:underline" href=group_href(&spec.cluster, &group)>"Group page"</a></nav>
        <section class="rounded border border-slate-200 bg-white p-4" aria-labelledby="saved-heading" data-testid="saved-plan">
            <p class="text-xs uppercase tracking-wide text-slate-500">"Saved plan"</p>
            <h1 id="saved-heading" class="font-mono text-lg font-semibold">{format!("/plans/{}", saved.id)}</h1>
            <dl class="mt-3 grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4" data-testid="saved-inputs">
                <div><dt class="text-xs text-slate-500">"Cluster"</dt><dd>{spec.cluster.clone()}</dd></div>
                <div class="min-w-0"><dt class="text-xs text-slate-500">"Groups"</dt>
                    <dd class="break-all font-mono">{spec.groups.join(", ")}</dd></div>
                <div class="min-w-0"><dt class="text-xs text-slate-500">"Reset"</dt><dd data-testid="saved-spec">{builder::describe(&spec)}</dd></div>
                <div><dt class="text-xs text-slate-500">"Saved"</dt><dd>{format!("{} by {}", utc(saved.created_at_ms), saved.created_by)}</dd></div>
            </dl>
            <IfAllowed action=Can::DeletePlan cluster=spec.cluster.clone() group=group.clone()>
                <DeletePlan id=saved.id.clone() group_page=group_href(&spec.cluster, &group)/>
            </IfAllowed>
            {builder_link.map(|href| view! {
                <p class="mt-3 text-sm">
                    <a class="text-indigo-700 hover:underline" data-testid="open-in-builder" href=href>"Open in the plan builder"</a>
                    <span class="text-xs text-slate-500">" to preview it on today's offsets and execute it."</span>
                </p>
            })}
            <p class="mt-2 text-sm">
                <a class="text-indigo-700 hover:underline" data-testid="download-plan" href="#" download=file_name
                    on:click=move |ev| {
                        // Built on click: a 10,000-partition file does not belong in the DOM up front.
                        let el = event_target::<leptos::web_sys::Element>(&ev);
                        let _ = el.set_attribute("href", &format!("data:text/csv;charset=utf-8,{}", query_value(&file)));
                    }>"Download the CSV"</a>
                <span class="text-xs text-slate-500">" (Kafka's tool takes it with --from-file)"</span>
            </p>
        </section>

        <section class="mt-4 rounded border border-slate-200 bg-white p-4" aria-labelledby="drift-heading">
            <h2 id="drift-heading" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Since it was saved"</h2>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Comparing with Kafka now..."</p> }>
                {move || {
                    let frozen = frozen.clone();
                    Suspend::new(async move {
                        match now.await {
                            Ok(p) => {
                                let rows = drift(&frozen, &p.plan);
                                let refusals: Vec<String> = p.plan.groups.iter()
                                    .filter_map(|g| g.refusal.as_ref().map(|r| r.message(&g.group)))
                                    .collect();
                                // The fingerprint is what Execute compares: targets that follow the log
                                // end (to-latest, clamped ones) may move without it changing.
                                let same = frozen.fingerprint == p.plan.fingerprint;
                                view! {
                                    {refusals.into_iter().map(|r| view! {
                                        <p role="alert" class="mt-2 rounded border border-rose-200 bg-rose-50 p-2 text-sm text-rose-900" data-testid="plan-refusal">{r}</p>
                                    }).collect_view()}
                                    {if same {
                                        view! { <p class="mt-2 text-sm text-emerald-800" data-testid="drift-none">
                                            {if rows.is_empty() { "No drift: the plan is what it was when saved." } else { "No drift in what was planned; targets that follow the log end moved with new records." }}
                                        </p> }.into_any()
                                    } else {
                                        view! {
                                            <p class="mt-2 text-sm font-medium text-amber-900" data-testid="drift-summary">
                                                {format!("{} moved since the plan was saved (read at {}).", count(rows.len() as i64, "partition", "partitions"), utc(p.plan.snapshot_at_ms))}
                                            </p>
                                        }.into_any()
                                    }}
                                    {(!rows.is_empty()).then(|| view! { <DriftTable rows/> })}
                                }.into_any()
                            }
                            Err(error) => view! { <div class="mt-2"><ErrorPanel error/></div> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>

        <section class="mt-4 rounded border border-slate-200 bg-white p-4" aria-labelledby="frozen-heading">
            <h2 id="frozen-heading" class="text-xs font-semibold uppercase tracking-wide text-slate-500">"The plan as saved"</h2>
            <PlanView plan=plan from_kafka=true/>
        </section>
    }
    .into_any()
}

/// Deleting the plan: one confirmation, then its link stops working for everyone. Executions made
/// from it keep their records; the audit keeps the plan.
#[component]
fn DeletePlan(id: String, group_page: String) -> impl IntoView {
    let asking = RwSignal::new(false);
    let delete = Action::new(|id: &String| delete_plan(id.clone()));
    let id = StoredValue::new(id);
    let group_page = StoredValue::new(group_page);
    view! {
        <div class="mt-3 text-sm" data-testid="delete-plan">
            {move || match delete.value().get() {
                Some(Ok(())) => view! {
                    <p role="status" class="rounded border border-emerald-200 bg-emerald-50 p-2 text-emerald-900" data-testid="plan-deleted">
                        "Plan deleted: its link no longer opens. "
                        <a class="text-indigo-700 hover:underline" href=group_page.get_value()>"Back to the group"</a>
                    </p>
                }.into_any(),
                _ if asking.get() => view! {
                    <div role="alertdialog" aria-label="Delete this plan?" class="rounded border border-rose-200 bg-rose-50 p-3">
                        <p class="text-rose-900">"Delete this plan? Anyone with its link gets \"not found\" from now on; executions made from it keep their records."</p>
                        <div class="mt-2 flex gap-2">
                            <button type="button" class=format!("{BUTTON} bg-rose-600 text-white hover:bg-rose-700") data-testid="delete-plan-yes"
                                disabled=move || delete.pending().get()
                                on:click=move |_| { delete.dispatch(id.get_value()); }>"Delete"</button>
                            <button type="button" class=format!("{BUTTON} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100")
                                on:click=move |_| asking.set(false)>"Cancel"</button>
                        </div>
                        {move || delete.value().get().and_then(|r| r.err()).map(|error| view! { <div class="mt-2"><ErrorPanel error/></div> })}
                    </div>
                }.into_any(),
                _ => view! {
                    <button type="button" class="text-rose-700 hover:underline" data-testid="delete-plan-button"
                        on:click=move |_| asking.set(true)>"Delete this plan"</button>
                }.into_any(),
            }}
        </div>
    }
    .into_any()
}
