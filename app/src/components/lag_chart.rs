//! Lag over time, drawn as plain SVG from the view: the group page's chart (per topic or per
//! partition, with reset markers, and the pin that keeps a group sampled per partition) and the list's
//! sparklines, and the status badge both show. No charting library: a few
//! polylines cost a few KB of wasm, where the smallest maintained Rust or JS chart crates add
//! hundreds of KB to a page that must stay under 400 KB.

use leptos::prelude::*;

use crate::api::history::{group_lag_history, group_lag_history_csv, pin_group_lag};
use crate::components::error_panel::ErrorPanel;
use crate::components::session::IfAllowed;
use crate::domain::access::Action as Can;
use crate::domain::lag_history::{Judgement, LagHistory, Point, Status, TopicSeries, Window};
use crate::format::{duration, int, query_value, utc};

/// The chart's drawing area in SVG units; the SVG scales to the page's width.
const W: f64 = 800.0;
const H: f64 = 180.0;
/// Room inside the drawing for the marker handles; the axis labels are HTML around it, so they stay
/// readable at any width (text inside a stretched SVG is squeezed).
const PAD_L: f64 = 2.0;
const PAD_B: f64 = 2.0;
/// How often the chart looks again, appending the newest samples.
const REFRESH_MS: u64 = 30_000;

/// Line colours per topic (Tailwind 600s: 4.5:1 or better on white).
const COLOURS: [&str; 6] = [
    "#4f46e5", "#0d9488", "#c2410c", "#be185d", "#4d7c0f", "#7c3aed",
];

#[component]
pub fn StatusBadge(judgement: Option<Judgement>) -> impl IntoView {
    let Some(j) = judgement else {
        return view! {
            <span class="inline-block rounded px-1.5 py-0.5 text-xs text-slate-600 ring-1 ring-inset ring-slate-200"
                title="Not enough samples yet to judge" data-status="none">"-"</span>
        }
        .into_any();
    };
    let class = match j.status {
        Status::Ok => "bg-emerald-50 text-emerald-800 ring-emerald-200",
        Status::Warning => "bg-amber-50 text-amber-900 ring-amber-300",
        Status::Stalled | Status::Stopped | Status::Error => {
            "bg-rose-50 text-rose-800 ring-rose-200"
        }
        Status::Rewound => "bg-sky-50 text-sky-800 ring-sky-200",
    };
    let title = match j.rewound_by {
        Some(id) => format!("{}: by Rewind's execution #{id}", j.status.meaning()),
        None => j.status.meaning().to_owned(),
    };
    view! {
        <span class=format!("inline-block rounded px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset {class}")
            title=title data-status=j.status.as_str()>
            {j.status.as_str()}
        </span>
    }
    .into_any()
}

/// What the chart plots.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Measure {
    Records,
    Time,
}

#[component]
pub fn LagChart(cluster: String, group: String) -> impl IntoView {
    let window = RwSignal::new(Window::Hour);
    let measure = RwSignal::new(Measure::Records);
    // Empty: a line per topic; else a line per partition of this topic.
    let lines_of = RwSignal::new(String::new());
    let (c, g) = (cluster.clone(), group.clone());
    let history = LocalResource::new(move || {
        let (c, g, w, of) = (c.clone(), g.clone(), window.get(), lines_of.get());
        async move { group_lag_history(c, g, w.key().to_owned(), of).await }
    });
    // The newest samples are appended as they come: look again on a timer, keeping what is drawn.
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if !document().hidden() {
                    history.refetch();
                }
            },
            std::time::Duration::from_millis(REFRESH_MS),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = REFRESH_MS;
    let shown = RwSignal::new(None::<Result<LagHistory, crate::error::AppError>>);
    Effect::new(move |_| {
        if let Some(h) = history.get() {
            shown.set(Some(h));
        }
    });
    let (csv_cluster, csv_group) = (cluster.clone(), group.clone());
    // Read on demand (a week of samples is not page data), then offered as a file to save.
    let export = Action::new(move |w: &Window| {
        let (c, g, w) = (csv_cluster.clone(), csv_group.clone(), *w);
        async move {
            group_lag_history_csv(c, g, w.key().to_owned())
                .await
                .map(|csv| (w, csv))
        }
    });
    let (pin_cluster, pin_group) = (cluster.clone(), group.clone());
    let pin = Action::new(move |on: &bool| {
        let (c, g, on) = (pin_cluster.clone(), pin_group.clone(), *on);
        async move { pin_group_lag(c, g, on).await }
    });
    Effect::new(move |_| {
        if pin.value().with(|r| matches!(r, Some(Ok(_)))) {
            history.refetch();
        }
    });
    let pinned = move || shown.with(|h| matches!(h, Some(Ok(h)) if h.pinned));
    let partition_topics = move || {
        shown.with(|h| match h {
            Some(Ok(h)) => h.partition_topics.clone(),
            _ => Vec::new(),
        })
    };
    let file_group = group.clone();
    let button = |on: bool| {
        if on {
            "rounded bg-slate-800 px-2 py-0.5 text-xs font-medium text-white"
        } else {
            "rounded border border-slate-300 bg-white px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-100"
        }
    };
    view! {
        <section class="mt-4 rounded border border-slate-200 bg-white p-4" aria-labelledby="lag-chart-heading" data-testid="lag-chart">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 id="lag-chart-heading" class="text-xs font-semibold uppercase tracking-wide text-slate-600">
                    "Lag over time "
                    {move || shown.with(|h| match h {
                        Some(Ok(h)) => view! { <StatusBadge judgement=h.judgement.clone()/> }.into_any(),
                        _ => ().into_any(),
                    })}
                </h2>
                <div class="flex flex-wrap items-center gap-1" role="group" aria-label="Chart">
                    {Window::ALL.map(|w| view! {
                        <button type="button" class=move || button(window.get() == w)
                            aria-pressed=move || (window.get() == w).to_string()
                            data-window=w.key()
                            on:click=move |_| window.set(w)>{w.label()}</button>
                    }).collect_view()}
                    <span class="mx-1 text-slate-300" aria-hidden="true">"|"</span>
                    <button type="button" class=move || button(measure.get() == Measure::Records)
                        aria-pressed=move || (measure.get() == Measure::Records).to_string()
                        on:click=move |_| measure.set(Measure::Records)>"Records"</button>
                    <button type="button" class=move || button(measure.get() == Measure::Time)
                        aria-pressed=move || (measure.get() == Measure::Time).to_string()
                        on:click=move |_| measure.set(Measure::Time)>"Time"</button>
                    <button type="button" class="ml-1 rounded border border-slate-300 bg-white px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-100"
                        data-testid="lag-csv" disabled=move || export.pending().get()
                        on:click=move |_| { export.dispatch(window.get_untracked()); }>"Export CSV"</button>
                    <IfAllowed action=Can::Pin cluster=cluster.clone() group=group.clone()>
                        <button type="button" class=move || button(pinned())
                            data-testid="lag-pin" aria-pressed=move || pinned().to_string()
                            title="A pinned group is sampled per partition on every pass, whether or not anyone is looking"
                            disabled=move || pin.pending().get()
                            on:click=move |_| { pin.dispatch(!pinned()); }>
                            {move || if pinned() { "Pinned" } else { "Pin" }}
                        </button>
                    </IfAllowed>
                </div>
            </div>
            {move || {
                let topics = partition_topics();
                (!topics.is_empty() || !lines_of.with(String::is_empty)).then(|| view! {
                    <label class="mt-2 flex items-center gap-2 text-xs text-slate-700">
                        "Lines"
                        <select class="rounded border border-slate-300 bg-white px-1 py-0.5 text-xs" data-testid="lag-lines"
                            prop:value=move || lines_of.get()
                            on:change=move |ev| lines_of.set(event_target_value(&ev))>
                            <option value="">"per topic"</option>
                            {topics.into_iter().map(|t| view! {
                                <option value=t.clone()>{format!("per partition of {t}")}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })
            }}
            {move || pin.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error/> })}
            {move || export.value().get().map(|r| match r {
                Ok((w, csv)) => {
                    let rows = csv.lines().count().saturating_sub(1);
                    let name = format!("{file_group}-lag-{}.csv", w.key());
                    view! {
                        <a class="mt-1 inline-block text-sm text-indigo-700 hover:underline" data-testid="lag-csv-file" download=name.clone()
                            href=format!("data:text/csv;charset=utf-8,{}", query_value(&csv))>
                            {format!("Save {name} ({rows} rows)")}
                        </a>
                    }.into_any()
                }
                Err(error) => view! { <ErrorPanel error/> }.into_any(),
            })}
            // A fixed height from the first paint: the chart arrives without moving the page.
            // Room for the whole chart and a few markers before they arrive: nothing below it moves.
            <div class="mt-2 min-h-[17rem]">
                {move || shown.with(|h| match h {
                    None => view! { <p class="text-sm text-slate-600">"Reading the samples..."</p> }.into_any(),
                    Some(Err(error)) => view! { <ErrorPanel error=error.clone()/> }.into_any(),
                    Some(Ok(h)) => chart(h, measure.get(), &cluster).into_any(),
                })}
            </div>
        </section>
    }
}

/// The SVG of one history: a line per topic (broken at gaps), the axes' extremes, and a marker per
/// execution with who, what and a link in its hover text.
fn chart(h: &LagHistory, measure: Measure, cluster: &str) -> impl IntoView {
    let value = move |p: &Point| match measure {
        Measure::Records => p.lag,
        Measure::Time => p.time_lag_ms,
    };
    // Per partition when asked for and sampled, else per topic; partitions named by number.
    let (drawn, name): (&[TopicSeries], fn(&str) -> String) = match &h.partitions {
        Some(p) => (&p.series, |s| format!("partition {s}")),
        None => (&h.topics, str::to_owned),
    };
    let max = drawn
        .iter()
        .flat_map(|s| s.points.iter())
        .filter_map(value)
        .max()
        .unwrap_or(0)
        .max(1);
    // From the first sample when sampling began inside the window: a week's axis with ten minutes of
    // data drawn at its right edge would show nothing.
    let first = h.totals.first().map_or(h.from_ms, |p| p.t_ms);
    let from = if h.totals.len() >= 2 {
        first.max(h.from_ms)
    } else {
        h.from_ms
    };
    let to = h.to_ms.max(from + 1);
    // Samples further apart than this were not taken (Rewind was not running): the line breaks.
    let apart = 3 * h.interval_ms.max((h.to_ms - h.from_ms) / 720);
    let x = move |t: i64| PAD_L + (t - from) as f64 / (to - from) as f64 * (W - PAD_L - 4.0);
    let y = move |v: i64| 4.0 + (1.0 - v as f64 / max as f64) * (H - PAD_B - 8.0);
    let label = move |v: i64| match measure {
        Measure::Records => int(v),
        Measure::Time => duration(v),
    };
    let samples = h.totals.iter().filter(|p| value(p).is_some()).count();
    let empty = (samples == 0).then(|| {
        let text = match measure {
            Measure::Records => {
                "No samples in this window yet: Rewind samples every group's lag on an interval."
            }
            Measure::Time if h.partitions.is_some() => {
                "Lag in time is sampled per topic, not per partition: choose the topic lines."
            }
            Measure::Time => {
                "No lag in time in this window: it is sampled while someone views the group."
            }
        };
        view! { <p class="mt-1 text-sm text-slate-600" data-testid="lag-empty">{text}</p> }
    });
    let lines = drawn
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let colour = COLOURS[i % COLOURS.len()];
            // A gap breaks the line: one polyline per run of readable samples.
            let mut runs: Vec<String> = vec![String::new()];
            let mut last_t: Option<i64> = None;
            for p in &s.points {
                if last_t.is_some_and(|t| p.t_ms - t > apart) {
                    runs.push(String::new());
                }
                match value(p) {
                    Some(v) => {
                        if let Some(r) = runs.last_mut() {
                            r.push_str(&format!("{:.1},{:.1} ", x(p.t_ms), y(v)));
                        }
                    }
                    None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(String::new()),
                    None => {}
                }
                last_t = Some(p.t_ms);
            }
            let topic = name(&s.topic);
            runs.into_iter()
                .filter(|r| !r.is_empty())
                .map(|points| {
                    let single = points.split_whitespace().count() == 1;
                    view! {
                        <polyline points=points.clone() fill="none" stroke=colour stroke-width="1.5"
                            vector-effect="non-scaling-stroke" data-topic=topic.clone()/>
                        {single.then(|| {
                            let (cx, cy) = points.trim().split_once(',').unwrap_or(("0", "0"));
                            view! { <circle cx=cx.to_owned() cy=cy.to_owned() r="2" fill=colour/> }
                        })}
                    }
                })
                .collect_view()
        })
        .collect_view();
    let gaps = h
        .totals
        .iter()
        .filter(|p| p.lag.is_none() && p.t_ms >= from)
        .map(|p| {
            let gx = x(p.t_ms);
            view! {
                <rect x=format!("{:.1}", gx - 1.5) y="4" width="3" height=(H - PAD_B - 8.0).to_string()
                    class="fill-slate-200" data-gap=p.t_ms.to_string()>
                    <title>{format!("{}: no sample (Kafka did not answer, or Rewind had just started)", utc(p.t_ms))}</title>
                </rect>
            }
        })
        .collect_view();
    let shown_markers: Vec<&crate::domain::lag_history::Marker> =
        h.markers.iter().filter(|m| m.t_ms >= from).collect();
    let marker_href = |id: i64| format!("/history?cluster={}#execution-{id}", query_value(cluster));
    let marker_text = |m: &crate::domain::lag_history::Marker| {
        let kind = if m.undo_of.is_some() {
            "Undo"
        } else {
            "Execution"
        };
        format!(
            "{kind} #{} by {} at {}: {}",
            m.execution_id,
            m.actor,
            utc(m.t_ms),
            m.what
        )
    };
    let markers = shown_markers
        .iter()
        .map(|m| {
            let mx = x(m.t_ms);
            // `<g>` first: `a` and `title` are HTML elements unless the macro sees them inside an SVG
            // element (an HTML `<a>` inside the SVG drew nothing).
            view! {
                <g>
                    <a href=marker_href(m.execution_id) data-marker=m.execution_id.to_string()>
                        <title>{marker_text(m)}</title>
                        <line x1=format!("{mx:.1}") x2=format!("{mx:.1}") y1="0" y2=(H - PAD_B).to_string()
                            stroke="#0369a1" stroke-width="1.5" stroke-dasharray="4 3" vector-effect="non-scaling-stroke"/>
                        <rect x=format!("{:.1}", mx - 6.0) y="0" width="12" height=(H - PAD_B).to_string() fill="transparent"/>
                    </a>
                </g>
            }
        })
        .collect_view();
    // The same markers as text: readable at phone width and reachable by keyboard.
    let marker_list = (!shown_markers.is_empty()).then(|| {
        let items = shown_markers
            .iter()
            .map(|m| view! {
                <li><a class="text-sky-800 underline decoration-dotted hover:text-indigo-700" href=marker_href(m.execution_id)>{marker_text(m)}</a></li>
            })
            .collect_view();
        view! { <ul class="mt-1 max-h-16 space-y-0.5 overflow-y-auto text-xs" data-testid="lag-markers">{items}</ul> }
    });
    let legend = {
        drawn
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let now = s.points.iter().rev().find_map(value).map(label).unwrap_or_else(|| "-".into());
                view! {
                    <li class="flex items-center gap-1">
                        <span class="inline-block h-0.5 w-4" style=format!("background: {}", COLOURS[i % COLOURS.len()]) aria-hidden="true"></span>
                        <span class="font-mono">{name(&s.topic)}</span>
                        <span class="tabular-nums text-slate-600">{now}</span>
                    </li>
                }
            })
            .collect_view()
    };
    let unit = match measure {
        Measure::Records => "records",
        Measure::Time => "behind",
    };
    view! {
        <div class="flex justify-between text-xs tabular-nums text-slate-600">
            <span data-testid="lag-max">{format!("{} {unit}", label(max))}</span>
        </div>
        <svg viewBox=format!("0 0 {W} {H}") class="h-36 w-full border-b border-l border-slate-300" role="img" preserveAspectRatio="none"
            aria-label=format!("Lag in {} per {} from {} to {}", if measure == Measure::Records { "records" } else { "time" }, if h.partitions.is_some() { "partition" } else { "topic" }, utc(from), utc(to))>
            {gaps}
            {lines}
            {markers}
        </svg>
        <div class="flex flex-wrap justify-between gap-x-2 text-xs tabular-nums text-slate-600">
            <span>{utc(from)}</span>
            <span>{utc(to)}</span>
        </div>
        {empty}
        {h.partitions.as_ref().map(|p| view! {
            <p class="mt-1 text-xs text-slate-600" data-testid="lag-partitions-note">
                {format!("{} of the {} sampled partitions of {}: those with the most lag at their last sample.", p.series.len(), p.of, p.topic)}
            </p>
        })}
        <ul class="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-xs" data-testid="lag-legend">{legend}</ul>
        {marker_list}
    }
}

/// A group's last hour in a few pixels: its lag at each sample, gaps left out.
#[component]
pub fn Sparkline(lags: Vec<Option<i64>>) -> impl IntoView {
    const SW: f64 = 80.0;
    const SH: f64 = 18.0;
    let max = lags.iter().flatten().copied().max().unwrap_or(0).max(1);
    let n = lags.len().max(2) - 1;
    // A gap breaks the line, as on the chart.
    let mut runs: Vec<String> = vec![String::new()];
    for (i, l) in lags.iter().enumerate() {
        match (l, runs.last_mut()) {
            (Some(v), Some(run)) => run.push_str(&format!(
                "{:.1},{:.1} ",
                i as f64 / n as f64 * SW,
                1.0 + (1.0 - *v as f64 / max as f64) * (SH - 2.0)
            )),
            (None, Some(run)) if !run.is_empty() => runs.push(String::new()),
            _ => {}
        }
    }
    let lines = runs
        .into_iter()
        .filter(|r| !r.is_empty())
        .map(|points| view! { <polyline points=points fill="none" stroke="#4f46e5" stroke-width="1.2"/> })
        .collect_view();
    let trend = match (
        lags.iter().find_map(|l| *l),
        lags.iter().rev().find_map(|l| *l),
    ) {
        (Some(a), Some(b)) if b > a => {
            format!("lag grew from {} to {} in the last hour", int(a), int(b))
        }
        (Some(a), Some(b)) if b < a => {
            format!("lag fell from {} to {} in the last hour", int(a), int(b))
        }
        (Some(a), Some(_)) => format!("lag steady at {} in the last hour", int(a)),
        _ => "no samples in the last hour".to_owned(),
    };
    let label = trend.clone();
    view! {
        <svg viewBox=format!("0 0 {SW} {SH}") class="inline-block h-[18px] w-20 align-middle" role="img" aria-label=label data-testid="sparkline">
            <title>{trend}</title>
            {lines}
        </svg>
    }
}
