//! Hydration in later browser tasks: `HydrateLater`, and the app's start one task after the wasm is
//! instantiated, so that a page's hydration is several main-thread tasks instead of one long one.
//!
//! Hand-written because Leptos has no such wrapper. Chromium compiles a wasm function the first time it
//! is called, on the main thread, and hydration is the first call of most of a page's code: on a cold
//! load with a 4x CPU slowdown a page's hydration was one task of 300 to 400 ms, most of it compilation
//! (docs/performance/page-weight.md). Leptos hydrates through `hydrate_async` down to the router (the
//! app starts with `hydrate_lazy`), and the flat router (`FlatRoutes`) hydrates the matched page that
//! way too, so a view there that awaits a zero-delay timer lets the browser paint and handle input
//! before the rest hydrates. Inside a `Suspense` or `Transition` everything hydrates synchronously, and
//! this wrapper then waits for nothing. The server renders the view as it is; only the moment the
//! browser takes it over changes.
//!
//! Used around the header's nav and `<main>` (app/src/lib.rs), the home page's parts (pages/home.rs)
//! and the group page's group (pages/group.rs): what hydrated before the wait cannot change the nodes
//! after it, and while it waits, the views after it have not yet read the URL (or, in a page, the
//! router has not yet finished hydrating it). A link click or a history move then would make the
//! router draw another page over this one's HTML, so the wait keeps them from the app and leaves them
//! to the browser: a click on a link loads the page the usual way, a move back or forward reloads
//! (`HoldNavigation`). Nothing may change the views after the wait before they hydrate either: a page's
//! components outside a `Suspend` are made when it is set up, before the wait, so its browser-only
//! reads (lag, times, sparklines) start only once its last part is live (pages/home.rs, pages/group.rs).
//! Hydrating a view whose signals changed since the server rendered it fails.

use leptos::tachys::{
    html::attribute::{any_attribute::AnyAttribute, Attribute},
    hydration::Cursor,
    ssr::StreamBuilder,
    view::{add_attr::AddAnyAttr, Position, PositionState, Render, RenderHtml},
};

/// Renders `view` as it is; in the browser, hydrates it one task later than the views before it.
pub struct HydrateLater<V>(pub V);

impl<V: Render> Render for HydrateLater<V> {
    type State = V::State;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.0.rebuild(state);
    }
}

impl<V: AddAnyAttr> AddAnyAttr for HydrateLater<V> {
    type Output<SomeNewAttr: Attribute> = HydrateLater<V::Output<SomeNewAttr>>;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        HydrateLater(self.0.add_any_attr(attr))
    }
}

impl<V: RenderHtml> RenderHtml for HydrateLater<V> {
    type AsyncOutput = HydrateLater<V::AsyncOutput>;
    type Owned = HydrateLater<V::Owned>;

    const MIN_LENGTH: usize = V::MIN_LENGTH;
    const EXISTS: bool = V::EXISTS;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve();
    }

    async fn resolve(self) -> Self::AsyncOutput {
        HydrateLater(self.0.resolve().await)
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs);
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) where
        Self: Sized,
    {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(
            buf,
            position,
            escape,
            mark_branches,
            extra_attrs,
        );
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    async fn hydrate_async(self, cursor: &Cursor, position: &PositionState) -> Self::State {
        {
            #[cfg(feature = "hydrate")]
            let _hold = HoldNavigation::install();
            next_task().await;
        }
        // From here to the router's first read of the URL is one synchronous poll: no event between.
        self.0.hydrate_async(cursor, position).await
    }

    fn into_owned(self) -> Self::Owned {
        HydrateLater(self.0.into_owned())
    }
}

/// While it lives, keeps link clicks and history moves (back, forward) from the app: a listener in the
/// capture phase at the window runs before any of the app's (the router's are on the window too, in the
/// bubble phase) and stops the event there, leaving the browser's own handling: a link loads its page,
/// a history move reloads the page it moved to. Removed when dropped.
#[cfg(feature = "hydrate")]
struct HoldNavigation {
    click: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
    popstate: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
}

#[cfg(feature = "hydrate")]
impl HoldNavigation {
    fn install() -> Self {
        use wasm_bindgen::{closure::Closure, JsCast};
        let click = Closure::<dyn FnMut(web_sys::Event)>::new(|ev: web_sys::Event| {
            let on_link = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a[href]").ok().flatten())
                .is_some();
            if on_link {
                ev.stop_immediate_propagation();
            }
        });
        let popstate = Closure::<dyn FnMut(web_sys::Event)>::new(|ev: web_sys::Event| {
            ev.stop_immediate_propagation();
            if let Some(window) = web_sys::window() {
                // The URL has already changed; only the page shown has not.
                let _ = window.location().reload();
            }
        });
        let hold = Self { click, popstate };
        hold.each(|window, kind, f| {
            let _ = window.add_event_listener_with_callback_and_bool(kind, f, true);
        });
        hold
    }

    fn each(&self, mut op: impl FnMut(&web_sys::Window, &str, &js_sys::Function)) {
        use wasm_bindgen::JsCast;
        if let Some(window) = web_sys::window() {
            op(&window, "click", self.click.as_ref().unchecked_ref());
            op(&window, "popstate", self.popstate.as_ref().unchecked_ref());
        }
    }
}

#[cfg(feature = "hydrate")]
impl Drop for HoldNavigation {
    fn drop(&mut self) {
        self.each(|window, kind, f| {
            let _ = window.remove_event_listener_with_callback_and_bool(kind, f, true);
        });
    }
}

/// Hydrates the app (`App`) one browser task after the call, the wasm's instantiation: instantiating
/// the module and hydrating the header each compile hundreds of functions, and one task of both was a
/// group page's longest (115 to 217 ms at 4x CPU slowdown; docs/performance/page-weight.md). Until then
/// the page is the server's: a link clicked loads its page the usual way.
#[cfg(feature = "hydrate")]
pub fn hydrate_app_next_task() {
    wasm_bindgen_futures::spawn_local(async {
        next_task().await;
        // The lazy pages (pages/lazy.rs) hydrate once their chunk has arrived, which `hydrate_body`
        // cannot wait for.
        leptos::mount::hydrate_lazy(crate::App);
    });
}

/// Resolves in a later task of the browser's event loop (a zero-delay timer); at once elsewhere.
async fn next_task() {
    #[cfg(feature = "hydrate")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            // Without a window there is no later task to wait for: resolve now.
            let scheduled = web_sys::window()
                .map(|w| w.set_timeout_with_callback(&resolve).is_ok())
                .unwrap_or(false);
            if !scheduled {
                let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
            }
        });
        // The promise never rejects.
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use leptos::prelude::*;

    use super::HydrateLater;

    /// The server's HTML must be exactly the wrapped view's, or hydration would not match it.
    #[test]
    fn renders_the_same_html_as_the_view_it_wraps() {
        let view = || view! { <section class="a"><p>"groups"</p><input name="search"/></section> };
        let outer = HydrateLater(view()).to_html();
        assert!(outer.contains("<p>groups</p>"), "{outer}");
        assert_eq!(outer, view().to_html());
    }
}
