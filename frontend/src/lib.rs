//! Rewind's wasm entry: hydrates the server-rendered page and nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::components::hydrate_later::hydrate_app_next_task();
}
