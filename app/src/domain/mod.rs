//! Wire and domain types shared by server and browser; no I/O lives here.

use serde::{Deserialize, Serialize};

/// A configured cluster as the browser may see it: never credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub name: String,
    pub bootstrap_servers: String,
    /// `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`; shown so an operator knows how we connect.
    pub security_protocol: String,
}

/// Consumer-group state as Kafka reports it (classic and KIP-848 groups share these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GroupState {
    Stable,
    PreparingRebalance,
    CompletingRebalance,
    Assigning,
    Reconciling,
    Empty,
    Dead,
    Unknown,
}

impl GroupState {
    /// Parses the state string of ListGroups / DescribeGroups; anything unexpected is `Unknown`
    /// rather than an error, because new broker versions add states.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "stable" => Self::Stable,
            "preparingrebalance" => Self::PreparingRebalance,
            "completingrebalance" | "awaitingsync" => Self::CompletingRebalance,
            "assigning" => Self::Assigning,
            "reconciling" => Self::Reconciling,
            "empty" => Self::Empty,
            "dead" => Self::Dead,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "Stable",
            Self::PreparingRebalance => "PreparingRebalance",
            Self::CompletingRebalance => "CompletingRebalance",
            Self::Assigning => "Assigning",
            Self::Reconciling => "Reconciling",
            Self::Empty => "Empty",
            Self::Dead => "Dead",
            Self::Unknown => "Unknown",
        }
    }

    /// Offsets may be reset only when no member can overwrite them (reset-semantics.md).
    pub fn is_inactive(self) -> bool {
        matches!(self, Self::Empty | Self::Dead)
    }
}

impl std::fmt::Display for GroupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One consumer group as the groups list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub group_id: String,
    pub state: GroupState,
    /// `consumer` for consumer groups; other values (`connect`, ...) are other uses of the group protocol.
    pub protocol_type: String,
    pub members: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupList {
    pub cluster: String,
    pub groups: Vec<GroupSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_broker_state_names_case_insensitively() {
        assert_eq!(GroupState::parse("Stable"), GroupState::Stable);
        assert_eq!(GroupState::parse("EMPTY"), GroupState::Empty);
        assert_eq!(
            GroupState::parse("PreparingRebalance"),
            GroupState::PreparingRebalance
        );
        assert_eq!(
            GroupState::parse("CompletingRebalance"),
            GroupState::CompletingRebalance
        );
        assert_eq!(GroupState::parse("Dead"), GroupState::Dead);
        assert_eq!(GroupState::parse("SomethingNew"), GroupState::Unknown);
    }

    #[test]
    fn only_empty_and_dead_are_inactive() {
        for s in [
            GroupState::Stable,
            GroupState::PreparingRebalance,
            GroupState::CompletingRebalance,
            GroupState::Assigning,
            GroupState::Reconciling,
            GroupState::Unknown,
        ] {
            assert!(!s.is_inactive(), "{s} must count as active");
        }
        assert!(GroupState::Empty.is_inactive());
        assert!(GroupState::Dead.is_inactive());
    }
}
