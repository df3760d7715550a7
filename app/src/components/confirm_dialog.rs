//! The last step before an execute: a modal naming the group and what will change, which asks for the
//! group id to be typed and shows progress until Kafka answers.

use leptos::prelude::*;

#[component]
pub fn ConfirmDialog(
    group: String,
    /// What will change, in one line (the plan's totals).
    summary: String,
    pending: Signal<bool>,
    on_execute: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let expected = group.clone();
    let matches = Signal::derive(move || typed.get() == expected);
    let input = NodeRef::<leptos::html::Input>::new();
    // Opened after load, so `autofocus` would not apply: focus the confirmation field once it exists.
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    // A modal: Escape cancels, Tab stays inside, and focus goes back to the Execute button on close.
    let on_key = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && !pending.get_untracked() {
            on_cancel.run(());
        } else {
            crate::browser::trap_tab(&ev, "[data-testid=confirm-dialog]");
        }
    });
    on_cleanup(move || {
        on_key.remove();
        crate::browser::focus_first("[data-testid=execute-button]");
    });
    let submit = move || {
        if matches.get_untracked() && !pending.get_untracked() {
            on_execute.run(());
        }
    };
    view! {
        <div class="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/50 p-4">
            <div role="dialog" aria-modal="true" aria-labelledby="confirm-title" data-testid="confirm-dialog"
                class="w-full max-w-lg rounded-lg bg-white p-5 shadow-xl">
                <h2 id="confirm-title" class="text-base font-semibold text-slate-900">"Execute this reset?"</h2>
                <p class="mt-2 text-sm text-slate-700">
                    "Group " <span class="break-all rounded bg-slate-100 px-1 font-mono" data-testid="confirm-group-name">{group.clone()}</span>
                </p>
                <p class="mt-1 text-sm text-slate-700" data-testid="confirm-summary">{summary}</p>
                <p class="mt-2 text-xs text-slate-500">
                    "Rewind backs up the current offsets first, commits every partition at once, reads them back, and keeps an undo."
                </p>
                // Enter in the field executes, once the id matches.
                <form on:submit=move |ev| { ev.prevent_default(); submit(); }>
                    <label class="mt-3 block text-sm">
                        <span class="mb-1 block text-slate-700">"Type the group id to confirm"</span>
                        <input class="w-full rounded border border-slate-300 px-2 py-1 font-mono text-sm focus:outline-none focus:ring-2 focus:ring-rose-500"
                            data-testid="confirm-group" autocomplete="off" node_ref=input
                            prop:value=move || typed.get()
                            on:input=move |ev| typed.set(event_target_value(&ev))/>
                    </label>
                </form>
                {move || pending.get().then(|| view! {
                    <div class="mt-3" role="status" data-testid="execute-progress">
                        <p class="text-sm text-slate-700">"Executing: locking the group, backing up, committing, verifying..."</p>
                        <div class="mt-1 h-1.5 overflow-hidden rounded bg-slate-200"><div class="h-full w-1/3 animate-pulse rounded bg-rose-500"></div></div>
                    </div>
                })}
                <div class="mt-4 flex justify-end gap-2">
                    <button type="button" class="rounded border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                        data-testid="confirm-cancel" disabled=move || pending.get()
                        on:click=move |_| on_cancel.run(())>"Cancel"</button>
                    <button type="button" class="rounded bg-rose-600 px-3 py-1 text-sm font-medium text-white hover:bg-rose-700 focus:outline-none focus:ring-2 focus:ring-rose-500 disabled:opacity-50"
                        data-testid="confirm-execute" disabled=move || !matches.get() || pending.get()
                        on:click=move |_| on_execute.run(())>
                        {move || if pending.get() { "Executing..." } else { "Execute" }}
                    </button>
                </div>
            </div>
        </div>
    }
    .into_any()
}
