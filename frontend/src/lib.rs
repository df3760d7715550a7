//! Rewind's wasm entry: hydrates the server-rendered page and nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The lazy pages (app/src/pages/lazy.rs) hydrate once their chunk has arrived, which
    // `hydrate_body` cannot wait for.
    leptos::mount::hydrate_lazy(app::App);
}
