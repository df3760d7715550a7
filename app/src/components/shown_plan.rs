//! What the builder's plan area shows for the spec being built: the server's plan, a plan made in the
//! browser on the last snapshot, or why there is none yet; and which topics the scope picker offers.

use std::collections::HashMap;
use std::sync::Arc;

use crate::browser;
use crate::domain::builder::{plan_locally, Field, FormError, Local};
use crate::domain::execution::Preview;
use crate::domain::offsets_csv::{cli_command, export_plan, CliCommand};
use crate::domain::reset::{Plan, ResetSpec};
use crate::error::AppError;

/// A plan as the builder shows it, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownPlan {
    pub plan: Plan,
    pub cli: Option<CliCommand>,
    pub csv: String,
    /// Read from Kafka just now (true) or planned in the browser on the last snapshot (false).
    pub from_kafka: bool,
}

/// What the plan area shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Waiting,
    Invalid(FormError),
    NeedsKafka(String),
    /// The plan was just executed; a new edit or Preview starts the next one.
    Executed,
    Plan(Arc<ShownPlan>),
}

/// Plans the active spec from the last preview: the server's own plan when the spec is the one it read
/// for, otherwise the browser's plan on that snapshot.
pub fn shown_for(spec: &ResetSpec, fetched: &Preview) -> Shown {
    if fetched.plan.spec == *spec {
        return Shown::Plan(Arc::new(ShownPlan {
            plan: fetched.plan.clone(),
            cli: Some(fetched.cli.clone()),
            csv: fetched.csv.clone(),
            from_kafka: true,
        }));
    }
    match plan_locally(
        spec,
        &fetched.snapshot,
        &fetched.plan.spec,
        browser::now_ms(),
    ) {
        Local::Planned(plan) => {
            let mut plan = *plan;
            // Record times the server looked up stay true for the same target offsets.
            let known: HashMap<(&str, i32, i64), i64> = fetched
                .plan
                .groups
                .iter()
                .flat_map(|g| g.partitions.iter())
                .filter_map(|p| {
                    Some((
                        (p.topic.as_str(), p.partition, p.target?),
                        p.target_timestamp?,
                    ))
                })
                .collect();
            for p in plan.groups.iter_mut().flat_map(|g| g.partitions.iter_mut()) {
                if p.target_timestamp.is_none() {
                    if let Some(t) = p.target {
                        p.target_timestamp =
                            known.get(&(p.topic.as_str(), p.partition, t)).copied();
                    }
                }
            }
            Shown::Plan(Arc::new(ShownPlan {
                cli: Some(cli_command(&plan, &fetched.bootstrap)),
                csv: export_plan(&plan),
                plan,
                from_kafka: false,
            }))
        }
        Local::NeedsKafka(what) => Shown::NeedsKafka(what),
        Local::Invalid(e) => Shown::Invalid(FormError::from_plan(&e)),
    }
}

/// Whether Kafka's answer is shown under a field of the form (so not again in the panel): a planning
/// error about the input, at a field the operator has edited.
pub fn shown_at_field(error: &AppError, visited: &[Field]) -> bool {
    match error {
        AppError::Plan { error } => {
            FormError::is_about_input(error) && visited.contains(&FormError::from_plan(error).field)
        }
        _ => false,
    }
}

/// Topics of the snapshot with their partition counts, the group's committed ones first.
pub fn known_topics(p: &Preview) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for part in &p.snapshot.partitions {
        match counts.last_mut() {
            Some((t, n)) if *t == part.topic => *n += 1,
            _ => counts.push((part.topic.clone(), 1)),
        }
    }
    for g in &p.snapshot.groups {
        for c in &g.committed {
            if !counts.iter().any(|(t, _)| *t == c.topic) {
                counts.push((c.topic.clone(), 0));
            }
        }
    }
    counts
}
