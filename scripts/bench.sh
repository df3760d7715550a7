#!/usr/bin/env bash
# Benchmark: a broker of its own (port 29092, fresh unless BENCH_KEEP_BROKER=1, below), a large cluster on
# it, and Rewind's figures against it.
# Prints numbers; asserts nothing. Extra arguments go to rewind-bench (e.g. --groups 50000 --runs 9).
# --browser (first argument) also builds the site, times the plan builder on the wide group in Chromium,
# and loads the home and a group page under slow 4G with a 4x CPU slowdown (cold and warm cache).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REWIND_ROOT"
BENCH_KAFKA_PORT=${BENCH_KAFKA_PORT:-29092}
BENCH_HTTP_PORT=${BENCH_HTTP_PORT:-13100}
# BENCH_KEEP_BROKER=1 reuses the bench broker if it is running (else its data) and leaves it running, so a
# later run measures a broker that has run for hours (it slows with age: docs/performance/wide-group.md).
keep_broker=${BENCH_KEEP_BROKER:-0}
browser=false
if [[ ${1:-} == --browser ]]; then browser=true; shift; fi
bash scripts/install.sh
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  [[ $keep_broker == 1 ]] || KAFKA_PORT=$BENCH_KAFKA_PORT scripts/kafka.sh stop || true
}
trap cleanup EXIT
if [[ $keep_broker == 1 ]]; then
  KAFKA_PORT=$BENCH_KAFKA_PORT scripts/kafka.sh start
else
  KAFKA_PORT=$BENCH_KAFKA_PORT scripts/kafka.sh start --fresh
fi
cargo build --release -p server --bin rewind-bench
"$CARGO_TARGET_DIR/release/rewind-bench" --bootstrap "127.0.0.1:$BENCH_KAFKA_PORT" \
  --oracle "$REWIND_ROOT/scripts/kafka-consumer-groups" "$@"

if $browser; then
  cargo xtask build
  run_dir=$(mktemp -d "${TMPDIR:-/tmp}/rewind-bench.XXXXXX")
  printf '[[clusters]]\nname = "local"\nbootstrap_servers = "127.0.0.1:%s"\n' "$BENCH_KAFKA_PORT" >"$run_dir/rewind.toml"
  REWIND_DATA_DIR="$run_dir/data" LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD \
    "$CARGO_TARGET_DIR/release/rewind" --config "$run_dir/rewind.toml" serve --insecure-no-auth --addr "127.0.0.1:$BENCH_HTTP_PORT" >"$run_dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 60); do curl -fsS -o /dev/null "http://127.0.0.1:$BENCH_HTTP_PORT/" && break; sleep 0.5; done
  (cd end2end && REWIND_URL="http://127.0.0.1:$BENCH_HTTP_PORT" node bench/builder.mjs)
  (cd end2end && REWIND_URL="http://127.0.0.1:$BENCH_HTTP_PORT" node bench/pageload.mjs)
fi
