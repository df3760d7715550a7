//! A cluster's execution history: every reset run from Rewind, newest first, each leading to its undo.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::clusters::cluster_or_first;
use crate::api::executions::list_executions;
use crate::components::error_panel::ErrorPanel;
use crate::components::history::{HistoryTable, UndoBy};
use crate::error::AppError;

/// Executions listed at once.
const LIMIT: usize = 200;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let cluster = Memo::new(move |_| query.read().get("cluster").filter(|c| !c.is_empty()));
    let list = Resource::new(
        move || cluster.get(),
        |cluster| async move {
            let cluster = cluster_or_first(cluster).await?;
            let list = list_executions(cluster.clone(), None, Some(LIMIT)).await?;
            Ok::<_, AppError>((cluster, list))
        },
    );
    view! {
        <section aria-labelledby="history-heading">
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading history..."</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok((cluster, list)) => view! {
                            <h1 id="history-heading" class="mb-2 text-lg font-semibold">{format!("Resets on {cluster}")}</h1>
                            <p class="mb-2 text-sm text-slate-600">{format!("The last {LIMIT} executions at most, newest first.")}</p>
                            <HistoryTable list undo=UndoBy::Link with_group=true/>
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}
