//! Clusters and consumer groups as the caller may see them.

use super::Console;
use crate::api::ports::Action;
use crate::domain::groups::RecordTime;
use crate::domain::lag_history::Status;
use crate::domain::{ClusterSummary, GroupDetail, GroupLag, GroupPage, GroupQuery, GroupSort};
use crate::error::{AppError, AppResult};

impl Console {
    /// The configured clusters the caller may see, without credentials.
    pub fn clusters(&self) -> AppResult<Vec<ClusterSummary>> {
        let caller = self.caller()?;
        Ok(self
            .s
            .kafka
            .clusters()
            .into_iter()
            .filter(|c| caller.may(Action::View, &c.name, None))
            .collect())
    }

    /// One page of the groups the caller may see; only those are listed, counted and paged. `query`
    /// holds what the request asked; who may see what, and the lag samples' statuses, are added here.
    pub async fn list_groups(
        &self,
        cluster: String,
        query: GroupQuery,
        status: Option<Status>,
    ) -> AppResult<GroupPage> {
        self.s.auth.authorize(Action::View, &cluster, None)?;
        let visible = self.caller()?.visible_groups(&cluster);
        let sees_every_group = visible.iter().any(|g| g == "*");
        // Statuses and growth come from the sampler's memory of the last passes, never from Kafka.
        let latest = (status.is_some() || query.sort == GroupSort::Growth)
            .then(|| self.s.history.latest(&cluster));
        let only = status.and_then(|want| {
            latest.as_ref().map(|l| {
                l.by_group
                    .iter()
                    .filter(|(_, (s, _))| *s == Some(want))
                    .map(|(g, _)| g.clone())
                    .collect()
            })
        });
        let order = (query.sort == GroupSort::Growth).then(|| {
            latest
                .iter()
                .flat_map(|l| l.by_group.iter())
                .filter_map(|(g, (_, growth))| Some((g.clone(), (*growth)?)))
                .collect()
        });
        let query = GroupQuery {
            visible: Some(visible),
            only,
            order,
            ..query
        };
        let mut page = self.s.kafka.list_groups(&cluster, query).await?;
        page.lag_index = page.lag_index.map(|i| i.for_caller(sees_every_group));
        Ok(page)
    }

    pub async fn describe_group(&self, cluster: String, group: String) -> AppResult<GroupDetail> {
        self.s
            .auth
            .authorize(Action::View, &cluster, Some(&group))?;
        self.s.kafka.describe_group(&cluster, &group).await
    }

    pub async fn record_times(&self, cluster: String, group: String) -> AppResult<Vec<RecordTime>> {
        self.s
            .auth
            .authorize(Action::View, &cluster, Some(&group))?;
        self.s.kafka.record_times(&cluster, &group).await
    }

    /// How far behind in time at most a page of groups are, each of which the caller may view.
    pub async fn group_lag_times(
        &self,
        cluster: String,
        groups: Vec<String>,
    ) -> AppResult<Vec<crate::domain::groups::GroupLagTime>> {
        self.page_of_viewable(&cluster, &groups)?;
        self.s.kafka.group_lag_times(&cluster, groups).await
    }

    /// At most a page of groups, each of which the caller may view.
    pub(super) fn page_of_viewable(&self, cluster: &str, groups: &[String]) -> AppResult<()> {
        if groups.len() > GroupQuery::MAX_PAGE_SIZE as usize {
            return Err(AppError::invalid_input(format!(
                "at most {} groups per lag request, got {}",
                GroupQuery::MAX_PAGE_SIZE,
                groups.len()
            )));
        }
        for g in groups {
            self.s.auth.authorize(Action::View, cluster, Some(g))?;
        }
        Ok(())
    }

    /// Lag of at most a page of groups, each of which the caller may view.
    pub async fn group_lags(
        &self,
        cluster: String,
        groups: Vec<String>,
    ) -> AppResult<Vec<GroupLag>> {
        self.page_of_viewable(&cluster, &groups)?;
        self.s.kafka.group_lags(&cluster, groups).await
    }
}
