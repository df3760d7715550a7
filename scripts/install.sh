#!/usr/bin/env bash
# Installs everything Rewind needs to build, run and test. Idempotent: each step checks before it acts.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REWIND_ROOT"
step() { echo "install: $*" >&2; }

# 1. Debian packages: C toolchain and headers for librdkafka (with TLS), JDK + Maven for Kafka, Chromium.
apt_pkgs=(build-essential pkg-config libssl-dev openssl zlib1g-dev cmake curl git maven chromium)
command -v java >/dev/null || apt_pkgs+=(openjdk-17-jre-headless)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  step "apt-get install ${missing[*]}"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "install: Node.js >= 20 is required (Tailwind v4, Playwright); found ${node_major}" >&2; exit 1
fi

# 2. Rust: the pinned toolchain (rust-toolchain.toml) with the wasm target.
command -v rustup >/dev/null || { echo "install: rustup is required" >&2; exit 1; }
toolchain=$(awk -F'"' '/^channel/ {print $2}' rust-toolchain.toml)
rustup toolchain list | grep -q "^$toolchain" || { step "rustup toolchain install $toolchain"; rustup toolchain install "$toolchain" --profile minimal -c rustfmt -c clippy; }
rustup target list --installed --toolchain "$toolchain" | grep -q wasm32-unknown-unknown \
  || { step "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown --toolchain "$toolchain"; }

# 3. Cargo tools. `--ignore-rust-version`: one of cargo-leptos's locked dependencies asks for a newer rustc
#    than the pinned one, though it builds fine with it. wasm-bindgen-cli without --locked: its lockfile names
#    a crate version the registry no longer serves.
if [[ "$(cargo leptos --version 2>/dev/null)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  step "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (slow the first time)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --ignore-rust-version
fi
wbv=$(wasm_bindgen_version)
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbv" ]]; then
  step "cargo install wasm-bindgen-cli $wbv"
  cargo install wasm-bindgen-cli --version "$wbv" --force
fi

# 4. npm: Tailwind v4 CLI and binaryen's wasm-opt (cargo-leptos must find both on PATH, or it tries to
#    download them), and Playwright. Never `playwright install`: tests use Debian's Chromium.
for dir in . end2end; do
  if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    step "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# 5. Apache Kafka jars from Maven Central (broker and the reference kafka-consumer-groups tool).
scripts/kafka.sh fetch
step "ready"
