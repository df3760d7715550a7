//! The routes whose code the browser fetches when it first shows them (Leptos's lazy routes): the group
//! page with its plan builder, and the history, plan, audit and users pages. The home page stays in the
//! main wasm, so its first load carries none of their code (docs/performance/page-weight.md).
//!
//! Each `view` is split into a wasm chunk of its own by `cargo xtask build`; on the server it is an
//! ordinary function, and the server's HTML preloads the chunk of the route it rendered.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Declares a lazy route whose view is one page component, marked hydrated once that page is live.
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                crate::mark_hydrated();
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(GroupRoute, super::group::GroupPage);
lazy_page!(HistoryRoute, super::history::HistoryPage);
lazy_page!(SavedPlanRoute, super::saved_plan::SavedPlanPage);
lazy_page!(AuditRoute, super::audit::AuditPage);
lazy_page!(UsersRoute, super::users::UsersPage);
