//! The plan builder's inputs: strategy, its value (number, date-time with zone and presets, duration,
//! CSV file, source group) and the scope picker. It edits signals; the panel plans from them.

use leptos::prelude::*;

use crate::browser;
use crate::components::field_error::{FieldErrors, FieldMessage};
use crate::domain::builder::{scope_topics, set_scope_topic, Field};
use crate::domain::reset::StrategyKind;
use crate::domain::timespec::{
    format_in_zone, parse_datetime, parse_duration, start_of_day, wall_clock,
};
use crate::format::{int, utc};

pub const INPUT: &str = "w-full rounded border border-slate-300 px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";
pub const BUTTON: &str = "rounded px-3 py-1 text-sm font-medium focus:outline-none focus:ring-2 focus:ring-indigo-500 disabled:opacity-50";
const VALUE_INPUT: &str = "w-full rounded border border-slate-300 px-2 py-1 font-mono text-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";
const CHIP: &str = "rounded border border-slate-300 bg-white px-2 py-0.5 text-xs hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500 disabled:opacity-50";
/// Topics listed in the scope picker at once; the search narrows the rest.
const TOPICS_LISTED: usize = 60;

/// The form's state, shared with the panel.
#[derive(Clone, Copy)]
pub struct FormSignals {
    pub strategy: RwSignal<String>,
    pub value: RwSignal<String>,
    pub zone: RwSignal<String>,
    pub scope: RwSignal<String>,
    pub csv: RwSignal<String>,
    pub csv_name: RwSignal<String>,
}

/// The value input a strategy needs: (label, placeholder, inputmode).
fn value_field(kind: Option<StrategyKind>) -> Option<(&'static str, &'static str, &'static str)> {
    match kind? {
        StrategyKind::ShiftBy => Some(("Shift (records; negative re-reads)", "-1000", "numeric")),
        StrategyKind::ToOffset => Some(("Offset", "0", "numeric")),
        StrategyKind::ToDatetime => Some((
            "Date and time (wall clock in the zone below)",
            "2026-11-24T08:00:00.000",
            "text",
        )),
        StrategyKind::ByDuration => Some(("Duration back from now", "PT2H, 90m or 1d", "text")),
        StrategyKind::CopyFromGroup => Some(("Group to copy from", "orders-consumer-v1", "text")),
        _ => None,
    }
}

#[component]
pub fn PlanForm(
    form: FormSignals,
    /// Topics the builder knows of, with their partition counts (from the last snapshot).
    topics: Signal<Vec<(String, usize)>>,
    on_submit: Callback<()>,
    /// Called on every edit.
    on_edit: Callback<()>,
    /// The form's message and the fields edited so far (a message shows under its field once edited).
    errors: FieldErrors,
    #[prop(into)] previewing: Signal<bool>,
) -> impl IntoView {
    let FormSignals {
        strategy,
        value,
        scope,
        ..
    } = form;
    let edit = move |signal: RwSignal<String>, v: String, field: Field| {
        signal.set(v);
        errors.visit(field);
        on_edit.run(());
    };
    view! {
        <form class="mt-2 grid gap-3 md:grid-cols-[minmax(0,16rem)_minmax(0,1fr)]" data-testid="plan-form"
            on:submit=move |ev| { ev.prevent_default(); on_submit.run(()); }>
            <div class="space-y-3">
                <label class="block text-sm">
                    <span class="mb-1 block text-slate-600">"Strategy"</span>
                    <select class=errors.class(Field::Strategy, INPUT) name="strategy" data-testid="strategy"
                        aria-invalid=errors.invalid(Field::Strategy) aria-describedby=errors.described_by(Field::Strategy)
                        on:change=move |ev| {
                            errors.restart();
                            strategy.set(event_target_value(&ev));
                            on_edit.run(());
                        }
                        prop:value=move || strategy.get()>
                        {StrategyKind::BUILDER.map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
                <FieldMessage errors field=Field::Strategy/>
                {move || value_field(StrategyKind::parse(&strategy.get())).map(|(label, placeholder, mode)| view! {
                    <div>
                        <label class="block text-sm">
                            <span class="mb-1 block text-slate-600">{label}</span>
                            <input class=errors.class(Field::Value, VALUE_INPUT) name="value" data-testid="strategy-value" placeholder=placeholder
                                inputmode=mode autocomplete="off" spellcheck="false"
                                aria-invalid=errors.invalid(Field::Value) aria-describedby=errors.described_by(Field::Value)
                                prop:value=move || value.get()
                                on:input=move |ev| edit(value, event_target_value(&ev), Field::Value)
                                on:blur=move |_| errors.visit(Field::Value)/>
                        </label>
                        <FieldMessage errors field=Field::Value/>
                    </div>
                })}
                {move || match StrategyKind::parse(&strategy.get()) {
                    Some(StrategyKind::ToDatetime) => view! { <DatetimeExtras form on_edit errors/> }.into_any(),
                    Some(StrategyKind::ByDuration) => view! { <DurationHint value/> }.into_any(),
                    Some(StrategyKind::FromFile) => view! { <CsvInput form on_edit errors/> }.into_any(),
                    _ => ().into_any(),
                }}
                <button type="submit" class=format!("{BUTTON} w-full bg-indigo-600 text-white hover:bg-indigo-700") data-testid="preview-button"
                    disabled=move || previewing.get()>
                    {move || if previewing.get() { "Reading from Kafka..." } else { "Preview from Kafka" }}
                </button>
                <p class="text-xs text-slate-500">"The plan below updates as you type, from the offsets last read. Preview reads them again."</p>
            </div>
            <ScopePicker scope topics on_edit=Callback::new(move |()| { errors.visit(Field::Scope); on_edit.run(()); }) errors/>
        </form>
    }
    .into_any()
}

/// Zone choice, a native picker with seconds and milliseconds, presets, and the resolved instant.
#[component]
fn DatetimeExtras(form: FormSignals, on_edit: Callback<()>, errors: FieldErrors) -> impl IntoView {
    let FormSignals { value, zone, .. } = form;
    let zone_edited = move || {
        errors.visit(Field::Zone);
        on_edit.run(());
    };
    // Known only once the wasm runs; the button is rendered disabled until then, so nothing jumps.
    let browser_zone = RwSignal::new(None::<String>);
    Effect::new(move |_| browser_zone.set(browser::browser_zone()));
    let zone_names = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| zone_names.set(crate::domain::zone::zone_names()));
    let set_value = move |v: String| {
        value.set(v);
        errors.visit(Field::Value);
        on_edit.run(());
    };
    let preset = move |f: fn(i64, &str) -> Option<i64>| {
        let z = zone.get_untracked();
        let z = if wall_clock(0, &z).is_some() {
            z
        } else {
            "UTC".to_string()
        };
        if let Some(at) = f(browser::now_ms(), &z) {
            if let Some(w) = wall_clock(at, &z) {
                zone.set(z);
                set_value(w);
            }
        }
    };
    let picker_value = move || {
        let v = value.get();
        // The native picker only holds a zone-less wall clock.
        if v.len() >= 16
            && v.as_bytes().get(10) == Some(&b'T')
            && !crate::domain::timespec::carries_offset(&v)
        {
            v
        } else {
            String::new()
        }
    };
    let resolved = move || {
        let v = value.get();
        if v.trim().is_empty() {
            return None;
        }
        let z = zone.get();
        Some(
            match parse_datetime(&v, Some(z.trim()).filter(|z| !z.is_empty())) {
                Ok(ms) => {
                    let in_utc = format_in_zone(ms, "UTC")
                        .map(|t| t.trim_end_matches(" +00:00").to_string())
                        .unwrap_or_else(|| utc(ms));
                    let local = if crate::domain::timespec::carries_offset(&v) {
                        String::new()
                    } else {
                        format_in_zone(ms, &z)
                            .map(|t| format!(" = {t} in {z}"))
                            .unwrap_or_default()
                    };
                    format!("Resolves to {in_utc} UTC{local}")
                }
                // The value's own message says what is wrong, under the field: not twice.
                Err(_) => return None,
            },
        )
    };
    view! {
        <div class="space-y-2 text-sm">
            <label class="block">
                <span class="mb-1 block text-slate-600">"Pick (seconds and milliseconds included)"</span>
                <input type="datetime-local" step="0.001" class=INPUT data-testid="datetime-picker"
                    prop:value=picker_value
                    on:input=move |ev| set_value(picker_to_wall_clock(&event_target_value(&ev)))/>
            </label>
            <label class="block">
                <span class="mb-1 block text-slate-600">"Time zone (IANA name)"</span>
                <input class=errors.class(Field::Zone, INPUT) name="zone" data-testid="zone" list="zones" autocomplete="off" spellcheck="false"
                    aria-invalid=errors.invalid(Field::Zone) aria-describedby=errors.described_by(Field::Zone)
                    prop:value=move || zone.get()
                    on:input=move |ev| { zone.set(event_target_value(&ev)); zone_edited(); }
                    on:blur=move |_| errors.visit(Field::Zone)/>
                // Filled in the browser from its own zones: none in the server's HTML (600 options).
                <datalist id="zones">
                    {move || zone_names.get().into_iter().map(|z| view! { <option value=z/> }).collect_view()}
                </datalist>
            </label>
            <FieldMessage errors field=Field::Zone/>
            <div class="flex flex-wrap gap-1" role="group" aria-label="Zone">
                <button type="button" class=CHIP data-testid="zone-utc" on:click=move |_| { zone.set("UTC".into()); zone_edited(); }>"UTC"</button>
                <button type="button" class=CHIP data-testid="zone-browser" disabled=move || browser_zone.get().is_none()
                    on:click=move |_| if let Some(z) = browser_zone.get_untracked() { zone.set(z); zone_edited(); }>
                    {move || format!("Browser: {}", browser_zone.get().unwrap_or_else(|| "...".into()))}
                </button>
            </div>
            <div class="flex flex-wrap gap-1" role="group" aria-label="Presets">
                <button type="button" class=CHIP data-testid="preset-15m" on:click=move |_| preset(|now, _| Some(now - 15 * 60_000))>"15 min ago"</button>
                <button type="button" class=CHIP data-testid="preset-1h" on:click=move |_| preset(|now, _| Some(now - 3_600_000))>"1 h ago"</button>
                <button type="button" class=CHIP data-testid="preset-today" on:click=move |_| preset(|now, z| start_of_day(now, z, 0))>"Start of today"</button>
                <button type="button" class=CHIP data-testid="preset-yesterday" on:click=move |_| preset(|now, z| start_of_day(now, z, 1))>"Start of yesterday"</button>
            </div>
            {move || resolved().map(|text| view! {
                <p class="text-xs text-slate-700" data-testid="resolved-instant">{text}</p>
            })}
        </div>
    }
    .into_any()
}

/// The native picker drops zero seconds and trailing zeros (`10:00`, `10:00:00.25`); the text field
/// always shows the full `HH:mm:ss.SSS`, the form Kafka's tool takes.
fn picker_to_wall_clock(v: &str) -> String {
    let Some((date, clock)) = v.split_once('T') else {
        return v.to_string();
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let hms = if hms.len() == 5 {
        format!("{hms}:00")
    } else {
        hms.to_string()
    };
    let millis: String = fraction.chars().chain("000".chars()).take(3).collect();
    format!("{date}T{hms}.{millis}")
}

#[component]
fn DurationHint(value: RwSignal<String>) -> impl IntoView {
    // The clock is read once hydrated: a server-rendered time would be left stale in the page.
    let now = RwSignal::new(None::<i64>);
    Effect::new(move |_| now.set(Some(browser::now_ms())));
    move || {
        let v = value.get();
        // A wrong or negative duration is said under the field, not here as well.
        parse_duration(&v).ok().filter(|ms| *ms >= 0).map(|ms| view! {
                <p class="text-xs text-slate-700" data-testid="resolved-instant">
                    {move || match now.get() {
                        Some(now) => format!("From about {} (now minus {}); the instant is fixed when Kafka is asked.", utc(now - ms), crate::format::duration(ms)),
                        None => format!("Now minus {}.", crate::format::duration(ms)),
                    }}
                </p>
            })
    }
}

/// A CSV file in either of the tool's formats, read in the browser and checked line by line as you go.
#[component]
fn CsvInput(form: FormSignals, on_edit: Callback<()>, errors: FieldErrors) -> impl IntoView {
    let FormSignals { csv, csv_name, .. } = form;
    let edited = move || {
        errors.visit(Field::Csv);
        on_edit.run(());
    };
    let read_error = RwSignal::new(None::<String>);
    view! {
        <div class="space-y-2 text-sm">
            <label class="block">
                <span class="mb-1 block text-slate-600">"CSV file: topic,partition,offset (or group first)"</span>
                <input type="file" accept=".csv,text/csv" class="block w-full text-xs" data-testid="csv-file"
                    aria-invalid=errors.invalid(Field::Csv) aria-describedby=errors.described_by(Field::Csv)
                    on:change=move |ev| {
                        browser::read_chosen_file(&ev, move |r| match r {
                            Ok((name, text)) => {
                                read_error.set(None);
                                csv_name.set(name);
                                csv.set(text);
                                edited();
                            }
                            Err(e) => read_error.set(Some(e)),
                        });
                    }/>
            </label>
            {move || read_error.get().map(|e| view! { <p class="text-xs text-rose-700" role="alert">{e}</p> })}
            <FieldMessage errors field=Field::Csv/>
            {move || {
                let lines = csv.with(|c| c.lines().filter(|l| !l.trim().is_empty()).count());
                (lines > 0).then(|| view! {
                    <p class="text-xs text-slate-600" data-testid="csv-loaded">
                        {format!("{}: {} lines", if csv_name.get().is_empty() { "Pasted".to_string() } else { csv_name.get() }, int(lines as i64))}
                    </p>
                })
            }}
            <details>
                <summary class="cursor-pointer text-xs text-indigo-700">"Or paste or edit the CSV"</summary>
                <textarea class=format!("{INPUT} mt-1 h-28 font-mono text-xs") data-testid="csv-text" spellcheck="false"
                    prop:value=move || csv.get()
                    on:input=move |ev| { csv_name.set(String::new()); csv.set(event_target_value(&ev)); edited(); }></textarea>
            </details>
        </div>
    }
    .into_any()
}

/// Topics to reset: none checked means every topic the group has committed. Each checked topic takes an
/// optional partition list with ranges, so a 10,000-partition topic is scoped in a few keystrokes.
#[component]
fn ScopePicker(
    scope: RwSignal<String>,
    topics: Signal<Vec<(String, usize)>>,
    on_edit: Callback<()>,
    errors: FieldErrors,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let set = move |text: String| {
        scope.set(text);
        on_edit.run(());
    };
    let listed = Memo::new(move |_| {
        let s = search.get().trim().to_lowercase();
        let chosen: Vec<String> =
            scope.with(|t| scope_topics(t).into_iter().map(|(t, _)| t).collect());
        let mut all = topics.get();
        // Topics typed into the scope but unknown to the snapshot still get a row.
        for t in &chosen {
            if !all.iter().any(|(k, _)| k == t) {
                all.push((t.clone(), 0));
            }
        }
        let total = all.len();
        let shown: Vec<(String, usize)> = all
            .into_iter()
            .filter(|(t, _)| s.is_empty() || t.to_lowercase().contains(&s))
            .take(TOPICS_LISTED)
            .collect();
        (shown, total)
    });
    view! {
        <fieldset class="min-w-0 self-start rounded border border-slate-200 p-3 text-sm" data-testid="scope-picker">
            <legend class="px-1 text-slate-600">"Scope"</legend>
            <p class="text-xs text-slate-500" data-testid="scope-summary">
                {move || if scope.with(|s| s.trim().is_empty()) {
                    "All topics the group has committed offsets for.".to_string()
                } else {
                    format!("Only: {}", scope.get())
                }}
            </p>
            {move || (listed.with(|(_, total)| *total) > 8).then(|| view! {
                <input class=format!("{INPUT} mt-2") type="search" data-testid="scope-search" placeholder="Find a topic"
                    aria-label="Find a topic"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))/>
            })}
            <ul class="mt-2 max-h-56 space-y-1 overflow-y-auto">
                <For each=move || listed.get().0 key=|(t, n)| (t.clone(), *n) let:item>
                    <ScopeTopicRow topic=item.0 partitions=item.1 scope on_edit/>
                </For>
            </ul>
            {move || {
                let (shown, total) = listed.get();
                (total > shown.len()).then(|| view! { <p class="mt-1 text-xs text-slate-500">{format!("{} of {} topics listed; search to find others.", shown.len(), total)}</p> })
            }}
            <label class="mt-2 block">
                <span class="mb-1 block text-xs text-slate-500">"As text (topic, topic:0,1 or topic:0-99; empty for all)"</span>
                <input class=errors.class(Field::Scope, VALUE_INPUT) name="scope" data-testid="scope" placeholder="orders orders:0-3"
                    autocomplete="off" spellcheck="false"
                    aria-invalid=errors.invalid(Field::Scope) aria-describedby=errors.described_by(Field::Scope)
                    prop:value=move || scope.get()
                    on:input=move |ev| set(event_target_value(&ev))
                    on:blur=move |_| errors.visit(Field::Scope)/>
            </label>
            <FieldMessage errors field=Field::Scope/>
        </fieldset>
    }
    .into_any()
}

/// One topic of the scope picker: a checkbox, and once checked, its partition list.
#[component]
fn ScopeTopicRow(
    topic: String,
    partitions: usize,
    scope: RwSignal<String>,
    on_edit: Callback<()>,
) -> impl IntoView {
    let name = StoredValue::new(topic.clone());
    let entry = move || {
        name.with_value(|n| scope.with(|s| scope_topics(s).into_iter().find(|(t, _)| t == n)))
    };
    let set = move |to: Option<Option<&str>>| {
        let text = name.with_value(|n| scope.with_untracked(|s| set_scope_topic(s, n, to)));
        scope.set(text);
        on_edit.run(());
    };
    view! {
        <li class="flex flex-wrap items-center gap-2" data-topic=topic.clone()>
            <label class="flex min-w-0 items-center gap-2">
                <input type="checkbox" data-testid="scope-topic" prop:checked=move || entry().is_some()
                    on:change=move |ev| set(event_target_checked(&ev).then_some(None))/>
                <span class="truncate font-mono" title=topic.clone()>{topic.clone()}</span>
                {(partitions > 0).then(|| view! { <span class="text-xs text-slate-500">{format!("{} partitions", int(partitions as i64))}</span> })}
            </label>
            {move || entry().is_some().then(|| view! {
                <input class="w-40 rounded border border-slate-300 px-1 py-0.5 font-mono text-xs focus:outline-none focus:ring-2 focus:ring-indigo-500"
                    data-testid="scope-partitions" placeholder="all, or 0-99,120"
                    aria-label=name.with_value(|n| format!("Partitions of {n}"))
                    prop:value=move || entry().and_then(|(_, p)| p).unwrap_or_default()
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        set(Some(Some(v.as_str())));
                    }/>
            })}
        </li>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::picker_to_wall_clock;

    #[test]
    fn picker_values_become_full_wall_clocks() {
        assert_eq!(
            picker_to_wall_clock("2026-11-20T10:00"),
            "2026-11-20T10:00:00.000"
        );
        assert_eq!(
            picker_to_wall_clock("2026-11-20T10:00:05.25"),
            "2026-11-20T10:00:05.250"
        );
        assert_eq!(
            picker_to_wall_clock("2026-11-20T10:00:05.123"),
            "2026-11-20T10:00:05.123"
        );
        assert_eq!(picker_to_wall_clock(""), "");
    }
}
