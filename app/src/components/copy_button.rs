//! A button that copies text (a link is copied whole, with the page's origin) and says whether it did.

use leptos::prelude::*;

use crate::browser;
use crate::components::plan_form::BUTTON;

/// A button that copies text to the clipboard and says so.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    label: &'static str,
    testid: &'static str,
) -> impl IntoView {
    let state = RwSignal::new(None::<bool>);
    view! {
        <button type="button" class=format!("{BUTTON} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100") data-testid=testid
            on:click=move |_| {
                let t = text.get_untracked();
                // A link is copied whole, so it works when pasted anywhere.
                let t = if t.starts_with('/') {
                    leptos::prelude::window().location().origin().map(|o| format!("{o}{t}")).unwrap_or(t)
                } else {
                    t
                };
                browser::copy_text(t, move |ok| state.set(Some(ok)));
            }>
            {move || match state.get() {
                Some(true) => "Copied".to_string(),
                Some(false) => "Copy failed: select and copy".to_string(),
                None => label.to_string(),
            }}
        </button>
    }
    .into_any()
}
