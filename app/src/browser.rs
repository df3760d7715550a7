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

/// Whether the browser knows IANA zone `name`, case-sensitive like the tz database (`Intl` itself
/// accepts any case, the server would not).
#[cfg(feature = "hydrate")]
pub fn intl_zone_valid(name: &str) -> bool {
    intl::format(name).is_some()
}

/// The offset from UTC, in seconds, of zone `name` at instant `ms`, from the browser's `Intl`.
#[cfg(feature = "hydrate")]
pub fn intl_offset_seconds(name: &str, ms: i64) -> Option<i32> {
    intl::offset_seconds(name, ms)
}

/// The zones the browser knows (`Intl.supportedValuesOf`), for the picker's suggestions.
#[cfg(feature = "hydrate")]
pub fn intl_zone_names() -> Vec<String> {
    intl::zone_names()
}

#[cfg(feature = "hydrate")]
mod intl {
    //! Bindings to the two `Intl` calls js-sys declares without `catch` (an unknown zone throws a
    //! RangeError, which must be an answer here, not a trap).
    use std::cell::RefCell;
    use std::collections::HashMap;

    use chrono::NaiveDate;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
        #[derive(Clone)]
        pub type Format;
        #[wasm_bindgen(catch, constructor, js_namespace = Intl, js_class = "DateTimeFormat")]
        fn new(locale: &str, options: &JsValue) -> Result<Format, JsValue>;
        #[wasm_bindgen(method, js_name = formatToParts)]
        fn format_to_parts(this: &Format, date: f64) -> js_sys::Array;
        #[wasm_bindgen(method, js_name = resolvedOptions)]
        fn resolved_options(this: &Format) -> js_sys::Object;
        #[wasm_bindgen(catch, js_namespace = Intl, js_name = supportedValuesOf)]
        fn supported_values_of(key: &str) -> Result<js_sys::Array, JsValue>;
    }

    thread_local! {
        /// One formatter per zone asked about (building one is the slow part); None: unknown zone.
        static FORMATS: RefCell<HashMap<String, Option<Format>>> = RefCell::new(HashMap::new());
    }

    fn get(o: &JsValue, key: &str) -> Option<String> {
        js_sys::Reflect::get(o, &key.into()).ok()?.as_string()
    }

    pub fn format(name: &str) -> Option<Format> {
        if let Some(known) = FORMATS.with(|f| f.borrow().get(name).cloned()) {
            return known;
        }
        let options = js_sys::Object::new();
        let set = |k: &str, v: &str| js_sys::Reflect::set(&options, &k.into(), &v.into()).is_ok();
        let all_set = set("timeZone", name)
            && set("hourCycle", "h23")
            && ["year", "month", "day", "hour", "minute", "second"]
                .iter()
                .all(|k| set(k, "numeric"));
        let made = all_set
            .then(|| Format::new("en-US", &options).ok())
            .flatten()
            .filter(|f| {
                // `Intl` takes `asia/shanghai` for `Asia/Shanghai` (and `asia/calcutta` for an alias
                // it canonicalises); the tz database, whose names' parts all start with a capital,
                // takes neither.
                let resolved = get(&f.resolved_options(), "timeZone").unwrap_or_default();
                let capitalised = name
                    .split('/')
                    .all(|part| !part.starts_with(|c: char| c.is_ascii_lowercase()));
                resolved == name || (capitalised && !resolved.eq_ignore_ascii_case(name))
            });
        FORMATS.with(|f| f.borrow_mut().insert(name.to_owned(), made.clone()));
        made
    }

    pub fn offset_seconds(name: &str, ms: i64) -> Option<i32> {
        let parts = format(name)?.format_to_parts(ms as f64);
        let mut fields = [0u32; 6];
        let mut year = 0i32;
        for part in parts.iter() {
            let value = get(&part, "value").unwrap_or_default();
            let slot = match get(&part, "type").as_deref() {
                Some("year") => {
                    year = value.parse().ok()?;
                    continue;
                }
                Some("month") => 1,
                Some("day") => 2,
                Some("hour") => 3,
                Some("minute") => 4,
                Some("second") => 5,
                _ => continue,
            };
            fields[slot] = value.parse().ok()?;
        }
        let [_, month, day, hour, minute, second] = fields;
        let wall = NaiveDate::from_ymd_opt(year, month, day)?
            .and_hms_opt(hour, minute, second)?
            .and_utc()
            .timestamp();
        i32::try_from(wall - ms.div_euclid(1_000)).ok()
    }

    pub fn zone_names() -> Vec<String> {
        let mut names: Vec<String> = supported_values_of("timeZone")
            .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
            .unwrap_or_default();
        if !names.iter().any(|n| n == "UTC") {
            names.insert(0, "UTC".to_owned());
        }
        names
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
