//! The real `rewind` binary as a child process over its own data directory, for tests that kill it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A `rewind serve` child process over its own data directory.
pub struct Child {
    process: tokio::process::Child,
    pub base: String,
    pub http: reqwest::Client,
}

pub fn workspace() -> PathBuf {
    super::manifest_dir().join("..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Child {
    pub async fn start(data_dir: &Path, bootstrap: &str, faults: &[(&str, &str)]) -> Self {
        std::fs::create_dir_all(data_dir).expect("data dir");
        let config = data_dir.join("rewind.toml");
        std::fs::write(
            &config,
            format!("[[clusters]]\nname = \"local\"\nbootstrap_servers = \"{bootstrap}\"\n"),
        )
        .expect("config");
        let port = free_port();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rewind"));
        cmd.current_dir(workspace())
            .arg("--config")
            .arg(&config)
            // These tests are about crashes, not sign-in.
            .args([
                "serve",
                "--insecure-no-auth",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .env("REWIND_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            // Kept beside its data, so a test can show how the process ended (`death`).
            .stderr(std::fs::File::create(data_dir.join("server.log")).expect("server log"))
            .kill_on_drop(true);
        for (k, v) in faults {
            cmd.env(k, v);
        }
        let process = cmd.spawn().expect("start rewind");
        let child = Self {
            process,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("http client"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let up = child
                .http
                .post(format!("{}/api/clusters/list", child.base))
                .send()
                .await
                .is_ok();
            if up {
                return child;
            }
            assert!(Instant::now() < deadline, "rewind did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn call(&self, endpoint: &str, body: Value) -> (u16, Value) {
        call(&self.http, &self.base, endpoint, body).await
    }

    /// None while the process runs; else how it ended and the last lines it wrote.
    pub fn death(&mut self, data_dir: &Path) -> Option<String> {
        let status = self.process.try_wait().expect("process status")?;
        let log = std::fs::read_to_string(data_dir.join("server.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Some(format!(
            "{status}; its last log lines:\n{}",
            tail.join("\n")
        ))
    }

    pub async fn kill(mut self) {
        // SIGKILL: no shutdown handler runs.
        self.process.start_kill().expect("kill");
        let _ = self.process.wait().await;
    }
}

pub async fn call(http: &reqwest::Client, base: &str, endpoint: &str, body: Value) -> (u16, Value) {
    let resp = http
        .post(format!("{base}/api/{endpoint}"))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
