//! Rewind's Leptos application: the HTML shell, the router, and the modules shared by server and browser.

pub mod api;
pub mod browser;
pub mod components;
pub mod domain;
pub mod error;
pub mod format;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{FlatRoutes, Route, Router};
use leptos_router::{path, Lazy, SsrMode};

/// The document around the app, rendered on the server only. The stylesheet is linked here, not by
/// the app, so its (content-hashed) name is only ever worked out on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = stylesheet_href(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" id="leptos" href=stylesheet/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

/// The site's stylesheet: `/pkg/<output>.<hash>.css` when the build listed a hash for it in the hash file
/// (`css: <hash>`, beside Leptos's own `js` and `wasm` lines, which `HydrationScripts` reads the same
/// way), `/pkg/<output>.css` otherwise.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| {
            // Resolved as HydrationScripts resolves it: beside the binary, unless the path is absolute.
            let path = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf))
                .unwrap_or_default()
                .join(options.hash_file.as_ref());
            std::fs::read_to_string(path).ok()
        })
        .flatten()
        .and_then(|listing| {
            listing.lines().find_map(|line| {
                let (file, hash) = line.split_once(':')?;
                (file.trim() == "css").then(|| hash.trim().to_owned())
            })
        });
    match hash {
        Some(hash) => format!(
            "/{}/{}.{hash}.css",
            options.site_pkg_dir, options.output_name
        ),
        None => format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
    }
}

/// The Content-Security-Policy of a page: scripts only from here or inline with this response's nonce
/// (Leptos puts it on its hydration and streaming scripts), wasm compiled by the page itself, no
/// framing. Inline styles stay allowed: the plan's tracks are positioned with `style`.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&page_csp(&nonce.to_string())) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }

    components::session::provide_caller();

    view! {
        <Title text="Rewind"/>
        <Router>
            <components::session::InsecureBanner/>
            <header class="border-b border-slate-200 bg-white">
                // Wraps rather than overflows: at phone width, with wide fonts or a long user name, the nav
                // drops to its own line instead of widening the page.
                <div class="mx-auto flex max-w-7xl flex-wrap items-center gap-x-3 gap-y-2 px-4 py-3">
                    <a href="/" class="text-lg font-semibold tracking-tight text-slate-900">"Rewind"</a>
                    <span class="hidden text-sm text-slate-500 sm:inline">"Kafka consumer-group replay"</span>
                    // The nav, with the session it reads, hydrates one task after the router and the header.
                    {components::hydrate_later::HydrateLater(view! {
                    <nav class="ml-auto flex min-w-0 flex-wrap items-center justify-end gap-x-4 gap-y-1 text-sm" aria-label="Main">
                        <a class="text-slate-700 hover:text-indigo-700" href="/">"Groups"</a>
                        <a class="text-slate-700 hover:text-indigo-700" href="/history" data-testid="nav-history">"History"</a>
                        <a class="text-slate-700 hover:text-indigo-700" href="/audit" data-testid="nav-audit">"Audit"</a>
                        <components::session::IfAllowed action=domain::access::Action::ManageUsers cluster="*".to_owned() group="*".to_owned()>
                            <a class="text-slate-700 hover:text-indigo-700" href="/users" data-testid="nav-users">"Users"</a>
                        </components::session::IfAllowed>
                        <components::session::UserBar/>
                    </nav>
                    })}
                </div>
            </header>
            // The page below the header hydrates one browser task later (components/hydrate_later.rs).
            {components::hydrate_later::HydrateLater(view! {
            <main class="mx-auto max-w-7xl px-4 py-6">
                // Flat (no route nests another): only this router hydrates the matched page through
                // `hydrate_async`, so a page can hydrate in parts too (pages/group.rs).
                <FlatRoutes fallback=|| view! { <pages::not_found::NotFound/> }>
                    <Route path=path!("/") view=pages::home::HomePage/>
                    // The other pages' code is fetched when first shown (pages/lazy.rs).
                    // Sent whole, not streamed: a streamed group pushed the builder ~700 px down as it
                    // arrived (layout shift 0.25 to 0.35); compression holds a stream back anyway.
                    <Route path=path!("/group") view={Lazy::<pages::lazy::GroupRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/history") view={Lazy::<pages::lazy::HistoryRoute>::new()}/>
                    <Route path=path!("/plans/:id") view={Lazy::<pages::lazy::SavedPlanRoute>::new()}/>
                    <Route path=path!("/audit") view={Lazy::<pages::lazy::AuditRoute>::new()}/>
                    <Route path=path!("/users") view={Lazy::<pages::lazy::UsersRoute>::new()}/>
                </FlatRoutes>
            </main>
            })}
        </Router>
    }
}

/// Marks `<body data-hydrated="true">` once the wasm has taken over the page, so tests (and people
/// debugging) can tell a server-rendered page from a live one. Each page calls it: a lazy page (pages/lazy.rs)
/// is live only once its chunk has loaded, after the rest of the app. Effects never run on the server.
pub(crate) fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(body) = document().body() {
            // Failing to set a debug attribute must not break the page.
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
