#!/usr/bin/env bash
# Fails if any given secret appears in what Rewind served or logged: the HTML of its pages (signed in
# as the admin test user), its JSON answers, every file of the served site (the wasm included), and
# every log and result file of the test run.
# Usage: scan-secrets.sh BASE_URL RUN_DIR SECRET...
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REWIND_ROOT"
base=$1 run_dir=$2
shift 2
(($# > 0)) || { echo "scan-secrets.sh: no secrets given" >&2; exit 2; }
scan_dir=$(mktemp -d "${TMPDIR:-/tmp}/rewind-scan.XXXXXX")
jar="$scan_dir/cookies"

curl -fsS -c "$jar" -o /dev/null -H "Origin: $base" \
  --data-urlencode "name=${REWIND_E2E_ADMIN:-ada}" --data-urlencode "password=$REWIND_E2E_PASSWORD" --data-urlencode "next=/" \
  "$base/login"
grep -q rewind_session "$jar" || { echo "scan-secrets.sh: could not sign in" >&2; exit 1; }
n=0
for path in / "/?cluster=sasl" /history /audit "/group?cluster=local&id=inventory-sync" "/group?cluster=sasl&id=x" /login; do
  curl -sS -b "$jar" -o "$scan_dir/page-$((n++)).html" "$base$path"
done
for fn in clusters/list auth/me; do
  curl -sS -b "$jar" -X POST -o "$scan_dir/api-$((n++)).json" "$base/api/$fn"
done
curl -sS -b "$jar" -X POST -H 'content-type: application/json' -d '{"filter":{}}' -o "$scan_dir/api-audit.json" "$base/api/audit/list"
# The pages really rendered (not a sign-in redirect): the group page names its group.
grep -q "inventory-sync" "$scan_dir"/page-4.html || { echo "scan-secrets.sh: the group page did not render" >&2; exit 1; }

leaks=0
for secret in "$@"; do
  [[ ${#secret} -ge 8 ]] || { echo "scan-secrets.sh: refusing to scan for a secret shorter than 8 characters" >&2; exit 2; }
  # -a: the wasm is binary; -F: the secret is literal text.
  if hits=$(grep -raFl -- "$secret" "$scan_dir" target/site "$run_dir" 2>/dev/null); then
    echo "LEAK: a secret (${secret:0:3}...) appears in:" >&2
    echo "$hits" >&2
    leaks=$((leaks + 1))
  fi
done
scanned=$(find "$scan_dir" target/site "$run_dir" -type f | wc -l)
rm -rf "$scan_dir"
((leaks == 0)) || exit 1
echo "secret scan: $# secrets, $scanned files (pages, API answers, target/site with the wasm, run logs): none found"
