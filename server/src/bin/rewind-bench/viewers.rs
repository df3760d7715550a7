//! The many-viewers benchmark (issue 14.5): N clients load one group's data in a loop; it prints
//! their throughput and latency and the broker requests per second all of them caused together.

use std::time::{Duration, Instant};

use rewind_server::kafka::KafkaGateway;

use crate::{diff, settle, BenchResult, Request};

/// Runs 1, 10 and 100 viewers of `group` for `seconds` each.
pub async fn bench_viewers(
    http: &reqwest::Client,
    base: &str,
    gateway: &KafkaGateway,
    group: &str,
    seconds: u64,
) -> BenchResult<()> {
    println!();
    println!("viewers of one group's data (groups/describe in a loop, {seconds} s each)");
    println!(
        "{:>8} {:>11} {:>8} {:>8} {:>8} {:>12}  broker requests per second, by type",
        "viewers", "requests/s", "p50 ms", "p99 ms", "max ms", "broker req/s"
    );
    let request = Request::post("groups/describe", &[("cluster", "local"), ("group", group)]);
    for viewers in [1usize, 10, 100] {
        // Every round starts with nothing shared (settle waits past FRESH_FOR).
        settle().await;
        let before = gateway.request_counts("local");
        let started = Instant::now();
        let deadline = started + Duration::from_secs(seconds);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..viewers {
            let (http, base, request) = (http.clone(), base.to_owned(), request.clone());
            tasks.spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let (status, body) = request.send(&http, &base).await?;
                    if status != 200 {
                        let text =
                            String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
                        return Err(format!("groups/describe: HTTP {status}: {text}").into());
                    }
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                BenchResult::Ok(times)
            });
        }
        let mut times = Vec::new();
        while let Some(done) = tasks.join_next().await {
            times.extend(done??);
        }
        let elapsed = started.elapsed().as_secs_f64();
        settle().await;
        let sent = diff(&before, &gateway.request_counts("local"));
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        let per_second: Vec<String> = sent
            .iter()
            .map(|(k, v)| format!("{k}={:.1}", *v as f64 / elapsed))
            .collect();
        println!(
            "{:>8} {:>11.1} {:>8.1} {:>8.1} {:>8.1} {:>12.1}  {}",
            viewers,
            times.len() as f64 / elapsed,
            at(0.5),
            at(0.99),
            at(1.0),
            sent.values().sum::<i64>() as f64 / elapsed,
            per_second.join(" ")
        );
    }
    Ok(())
}
