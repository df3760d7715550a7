//! A plan drawn as a visual diff: totals overall and per topic, then one track per partition from log
//! start to log end with the current and target markers, virtualised so 10,000 partitions scroll smoothly.

use leptos::prelude::*;

use crate::components::table::{col, num, TableHead};
use crate::domain::builder::{self, Move, Totals};
use crate::domain::reset::{LandingRecord, PartitionPlan, Plan, Strategy};
use crate::domain::timespec::format_in_zone;
use crate::format::{int, opt_int, utc};

/// Height of one partition row; fixed, so the list can render only the rows in view.
const ROW_PX: f64 = 56.0;
/// Rows the list shows before it scrolls.
const VIEW_ROWS: usize = 10;
/// Rows rendered beyond the visible ones, so fast scrolling shows no blank gap.
const OVERSCAN: usize = 8;

/// An instant in the plan's zone (`zone`, else UTC), and the same instant in UTC for a tooltip.
pub fn in_zone(ms: i64, zone: Option<&str>) -> (String, String) {
    let in_utc = utc(ms);
    match zone
        .filter(|z| !z.eq_ignore_ascii_case("UTC"))
        .and_then(|z| format_in_zone(ms, z))
        .map(|t| match t.split_once('.') {
            // Seconds are enough here; the tooltip and the instant line keep the milliseconds.
            Some((clock, rest)) => format!("{clock}{}", rest.trim_start_matches(char::is_numeric)),
            None => t,
        }) {
        Some(local) => (local, in_utc),
        None => (in_utc.clone(), in_utc),
    }
}

/// The zone a plan's times are shown in: the one its instant was given in.
pub fn plan_zone(plan: &Plan) -> Option<String> {
    match &plan.spec.strategy {
        Strategy::ToDatetime { zone: Some(z), .. } => Some(z.clone()),
        _ => None,
    }
}

/// "3 of 6 partitions change: 1,234 records re-read (records from 2026-11-24 08:00:00 +08:00
/// (Asia/Shanghai) to now), 12 skipped". The re-read ends where the group had read: "now" only when it
/// had read everything.
pub fn summary_text(t: &Totals, zone: Option<&str>) -> String {
    let mut text = format!(
        "{} of {} partitions change: {} records re-read",
        int(t.changed as i64),
        int(t.partitions as i64),
        int(t.reread)
    );
    if let Some(from) = t.reread_from_ms.filter(|_| t.reread > 0) {
        let (from, _) = in_zone(from, zone);
        let from = match zone.filter(|z| !z.eq_ignore_ascii_case("UTC")) {
            Some(z) => format!("{from} ({z})"),
            None => from,
        };
        if t.reread_behind {
            text.push_str(&format!(
                " (records from {from} up to where the group had read)"
            ));
        } else {
            text.push_str(&format!(" (records from {from} to now)"));
        }
    }
    text.push_str(&format!(", {} skipped", int(t.skipped)));
    if t.deleted > 0 {
        text.push_str(&format!(", {} offsets deleted", int(t.deleted as i64)));
    }
    if t.warnings > 0 {
        text.push_str(&format!("; {} with warnings", int(t.warnings as i64)));
    }
    text
}

/// `from_kafka`: read from Kafka just now (true) or planned in the browser on the last snapshot (false).
#[component]
pub fn PlanView(plan: Plan, from_kafka: bool) -> impl IntoView {
    let (all, topics) = builder::totals(&plan);
    let refusals: Vec<String> = plan
        .groups
        .iter()
        .filter_map(|g| g.refusal.as_ref().map(|r| r.message(&g.group)))
        .collect();
    let zone = plan_zone(&plan);
    let at = plan.at_ms.map(|ms| {
        let local = zone
            .as_deref()
            .and_then(|z| format_in_zone(ms, z).map(|t| format!(" = {t} in {z}")))
            .unwrap_or_default();
        format!("Instant looked up: {}{local}", utc(ms))
    });
    let origin = if from_kafka {
        format!("Read from Kafka at {}", utc(plan.snapshot_at_ms))
    } else {
        format!(
            "Planned in your browser on the offsets read at {}; Preview reads them again",
            utc(plan.snapshot_at_ms)
        )
    };
    let rows: Vec<PartitionPlan> = plan
        .groups
        .into_iter()
        .flat_map(|g| g.partitions.into_iter())
        .collect();
    let multi_topic = topics.len() > 1;

    view! {
        <div class="mt-3" data-testid="plan">
            {refusals.into_iter().map(|r| view! {
                <p role="alert" class="mb-2 rounded border border-rose-200 bg-rose-50 p-2 text-sm text-rose-900" data-testid="plan-refusal">{r}</p>
            }).collect_view()}
            <p class="text-sm font-medium" data-testid="plan-summary"
                title=all.reread_from_ms.map(|ms| format!("Re-read from {}", utc(ms)))>{summary_text(&all, zone.as_deref())}</p>
            <p class="text-xs text-slate-500" data-testid="plan-origin">{origin}</p>
            {at.map(|a| view! { <p class="text-xs text-slate-500" data-testid="plan-instant">{a}</p> })}
            <Legend/>
            {multi_topic.then(|| view! { <TopicTotals topics/> })}
            <PartitionTracks rows zone/>
        </div>
    }
    .into_any()
}

#[component]
fn Legend() -> impl IntoView {
    view! {
        <p class="mt-2 flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-600" aria-hidden="true">
            <span class="inline-flex items-center gap-1"><span class="inline-block h-3 w-1 bg-slate-800"></span>"current"</span>
            <span class="inline-flex items-center gap-1"><span class="inline-block h-3 w-1 bg-indigo-600"></span>"target"</span>
            <span class="inline-flex items-center gap-1"><span class="inline-block h-2 w-4 rounded-sm bg-amber-400"></span>"re-read"</span>
            <span class="inline-flex items-center gap-1"><span class="inline-block h-2 w-4 rounded-sm bg-rose-400"></span>"skipped"</span>
            <span>"Each track runs from the log start (left) to the log end (right)."</span>
        </p>
    }
    .into_any()
}

#[component]
fn TopicTotals(topics: Vec<(String, Totals)>) -> impl IntoView {
    view! {
        <div class="mt-2 overflow-x-auto rounded border border-slate-200">
            <table class="min-w-full text-sm" data-testid="topic-totals">
                <TableHead dense=true cols=vec![col("Topic"), num("Partitions"), num("Changing"), num("Re-read"), num("Skipped")]/>
                <tbody class="divide-y divide-slate-100">
                    {topics.into_iter().map(|(topic, t)| view! {
                        <tr>
                            <td class="break-all px-3 py-1 font-mono">{topic}</td>
                            <td class="px-3 py-1 text-right tabular-nums">{int(t.partitions as i64)}</td>
                            <td class="px-3 py-1 text-right tabular-nums">{int(t.changed as i64)}</td>
                            <td class="px-3 py-1 text-right tabular-nums text-amber-800">{int(t.reread)}</td>
                            <td class="px-3 py-1 text-right tabular-nums text-rose-800">{int(t.skipped)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The partition rows, filtered by topic text and "changing only", rendering only what is in view.
#[component]
fn PartitionTracks(rows: Vec<PartitionPlan>, zone: Option<String>) -> impl IntoView {
    let total = rows.len();
    let rows = StoredValue::new(rows);
    let filter = RwSignal::new(String::new());
    let changing_only = RwSignal::new(false);
    let scroll_top = RwSignal::new(0.0_f64);
    let list = NodeRef::<leptos::html::Div>::new();
    // A new filter starts at the top: the element's own scroll position too, or the rows would render
    // above the view.
    let to_top = move || {
        scroll_top.set(0.0);
        if let Some(el) = list.get_untracked() {
            el.set_scroll_top(0);
        }
    };
    let selected = Memo::new(move |_| {
        let f = filter.get().trim().to_lowercase();
        let changing = changing_only.get();
        rows.with_value(|rows| {
            rows.iter()
                .enumerate()
                .filter(|(_, p)| !changing || p.changes())
                .filter(|(_, p)| {
                    f.is_empty()
                        || format!("{}-{}", p.topic, p.partition)
                            .to_lowercase()
                            .contains(&f)
                })
                .map(|(i, _)| i)
                .collect::<Vec<usize>>()
        })
    });
    let height = move || {
        let n = selected.with(Vec::len).clamp(1, VIEW_ROWS);
        format!("height: {}px", n as f64 * ROW_PX)
    };
    let window = move || {
        let first = (scroll_top.get() / ROW_PX).floor() as usize;
        let start = first.saturating_sub(OVERSCAN);
        let end = first + VIEW_ROWS + OVERSCAN;
        selected.with(|sel| {
            let end = end.min(sel.len());
            let start = start.min(end);
            rows.with_value(|rows| {
                sel[start..end]
                    .iter()
                    .enumerate()
                    .map(|(k, i)| (start + k, rows[*i].clone()))
                    .collect::<Vec<_>>()
            })
        })
    };

    view! {
        <div class="mt-2 flex flex-wrap items-center gap-3 text-sm">
            <label class="flex items-center gap-2">
                <span class="text-slate-600">"Find partition"</span>
                <input class="w-48 rounded border border-slate-300 px-2 py-0.5 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    data-testid="plan-filter" placeholder="orders-3"
                    prop:value=move || filter.get()
                    on:input=move |ev| { filter.set(event_target_value(&ev)); to_top(); }/>
            </label>
            <label class="flex items-center gap-1">
                <input type="checkbox" data-testid="plan-changing-only"
                    prop:checked=move || changing_only.get()
                    on:change=move |ev| { changing_only.set(event_target_checked(&ev)); to_top(); }/>
                <span class="text-slate-600">"Only partitions that change"</span>
            </label>
            <span class="text-xs text-slate-500" data-testid="plan-count">
                {move || format!("{} of {} partitions", int(selected.with(Vec::len) as i64), int(total as i64))}
            </span>
        </div>
        <div class="mt-1 flex gap-x-3 rounded-t border border-b-0 border-slate-200 bg-slate-100 px-3 py-1 text-xs uppercase tracking-wide text-slate-600" aria-hidden="true">
            <span class="flex-1">"Partition"</span>
            <span>"Current → target"</span>
            <span class="w-20 text-right">"Delta"</span>
            <span class="hidden w-56 text-right md:inline">"Lands on a record of"</span>
        </div>
        <div class="overflow-y-auto rounded-b border border-slate-200 bg-white" style=height data-testid="plan-table" node_ref=list
            role="list" aria-label="Partitions of the plan"
            on:scroll=move |ev| {
                let el = event_target::<leptos::web_sys::Element>(&ev);
                scroll_top.set(el.scroll_top() as f64);
            }>
            <div class="relative" style=move || format!("height: {}px", selected.with(Vec::len) as f64 * ROW_PX)>
                <For each=window key=|(i, p)| (*i, p.topic.clone(), p.partition, p.target, p.current) let:item>
                    <TrackRow index=item.0 p=item.1 zone=zone.clone()/>
                </For>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn TrackRow(index: usize, p: PartitionPlan, zone: Option<String>) -> impl IntoView {
    let t = builder::track(&p);
    let tp = p.tp();
    let delta = match p.delta() {
        Some(d) if d > 0 => format!("+{}", int(d)),
        Some(d) => int(d),
        None => "-".into(),
    };
    let (delta_class, span_class) = match t.kind {
        Move::Reread => ("text-amber-800", "bg-amber-400"),
        Move::Skip => ("text-rose-800", "bg-rose-400"),
        Move::Delete => ("text-slate-700", "bg-slate-300"),
        Move::Stay => ("text-slate-500", "bg-slate-300"),
    };
    let target = p.target.map(int).unwrap_or_else(|| "delete".into());
    let warnings: Vec<String> = p
        .warnings
        .iter()
        .map(|w| w.message(&tp, p.target))
        .collect();
    let warning_text = warnings.join(" ");
    let landed = p.target_timestamp;
    let (landed_text, landed_utc) = landed
        .map(|ms| in_zone(ms, zone.as_deref()))
        .unwrap_or_else(|| ("-".into(), String::new()));
    let marker = |pct: Option<f64>, class: &'static str, label: String| {
        pct.map(|x| {
            view! {
                <span class=format!("absolute -top-1 h-4 w-0.5 {class}") style=format!("left: calc({x:.3}% - 1px)") title=label></span>
            }
        })
    };
    view! {
        <div role="listitem" class="absolute inset-x-0 border-b border-slate-100 px-3 py-1"
            style=format!("top: {}px; height: {ROW_PX}px", index as f64 * ROW_PX)
            data-testid="plan-row" data-partition=tp.to_string()>
            <div class="flex items-baseline gap-x-3 text-sm">
                <span class="min-w-0 flex-1 truncate font-mono" title=tp.to_string()>{tp.to_string()}</span>
                <span class="tabular-nums text-slate-500" data-col="current">{opt_int(p.current)}</span>
                <span aria-hidden="true" class="text-slate-400">"→"</span>
                <span class="font-semibold tabular-nums" data-testid="plan-target" data-col="target">{target}</span>
                <span class=format!("w-20 text-right tabular-nums {delta_class}") data-col="delta">{delta}</span>
                <span class="hidden w-56 truncate text-right text-xs text-slate-500 md:inline" data-col="landed" title=landed_utc>{landed_text}</span>
            </div>
            <div class="mt-1.5 flex items-center gap-2">
                <span class="w-16 shrink-0 text-right text-xs tabular-nums text-slate-600" title="log start">{int(p.log_start)}</span>
                <div class="relative h-2 flex-1 rounded-sm bg-slate-100" aria-hidden="true">
                    {t.span.map(|(left, width)| view! {
                        <span class=format!("absolute inset-y-0 rounded-sm {span_class}") style=format!("left: {left:.3}%; width: max({width:.3}%, 2px)")></span>
                    })}
                    {marker(t.current_pct, "bg-slate-800", format!("current {}", opt_int(p.current)))}
                    {marker(t.target_pct, "bg-indigo-600", format!("target {}", p.target.map(int).unwrap_or_default()))}
                </div>
                <span class="w-16 shrink-0 text-xs tabular-nums text-slate-600" title="log end">{int(p.log_end)}</span>
                {(!warnings.is_empty()).then(|| view! {
                    <span class="max-w-[40%] truncate text-xs text-amber-800" data-testid="plan-warning" title=warning_text.clone()>{"⚠ "}{warning_text.clone()}</span>
                })}
            </div>
        </div>
    }
    .into_any()
}

/// Partitions whose current offset or target moved between two plans of the same spec.
#[component]
pub fn DriftTable(rows: Vec<builder::DriftRow>) -> impl IntoView {
    let n = rows.len();
    view! {
        <div class="mt-2 max-h-80 overflow-auto rounded border border-amber-200 bg-white">
            <table class="min-w-full text-sm" data-testid="drift-table">
                <TableHead dense=true class="bg-amber-50 text-amber-900" cols=vec![col("Partition"), num("Current then"), num("Current now"), num("Target then"), num("Target now")]/>
                <tbody class="divide-y divide-slate-100">
                    {rows.into_iter().take(500).map(|r| {
                        let note = r.only_in.map(|w| format!(" (only {w})")).unwrap_or_default();
                        view! {
                            <tr data-testid="drift-row" data-partition=format!("{}-{}", r.topic, r.partition)>
                                <td class="px-3 py-1 font-mono">{format!("{}-{}{note}", r.topic, r.partition)}</td>
                                <td class="px-3 py-1 text-right tabular-nums" data-col="current-then">{opt_int(r.current_then)}</td>
                                <td class="px-3 py-1 text-right font-semibold tabular-nums" data-col="current-now">{opt_int(r.current_now)}</td>
                                <td class="px-3 py-1 text-right tabular-nums" data-col="target-then">{opt_int(r.target_then)}</td>
                                <td class="px-3 py-1 text-right font-semibold tabular-nums" data-col="target-now">{opt_int(r.target_now)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(n > 500).then(|| view! { <p class="p-2 text-xs text-slate-500">{format!("First 500 of {} partitions that moved.", int(n as i64))}</p> })}
        </div>
    }
    .into_any()
}

/// The records partitions land on: where the group will start reading, key and value cut short.
#[component]
pub fn LandingTable(records: Vec<LandingRecord>) -> impl IntoView {
    if records.is_empty() {
        return view! { <p class="mt-2 text-sm text-slate-500" data-testid="landing-empty">"No record could be read at these offsets within the time allowed."</p> }.into_any();
    }
    view! {
        <div class="mt-2 max-h-96 overflow-auto rounded border border-slate-200">
            <table class="min-w-full table-fixed text-xs" data-testid="landing-table">
                <TableHead class="sticky top-0 bg-slate-100 text-slate-600" pad="px-2 py-1" cols=vec![
                    col("Partition").with("w-40"), num("Offset").with("w-24"), col("Timestamp").with("w-44"),
                    col("Key").with("w-40"), col("Value"),
                ]/>
                <tbody class="divide-y divide-slate-100 font-mono">
                    {records.into_iter().map(|r| {
                        let value = r.value.clone().unwrap_or_else(|| "null".into());
                        view! {
                            <tr data-testid="landing-row" data-partition=format!("{}-{}", r.topic, r.partition)>
                                <td class="truncate px-2 py-1">{format!("{}-{}", r.topic, r.partition)}</td>
                                <td class="px-2 py-1 text-right tabular-nums">{int(r.offset)}</td>
                                <td class="px-2 py-1">{r.timestamp.map(utc).unwrap_or_else(|| "-".into())}</td>
                                <td class="truncate px-2 py-1" title=r.key.clone().unwrap_or_default()>{r.key.clone().unwrap_or_else(|| "null".into())}</td>
                                <td class="truncate px-2 py-1" title=format!("{} bytes", r.value_bytes)>{value}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(behind: bool) -> Totals {
        Totals {
            partitions: 2,
            changed: 2,
            reread: 300,
            skipped: 0,
            deleted: 0,
            warnings: 0,
            // 2026-11-24T01:00:00Z, 09:00 in Shanghai.
            reread_from_ms: Some(1_763_946_000_000),
            reread_behind: behind,
        }
    }

    /// Issue 18, item 8: the span re-read is said in the plan's zone, and ends at "now" only for a
    /// group that had read everything.
    #[test]
    fn the_summary_names_the_span_in_the_plans_zone() {
        assert_eq!(
            summary_text(&totals(false), Some("Asia/Shanghai")),
            "2 of 2 partitions change: 300 records re-read (records from 2025-11-24 09:00:00 +08:00 (Asia/Shanghai) to now), 0 skipped"
        );
        assert_eq!(
            summary_text(&totals(true), None),
            "2 of 2 partitions change: 300 records re-read (records from 2025-11-24 01:00:00 UTC up to where the group had read), 0 skipped"
        );
        assert_eq!(
            in_zone(1_763_946_000_000, Some("Asia/Shanghai")),
            (
                "2025-11-24 09:00:00 +08:00".to_owned(),
                "2025-11-24 01:00:00 UTC".to_owned()
            )
        );
    }
}
