//! The plan builder's logic, apart from its view: form inputs to a spec and back (`FormInputs`, links),
//! the scope text (`scope`), planning in the browser on the last snapshot (`local`), totals, tracks and
//! drift (`diff`). Pure, so it is tested here and runs unchanged in wasm.

mod diff;
mod local;
mod scope;
#[cfg(test)]
mod tests;

pub use diff::*;
pub use local::*;
pub use scope::*;

use serde::{Deserialize, Serialize};

use super::planner;
use super::reset::{PlanError, ResetSpec, Scope, Strategy, StrategyKind, TopicScope};

/// Everything the form holds. All of it but `csv` travels in a plan's link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormInputs {
    pub strategy: String,
    /// The offset, shift, date-time, duration or source group, depending on the strategy.
    pub value: String,
    pub zone: String,
    /// Space-separated topic arguments: `orders`, `orders:0,1`, `orders:0-99`.
    pub scope: String,
    pub csv: String,
    /// The chosen file's name: an empty file is then said to be empty, not missing.
    #[serde(default)]
    pub csv_name: String,
}

/// Why the form refuses a negative duration. Kafka's tool accepts one (an instant in the future: every
/// partition to its log end, and the API keeps that meaning for parity), but in the form it is almost
/// always a typo for "the last two hours", and it would silently skip every record.
pub const NEGATIVE_DURATION: &str = "A negative duration points into the future, which would move every partition to its log end and skip everything in between. Enter how far back to replay, such as PT2H or 90m (to-latest skips to the end on purpose).";

/// The form's fields, so a message is shown under the one that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Strategy,
    Value,
    Zone,
    Scope,
    Csv,
}

/// What is wrong with the form, and in which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub field: Field,
    pub message: String,
}

impl FormError {
    fn at(field: Field, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// Whether a planning error is about what was typed (shown at its field) rather than about Kafka's
    /// state (no leader, an incomplete read), which no field can fix.
    pub fn is_about_input(error: &PlanError) -> bool {
        !matches!(
            error,
            PlanError::PartitionsWithoutLeader { .. } | PlanError::IncompleteSnapshot { .. }
        )
    }

    /// A planning error, placed at the field it is about.
    pub fn from_plan(error: &PlanError) -> Self {
        let field = match error {
            PlanError::InvalidTopicArg { .. }
            | PlanError::InvalidPartition { .. }
            | PlanError::NegativePartition { .. }
            | PlanError::DuplicatePartition { .. }
            | PlanError::UnknownTopic { .. }
            | PlanError::PartitionsDoNotExist { .. }
            | PlanError::NoScope => Field::Scope,
            PlanError::UnknownZone { .. } => Field::Zone,
            PlanError::Csv { .. } | PlanError::EmptyCsv | PlanError::NoPlanForGroup { .. } => {
                Field::Csv
            }
            _ => Field::Value,
        };
        Self::at(field, error.to_string())
    }
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The spec the form describes, or a message naming what is wrong with it and where.
pub fn build_spec(cluster: &str, group: &str, form: &FormInputs) -> Result<ResetSpec, FormError> {
    let value = form.value.trim();
    let invalid = |message: String| FormError::at(Field::Value, message);
    let number = |what: &str| {
        value
            .trim_start_matches('+')
            .parse::<i64>()
            .map_err(|_| invalid(format!("{what} must be a whole number, got '{value}'")))
    };
    let Some(kind) = StrategyKind::parse(&form.strategy).filter(|k| k.in_builder()) else {
        return Err(FormError::at(
            Field::Strategy,
            format!("Unknown strategy '{}'.", form.strategy),
        ));
    };
    let strategy = match kind {
        StrategyKind::ShiftBy => Strategy::ShiftBy {
            shift: number("The shift")?,
        },
        StrategyKind::ToOffset => Strategy::ToOffset {
            offset: number("The offset")?,
        },
        StrategyKind::ToDatetime => {
            if value.is_empty() {
                return Err(invalid("Enter a date and time, or pick a preset.".into()));
            }
            // An input with its own offset (the CLI's `...+08:00`, or `Z`) needs no zone.
            let own_offset = super::timespec::carries_offset(value);
            Strategy::ToDatetime {
                input: value.to_owned(),
                zone: Some(form.zone.trim().to_owned()).filter(|z| !z.is_empty() && !own_offset),
            }
        }
        StrategyKind::ByDuration => {
            if value.is_empty() {
                return Err(invalid("Enter a duration such as PT2H, 90m or 1d.".into()));
            }
            if super::timespec::parse_duration(value).is_ok_and(|ms| ms < 0) {
                return Err(invalid(NEGATIVE_DURATION.into()));
            }
            Strategy::ByDuration {
                duration: value.to_owned(),
            }
        }
        StrategyKind::ToEarliest => Strategy::ToEarliest,
        StrategyKind::ToLatest => Strategy::ToLatest,
        StrategyKind::ToCurrent => Strategy::ToCurrent,
        StrategyKind::FromFile => {
            if form.csv.trim().is_empty() {
                let lines = "topic,partition,offset or group,topic,partition,offset";
                return Err(FormError::at(
                    Field::Csv,
                    if form.csv_name.is_empty() {
                        format!("Choose a CSV file ({lines}).")
                    } else {
                        format!(
                            "The file '{}' is empty: it needs one line per partition ({lines}).",
                            form.csv_name
                        )
                    },
                ));
            }
            Strategy::FromFile {
                csv: form.csv.clone(),
            }
        }
        StrategyKind::CopyFromGroup => {
            if value.is_empty() {
                return Err(invalid("Enter the group to copy offsets from.".into()));
            }
            Strategy::CopyFromGroup {
                group: value.to_owned(),
            }
        }
        StrategyKind::Explicit | StrategyKind::RestoreBackup => {
            return Err(FormError::at(
                Field::Strategy,
                format!("Unknown strategy '{}'.", form.strategy),
            ))
        }
    };
    let spec = ResetSpec {
        cluster: cluster.to_owned(),
        groups: vec![group.to_owned()],
        scope: parse_scope(&form.scope).map_err(|e| FormError::at(Field::Scope, e))?,
        strategy,
    };
    // Everything checkable without Kafka fails here, while typing, with the tool's message.
    planner::validate(&spec).map_err(|e| FormError::from_plan(&e))?;
    Ok(spec)
}

/// The link that reproduces a plan: the group page with the form's inputs (the CSV stays out, it may be
/// large; a plan from a file is shared by saving it).
pub fn plan_link(cluster: &str, group: &str, form: &FormInputs) -> String {
    use crate::format::query_value as q;
    let mut link = format!(
        "{}&strategy={}",
        crate::format::group_href(cluster, group),
        q(&form.strategy)
    );
    for (key, value) in [
        ("value", &form.value),
        ("zone", &form.zone),
        ("scope", &form.scope),
    ] {
        if !value.is_empty() {
            link.push_str(&format!("&{key}={}", q(value)));
        }
    }
    link
}

/// The form that reproduces a spec, for opening a saved plan in the builder.
pub fn form_of(spec: &ResetSpec) -> FormInputs {
    let (value, zone, csv) = match &spec.strategy {
        Strategy::ShiftBy { shift } => (shift.to_string(), String::new(), String::new()),
        Strategy::ToOffset { offset } => (offset.to_string(), String::new(), String::new()),
        Strategy::ToDatetime { input, zone } => (
            input.clone(),
            zone.clone().unwrap_or_default(),
            String::new(),
        ),
        Strategy::ByDuration { duration } => (duration.clone(), String::new(), String::new()),
        Strategy::CopyFromGroup { group } => (group.clone(), String::new(), String::new()),
        Strategy::FromFile { csv } => (String::new(), String::new(), csv.clone()),
        _ => Default::default(),
    };
    let scope = match &spec.scope {
        Scope::AllTopics => String::new(),
        Scope::Topics { topics } => topics
            .iter()
            .map(TopicScope::to_arg)
            .collect::<Vec<_>>()
            .join(" "),
    };
    FormInputs {
        strategy: spec.strategy.name().to_owned(),
        value,
        zone,
        scope,
        csv,
        csv_name: String::new(),
    }
}

/// A spec in one line, as history and saved plans name it: `shift-by -100 on all topics`.
pub fn describe(spec: &ResetSpec) -> String {
    let form = form_of(spec);
    let what = match &spec.strategy {
        Strategy::ToDatetime { input, zone } => match zone {
            Some(z) => format!("to-datetime {input} ({z})"),
            None => format!("to-datetime {input}"),
        },
        Strategy::FromFile { csv } => format!("from-file ({} lines)", csv.lines().count()),
        Strategy::Explicit { offsets } => format!("explicit ({} offsets)", offsets.len()),
        Strategy::RestoreBackup { execution } => {
            format!("restore the backup of execution {execution}")
        }
        _ if form.value.is_empty() => form.strategy.clone(),
        _ => format!("{} {}", form.strategy, form.value),
    };
    let scope = if form.scope.is_empty() {
        "all topics".to_owned()
    } else {
        form.scope
    };
    format!("{what} on {scope}")
}
