//! Builds the axum router: server-rendered pages, server functions and static files.

use std::sync::Arc;

use app::api::ports::Services;
use app::{shell, App};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::auth::Auth;
use crate::config::Config;
use crate::kafka::{GatewayError, KafkaGateway};
use crate::lag_history::LagHistoryService;
use crate::ops::Ops;
use crate::reset::{FaultPauses, ResetService};
use crate::store::{SqliteStore, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Kafka(#[from] GatewayError),
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
    #[error("no way to sign in is configured: add [[auth.users]], [auth.oidc] or [auth.proxy] to the config or a user with `rewind users add NAME --grant admin` (see the README), or run with --insecure-no-auth for a local demo")]
    NoSignIn,
}

/// The services server functions use, and the sign-in that guards them.
#[derive(Clone)]
pub struct Wired {
    pub services: Services,
    pub auth: Arc<Auth>,
    pub ops: Ops,
    pub web: crate::config::WebConfig,
}

/// The audit trail as server functions read it.
struct StoreAudit(Arc<dyn Store>);

impl app::api::ports::AuditLog for StoreAudit {
    fn entries(
        &self,
        filter: app::domain::audit::AuditFilter,
    ) -> app::api::ports::BoxFuture<'_, app::error::AppResult<Vec<app::domain::audit::AuditEntry>>>
    {
        Box::pin(async move {
            self.0
                .audit_entries(filter)
                .await
                .map_err(crate::store::store_error("audit-read"))
        })
    }
}

/// Services for `config`: one Kafka client per cluster and the store, created once and shared by every
/// request. Executions a crash left pending are resolved in the background from here on.
/// Must be called within a Tokio runtime.
pub fn services(config: &Config) -> Result<Wired, StartError> {
    services_with(config, Arc::new(KafkaGateway::new(config)?))
}

/// As `services`, over a gateway built by the caller (benchmarks turn its statistics on).
pub fn services_with(config: &Config, gateway: Arc<KafkaGateway>) -> Result<Wired, StartError> {
    let sqlite = SqliteStore::open(&config.data_dir.join("rewind.db"))?;
    // Users created with `rewind users add` (or from the console) are a way to sign in too.
    if !config.auth.insecure_no_auth && !config.auth.has_sign_in() && sqlite.user_count()? == 0 {
        return Err(StartError::NoSignIn);
    }
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let history = Arc::new(LagHistoryService::new(
        gateway.clone(),
        store.clone(),
        config.lag_history.clone(),
    ));
    history.spawn();
    let ops = Ops::new(gateway.clone(), store.clone(), history.clone());
    let resets = Arc::new(ResetService::new(
        gateway.clone(),
        store.clone(),
        FaultPauses::from_env(),
    ));
    resets.spawn_recovery();
    let auth = Arc::new(Auth::new(
        config.auth.clone(),
        store.clone(),
        "/pkg/rewind.css".into(),
    ));
    Ok(Wired {
        services: Services {
            kafka: gateway,
            resets,
            auth: auth.clone(),
            audit: Arc::new(StoreAudit(store)),
            users: auth.clone(),
            history,
        },
        auth,
        ops,
        web: config.web.clone(),
    })
}

/// The whole HTTP surface. Server functions and pages get `services` through Leptos context.
pub fn build(leptos_options: LeptosOptions, wired: Wired) -> Router {
    let routes = generate_route_list(App);
    let Wired {
        services,
        auth,
        ops,
        web,
    } = wired;
    let origins = Arc::new(crate::web::Origins::new(&web, leptos_options.site_addr));
    let context = move || provide_context(services.clone());
    let router = Router::new()
        .leptos_routes_with_context(&leptos_options, routes, context, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options.clone())
        .merge(static_files(&leptos_options))
        .merge(crate::auth::routes(auth.clone()))
        .merge(crate::ops::routes(ops))
        .layer(axum::middleware::from_fn(crate::web::api_status))
        .layer(axum::middleware::from_fn_with_state(
            auth,
            crate::auth::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            origins,
            crate::web::same_origin,
        ))
        .layer(axum::middleware::from_fn(crate::web::security_headers))
        .layer(crate::web::compression());
    crate::web::body_limit(router).layer(axum::middleware::from_fn(crate::metrics::track))
}

/// The hash file `cargo xtask build` writes in the site root.
const HASH_FILE: &str = "hash.txt";

/// Pages load the site's content-hashed JS, wasm and CSS (`rewind.<hash>.wasm`) when the build listed
/// them in `<site root>/hash.txt`; a site built without it (`cargo leptos`) keeps the plain names. The
/// path is made absolute because Leptos resolves a relative one beside the binary, not the site.
pub fn use_hashed_assets(options: &mut LeptosOptions) {
    let path = std::path::Path::new(options.site_root.as_ref()).join(HASH_FILE);
    let Ok(path) = std::path::absolute(&path) else {
        return;
    };
    if path.is_file() {
        options.hash_files = true;
        options.hash_file = path.to_string_lossy().into_owned().into();
    }
}

/// Whether `name` is named after its build or content (`<name>.<16 hex digits>.<ext>`: the JS, the wasm
/// and its chunks, the stylesheet), which never changes.
fn is_hashed_asset(name: &str) -> bool {
    name.split('.')
        .nth(1)
        .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The built site's files. A missing one is a bare 404: no page is rendered and nothing is logged, so
/// anyone probing `/pkg/...` or `/favicon.ico` costs no render and floods no log.
///
/// The build writes each `/pkg` file brotli- and gzip-compressed beside it (`cargo xtask build`), and
/// the one the browser accepts is served: the home page's 1.1 MB wasm crosses the network as about
/// 0.3 MB. A build- or content-hashed name is cached for a year without revalidation (`immutable`): a
/// new build has new names. Anything else (plain names, snippets, the icon) is revalidated (`no-cache`: a 304 from
/// `Last-Modified` when unchanged) rather than kept stale after an upgrade.
fn static_files(options: &LeptosOptions) -> Router {
    use tower_http::services::{ServeDir, ServeFile};
    let root = std::path::Path::new(options.site_root.as_ref());
    let pkg = format!("/{}", options.site_pkg_dir);
    let assets = ServeDir::new(root.join(options.site_pkg_dir.as_ref()))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service(&pkg, assets)
        .route_service("/favicon.ico", ServeFile::new(root.join("favicon.ico")))
        .layer(axum::middleware::from_fn(cache_control))
}

async fn cache_control(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let name = request.uri().path().rsplit('/').next().unwrap_or_default();
    let hashed = is_hashed_asset(name);
    let mut response = next.run(request).await;
    // A hashed name that is not (yet) there must not be remembered as missing.
    let policy = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(policy),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// The site's files are served precompressed as the browser accepts them; hashed names are kept
    /// for good, plain ones revalidated.
    #[tokio::test]
    async fn assets_are_served_precompressed_and_cached_by_name() {
        let site = std::env::temp_dir().join(format!("rewind-site-{}", std::process::id()));
        let pkg = site.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("rewind.wasm"), b"plain wasm").unwrap();
        std::fs::write(pkg.join("rewind.wasm.br"), b"brotli wasm").unwrap();
        std::fs::write(pkg.join("rewind.wasm.gz"), b"gzip wasm").unwrap();
        std::fs::write(pkg.join("rewind.0123456789abcdef.wasm"), b"plain wasm").unwrap();
        std::fs::write(pkg.join("rewind.0123456789abcdef.wasm.br"), b"brotli wasm").unwrap();
        let options = LeptosOptions::builder()
            .output_name("rewind")
            .site_root(site.to_string_lossy().into_owned())
            .build();
        let get_path = |path: &'static str, accept: &'static str| {
            let app = static_files(&options);
            async move {
                let request = axum::http::Request::get(path)
                    .header("accept-encoding", accept)
                    .body(axum::body::Body::empty())
                    .unwrap();
                let response = app.oneshot(request).await.unwrap();
                let encoding = response
                    .headers()
                    .get("content-encoding")
                    .map(|v| v.to_str().unwrap().to_owned());
                let cache = response.headers()["cache-control"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
                (encoding, cache, body)
            }
        };
        let get = |accept: &'static str| get_path("/pkg/rewind.wasm", accept);
        let (encoding, cache, body) = get("gzip, deflate, br").await;
        assert_eq!(encoding.as_deref(), Some("br"));
        assert_eq!(&body[..], b"brotli wasm");
        assert_eq!(cache, "no-cache");
        let (encoding, _, body) = get("gzip").await;
        assert_eq!(
            (encoding.as_deref(), &body[..]),
            (Some("gzip"), &b"gzip wasm"[..])
        );
        let (encoding, _, body) = get("identity").await;
        assert_eq!((encoding, &body[..]), (None, &b"plain wasm"[..]));
        let (encoding, cache, body) =
            get_path("/pkg/rewind.0123456789abcdef.wasm", "gzip, deflate, br").await;
        assert_eq!(
            (encoding.as_deref(), &body[..]),
            (Some("br"), &b"brotli wasm"[..])
        );
        assert_eq!(cache, "public, max-age=31536000, immutable");
        // A hashed name that is not there is a 404 nobody may keep.
        let (_, cache, _) = get_path("/pkg/rewind.fedcba9876543210.wasm", "br").await;
        assert_eq!(cache, "no-cache");
        std::fs::remove_dir_all(&site).unwrap();
    }

    /// A site built with hashed names (`hash.txt` in its root) makes pages link them; without one, the
    /// plain names stay.
    #[test]
    fn pages_link_the_hashed_names_the_build_listed() {
        let site = std::env::temp_dir().join(format!("rewind-hashes-{}", std::process::id()));
        std::fs::create_dir_all(&site).unwrap();
        let mut options = LeptosOptions::builder()
            .output_name("rewind")
            .site_root(site.to_string_lossy().into_owned())
            .build();
        use_hashed_assets(&mut options);
        assert!(!options.hash_files);
        assert_eq!(app::stylesheet_href(&options), "/pkg/rewind.css");

        std::fs::write(
            site.join(HASH_FILE),
            "js: 1111111111111111\nwasm: 2222222222222222\ncss: 3333333333333333\n",
        )
        .unwrap();
        use_hashed_assets(&mut options);
        assert!(options.hash_files);
        assert!(std::path::Path::new(options.hash_file.as_ref()).is_absolute());
        assert_eq!(
            app::stylesheet_href(&options),
            "/pkg/rewind.3333333333333333.css"
        );
        std::fs::remove_dir_all(&site).unwrap();
    }
}
