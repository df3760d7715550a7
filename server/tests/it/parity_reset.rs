//! Parity with Kafka's own `kafka-consumer-groups --reset-offsets`: for a matrix of strategies x scopes
//! over partitions in different states, Rewind's plan equals what the tool's `--dry-run --export` prints
//! on the same broker, and executing both gives the same committed offsets.

use std::collections::BTreeSet;

use crate::support::{
    commit_offsets, committed_offsets, create_topic, delete_records, produce_timestamped,
    run_oracle, spec, unique, TestServer, LOCAL,
};
use app::domain::execution::Preview;
use app::domain::reset::{ResetSpec, Scope, Strategy, TopicScope};
use app::error::AppError;
use serde_json::json;

/// 2020-09-13T12:26:40Z: the first record's timestamp on p0 and p3.
const BASE_TS: i64 = 1_600_000_000_000;

/// A topic with four partitions in the states the matrix needs:
/// p0: 100 records, 1 s apart, committed 40; p1: 100 records, deleted below 30, committed 10 (below the
/// log start); p2: empty, never committed; p3: 50 records, 2 s apart, never committed.
async fn fixture() -> String {
    let topic = unique("reset-parity");
    create_topic(&topic, 4).await;
    produce_timestamped(&topic, 0, 100, BASE_TS, 1_000);
    produce_timestamped(&topic, 1, 100, BASE_TS, 1_000);
    produce_timestamped(&topic, 3, 50, BASE_TS, 2_000);
    delete_records(&topic, 1, 30).await;
    topic
}

fn seed_group(group: &str, topic: &str) {
    commit_offsets(group, topic, &[(0, 40), (1, 10)]);
}

/// (topic, partition, offset) rows.
type Rows = BTreeSet<(String, i32, i64)>;

/// Runs the tool with `--dry-run --export` and parses its CSV rows; Err holds its error text.
async fn reference_plan(
    group: &str,
    scope: &[String],
    strategy: &[String],
) -> Result<Rows, String> {
    let mut args: Vec<&str> = vec!["--group", group, "--reset-offsets"];
    args.extend(scope.iter().map(String::as_str));
    args.extend(strategy.iter().map(String::as_str));
    args.extend(["--dry-run", "--export"]);
    let (code, stdout, stderr) = run_oracle(&args).await;
    if code != 0 {
        // A usage error: the message is stderr's first line, then the option help.
        return Err(stderr.lines().next().unwrap_or_default().to_owned());
    }
    if let Some(err) = stdout
        .lines()
        .chain(stderr.lines())
        .find(|l| l.starts_with("Error:") || l.contains("Exception"))
    {
        return Err(err.to_owned());
    }
    let mut rows = Rows::new();
    for line in stdout.lines() {
        // Warnings precede the CSV on stdout; rows are `topic,partition,offset`.
        if let Some((t, rest)) = line.split_once(',') {
            if let Some((p, o)) = rest.split_once(',') {
                if let (Ok(p), Ok(o)) = (p.parse(), o.parse()) {
                    rows.insert((t.trim_matches('"').to_owned(), p, o));
                }
            }
        }
    }
    Ok(rows)
}

async fn rewind_plan(server: &TestServer, spec: &ResetSpec) -> Result<Preview, String> {
    let (status, body) = server
        .call_json("plans/preview", json!({ "spec": spec }))
        .await;
    if status != 200 {
        let error: AppError = serde_json::from_value(body).expect("an AppError");
        return Err(error.to_string());
    }
    Ok(serde_json::from_value(body).expect("Preview"))
}

fn rows_of(p: &Preview) -> Rows {
    p.plan
        .groups
        .iter()
        .flat_map(|g| g.partitions.iter())
        .filter_map(|p| Some((p.topic.clone(), p.partition, p.target?)))
        .collect()
}

/// Every strategy the tool shares with us, with its CLI arguments.
fn strategies(file: &str) -> Vec<(Strategy, Vec<String>)> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let dt = |input: &str| Strategy::ToDatetime {
        input: input.into(),
        zone: None,
    };
    vec![
        (Strategy::ToEarliest, s(&["--to-earliest"])),
        (Strategy::ToLatest, s(&["--to-latest"])),
        (Strategy::ToCurrent, s(&["--to-current"])),
        (Strategy::ToOffset { offset: 45 }, s(&["--to-offset", "45"])),
        (
            Strategy::ToOffset { offset: 1000 },
            s(&["--to-offset", "1000"]),
        ),
        (Strategy::ShiftBy { shift: -15 }, s(&["--shift-by", "-15"])),
        (Strategy::ShiftBy { shift: 0 }, s(&["--shift-by", "0"])),
        (Strategy::ShiftBy { shift: 75 }, s(&["--shift-by", "75"])),
        // Before every record, inside both timed partitions, and after every record.
        (
            dt("2020-09-13T11:00:00.000"),
            s(&["--to-datetime", "2020-09-13T11:00:00.000"]),
        ),
        (
            dt("2020-09-13T20:27:00.500+08:00"),
            s(&["--to-datetime", "2020-09-13T20:27:00.500+08:00"]),
        ),
        (
            dt("2020-09-14T00:00:00.000Z"),
            s(&["--to-datetime", "2020-09-14T00:00:00.000Z"]),
        ),
        (
            Strategy::ByDuration {
                duration: "P1D".into(),
            },
            s(&["--by-duration", "P1D"]),
        ),
        (
            Strategy::FromFile {
                csv: std::fs::read_to_string(file).expect("csv"),
            },
            s(&["--from-file", file]),
        ),
    ]
}

fn scopes(topic: &str) -> Vec<(Scope, Vec<String>)> {
    vec![
        (Scope::AllTopics, vec!["--all-topics".into()]),
        (
            Scope::Topics {
                topics: vec![TopicScope::parse(topic).expect("topic")],
            },
            vec!["--topic".into(), topic.into()],
        ),
        (
            Scope::Topics {
                topics: vec![TopicScope::parse(&format!("{topic}:0,2")).expect("topic")],
            },
            vec!["--topic".into(), format!("{topic}:0,2")],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_match_kafka_consumer_groups_dry_run() {
    let server = TestServer::start(LOCAL).await;
    let topic = fixture().await;
    let group = unique("reset-parity-g");
    seed_group(&group, &topic);
    let dir = std::env::temp_dir().join(unique("reset-parity-csv"));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("plan.csv");
    // Over the log end on p3 (clamped), inside on p0, and on the empty p2.
    std::fs::write(&file, format!("{topic},0,55\n{topic},2,0\n{topic},3,500\n")).expect("csv");
    let file = file.to_string_lossy().into_owned();

    let mut compared = 0;
    let mut both_refused = 0;
    for (scope, scope_args) in scopes(&topic) {
        for (strategy, strategy_args) in strategies(&file) {
            let label = format!("{scope_args:?} {strategy_args:?}");
            let theirs = reference_plan(&group, &scope_args, &strategy_args).await;
            let mine = rewind_plan(&server, &spec(&group, scope.clone(), strategy)).await;
            match (theirs, mine) {
                (Ok(theirs), Ok(mine)) => {
                    assert_eq!(rows_of(&mine), theirs, "plans differ for {label}");
                    // The CSV we offer is what the tool exports (row order aside).
                    let ours: BTreeSet<&str> = mine.csv.lines().collect();
                    assert_eq!(ours.len(), theirs.len(), "{label}: {}", mine.csv);
                    compared += 1;
                }
                (Err(theirs), Err(mine)) => {
                    // shift-by over partitions without a commit: the same refusal, same words.
                    assert!(
                        theirs.contains("Cannot shift offset for partition")
                            && mine.contains("Cannot shift offset for partition"),
                        "{label}: tool said {theirs}; Rewind said {mine}"
                    );
                    both_refused += 1;
                }
                (theirs, mine) => panic!("{label}: tool gave {theirs:?}, Rewind gave {mine:?}"),
            }
        }
    }
    // 3 scopes x 13 strategies; shift-by over the whole topic reaches uncommitted p2/p3 (3 refusals),
    // and over t:0,2 reaches p2 (3 more).
    assert_eq!((compared, both_refused), (33, 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_match_for_a_brand_new_group_and_for_several_groups() {
    let server = TestServer::start(LOCAL).await;
    let topic = fixture().await;
    // A group id the broker has never seen: --topic creates its offsets; --all-topics is empty.
    let fresh = unique("reset-parity-new");
    for (scope, args) in scopes(&topic) {
        let theirs = reference_plan(&fresh, &args, &["--to-offset".into(), "60".into()])
            .await
            .expect("tool plans a new group");
        let mine = rewind_plan(
            &server,
            &spec(&fresh, scope, Strategy::ToOffset { offset: 60 }),
        )
        .await
        .expect("Rewind plans a new group");
        assert_eq!(rows_of(&mine), theirs, "{args:?}");
    }

    // Two groups at once: the 4-column export.
    let (a, b) = (unique("reset-parity-a"), unique("reset-parity-b"));
    seed_group(&a, &topic);
    commit_offsets(&b, &topic, &[(0, 90)]);
    let (code, stdout, stderr) = run_oracle(&[
        "--group",
        &a,
        "--group",
        &b,
        "--reset-offsets",
        "--all-topics",
        "--shift-by",
        "-5",
        "--dry-run",
        "--export",
    ])
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let theirs: BTreeSet<String> = stdout
        .lines()
        .filter(|l| l.matches(',').count() == 3)
        .map(str::to_owned)
        .collect();
    let mut two = spec(&a, Scope::AllTopics, Strategy::ShiftBy { shift: -5 });
    two.groups.push(b.clone());
    let mine = rewind_plan(&server, &two).await.expect("plan");
    let ours: BTreeSet<String> = mine.csv.lines().map(str::to_owned).collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 3);
}

/// Executes `strategy` with the tool on one group and with Rewind on its twin, from identical commits.
async fn execute_both(
    server: &TestServer,
    topic: &str,
    scope: (Scope, Vec<String>),
    strategy: (Strategy, Vec<String>),
) {
    let (cli_group, rw_group) = (unique("exec-parity-cli"), unique("exec-parity-rw"));
    seed_group(&cli_group, topic);
    seed_group(&rw_group, topic);
    let mut args: Vec<&str> = vec!["--group", &cli_group, "--reset-offsets"];
    args.extend(scope.1.iter().map(String::as_str));
    args.extend(strategy.1.iter().map(String::as_str));
    args.push("--execute");
    let (code, stdout, stderr) = run_oracle(&args).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains("Error:"), "{stdout}");

    let spec = spec(&rw_group, scope.0, strategy.0);
    let preview = rewind_plan(server, &spec).await.expect("preview");
    let (status, body) = server
        .call_json(
            "executions/execute",
            json!({ "spec": spec, "fingerprint": preview.plan.fingerprint, "at_ms": preview.plan.at_ms }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        committed_offsets(&rw_group, topic, 4),
        committed_offsets(&cli_group, topic, 4),
        "{:?} {:?}",
        scope.1,
        strategy.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executing_gives_the_same_committed_offsets_as_the_tool() {
    let server = TestServer::start(LOCAL).await;
    let topic = fixture().await;
    let all = || (Scope::AllTopics, vec!["--all-topics".to_string()]);
    let whole = || {
        (
            Scope::Topics {
                topics: vec![TopicScope::parse(&topic).expect("topic")],
            },
            vec!["--topic".to_string(), topic.clone()],
        )
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    execute_both(
        &server,
        &topic,
        all(),
        (Strategy::ShiftBy { shift: -15 }, s(&["--shift-by", "-15"])),
    )
    .await;
    execute_both(
        &server,
        &topic,
        whole(),
        (
            Strategy::ToOffset { offset: 1000 },
            s(&["--to-offset", "1000"]),
        ),
    )
    .await;
    execute_both(
        &server,
        &topic,
        whole(),
        (
            Strategy::ToDatetime {
                input: "2020-09-13T12:27:00.500Z".into(),
                zone: None,
            },
            s(&["--to-datetime", "2020-09-13T12:27:00.500Z"]),
        ),
    )
    .await;
    execute_both(
        &server,
        &topic,
        all(),
        (Strategy::ToCurrent, s(&["--to-current"])),
    )
    .await;
}
