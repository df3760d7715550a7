//! The Refresh button of the pages that show live data: the home page's list and the group page.

use leptos::prelude::*;

/// Reads the page's data again; a transition keeps the current view while it loads.
#[component]
pub fn RefreshButton(on_refresh: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    view! {
        <button
            type="button"
            class="rounded border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500"
            on:click=move |_| on_refresh()
        >
            "Refresh"
        </button>
    }
}
