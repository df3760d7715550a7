#!/usr/bin/env bash
# Runs every test: formatting, clippy per crate and target, the wasm dependency check, unit and
# integration tests against a fresh real Kafka broker, then Playwright in Debian's Chromium against the
# release build serving the seeded demo. Starts and stops its own broker (port 19092) and server (13000).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REWIND_ROOT"

TEST_KAFKA_PORT=${TEST_KAFKA_PORT:-19092}
TEST_HTTP_PORT=${TEST_HTTP_PORT:-13000}
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rewind-test.XXXXXX")
RESULTS="$RUN_DIR/results.txt"
: >"$RESULTS"
pids=()

cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  KAFKA_PORT=$TEST_KAFKA_PORT scripts/kafka.sh stop || true
  if ((rc != 0)); then
    echo "test.sh: FAILED (rc $rc); logs kept in $RUN_DIR" >&2
    tail -n 30 "$RUN_DIR"/*.log 2>/dev/null >&2 || true
  else
    rm -rf "$RUN_DIR"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
phase() { echo; echo "=== $* ($((SECONDS - t0)) s)"; }

bash scripts/install.sh

phase "cargo fmt --check"
cargo fmt --check

# First, so that a broken first command fails fast; on a cold machine this phase is the cold first run.
phase "the README's run command, end to end: scripts/dev.sh --check (its own broker, demo and server)"
KAFKA_PORT=${TEST_DEV_KAFKA_PORT:-39092} DEV_ADDR=127.0.0.1:${TEST_DEV_HTTP_PORT:-33000} \
  REWIND_DATA_DIR="$RUN_DIR/dev-check" bash scripts/dev.sh --check \
  > >(tee "$RUN_DIR/dev-check.log" | grep --line-buffered -E '^(==>|<==|dev.sh|xtask)') 2>&1 \
  || { sleep 1; echo "dev.sh --check failed; its log:" >&2; tail -n 80 "$RUN_DIR/dev-check.log" >&2; exit 1; }
echo "smoke: dev.sh --check passed" | tee -a "$RESULTS"

phase "clippy, per crate and target (ssr and hydrate are exclusive)"
cargo clippy -p app --features ssr --all-targets -- -D warnings
cargo clippy -p server --features faults --all-targets -- -D warnings
cargo clippy -p xtask --all-targets -- -D warnings
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

phase "dependencies: licences, sources and duplicate versions (cargo deny), and known advisories"
# Duplicate versions are warnings (listed in the log), not failures: most come from leptos and axum's own trees.
out=$(cargo deny --offline check licenses bans sources 2>&1) || { echo "$out" >&2; exit 1; }
echo "$(grep -c '^warning\[duplicate\]' <<<"$out") crates in more than one version; $(tail -n 1 <<<"$out")"
# Advisories need the RustSec database: fetched when GitHub is reachable, else a copy an earlier fetch
# cached is used; with neither, the check is skipped and says so (it is never reported as passed).
advisory_db_date() { git -C "$(ls -d "$HOME"/.cargo/advisory-dbs/advisory-db-* | head -n 1)" log -1 --format=%cs 2>/dev/null || echo "unknown date"; }
if out=$(cargo deny check advisories 2>&1); then
  echo "advisories ok against the RustSec database of $(advisory_db_date)"
elif grep -q "failed to fetch advisory database" <<<"$out"; then
  if ls -d "$HOME"/.cargo/advisory-dbs/advisory-db-* >/dev/null 2>&1; then
    cargo deny --offline check advisories
    echo "advisories ok against the cached RustSec database of $(advisory_db_date) (GitHub unreachable)"
  else
    echo "advisories: SKIPPED, no RustSec database reachable or cached"
  fi
else
  echo "$out" >&2; exit 1
fi

phase "the wasm dependency tree holds no Kafka crate and no tz database"
if cargo tree -p frontend --target wasm32-unknown-unknown -e normal,build --prefix none | grep -iE '^(rdkafka|rdkafka-sys|librdkafka)'; then
  echo "test.sh: a Kafka crate reached the wasm build" >&2; exit 1
fi
# The browser resolves zones with its own Intl data; chrono-tz's tables were a megabyte of the wasm.
if cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none | grep -E '^chrono-tz'; then
  echo "test.sh: chrono-tz reached the wasm build" >&2; exit 1
fi
echo "ok: $(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none | sort -u | wc -l) crates, none of them Kafka or chrono-tz"

phase "fresh Kafka broker on 127.0.0.1:$TEST_KAFKA_PORT"
KAFKA_PORT=$TEST_KAFKA_PORT scripts/kafka.sh start --fresh
export REWIND_TEST_BOOTSTRAP=127.0.0.1:$TEST_KAFKA_PORT
# The broker's SCRAM listener and the credentials kafka.sh formatted it with (local test values).
export REWIND_TEST_SASL_BOOTSTRAP=127.0.0.1:$((TEST_KAFKA_PORT + 2))
export REWIND_TEST_SCRAM_PASSWORD=${KAFKA_SCRAM_PASSWORD:-rewind-scram-test}
export REWIND_TEST_SCRAM_WRONG_PASSWORD=not-the-scram-password
# Its SSL listener (client certificate required) and the throwaway certificates kafka.sh made for it.
export REWIND_TEST_TLS_BOOTSTRAP=127.0.0.1:$((TEST_KAFKA_PORT + 3))
export REWIND_TEST_TLS_DIR=$REWIND_CACHE/broker-$TEST_KAFKA_PORT/tls
export REWIND_TEST_TLS_KEY_PASSWORD=${KAFKA_TLS_KEY_PASSWORD:-rewind-tls-test}

phase "unit and integration tests (real broker)"
cargo test -p app --features ssr 2>&1 | tee -a "$RESULTS"
cargo test -p server --features faults 2>&1 | tee -a "$RESULTS"

phase "release build (server + hydrated wasm + Tailwind; dev.sh --check built it, so this is quick)"
cargo xtask build --profile demo
for wasm in target/site/pkg/rewind.wasm target/site/pkg/{split,chunk}_*.wasm; do
  if [[ -e $wasm ]]; then
    echo "wasm: $(stat -c %s "$wasm") bytes raw, $(gzip -9c "$wasm" | wc -c) bytes gzip ($wasm)"
  fi
done

phase "demo data and a live member"
REWIND_LOCAL_BOOTSTRAP_SERVERS=$REWIND_TEST_BOOTSTRAP "$REWIND_BIN" demo seed --live >"$RUN_DIR/demo.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do grep -q "has a live member" "$RUN_DIR/demo.log" && break; sleep 0.5; done
grep -q "has a live member" "$RUN_DIR/demo.log" || { echo "demo did not get its live member" >&2; cat "$RUN_DIR/demo.log" >&2; exit 1; }
# A group id that looks like markup, made with Kafka's own tool: the UI must show it as text.
scripts/kafka-consumer-groups --bootstrap-server "$REWIND_TEST_BOOTSTRAP" --group '<img src=x onerror=alert(1)>' \
  --topic inventory-events --reset-offsets --to-earliest --execute >/dev/null

phase "Playwright in Debian's Chromium (sign-in on: local users and a local OpenID Connect provider)"
TEST_OIDC_PORT=${TEST_OIDC_PORT:-14000}
# Secrets made per run; scan-secrets.sh checks none of them leaks into pages, wasm or logs.
rand() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'; }
export REWIND_TEST_OIDC_SECRET="oidc-secret-$(rand)"
export REWIND_E2E_PASSWORD="e2e-password-$(rand)"
export OIDC_USER_PASSWORD="oidc-user-$(rand)"
# The password the users spec gives the user it creates from the console.
export REWIND_E2E_NEW_USER_PASSWORD="e2e-new-user-$(rand)"
export REWIND_E2E_ADMIN=ada
(cd end2end && OIDC_PORT=$TEST_OIDC_PORT OIDC_CLIENT_SECRET=$REWIND_TEST_OIDC_SECRET \
  OIDC_REDIRECT_URI="http://127.0.0.1:$TEST_HTTP_PORT/auth/oidc/callback" exec node oidc/provider.mjs) >"$RUN_DIR/oidc.log" 2>&1 &
pids+=($!)
cat >"$RUN_DIR/rewind.toml" <<TOML
data_dir = "$RUN_DIR/data"
# Sampled every 2 s so the lag-history spec sees samples within its time (default 60 s).
[lag_history]
interval_secs = 2
[[clusters]]
name = "local"
bootstrap_servers = "$REWIND_TEST_BOOTSTRAP"
[[clusters]]
name = "offline"
bootstrap_servers = "127.0.0.1:1"
[[clusters]]
name = "sasl"
bootstrap_servers = "$REWIND_TEST_SASL_BOOTSTRAP"
security_protocol = "SASL_PLAINTEXT"
sasl_mechanism = "SCRAM-SHA-512"
sasl_username = "rewind"
sasl_password_env = "REWIND_TEST_SCRAM_PASSWORD"
[auth]
# Plain http on 127.0.0.1 in tests; the default is Secure cookies.
secure_cookies = false
[auth.oidc]
issuer = "http://127.0.0.1:$TEST_OIDC_PORT"
client_id = "rewind"
client_secret_env = "REWIND_TEST_OIDC_SECRET"
redirect_url = "http://127.0.0.1:$TEST_HTTP_PORT/auth/oidc/callback"
scopes = "openid profile email groups"
label = "the test identity provider"
[[auth.grants]]
role = "admin"
subjects = ["team:kafka-admins"]
[[auth.grants]]
role = "operator"
subjects = ["team:kafka-operators"]
[[auth.grants]]
role = "viewer"
subjects = ["team:kafka-viewers"]
# A local user's grant the provider's colliding names must not reach, and an SSO subject's own.
[[auth.grants]]
role = "admin"
subjects = ["user:ada"]
[[auth.grants]]
role = "viewer"
subjects = ["oidc:sam"]
TOML
# Local users, made with the command an operator would use.
REWIND_NEW_PASSWORD=$REWIND_E2E_PASSWORD "$REWIND_BIN" --config "$RUN_DIR/rewind.toml" users add ada --team kafka-admins
REWIND_NEW_PASSWORD=$REWIND_E2E_PASSWORD "$REWIND_BIN" --config "$RUN_DIR/rewind.toml" users add vera --grant viewer
LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD RUST_LOG=info,rewind_server=debug \
  "$REWIND_BIN" --config "$RUN_DIR/rewind.toml" serve --addr "127.0.0.1:$TEST_HTTP_PORT" \
  >"$RUN_DIR/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do curl -fsS -o /dev/null "http://127.0.0.1:$TEST_HTTP_PORT/login" && break; sleep 0.5; done
for _ in $(seq 1 60); do grep -q "oidc provider listening" "$RUN_DIR/oidc.log" && break; sleep 0.5; done
grep -q "oidc provider listening" "$RUN_DIR/oidc.log" || { echo "the OpenID Connect test provider did not start" >&2; cat "$RUN_DIR/oidc.log" >&2; exit 1; }
(cd end2end && REWIND_URL="http://127.0.0.1:$TEST_HTTP_PORT" npx playwright test 2>&1) | tee -a "$RESULTS"
[[ ${PIPESTATUS[0]} == 0 ]]

phase "no configured secret in the pages, the served wasm or any log of this run"
bash scripts/scan-secrets.sh "http://127.0.0.1:$TEST_HTTP_PORT" "$RUN_DIR" \
  "$REWIND_TEST_SCRAM_PASSWORD" "$REWIND_TEST_OIDC_SECRET" "$REWIND_E2E_PASSWORD" "$OIDC_USER_PASSWORD" "$REWIND_E2E_NEW_USER_PASSWORD" | tee -a "$RESULTS"

phase "done"
passed=$(grep -oE 'test result: ok\. [0-9]+ passed' "$RESULTS" | awk '{s+=$4} END {print s+0}')
pw_passed=$(grep -oE '^ *[0-9]+ passed' "$RESULTS" | awk '{s+=$1} END {print s+0}')
# Only the summary lines count: log lines of the fault tests say "failed" too.
# (grep finds nothing on a clean run; `|| true` keeps pipefail from ending the script there.)
rust_failed=$({ grep -oE 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$RESULTS" || true; } | awk '{s+=$6} END {print s+0}')
pw_failed=$({ grep -oE '^ *[0-9]+ failed' "$RESULTS" || true; } | awk '{s+=$1} END {print s+0}')
smoke_passed=$(grep -c '^smoke: .* passed$' "$RESULTS" || true)
failed=$((rust_failed + pw_failed))
echo "rust: $passed passed; playwright: $pw_passed passed; smoke: $smoke_passed passed; took $((SECONDS - t0)) s"
echo "rewind: $((passed + pw_passed + smoke_passed)) passed, $failed failed"
