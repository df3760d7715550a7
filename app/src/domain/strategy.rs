//! Where a reset moves offsets: the strategies of Kafka's tool and ours, and their kinds.

use serde::{Deserialize, Serialize};

/// One explicitly given target offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplicitOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// Where to move the group's offsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Strategy {
    ToEarliest,
    ToLatest,
    ToCurrent,
    ToOffset {
        offset: i64,
    },
    ShiftBy {
        shift: i64,
    },
    /// `input` in any form `timespec::parse_datetime` accepts; `zone` an IANA zone for wall-clock input.
    ToDatetime {
        input: String,
        #[serde(default)]
        zone: Option<String>,
    },
    /// ISO 8601 (`PT2H`) or friendly (`2h`); resolved against the planner's "now".
    ByDuration {
        duration: String,
    },
    /// The reference tool's CSV, 3 or 4 columns.
    FromFile {
        csv: String,
    },
    /// Ours: the committed offsets of another group of the same cluster.
    CopyFromGroup {
        group: String,
    },
    /// Ours: explicit per-partition targets.
    Explicit {
        offsets: Vec<ExplicitOffset>,
    },
    /// Ours: undo, i.e. the offsets backed up before execution `execution` ran.
    RestoreBackup {
        execution: i64,
    },
}

/// What kind of strategy a spec has: the one place its name, label and parse live, so menus, links,
/// forms and the audit never spell the kinds out as strings of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyKind {
    ShiftBy,
    ToOffset,
    ToDatetime,
    ByDuration,
    ToEarliest,
    ToLatest,
    ToCurrent,
    FromFile,
    CopyFromGroup,
    Explicit,
    RestoreBackup,
}

impl StrategyKind {
    /// The kinds the plan builder offers, in menu order (explicit rows and undo are made, not picked).
    pub const BUILDER: [StrategyKind; 9] = [
        Self::ShiftBy,
        Self::ToOffset,
        Self::ToDatetime,
        Self::ByDuration,
        Self::ToEarliest,
        Self::ToLatest,
        Self::ToCurrent,
        Self::FromFile,
        Self::CopyFromGroup,
    ];

    /// The reference tool's name (`--to-earliest` without the dashes), or ours.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ToEarliest => "to-earliest",
            Self::ToLatest => "to-latest",
            Self::ToCurrent => "to-current",
            Self::ToOffset => "to-offset",
            Self::ShiftBy => "shift-by",
            Self::ToDatetime => "to-datetime",
            Self::ByDuration => "by-duration",
            Self::FromFile => "from-file",
            Self::CopyFromGroup => "copy-from-group",
            Self::Explicit => "explicit",
            Self::RestoreBackup => "restore-backup",
        }
    }

    /// The kind `name` names (as `as_str` spells it), if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::BUILDER
            .into_iter()
            .chain([Self::Explicit, Self::RestoreBackup])
            .find(|k| k.as_str() == name)
    }

    /// How the builder's menu says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ShiftBy => "Shift by N records",
            Self::ToOffset => "To an offset",
            Self::ToDatetime => "To a date and time",
            Self::ByDuration => "Back by a duration",
            Self::ToEarliest => "To the earliest offset",
            Self::ToLatest => "To the latest offset (skip everything)",
            Self::ToCurrent => "To the current offset",
            Self::FromFile => "From a CSV file",
            Self::CopyFromGroup => "Copy another group's offsets",
            Self::Explicit => "Explicit offsets",
            Self::RestoreBackup => "Undo an execution",
        }
    }

    /// Whether the builder's form (and so its link) can express this kind.
    pub fn in_builder(self) -> bool {
        Self::BUILDER.contains(&self)
    }
}

impl std::fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Strategy {
    pub fn kind(&self) -> StrategyKind {
        match self {
            Self::ToEarliest => StrategyKind::ToEarliest,
            Self::ToLatest => StrategyKind::ToLatest,
            Self::ToCurrent => StrategyKind::ToCurrent,
            Self::ToOffset { .. } => StrategyKind::ToOffset,
            Self::ShiftBy { .. } => StrategyKind::ShiftBy,
            Self::ToDatetime { .. } => StrategyKind::ToDatetime,
            Self::ByDuration { .. } => StrategyKind::ByDuration,
            Self::FromFile { .. } => StrategyKind::FromFile,
            Self::CopyFromGroup { .. } => StrategyKind::CopyFromGroup,
            Self::Explicit { .. } => StrategyKind::Explicit,
            Self::RestoreBackup { .. } => StrategyKind::RestoreBackup,
        }
    }

    /// The reference tool's name for the strategy, or ours.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Whether the scope is implied by the strategy's own data (file rows, explicit rows, a backup).
    pub fn carries_partitions(&self) -> bool {
        matches!(
            self,
            Self::FromFile { .. } | Self::Explicit { .. } | Self::RestoreBackup { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{Strategy, StrategyKind};

    #[test]
    fn each_kind_parses_from_its_name_which_is_the_specs_serde_tag() {
        let examples = [
            Strategy::ToEarliest,
            Strategy::ToLatest,
            Strategy::ToCurrent,
            Strategy::ToOffset { offset: 1 },
            Strategy::ShiftBy { shift: -1 },
            Strategy::ToDatetime {
                input: "2026-01-01T00:00:00Z".into(),
                zone: None,
            },
            Strategy::ByDuration {
                duration: "PT1H".into(),
            },
            Strategy::FromFile {
                csv: "t,0,1".into(),
            },
            Strategy::CopyFromGroup { group: "g".into() },
            Strategy::Explicit {
                offsets: Vec::new(),
            },
            Strategy::RestoreBackup { execution: 1 },
        ];
        for s in examples {
            let kind = s.kind();
            let tag = serde_json::to_value(&s).unwrap()["kind"].clone();
            assert_eq!(tag, kind.as_str(), "{s:?}");
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(StrategyKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(StrategyKind::parse("to-yesterday"), None);
        assert!(!StrategyKind::RestoreBackup.in_builder());
        assert_eq!(StrategyKind::BUILDER.len(), 9);
    }
}
