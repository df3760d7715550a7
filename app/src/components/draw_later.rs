//! `DrawLater`: children drawn in the browser one task after the view around them, so that what a
//! page draws in the browser is compiled and drawn in several main-thread tasks instead of one long one;
//! and `PartLive`, which says when a page's last part to hydrate is live.
//!
//! Hand-written because Leptos has no such view. Chromium compiles a wasm function the first time it is
//! called, on the main thread: the group page's builder, drawn in one task, was one task of 200 to 500 ms
//! on a cold load at a 4x CPU slowdown, most of it that compilation (docs/performance/page-weight.md).
//! The server renders nothing here (effects never run there), and the browser starts with nothing too, so
//! hydration matches either way; meant for views the server does not render anyway.

use leptos::prelude::*;

/// Draws `children` in the browser, one task (a zero-delay timer) after this view is mounted.
#[component]
pub fn DrawLater(children: ChildrenFn) -> impl IntoView {
    let ready = RwSignal::new(false);
    // `try_set`: by then the page may have been left and the signal disposed.
    after_mount_next_task(move || {
        let _ = ready.try_set(true);
    });
    move || ready.get().then(|| children())
}

/// Runs `f` once, one browser task (a zero-delay timer) after the calling view is mounted (effects run
/// after mounting); never on the server. Whatever `f` touches may be gone by then: use `try_` calls.
pub fn after_mount_next_task(f: impl FnOnce() + 'static) {
    let mut f = Some(f);
    Effect::new(move |_| {
        if let Some(f) = f.take() {
            set_timeout(f, std::time::Duration::ZERO);
        }
    });
}

/// Made inside a page's last part to hydrate (so its effects run once that part is live, not when the
/// page is set up): marks the page hydrated and sets `live` once, at once or, with `next_task`, one
/// browser task later, so that what `live` starts is not compiled in the same task as the hydration.
/// Once: each redraw of the part makes this again, and a set always notifies what reads `live`.
#[component]
pub fn PartLive(live: RwSignal<bool>, #[prop(optional)] next_task: bool) -> impl IntoView {
    crate::mark_hydrated();
    // `try_`: one task later, the page may have been left and the signal disposed.
    let set_once = move || {
        if live.try_get_untracked() == Some(false) {
            let _ = live.try_set(true);
        }
    };
    if next_task {
        after_mount_next_task(set_once);
    } else {
        Effect::new(move |_| set_once());
    }
}
