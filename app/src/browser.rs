//! The few browser facilities the UI needs (clock, time zone, clipboard, reading a chosen file), with
//! server-side stand-ins so components render the same markup on both sides.

/// Largest CSV accepted from a file input; a 10,000-partition plan is about 400 KB.
pub const MAX_CSV_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// Milliseconds since the epoch, from the browser's clock (or the server's while rendering).
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// The browser's IANA zone (`Intl`), None on the server: the server cannot know it.
pub fn browser_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
            .ok()
            .and_then(|z| z.as_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Puts `text` on the clipboard, then calls `done` with whether it worked.
pub fn copy_text(text: String, done: impl FnOnce(bool) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return done(false);
        };
        let promise = window.navigator().clipboard().write_text(&text);
        leptos::task::spawn_local(async move {
            done(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        done(false);
    }
}

/// Reads the file chosen in the `<input type="file">` of `ev` as text: `(name, text)`, or a message.
pub fn read_chosen_file(
    ev: &leptos::ev::Event,
    done: impl FnOnce(Result<(String, String), String>) + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let file = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        let Some(file) = file else {
            return done(Err("No file was chosen.".into()));
        };
        let name = file.name();
        if file.size() > MAX_CSV_BYTES {
            return done(Err(format!(
                "{name} is {:.1} MB; the limit is {:.0} MB.",
                file.size() / 1_048_576.0,
                MAX_CSV_BYTES / 1_048_576.0
            )));
        }
        let promise = file.text();
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .ok()
                .and_then(|t| t.as_string());
            done(
                text.map(|t| (name.clone(), t))
                    .ok_or_else(|| format!("{name} could not be read as text.")),
            );
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        done(Err("Files are read in the browser.".into()));
    }
}

/// Moves focus to the first element matching `selector`, if there is one (a dialog gives focus back to
/// the button that opened it).
#[cfg(not(feature = "hydrate"))]
pub fn focus_first(_selector: &str) {}

/// Moves focus to the first element matching `selector`, if there is one.
#[cfg(feature = "hydrate")]
pub fn focus_first(selector: &str) {
    use wasm_bindgen::JsCast;
    let found = leptos::prelude::document()
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = found {
        let _ = el.focus();
    }
}

/// Keeps Tab and Shift+Tab inside the element matching `container` (a modal dialog): from its last
/// focusable element Tab wraps to the first, and the reverse; focus found outside is brought in.
#[cfg(not(feature = "hydrate"))]
pub fn trap_tab(_ev: &leptos::ev::KeyboardEvent, _container: &str) {}

/// Keeps Tab inside `container` (see the server-side stand-in above).
#[cfg(feature = "hydrate")]
pub fn trap_tab(ev: &leptos::ev::KeyboardEvent, container: &str) {
    use wasm_bindgen::JsCast;
    if ev.key() != "Tab" {
        return;
    }
    let document = leptos::prelude::document();
    let Some(root) = document.query_selector(container).ok().flatten() else {
        return;
    };
    let Ok(list) = root.query_selector_all(
        "input:not([disabled]), button:not([disabled]), a[href], select:not([disabled]), textarea:not([disabled])",
    ) else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into().ok())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let active = document.active_element();
    let is = |el: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a.is_same_node(Some(el.as_ref())))
    };
    let inside = active
        .as_ref()
        .is_some_and(|a| root.contains(Some(a.as_ref())));
    let target = if !inside {
        Some(first)
    } else if ev.shift_key() && is(first) {
        Some(last)
    } else if !ev.shift_key() && is(last) {
        Some(first)
    } else {
        None
    };
    if let Some(t) = target {
        ev.prevent_default();
        let _ = t.focus();
    }
}
