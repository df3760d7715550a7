//! What the console reads of the samples: a group's chart (rebuilt from change-only rows, with
//! execution markers), a page's sparklines, statuses and growth for the list, replay progress, the CSV
//! export and the top lags for `/metrics`.

use app::api::ports::{Actor, BoxFuture, LagHistoryReader};
use app::domain::audit::AuditEntry;
use app::domain::execution::{Execution, ExecutionStatus};
use app::domain::lag_history::{
    self as lh, downsample, growth, judge_latest, most_lagging, rebuild, replay_progress, totals,
    LagHistory, LatestStatuses, Marker, PartitionLines, Point, ReplayProgress, Sparkline, Window,
    PARTITION_LINES,
};
use app::error::{AppError, AppResult};

use super::{LagHistoryService, CHART_POINTS, PINS_MAX, SPARK_POINTS};
use crate::now_ms;
use crate::store::{store_error, ExecutionFilter, TooManyPins};

impl LagHistoryService {
    /// The groups with the most lag at the last pass, for `/metrics` (bounded cardinality), and the
    /// cluster's total.
    pub fn top_lags(&self, cluster: &str) -> (Vec<(String, i64)>, Option<i64>) {
        let Ok(memory) = self.memory.read() else {
            return (Vec::new(), None);
        };
        let Some(m) = memory.get(cluster) else {
            return (Vec::new(), None);
        };
        let mut all: Vec<(String, i64)> =
            m.latest_lag.iter().map(|(g, l)| (g.clone(), *l)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total = all.iter().map(|(_, l)| *l).sum();
        all.truncate(self.config.metrics_top);
        (all, Some(total))
    }

    /// Executions of `group` started inside the window, as chart markers.
    async fn markers(
        &self,
        cluster: &str,
        group: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> AppResult<Vec<Marker>> {
        let executions = self
            .store
            .executions(ExecutionFilter {
                cluster: Some(cluster.to_owned()),
                group: Some(group.to_owned()),
                visible: None,
                limit: 500,
            })
            .await
            .map_err(store_error("lag-markers"))?;
        let mut markers: Vec<Marker> = executions
            .into_iter()
            .filter(|e| e.status == ExecutionStatus::Succeeded)
            .filter(|e| e.started_at_ms >= from_ms && e.started_at_ms <= to_ms)
            .map(|e| Marker {
                t_ms: e.started_at_ms,
                execution_id: e.id,
                actor: e.actor,
                what: if e.what.is_empty() {
                    e.strategy
                } else {
                    e.what
                },
                undo_of: e.undo_of,
            })
            .collect();
        markers.sort_by_key(|m| m.t_ms);
        Ok(markers)
    }

    /// The group's totals and per-topic points over `[from_ms, to_ms]`, rebuilt from the store.
    async fn points(
        &self,
        cluster: &str,
        groups: Vec<String>,
        from_ms: i64,
        to_ms: i64,
    ) -> AppResult<Vec<(Vec<Point>, Vec<lh::TopicSeries>)>> {
        let stored = self
            .store
            .lag_history(cluster.to_owned(), groups, from_ms, to_ms)
            .await
            .map_err(store_error("lag-history"))?;
        Ok(stored
            .into_iter()
            .map(|h| {
                let series = rebuild(&h.passes, &h.changes);
                (totals(&h.passes, &series), series)
            })
            .collect())
    }

    /// The most-lagging partitions of `topic` over the window, drawn like topics.
    async fn partition_lines(
        &self,
        cluster: &str,
        group: &str,
        topic: String,
        from_ms: i64,
        to_ms: i64,
    ) -> AppResult<PartitionLines> {
        let (stored, of) = self
            .store
            .partition_history(
                cluster.to_owned(),
                group.to_owned(),
                topic.clone(),
                (from_ms, to_ms),
                PARTITION_LINES,
            )
            .await
            .map_err(store_error("lag-partition-history"))?;
        let mut series = most_lagging(rebuild(&stored.passes, &stored.changes), PARTITION_LINES);
        for s in &mut series {
            s.points = downsample(&s.points, CHART_POINTS);
        }
        Ok(PartitionLines { topic, series, of })
    }

    /// The group's samples over `window` as CSV: one row per pass and topic.
    async fn csv_of(&self, cluster: &str, group: &str, window: Window) -> AppResult<String> {
        let to_ms = now_ms();
        let from_ms = to_ms - window.ms();
        let mut out = String::from(
            "timestamp_utc,timestamp_ms,topic,lag_records,committed_total,lag_time_ms,active\n",
        );
        for (_, series) in self
            .points(cluster, vec![group.to_owned()], from_ms, to_ms)
            .await?
        {
            let mut rows: Vec<(i64, &str, &Point)> = series
                .iter()
                .flat_map(|s| s.points.iter().map(move |p| (p.t_ms, s.topic.as_str(), p)))
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
            for (t, topic, p) in rows {
                let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
                out.push_str(&format!(
                    "{},{t},{},{},{},{},{}\n",
                    app::format::utc(t),
                    csv_field(topic),
                    opt(p.lag),
                    opt(p.committed),
                    opt(p.time_lag_ms),
                    p.active
                ));
            }
        }
        Ok(out)
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break (topic names cannot, but be safe).
fn csv_field(s: &str) -> String {
    // A cell a spreadsheet would run as a formula (a topic may start with `-`) is kept as text.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

impl LagHistoryReader for LagHistoryService {
    fn history(
        &self,
        cluster: String,
        group: String,
        window: Window,
        partitions_of: Option<String>,
    ) -> BoxFuture<'_, AppResult<LagHistory>> {
        Box::pin(async move {
            self.watch(&cluster, &group);
            let to_ms = now_ms();
            let from_ms = to_ms - window.ms();
            let pinned = self
                .store
                .pins(cluster.clone())
                .await
                .map_err(store_error("lag-pins"))?
                .contains(&group);
            let partition_topics = self
                .store
                .partition_topics(cluster.clone(), group.clone(), from_ms)
                .await
                .map_err(store_error("lag-partition-topics"))?;
            let partitions = match partitions_of.filter(|t| partition_topics.contains(t)) {
                Some(topic) => Some(
                    self.partition_lines(&cluster, &group, topic, from_ms, to_ms)
                        .await?,
                ),
                None => None,
            };
            let (all, mut topics) = self
                .points(&cluster, vec![group.clone()], from_ms, to_ms)
                .await?
                .pop()
                .unwrap_or_default();
            let markers = self.markers(&cluster, &group, from_ms, to_ms).await?;
            let judgement = judge_latest(&all, &markers);
            for s in &mut topics {
                s.points = downsample(&s.points, CHART_POINTS);
            }
            Ok(LagHistory {
                group,
                from_ms,
                to_ms,
                interval_ms: i64::try_from(self.interval().as_millis()).unwrap_or(i64::MAX),
                totals: downsample(&all, CHART_POINTS),
                topics,
                markers,
                judgement,
                pinned,
                partition_topics,
                partitions,
            })
        })
    }

    fn pin(
        &self,
        cluster: String,
        group: String,
        pinned: bool,
        actor: Actor,
    ) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let at_ms = now_ms();
            let outcome = self
                .store
                .set_pin(
                    cluster.clone(),
                    group.clone(),
                    pinned,
                    actor.name.clone(),
                    at_ms,
                    PINS_MAX,
                )
                .await
                .map_err(store_error("lag-pin"))?;
            let action = if pinned { "pin" } else { "unpin" };
            let (result, answer) = match outcome {
                Ok(was) => (
                    if was == pinned {
                        "unchanged"
                    } else {
                        "succeeded"
                    },
                    Ok(pinned),
                ),
                Err(TooManyPins { max }) => (
                    "refused: too many pins",
                    Err(AppError::TooManyPins {
                        cluster: cluster.clone(),
                        max,
                    }),
                ),
            };
            let entry = AuditEntry::new(at_ms, actor.name, actor.source, action, result)
                .about(cluster, Some(group));
            crate::store::record(&*self.store, entry).await;
            answer
        })
    }

    fn sparklines(
        &self,
        cluster: String,
        groups: Vec<String>,
    ) -> BoxFuture<'_, AppResult<Vec<Sparkline>>> {
        Box::pin(async move {
            let to_ms = now_ms();
            let from_ms = to_ms - Window::Hour.ms();
            let points = self
                .points(&cluster, groups.clone(), from_ms, to_ms)
                .await?;
            Ok(groups
                .into_iter()
                .zip(points)
                .map(|(group_id, (all, _))| Sparkline {
                    judgement: judge_latest(&all, &[]),
                    growth: growth(&all),
                    lags: downsample(&all, SPARK_POINTS)
                        .into_iter()
                        .map(|p| p.lag)
                        .collect(),
                    group_id,
                })
                .collect())
        })
    }

    fn csv(
        &self,
        cluster: String,
        group: String,
        window: Window,
    ) -> BoxFuture<'_, AppResult<String>> {
        Box::pin(async move { self.csv_of(&cluster, &group, window).await })
    }

    fn latest(&self, cluster: &str) -> LatestStatuses {
        let Ok(memory) = self.memory.read() else {
            return LatestStatuses::default();
        };
        let Some(m) = memory.get(cluster) else {
            return LatestStatuses::default();
        };
        LatestStatuses {
            by_group: m
                .recent
                .iter()
                .map(|(g, recent)| {
                    let points: Vec<Point> = recent.iter().copied().collect();
                    (
                        g.clone(),
                        (
                            judge_latest(&points, &[]).map(|j| j.status),
                            growth(&points),
                        ),
                    )
                })
                .collect(),
        }
    }

    fn replay_progress(
        &self,
        execution: Execution,
    ) -> BoxFuture<'_, AppResult<Option<ReplayProgress>>> {
        Box::pin(async move {
            if execution.status != ExecutionStatus::Succeeded {
                return Ok(None);
            }
            let to_reread: i64 = execution
                .partitions
                .iter()
                .filter_map(|p| Some((p.before? - p.target?).max(0)))
                .sum();
            if to_reread == 0 {
                return Ok(None);
            }
            let moved: i64 = execution
                .partitions
                .iter()
                .filter_map(|p| Some(p.target? - p.before?))
                .sum();
            let at_ms = execution.finished_at_ms.unwrap_or(execution.started_at_ms);
            // From a little before the execution: the committed total it started from.
            let from_ms = execution.started_at_ms
                - 2 * i64::try_from(self.interval().as_millis()).unwrap_or(0);
            let (all, _) = self
                .points(
                    &execution.cluster,
                    vec![execution.group.clone()],
                    from_ms,
                    now_ms(),
                )
                .await?
                .pop()
                .unwrap_or_default();
            let Some(before) = all
                .iter()
                .rev()
                .filter(|p| p.t_ms < execution.started_at_ms)
                .find_map(|p| p.committed)
            else {
                return Ok(Some(replay_progress(to_reread, 0, at_ms, &[])));
            };
            Ok(Some(replay_progress(
                to_reread,
                before + moved,
                at_ms,
                &all,
            )))
        })
    }
}
