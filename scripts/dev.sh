#!/usr/bin/env bash
# The README's run command: installs what is needed, starts the local Kafka broker (127.0.0.1:9092) with
# demo data and a live consumer, and serves the console on http://127.0.0.1:3000. Ctrl-C stops what it started.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REWIND_ROOT"

bash scripts/install.sh

started_broker=0
if ! scripts/kafka.sh status >/dev/null 2>&1; then
  scripts/kafka.sh start
  started_broker=1
fi
demo_pid=""
cleanup() {
  [[ -n $demo_pid ]] && { kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; }
  if ((started_broker)); then scripts/kafka.sh stop; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cargo leptos build --release
# The demo's live member keeps `payments-processor` Stable while the console runs.
"$CARGO_TARGET_DIR/release/rewind" demo seed --live &
demo_pid=$!
echo "dev.sh: serving Rewind on http://127.0.0.1:3000 (Ctrl-C to stop), sign-in OFF for this local demo"
# A local demo: no sign-in (every page shows a banner saying so). See the README to run with sign-in.
REWIND_INSECURE_NO_AUTH=true cargo leptos serve --release
