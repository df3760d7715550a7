//! The page for any path no route matches.

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    crate::mark_hydrated();
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-6">
            <h1 class="text-xl font-semibold">"Page not found"</h1>
            <p class="mt-2 text-slate-600">
                "Nothing lives at this address. " <a class="text-indigo-700 underline" href="/">"Back to the clusters"</a>
            </p>
        </section>
    }
}
