//! The reset benchmark: preview and execute (with undo) over the wide group, beside Kafka's own tool on
//! the same broker and group.

use std::time::Instant;

use rewind_server::kafka::KafkaGateway;

use crate::{
    diff, format_requests, print_row, settle, time_oracle, time_runs, Args, BenchResult, Request,
    WIDE_GROUP,
};

/// Preview and execute over the wide group, next to Kafka's own tool on the same broker and group.
pub async fn bench_resets(
    http: &reqwest::Client,
    base: &str,
    gateway: &KafkaGateway,
    args: &Args,
) -> BenchResult<()> {
    use app::domain::execution::{ExecuteReport, Preview};
    use app::domain::reset::{ResetSpec, Scope, Strategy};
    let spec = |strategy: Strategy| ResetSpec {
        cluster: "local".into(),
        groups: vec![WIDE_GROUP.into()],
        scope: Scope::AllTopics,
        strategy,
    };
    let post =
        |endpoint: &'static str, body: serde_json::Value| post_ok(http, base, endpoint, body);
    println!();
    println!(
        "resets on {WIDE_GROUP} ({} partitions, all committed):",
        args.partitions
    );
    let shift = spec(Strategy::ShiftBy { shift: -1 });
    let at = spec(Strategy::ToDatetime {
        input: "2020-01-01T00:00:00.000".into(),
        zone: None,
    });
    let previews = [
        ("preview shift-by -1", &shift),
        ("preview to-datetime", &at),
    ]
    .map(|(name, s)| {
        (
            name,
            Request::json("plans/preview", serde_json::json!({ "spec": s })),
        )
    });
    let timed = time_runs(&previews, http, base, args.runs, Some(gateway)).await?;
    for ((name, req), timed) in previews.iter().zip(timed) {
        let (_, plain) = req.send(http, base).await?;
        print_row(name, &timed, plain.len());
    }
    time_oracle(
        args,
        "--dry-run",
        &[
            "--group",
            WIDE_GROUP,
            "--reset-offsets",
            "--all-topics",
            "--shift-by",
            "-1",
            "--dry-run",
        ],
    )
    .await?;
    // Execute (backup, one commit, read back, record), then undo it the same way.
    let preview: Preview = serde_json::from_slice(
        &post("plans/preview", serde_json::json!({ "spec": shift })).await?,
    )?;
    settle().await;
    let before = gateway.request_counts("local");
    let t = Instant::now();
    let report: ExecuteReport = serde_json::from_slice(
        &post(
            "executions/execute",
            serde_json::json!({ "spec": shift, "fingerprint": preview.plan.fingerprint }),
        )
        .await?,
    )?;
    let took = t.elapsed().as_secs_f64() * 1000.0;
    settle().await;
    let requests = diff(&before, &gateway.request_counts("local"));
    let e = &report.executions[0];
    println!(
        "{:<34} {:>9.1}  ({:?}, {} partitions verified)  {}",
        "execute shift-by -1",
        took,
        e.status,
        e.partitions.iter().filter(|p| p.verified()).count(),
        format_requests(&requests)
    );
    let undo = spec(Strategy::RestoreBackup { execution: e.id });
    let t = Instant::now();
    let preview: Preview =
        serde_json::from_slice(&post("plans/preview", serde_json::json!({ "spec": undo })).await?)?;
    let report: ExecuteReport = serde_json::from_slice(
        &post(
            "executions/execute",
            serde_json::json!({ "spec": undo, "fingerprint": preview.plan.fingerprint }),
        )
        .await?,
    )?;
    println!(
        "{:<34} {:>9.1}  ({:?})",
        "undo (preview + execute)",
        t.elapsed().as_secs_f64() * 1000.0,
        report.executions[0].status
    );
    time_oracle(
        args,
        "--execute",
        &[
            "--group",
            WIDE_GROUP,
            "--reset-offsets",
            "--all-topics",
            "--to-current",
            "--execute",
        ],
    )
    .await?;
    Ok(())
}

/// One server-function call with a JSON body; its answer, or an error naming the call when it failed.
async fn post_ok(
    http: &reqwest::Client,
    base: &str,
    endpoint: &str,
    body: serde_json::Value,
) -> BenchResult<Vec<u8>> {
    let (status, bytes) = Request::json(endpoint, body).send(http, base).await?;
    if status != 200 {
        return Err(format!(
            "{endpoint}: HTTP {status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
        )
        .into());
    }
    Ok(bytes)
}
