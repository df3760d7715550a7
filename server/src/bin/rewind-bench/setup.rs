//! Builds the benchmark's cluster: topics (the wide one in steps the controller accepts), records, and
//! the groups' commits; idempotent, so a second run reuses what the first made.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rewind_server::kafka::{client_config, native};

use crate::{Args, BenchResult, GROUP_PREFIX, SMALL_TOPIC, WIDE_GROUP, WIDE_TOPIC};

/// Creates what is missing: the topics, their records, and the groups' commits (re-committing is harmless).
pub async fn setup(cluster: &rewind_server::config::ClusterConfig, args: &Args) -> BenchResult<()> {
    let admin: Arc<AdminClient<DefaultClientContext>> = Arc::new(client_config(cluster).create()?);
    // KRaft controllers refuse to create more than 2,000 partitions in one request (by default):
    // create the wide topic at that size and grow it in steps.
    const STEP: i32 = 2_000;
    let topics = [
        NewTopic::new(
            WIDE_TOPIC,
            args.partitions.min(STEP),
            TopicReplication::Fixed(1),
        ),
        NewTopic::new(SMALL_TOPIC, 1, TopicReplication::Fixed(1)),
    ];
    let opts = AdminOptions::new()
        .operation_timeout(Some(Duration::from_secs(300)))
        .request_timeout(Some(Duration::from_secs(300)));
    let t = Instant::now();
    let mut fresh = Vec::new();
    for r in admin.create_topics(&topics, &opts).await? {
        match r {
            Ok(name) => fresh.push(name),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(format!("cannot create {name}: {code}").into()),
        }
    }
    if fresh.iter().any(|n| n == WIDE_TOPIC) {
        let mut size = args.partitions.min(STEP);
        while size < args.partitions {
            size = (size + STEP).min(args.partitions);
            let grow = NewPartitions::new(WIDE_TOPIC, usize::try_from(size)?);
            for r in admin.create_partitions(&[grow], &opts).await? {
                r.map_err(|(name, code)| {
                    format!("cannot grow {name} to {size} partitions: {code}")
                })?;
            }
        }
        // New partitions reach the producer's metadata with its next refresh; give the broker a moment.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    println!(
        "  topics ready in {:.1} s (created: {fresh:?})",
        t.elapsed().as_secs_f64()
    );

    if fresh.iter().any(|n| n == WIDE_TOPIC) {
        let t = Instant::now();
        let producer: BaseProducer = client_config(cluster).set("linger.ms", "50").create()?;
        // A topic grown in steps reaches every broker's metadata a little later; the producer would
        // otherwise see too few partitions and wait for its next periodic refresh (minutes).
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let seen = producer
                .client()
                .fetch_metadata(Some(WIDE_TOPIC), Duration::from_secs(10))?
                .topics()
                .first()
                .map_or(0, |t| t.partitions().len());
            if seen >= usize::try_from(args.partitions)? {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("{WIDE_TOPIC} shows {seen} partitions after 2 minutes").into());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        for p in 0..args.partitions {
            // Two records a partition: committing offset 1 leaves a lag of 1 with a record to read.
            for i in 0..2 {
                let key = format!("k{p}-{i}");
                loop {
                    match producer.send(
                        BaseRecord::to(WIDE_TOPIC)
                            .partition(p)
                            .key(&key)
                            .payload("v"),
                    ) {
                        Ok(()) => break,
                        Err((_, _)) => {
                            producer.poll(Duration::from_millis(20));
                        }
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(120))?;
        println!(
            "  produced {} records in {:.1} s",
            2 * i64::from(args.partitions),
            t.elapsed().as_secs_f64()
        );
    }

    let wide: Vec<(String, i32, i64)> = (0..args.partitions)
        .map(|p| (WIDE_TOPIC.to_owned(), p, 1))
        .collect();
    let many: Vec<native::GroupOffsets> = (0..args.groups)
        .map(|i| {
            (
                format!("{GROUP_PREFIX}{i:05}"),
                vec![(SMALL_TOPIC.to_owned(), 0, 0)],
            )
        })
        .collect();
    // On a fresh broker the first commit also creates and loads __consumer_offsets, which waits behind
    // the controller's backlog of new partitions: wait until a one-partition commit goes through.
    let warm = Arc::clone(&admin);
    let t = Instant::now();
    tokio::task::spawn_blocking(move || {
        let rk = native::handle(warm.inner())?;
        let probe = vec![(
            format!("{GROUP_PREFIX}warm-up"),
            vec![(SMALL_TOPIC.to_owned(), 0, 0)],
        )];
        loop {
            match native::alter_committed_offsets(rk, &probe, None, Duration::from_secs(10), 1)?
                .pop()
            {
                Some(Ok(refused)) if refused.is_empty() => return Ok::<_, native::NativeError>(()),
                _ if t.elapsed() > Duration::from_secs(300) => {
                    return Err(native::NativeError {
                        operation: "warm-up commit",
                        code: RDKafkaErrorCode::OperationTimedOut,
                        message: "the group coordinator was not ready within 5 minutes".into(),
                    })
                }
                _ => std::thread::sleep(Duration::from_millis(500)),
            }
        }
    })
    .await??;
    println!(
        "  group coordinator ready after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let committer = Arc::clone(&admin);
    let t = Instant::now();
    let (wide_result, many_results) = tokio::task::spawn_blocking(move || {
        let rk = native::handle(committer.inner())?;
        let timeout = Duration::from_secs(120);
        let wide = native::alter_committed_offsets(
            rk,
            &[(WIDE_GROUP.to_owned(), wide)],
            Some("rewind-bench"),
            timeout,
            1,
        )?;
        let many = native::alter_committed_offsets(rk, &many, Some("rewind-bench"), timeout, 64)?;
        Ok::<_, native::NativeError>((wide, many))
    })
    .await??;
    match wide_result.first() {
        Some(Ok(refused)) if refused.is_empty() => {
            println!(
                "  committed {} partitions of {WIDE_GROUP} in one request",
                args.partitions
            )
        }
        Some(Ok(refused)) => {
            return Err(format!(
                "committing {WIDE_GROUP}: the broker refused {} partitions (first: {:?})",
                refused.len(),
                refused.first()
            )
            .into())
        }
        Some(Err(e)) => return Err(format!("committing {WIDE_GROUP} failed: {e}").into()),
        None => return Err(format!("committing {WIDE_GROUP}: no result").into()),
    }
    let failures: Vec<String> = many_results
        .iter()
        .filter_map(|r| match r {
            Ok(refused) if refused.is_empty() => None,
            Ok(refused) => Some(format!(
                "{} partitions refused, first {:?}",
                refused.len(),
                refused.first()
            )),
            Err(e) => Some(e.to_string()),
        })
        .collect();
    println!(
        "  committed offsets in {:.1} s; {} of {} groups failed{}",
        t.elapsed().as_secs_f64(),
        failures.len(),
        args.groups,
        failures
            .first()
            .map(|f| format!(" (first: {f})"))
            .unwrap_or_default()
    );
    drop(admin);
    Ok(())
}
