//! The console's rules over fakes of the ports: what a caller may see and do, in milliseconds.
//! (The HTTP tests in `server/tests/it/auth.rs` check the same rules end to end on a real broker.)

use std::sync::Arc;

use super::fakes::{FakeAuth, FakeResets, NoAudit, NoHistory, NoKafka, NoUsers};
use super::Console;
use crate::api::ports::Services;
use crate::domain::access::{Caller, Grant, Role, SignInMethod};
use crate::domain::execution::{Execution, ExecutionStatus, ExecutionSummary, SavedPlan};
use crate::domain::reset::{GroupPlan, Plan, ResetSpec, Scope, Strategy, MAX_GROUPS_PER_PLAN};
use crate::domain::{GroupQuery, GroupState};
use crate::error::{AppError, AppResult};

fn caller(grants: &[(Role, &str)]) -> Caller {
    Caller {
        name: "pat".into(),
        method: SignInMethod::Password,
        teams: Vec::new(),
        grants: grants
            .iter()
            .map(|(role, groups)| Grant {
                role: *role,
                clusters: "c".into(),
                groups: (*groups).into(),
            })
            .collect(),
    }
}

fn console(grants: &[(Role, &str)], resets: FakeResets) -> (Console, Arc<FakeResets>) {
    let resets = Arc::new(resets);
    let s = Services {
        kafka: Arc::new(NoKafka),
        resets: resets.clone(),
        auth: Arc::new(FakeAuth(caller(grants))),
        audit: Arc::new(NoAudit),
        users: Arc::new(NoUsers),
        history: Arc::new(NoHistory),
    };
    (Console::new(s), resets)
}

fn spec(groups: &[&str], strategy: Strategy) -> ResetSpec {
    ResetSpec {
        cluster: "c".into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        scope: Scope::AllTopics,
        strategy,
    }
}

fn plan(spec: ResetSpec) -> Plan {
    Plan {
        groups: spec
            .groups
            .iter()
            .map(|g| GroupPlan {
                group: g.clone(),
                state: GroupState::Empty,
                refusal: None,
                partitions: Vec::new(),
            })
            .collect(),
        spec,
        at_ms: None,
        snapshot_at_ms: 0,
        fingerprint: "f".into(),
    }
}

fn execution(id: i64, group: &str, spec: ResetSpec) -> Execution {
    Execution {
        id,
        cluster: "c".into(),
        group: group.into(),
        actor: "ada".into(),
        started_at_ms: 0,
        finished_at_ms: Some(1),
        status: ExecutionStatus::Succeeded,
        plan: plan(spec.clone()),
        spec,
        commit_metadata: format!("rewind:{id}:x"),
        undo_of: None,
        partitions: Vec::new(),
        message: None,
        overwritten_at_ms: None,
    }
}

fn is_not_found<T: std::fmt::Debug>(r: AppResult<T>) -> bool {
    matches!(r, Err(AppError::NotFound { .. }))
}

const TEAM_A: &[(Role, &str)] = &[(Role::Operator, "team-a-*")];

#[tokio::test(flavor = "current_thread")]
async fn another_teams_execution_is_not_found_exactly_like_a_missing_one() {
    let resets = FakeResets {
        executions: vec![
            execution(1, "team-b-g1", spec(&["team-b-g1"], Strategy::ToEarliest)),
            // Our group, copying from theirs: its plan shows their offsets.
            execution(
                2,
                "team-a-g1",
                spec(
                    &["team-a-g1"],
                    Strategy::CopyFromGroup {
                        group: "team-b-g1".into(),
                    },
                ),
            ),
        ],
        ..FakeResets::default()
    };
    let (console, _) = console(TEAM_A, resets);
    for id in [1, 2, 99] {
        // The same answer, word for word, whether the id exists or not.
        let e = console.execution(id).await.unwrap_err().to_string();
        let missing = AppError::NotFound {
            what: format!("Execution {id}"),
        };
        assert_eq!(e, missing.to_string());
        assert!(is_not_found(console.undo_spec(id).await), "{id}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_multi_group_execution_shows_only_its_own_group() {
    let both = spec(&["team-a-g1", "team-b-g1"], Strategy::ToEarliest);
    let resets = FakeResets {
        executions: vec![execution(3, "team-a-g1", both)],
        ..FakeResets::default()
    };
    let (console, _) = console(TEAM_A, resets);
    let e = console.execution(3).await.unwrap();
    assert_eq!(e.spec.groups, vec!["team-a-g1"]);
    assert_eq!(e.plan.spec.groups, vec!["team-a-g1"]);
    let planned: Vec<&str> = e.plan.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(planned, vec!["team-a-g1"]);
    let undo = console.undo_spec(3).await.unwrap();
    assert_eq!(undo.groups, vec!["team-a-g1"]);
    assert_eq!(undo.strategy, Strategy::RestoreBackup { execution: 3 });
}

#[tokio::test(flavor = "current_thread")]
async fn a_plan_copying_from_an_unseen_group_is_neither_shown_nor_previewed() {
    let copy = spec(
        &["team-a-g1"],
        Strategy::CopyFromGroup {
            group: "team-b-g1".into(),
        },
    );
    let resets = FakeResets {
        plans: vec![SavedPlan {
            id: "abc".into(),
            created_at_ms: 0,
            created_by: "ada".into(),
            plan: plan(copy.clone()),
        }],
        ..FakeResets::default()
    };
    let (console, resets) = console(TEAM_A, resets);
    assert!(is_not_found(console.plan("abc".into()).await));
    assert!(is_not_found(console.delete_plan("abc".into()).await));
    assert!(matches!(
        console.preview(copy.clone()).await,
        Err(AppError::Forbidden { group: Some(g), .. }) if g == "team-b-g1"
    ));
    assert!(matches!(
        console.save_plan(copy).await,
        Err(AppError::Forbidden { .. })
    ));
    assert!(
        resets.calls.lock().unwrap().is_empty(),
        "nothing reached the service"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn every_group_of_a_plan_is_checked_and_their_number_bounded_first() {
    let (console, resets) = console(TEAM_A, FakeResets::default());
    let mixed = spec(&["team-a-g1", "team-b-g1"], Strategy::ToEarliest);
    assert!(matches!(
        console.execute(mixed, "f".into(), None).await,
        Err(AppError::Forbidden { group: Some(g), .. }) if g == "team-b-g1"
    ));
    let many: Vec<String> = (0..=MAX_GROUPS_PER_PLAN)
        .map(|i| format!("team-a-{i}"))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(matches!(
        console.preview(spec(&many, Strategy::ToEarliest)).await,
        Err(AppError::InvalidInput { .. })
    ));
    assert!(matches!(
        console
            .execute(spec(&[], Strategy::ToEarliest), "f".into(), None)
            .await,
        Err(AppError::Plan { .. })
    ));
    assert!(resets.calls.lock().unwrap().is_empty());
    // A viewer may look but not change.
    let (viewer, _) = console_viewer();
    assert!(matches!(
        viewer
            .execute(spec(&["team-a-g1"], Strategy::ToEarliest), "f".into(), None)
            .await,
        Err(AppError::Forbidden { .. })
    ));
}

fn console_viewer() -> (Console, Arc<FakeResets>) {
    console(&[(Role::Viewer, "team-a-*")], FakeResets::default())
}

/// A history row as the store lists it.
fn summary(id: i64, group: &str) -> ExecutionSummary {
    ExecutionSummary {
        id,
        cluster: "c".into(),
        group: group.into(),
        actor: "ada".into(),
        started_at_ms: 0,
        status: ExecutionStatus::Succeeded,
        strategy: "to-earliest".into(),
        partitions: 1,
        undo_of: None,
        message: None,
        overwritten_at_ms: None,
        what: "to-earliest on all topics".into(),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn history_rows_the_rules_do_not_cover_are_dropped_whatever_the_store_returns() {
    // SQLite's GLOB stops at a NUL byte, so the store may return a group the grant does not cover.
    let resets = FakeResets {
        history: vec![summary(2, "team-a\0x"), summary(1, "team-a-g1")],
        ..FakeResets::default()
    };
    let (console, _) = console(TEAM_A, resets);
    let ids: Vec<i64> = console
        .executions("c".into(), None, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, vec![1]);
}

#[tokio::test(flavor = "current_thread")]
async fn history_and_the_groups_list_ask_only_for_the_callers_groups() {
    let (console, resets) = console(
        &[(Role::Viewer, "team-a-*"), (Role::Operator, "shared-?")],
        FakeResets::default(),
    );
    console
        .executions("c".into(), None, Some(50_000))
        .await
        .unwrap();
    assert_eq!(
        resets.history_asked.lock().unwrap().clone(),
        Some((vec!["team-a-*".to_owned(), "shared-?".to_owned()], 1000)),
        "visibility goes to the store with the limit, which is bounded"
    );
    let page = console
        .list_groups("c".into(), GroupQuery::default(), None)
        .await
        .unwrap();
    assert_eq!(page.warnings, vec!["team-a-*", "shared-?"]);
    let clusters: Vec<String> = console
        .clusters()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        clusters,
        vec!["c"],
        "a cluster without grants is not listed"
    );
    let too_many: Vec<String> = (0..=GroupQuery::MAX_PAGE_SIZE)
        .map(|i| format!("team-a-{i}"))
        .collect();
    assert!(matches!(
        console.group_lags("c".into(), too_many).await,
        Err(AppError::InvalidInput { .. })
    ));
}
