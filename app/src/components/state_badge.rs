//! A coloured badge for a consumer-group state.

use leptos::prelude::*;

use crate::domain::GroupState;

#[component]
pub fn StateBadge(state: GroupState) -> impl IntoView {
    // Colour says whether a reset is possible: green (inactive, resettable), amber (members are moving),
    // blue (members are consuming: a reset would be refused).
    let class = match state {
        GroupState::Empty | GroupState::Dead => "bg-emerald-50 text-emerald-800 ring-emerald-200",
        GroupState::Stable => "bg-sky-50 text-sky-800 ring-sky-200",
        GroupState::PreparingRebalance
        | GroupState::CompletingRebalance
        | GroupState::Assigning
        | GroupState::Reconciling => "bg-amber-50 text-amber-800 ring-amber-200",
        GroupState::Unknown => "bg-slate-100 text-slate-700 ring-slate-200",
    };
    view! {
        <span class=format!("inline-block rounded px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset {class}")>
            {state.as_str()}
        </span>
    }
}
