//! The audit trail's records and filters, and their CSV export.

use serde::{Deserialize, Serialize};

/// One audited act: who did what to what, from where, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Assigned by the store; 0 before it is written.
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    /// The client address the request came from (behind a trusted proxy: the forwarded one).
    pub source: String,
    /// `execute`, `undo`, `delete-offsets`, `save-plan`, `delete-plan`, `sign-in`, `sign-out`, ...
    pub action: String,
    pub cluster: Option<String>,
    pub group: Option<String>,
    /// What was done in detail: the spec, ids, and per partition the offsets before and after.
    pub detail: serde_json::Value,
    /// `succeeded`, `failed`, `refused: ...`, `forbidden`, ...
    pub result: String,
}

/// Which entries an audit page or export shows; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Substring of the actor's name.
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub cluster: String,
    /// Substring of the group id.
    #[serde(default)]
    pub group: String,
    /// Substring of the result.
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub since_ms: Option<i64>,
    #[serde(default)]
    pub until_ms: Option<i64>,
    /// Only entries older than this id (the next page).
    #[serde(default)]
    pub before_id: Option<i64>,
    #[serde(default)]
    pub limit: usize,
    /// What the caller may see, set by the server from their grants (never taken from the request),
    /// so the store skips other teams' entries instead of handing them over to be filtered out.
    #[serde(skip)]
    pub visible: Option<AuditVisibility>,
}

/// The (cluster glob, group glob) pairs of a caller's grants, and whether they may see entries that
/// belong to no cluster (sign-ins, user changes: admins only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditVisibility {
    pub grants: Vec<(String, String)>,
    pub clusterless: bool,
}

impl AuditFilter {
    pub const DEFAULT_LIMIT: usize = 200;
    pub const MAX_LIMIT: usize = 5000;

    pub fn effective_limit(&self) -> usize {
        match self.limit {
            0 => Self::DEFAULT_LIMIT,
            n => n.min(Self::MAX_LIMIT),
        }
    }
}

/// One partition's offsets as an execution's audit detail records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditedPartition {
    pub topic: String,
    pub partition: i32,
    pub before: Option<i64>,
    pub after: Option<i64>,
}

impl AuditEntry {
    /// An entry for the store to number: `result` of `action` by `actor` from `source`, about no
    /// cluster and with no detail until `about` and `with_detail` add them.
    pub fn new(
        at_ms: i64,
        actor: impl Into<String>,
        source: impl Into<String>,
        action: impl Into<String>,
        result: impl Into<String>,
    ) -> Self {
        Self {
            id: 0,
            at_ms,
            actor: actor.into(),
            source: source.into(),
            action: action.into(),
            cluster: None,
            group: None,
            detail: serde_json::Value::Null,
            result: result.into(),
        }
    }

    pub fn about(mut self, cluster: impl Into<String>, group: Option<String>) -> Self {
        self.cluster = Some(cluster.into());
        self.group = group;
        self
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    /// The per-partition before / after an execution recorded, if this entry has them.
    pub fn partitions(&self) -> Vec<AuditedPartition> {
        self.detail
            .get("offsets")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// For a user change: `grace: teams ops; grants operator on prod/*; password set` (before → after
    /// of teams and grants when they changed).
    pub fn user_change(&self) -> Option<String> {
        let d = &self.detail;
        let user = d.get("user")?.as_str()?;
        if self.action == "user-delete" {
            return Some(format!("{user}: removed"));
        }
        let list = |v: Option<&serde_json::Value>| {
            let items: Vec<&str> = v
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                .unwrap_or_default();
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.join(", ")
            }
        };
        let before = d.get("before").filter(|b| !b.is_null());
        let mut parts = vec![];
        for key in ["teams", "grants"] {
            let now = list(d.get(key));
            match before.map(|b| list(b.get(key))) {
                Some(was) if was != now => parts.push(format!("{key} {was} → {now}")),
                _ => parts.push(format!("{key} {now}")),
            }
        }
        if d.get("password_changed").and_then(|v| v.as_bool()) == Some(true) {
            parts.push("password set".into());
        }
        Some(format!("{user}: {}", parts.join("; ")))
    }
}

/// A cell a spreadsheet would run as a formula (`= + - @`, or a tab or carriage return first) gets a
/// leading `'`, which spreadsheets show as text (OWASP's advice for CSV injection): sign-in names and
/// group ids come from anyone. Only for CSVs made for spreadsheets; the reset-plan CSVs are the
/// reference tool's own format and stay byte-exact (see `offsets_csv`).
pub fn spreadsheet_safe(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// The entries as CSV, one row per entry, the detail as compact JSON in the last column; every cell
/// made safe to open in a spreadsheet.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "id", "time_utc", "actor", "source", "action", "cluster", "group", "result", "detail",
    ];
    // Writing to a Vec cannot fail; a failed row would only be missing from the export.
    let _ = w.write_record(header);
    for e in entries {
        let _ = w.write_record(
            [
                e.id.to_string(),
                crate::format::utc(e.at_ms),
                e.actor.clone(),
                e.source.clone(),
                e.action.clone(),
                e.cluster.clone().unwrap_or_default(),
                e.group.clone().unwrap_or_default(),
                e.result.clone(),
                e.detail.to_string(),
            ]
            .map(spreadsheet_safe),
        );
    }
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        let e = AuditEntry {
            id: 1,
            at_ms: 0,
            actor: "=HYPERLINK(\"http://evil.example\",\"x\")".into(),
            source: "127.0.0.1".into(),
            action: "sign-in".into(),
            cluster: Some("@local".into()),
            group: Some("-2+3".into()),
            result: "+1".into(),
            detail: serde_json::Value::Null,
        };
        let csv = to_csv(std::slice::from_ref(&e));
        let row = csv.lines().nth(1).unwrap();
        assert!(row.contains("\"'=HYPERLINK("), "{row}");
        assert!(row.contains(",'@local,'-2+3,'+1,"), "{row}");
        assert_eq!(spreadsheet_safe("\tx".into()), "'\tx");
        assert_eq!(spreadsheet_safe("olivia".into()), "olivia");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let e = AuditEntry {
            id: 7,
            at_ms: 0,
            actor: "olivia".into(),
            source: "127.0.0.1".into(),
            action: "execute".into(),
            cluster: Some("local".into()),
            group: Some("a,b".into()),
            detail: serde_json::json!({"offsets": [{"topic": "t", "partition": 0, "before": 5, "after": 1}]}),
            result: "succeeded".into(),
        };
        let csv = to_csv(std::slice::from_ref(&e));
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "id,time_utc,actor,source,action,cluster,group,result,detail"
        );
        let row = lines.next().unwrap();
        assert!(
            row.starts_with(
                "7,1970-01-01 00:00:00 UTC,olivia,127.0.0.1,execute,local,\"a,b\",succeeded,"
            ),
            "{row}"
        );
        assert_eq!(e.partitions()[0].before, Some(5));
        assert_eq!(e.partitions()[0].after, Some(1));
    }
}
