#![allow(clippy::type_complexity)]

use futures::{stream::once, Stream, StreamExt};
use hydration_context::{SharedContext, SsrSharedContext};
use leptos::{
    context::provide_context,
    nonce::use_nonce,
    prelude::ReadValue,
    reactive::{
        computed::ScopedFuture,
        owner::{Owner, Sandboxed},
    },
    IntoView, PrefetchLazyFn, WasmSplitManifest,
};
use leptos_config::LeptosOptions;
use leptos_meta::{Link, ServerMetaContextOutput};
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

pub type PinnedStream<T> = Pin<Box<dyn Stream<Item = T> + Send>>;
pub type PinnedFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
pub type BoxedFnOnce<T> = Box<dyn FnOnce() -> T + Send>;

pub trait ExtendResponse: Sized {
    type ResponseOptions: Send;

    fn from_stream(stream: impl Stream<Item = String> + Send + 'static)
        -> Self;

    fn extend_response(&mut self, opt: &Self::ResponseOptions);

    fn set_default_content_type(&mut self, content_type: &str);

    fn from_app<IV>(
        app_fn: impl FnOnce() -> IV + Send + 'static,
        meta_context: ServerMetaContextOutput,
        additional_context: impl FnOnce() + Send + 'static,
        res_options: Self::ResponseOptions,
        stream_builder: fn(
            IV,
            BoxedFnOnce<PinnedStream<String>>,
            bool,
        ) -> PinnedFuture<PinnedStream<String>>,
        supports_ooo: bool,
    ) -> impl Future<Output = Self> + Send
    where
        IV: IntoView + 'static,
    {
        async move {
            let prefetches = PrefetchLazyFn::default();

            let (owner, stream) = build_response(
                app_fn,
                additional_context,
                stream_builder,
                supports_ooo,
            );

            owner.with(|| provide_context(prefetches.clone()));

            let sc = owner.shared_context().unwrap();

            // PATCH (Rewind, vendor/README.md): the rest runs with this page's owner current,
            // not whichever owner the thread holds.
            let (first_chunk, stream) = with_owner(owner.clone(), async move {
                let stream = stream.await.ready_chunks(32).map(|n| n.join(""));

                while let Some(pending) = sc.await_deferred() {
                    pending.await;
                }

                if let Some(prefetches) =
                    prefetches.0.try_read_value().filter(|p| !p.is_empty())
                {
                    use leptos::prelude::*;

                    let nonce =
                        use_nonce().map(|n| n.to_string()).unwrap_or_default();
                    if let Some(manifest_read) = use_context::<WasmSplitManifest>()
                        .and_then(|m| m.0.try_read_value())
                    {
                        let (pkg_path, manifest, wasm_split_file) = &*manifest_read;

                        let all_prefetches = prefetches.iter().flat_map(|key| {
                            manifest.get(*key).into_iter().flatten()
                        });

                        for module in all_prefetches {
                            // to_html() on leptos_meta components registers them with the meta context,
                            // rather than returning HTML directly
                            _ = view! {
                                <Link
                                    rel="preload"
                                    href=format!("{pkg_path}/{module}.wasm")
                                    as_="fetch"
                                    type_="application/wasm"
                                    crossorigin=nonce.clone()
                                />
                            }
                            .to_html();
                        }
                        _ = view! {
                            <Link rel="modulepreload" href=format!("{pkg_path}/{wasm_split_file}") crossorigin=nonce/>
                        }
                        .to_html();
                    }
                }

                let mut stream = Box::pin(
                    meta_context.inject_meta_context(stream).await.then({
                        let sc = Arc::clone(&sc);
                        move |chunk| {
                            let sc = Arc::clone(&sc);
                            async move {
                                while let Some(pending) = sc.await_deferred() {
                                    pending.await;
                                }
                                chunk
                            }
                        }
                    }),
                );

                // wait for the first chunk of the stream, then set the status and headers
                let first_chunk = stream.next().await.unwrap_or_default();
                (first_chunk, stream)
            })
            .await;

            // PATCH (Rewind): the body, and the clean-up at its end, are polled with this page's
            // owner and arena current.
            let body = OwnedStream {
                owner: owner.clone(),
                inner: Box::pin(
                    once(async move { first_chunk })
                        .chain(stream)
                        // drop the owner, cleaning up the reactive runtime,
                        // once the stream is over
                        .chain(once({
                            let owner = owner.clone();
                            async move {
                                owner.unset_with_forced_cleanup();
                                Default::default()
                            }
                        })),
                ),
            };
            let mut res =
                Self::from_stream(owner.with(|| Sandboxed::new(body)));

            res.extend_response(&res_options);

            // Set the Content Type headers on all responses. This makes Firefox show the page source
            // without complaining
            res.set_default_content_type("text/html; charset=utf-8");

            res
        }
    }
}

pub fn build_response<IV>(
    app_fn: impl FnOnce() -> IV + Send + 'static,
    additional_context: impl FnOnce() + Send + 'static,
    stream_builder: fn(
        IV,
        BoxedFnOnce<PinnedStream<String>>,
        // this argument indicates whether a request wants to support out-of-order streaming
        // responses
        bool,
    ) -> PinnedFuture<PinnedStream<String>>,
    is_islands_router_navigation: bool,
) -> (Owner, PinnedFuture<PinnedStream<String>>)
where
    IV: IntoView + 'static,
{
    let shared_context = Arc::new(SsrSharedContext::new())
        as Arc<dyn SharedContext + Send + Sync>;
    // PATCH (Rewind, vendor/README.md): `Owner::new_root` would stay the thread's current owner after
    // this call, and the render below ran with whatever owner the thread held when polled.
    let owner = request_owner(Some(Arc::clone(&shared_context)));
    let stream =
        Box::pin(owner.with(|| {
            Sandboxed::new(with_owner(owner.clone(), {
                let owner = owner.clone();
                async move {
                    let stream = owner.with(|| {
                additional_context();

                // run app
                let app = app_fn();

                let nonce = use_nonce()
                    .as_ref()
                    .map(|nonce| format!(" nonce=\"{nonce}\""))
                    .unwrap_or_default();

                let shared_context = Owner::current_shared_context().unwrap();

                let chunks = Box::new({
                    let shared_context = shared_context.clone();
                    move || {
                        Box::pin(shared_context.pending_data().unwrap().map(
                            move |chunk| {
                                format!("<script{nonce}>{chunk}</script>")
                            },
                        ))
                            as Pin<Box<dyn Stream<Item = String> + Send>>
                    }
                });

                // convert app to appropriate response type
                // and chain the app stream, followed by chunks
                // in theory, we could select here, and intersperse them
                // the problem is that during the DOM walk, that would be mean random <script> tags
                // interspersed where we expect other children
                //
                // we also don't actually start hydrating until after the whole stream is complete,
                // so it's not useful to send those scripts down earlier.
                stream_builder(app, chunks, is_islands_router_navigation)
            });

                    stream.await
                }
            }))
        }));
    (owner, stream)
}

/// PATCH (Rewind, vendor/README.md): a root owner for one request, which does not stay the thread's
/// current owner (the previous one, or none, is restored).
///
/// `Owner::new_root` also makes the new owner the thread's current one, and nothing restored the
/// previous one: on a Tokio worker the owner of the last page started there stayed current while other
/// requests ran on that thread, and whatever took "the current owner" worked inside another request.
pub fn request_owner(
    shared_context: Option<Arc<dyn SharedContext + Send + Sync>>,
) -> Owner {
    let previous = Owner::current();
    let owner = Owner::new_root(shared_context);
    match previous {
        Some(previous) => previous.set(),
        None => owner.clone().unset(),
    }
    owner
}

/// PATCH (Rewind): polls `fut` with `owner` current (and no observer), as `ScopedFuture::new` does
/// with the owner current at its creation.
fn with_owner<F: Future>(owner: Owner, fut: F) -> ScopedFuture<F> {
    ScopedFuture {
        owner,
        observer: None,
        fut,
    }
}

/// PATCH (Rewind): a page's body, polled with the page's owner current, as `with_owner` does for a
/// future: rendering continues while the body streams (deferred data, meta tags).
struct OwnedStream {
    owner: Owner,
    inner: PinnedStream<String>,
}

impl Stream for OwnedStream {
    type Item = String;

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<String>> {
        let this = self.get_mut();
        this.owner.with(|| this.inner.as_mut().poll_next(cx))
    }
}

pub fn static_file_path(options: &LeptosOptions, path: &str) -> String {
    let trimmed_path = path.trim_start_matches('/');
    let path = if trimmed_path.is_empty() {
        "index"
    } else {
        trimmed_path
    };
    format!("{}/{}.html", options.site_root, path)
}
