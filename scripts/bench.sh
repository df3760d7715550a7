#!/usr/bin/env bash
# Benchmark: a broker of its own (port 29092, fresh), a large cluster on it, and Rewind's figures against it.
# Prints numbers; asserts nothing. Extra arguments go to rewind-bench (e.g. --groups 50000 --runs 9).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REWIND_ROOT"
BENCH_KAFKA_PORT=${BENCH_KAFKA_PORT:-29092}
bash scripts/install.sh
cleanup() { KAFKA_PORT=$BENCH_KAFKA_PORT scripts/kafka.sh stop || true; }
trap cleanup EXIT
KAFKA_PORT=$BENCH_KAFKA_PORT scripts/kafka.sh start --fresh
cargo build --release -p server --bin rewind-bench
"$CARGO_TARGET_DIR/release/rewind-bench" --bootstrap "127.0.0.1:$BENCH_KAFKA_PORT" \
  --oracle "$REWIND_ROOT/scripts/kafka-consumer-groups" "$@"
