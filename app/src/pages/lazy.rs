//! The routes whose code the browser fetches when it first shows them (Leptos's lazy routes): the group
//! page with its plan builder, and the history, plan, audit and users pages. The home page stays in the
//! main wasm, so its first load carries none of their code (docs/performance/page-weight.md).
//!
//! Each `view` is split into a wasm chunk of its own by `cargo xtask build`; on the server it is an
//! ordinary function, and the server's HTML preloads the chunk of the route it rendered.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Declares a lazy route whose view is one page component, marked hydrated once that page is live
/// (by the page itself with `marks_itself`: the group page hydrates in parts).
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        lazy_page!($route, $page, crate::mark_hydrated());
    };
    ($route:ident, $page:path, marks_itself) => {
        lazy_page!($route, $page, ());
    };
    ($route:ident, $page:path, $mark:expr) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                $mark;
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(GroupRoute, super::group::GroupPage, marks_itself);
lazy_page!(HistoryRoute, super::history::HistoryPage);
lazy_page!(SavedPlanRoute, super::saved_plan::SavedPlanPage);
lazy_page!(AuditRoute, super::audit::AuditPage);
lazy_page!(UsersRoute, super::users::UsersPage);
