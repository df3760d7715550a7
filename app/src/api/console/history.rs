//! Lag over time as the caller may see it: a group's chart, CSV and replay progress, a page's
//! sparklines, each only of groups the caller may view.

use super::Console;
use crate::api::ports::Action;
use crate::domain::lag_history::{LagHistory, ReplayProgress, Sparkline, Window};
use crate::error::{AppError, AppResult};

/// The window named in a request (`1h`, `6h`, `24h`, `7d`); an unknown one is the caller's mistake.
pub fn window(key: &str) -> AppResult<Window> {
    if key.is_empty() {
        return Ok(Window::default());
    }
    Window::parse(key).ok_or_else(|| {
        AppError::invalid_input(format!(
            "window '{key}' is not one of {}",
            Window::ALL.map(|w| w.key()).join(", ")
        ))
    })
}

impl Console {
    pub async fn lag_history(
        &self,
        cluster: String,
        group: String,
        window_key: String,
        partitions_of: String,
    ) -> AppResult<LagHistory> {
        let window = window(&window_key)?;
        self.s
            .auth
            .authorize(Action::View, &cluster, Some(&group))?;
        let partitions_of = Some(partitions_of).filter(|t| !t.is_empty());
        self.s
            .history
            .history(cluster, group, window, partitions_of)
            .await
    }

    /// Pins or unpins a group's per-partition sampling: an operator's decision on that group.
    pub async fn pin_group(&self, cluster: String, group: String, pinned: bool) -> AppResult<bool> {
        let actor = self.s.auth.authorize(Action::Pin, &cluster, Some(&group))?;
        if pinned {
            // A pin holds one of the cluster's few places: only for a group Kafka has (404 else).
            self.s.kafka.describe_group(&cluster, &group).await?;
        }
        self.s.history.pin(cluster, group, pinned, actor).await
    }

    pub async fn lag_history_csv(
        &self,
        cluster: String,
        group: String,
        window_key: String,
    ) -> AppResult<String> {
        let window = window(&window_key)?;
        self.s
            .auth
            .authorize(Action::View, &cluster, Some(&group))?;
        self.s.history.csv(cluster, group, window).await
    }

    /// The last hour of at most a page of groups, each of which the caller may view.
    pub async fn lag_sparklines(
        &self,
        cluster: String,
        groups: Vec<String>,
    ) -> AppResult<Vec<Sparkline>> {
        self.page_of_viewable(&cluster, &groups)?;
        self.s.history.sparklines(cluster, groups).await
    }

    /// How far the replay of execution `id` has come, if the caller may see the execution.
    pub async fn replay_progress(&self, id: i64) -> AppResult<Option<ReplayProgress>> {
        let e = self.visible_execution(id).await?;
        self.s.history.replay_progress(e).await
    }
}
