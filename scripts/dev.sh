#!/usr/bin/env bash
# The README's run command: installs what is needed, builds the server and the site, starts the local Kafka
# broker with demo data and a live consumer, and serves the console. Ctrl-C stops what it started.
#
#   bash scripts/dev.sh           serve on http://127.0.0.1:3000 until Ctrl-C
#   bash scripts/dev.sh --check   every step the same, then fetch `/`, a seeded group's page and the site's
#                                 wasm, check them, and stop everything it started (the test command runs this,
#                                 so a change that breaks the first command turns CI red)
#
# Environment: KAFKA_PORT (default 9092), DEV_ADDR (default 127.0.0.1:3000), REWIND_DATA_DIR (default
# ./.rewind), REWIND_CONFIG (a config file instead of the one local cluster).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REWIND_ROOT"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
export KAFKA_PORT=${KAFKA_PORT:-9092}
DEV_ADDR=${DEV_ADDR:-127.0.0.1:3000}
export REWIND_DATA_DIR=${REWIND_DATA_DIR:-$REWIND_ROOT/.rewind}
export REWIND_LOCAL_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
mkdir -p "$REWIND_DATA_DIR"
t_start=$SECONDS

started_broker=0
demo_pid=""
server_pid=""
cleanup() {
  local rc=$?
  for pid in $server_pid $demo_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $server_pid $demo_pid; do wait "$pid" 2>/dev/null || true; done
  if ((started_broker)); then scripts/kafka.sh stop || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash scripts/install.sh

step "build the server and the site (cargo xtask build --profile demo)" "10 to 15 minutes the first time on 2 cores, seconds after" \
  cargo xtask build --profile demo

if scripts/kafka.sh status >/dev/null 2>&1; then
  done_step "Kafka broker on 127.0.0.1:$KAFKA_PORT (already running, left running)"
else
  # Ours to stop from here on, even if Ctrl-C lands while it starts (stop is a no-op when none runs).
  started_broker=1
  step "Kafka broker on 127.0.0.1:$KAFKA_PORT" "10 to 30 s" scripts/kafka.sh start
fi

# The demo's live member keeps `payments-processor` Stable while the console runs.
demo_log="$REWIND_DATA_DIR/demo.log"
wait_for_demo() {
  "$REWIND_BIN" demo seed --live >"$demo_log" 2>&1 &
  demo_pid=$!
  for _ in $(seq 1 240); do
    grep -q "has a live member" "$demo_log" && { grep '^demo:' "$demo_log" >&2; return 0; }
    kill -0 "$demo_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "dev.sh: the demo did not get its live member:" >&2; cat "$demo_log" >&2; return 1
}
step "demo data and a live member (log: $demo_log)" "under a minute" wait_for_demo

# No subcommand, and sign-in off through the environment: exactly how `cargo leptos serve` and process
# managers start the binary. A local demo: every page shows a banner saying sign-in is off.
server_log="$REWIND_DATA_DIR/server.log"
wait_for_server() {
  # Another process answering there would pass the checks below in our place.
  if curl -s -o /dev/null "http://$DEV_ADDR/" 2>/dev/null; then
    echo "dev.sh: something already answers on $DEV_ADDR; stop it or set DEV_ADDR" >&2; return 1
  fi
  REWIND_INSECURE_NO_AUTH=true LEPTOS_SITE_ADDR=$DEV_ADDR LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_ENV=PROD "$REWIND_BIN" > >(tee "$server_log") 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "http://$DEV_ADDR/" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "dev.sh: the console did not start (log: $server_log)" >&2; return 1
}
step "start the console on http://$DEV_ADDR" "a few seconds" wait_for_server
echo "dev.sh: Rewind is serving on http://$DEV_ADDR, $((SECONDS - t_start)) s after start (sign-in OFF for this local demo; Ctrl-C to stop)" >&2

if ((check == 0)); then
  wait "$server_pid"
  exit $?
fi

# --check: what a new user's browser would fetch first.
fetch() { # URL OUT -> prints the HTTP status
  curl -sS -o "$2" -w '%{http_code}' "$1"
}
fail() { echo "dev.sh --check: FAILED: $*" >&2; exit 1; }
out=$(mktemp -d)
status=$(fetch "http://$DEV_ADDR/" "$out/home.html")
[[ $status == 200 ]] || fail "/ answered $status"
# The page names the content-hashed files the build listed in target/site/hash.txt.
js=$(grep -o '/pkg/rewind\.[0-9a-f]\{16\}\.js' "$out/home.html" | head -n 1)
wasm=$(grep -o '/pkg/rewind\.[0-9a-f]\{16\}\.wasm' "$out/home.html" | head -n 1)
css=$(grep -o '/pkg/rewind\.[0-9a-f]\{16\}\.css' "$out/home.html" | head -n 1)
[[ -n $js && -n $wasm && -n $css ]] || fail "/ does not load the site's hashed script, wasm and stylesheet (/pkg/rewind.<hash>.js)"
for g in payments-processor billing-archiver analytics-backfill fraud-detector; do
  grep -q "$g" "$out/home.html" || fail "/ does not list the seeded group $g"
done
status=$(fetch "http://$DEV_ADDR/group?cluster=local&id=payments-processor" "$out/group.html")
[[ $status == 200 ]] || fail "the group page answered $status"
grep -q "payments-processor" "$out/group.html" || fail "the group page does not name payments-processor"
grep -q "payments" "$out/group.html" || fail "the group page does not show its topic payments"
for asset in "$wasm" "$js" "$css"; do
  status=$(fetch "http://$DEV_ADDR$asset" "$out/asset")
  [[ $status == 200 ]] || fail "$asset answered $status"
  [[ -s "$out/asset" ]] || fail "$asset is empty"
  [[ $asset != *.wasm ]] || head -c 4 "$out/asset" | od -An -c | grep -q 'a   s   m' || fail "$asset is not WebAssembly"
  cache=$(curl -sS -o /dev/null -D - "http://$DEV_ADDR$asset" | tr -d '\r' | grep -i '^cache-control:' || true)
  [[ $cache == *immutable* ]] || fail "$asset is not cached for good (${cache:-no Cache-Control})"
done
rm -rf "$out"
echo "dev.sh --check: ok: /, the group page and the site's wasm, js and css answered 200 with the seeded groups ($((SECONDS - t_start)) s)"
