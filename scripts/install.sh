#!/usr/bin/env bash
# Installs everything Rewind needs to build, run and test. Idempotent: each step checks before it acts, and
# says what it does and how long it took (or, in one line, that it was already done).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REWIND_ROOT"

# 1. Debian packages: C toolchain and headers for librdkafka (with TLS), JDK + Maven for Kafka, Chromium,
#    and the one font set the browser tests run with (the layout must not depend on what else is installed).
apt_pkgs=(build-essential pkg-config libssl-dev openssl zlib1g-dev cmake curl git maven chromium fonts-dejavu-core fontconfig)
# Kafka 4 needs Java 17+. Which OpenJDK a release offers varies (17 on Debian 12 and Ubuntu 22.04, 21 on
# Debian 13), so the JRE is chosen once the package lists are fresh (apt_install).
java_major() { java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' || true; }
need_java=0
(($(java_major | cut -d. -f1 | grep -E '^[0-9]+$' || echo 0) >= 17)) || need_java=1
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
apt_install() {
  local SUDO="" jre
  [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  if ((need_java)); then
    for jre in openjdk-21-jre-headless openjdk-17-jre-headless; do
      apt-cache show "$jre" >/dev/null 2>&1 && { set -- "$@" "$jre"; break; }
    done
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if ((${#missing[@]} || need_java)); then
  label="${missing[*]}"
  if ((need_java)); then label+=" and a Java 17+ runtime"; fi
  step "apt-get install $label" "a few minutes" apt_install "${missing[@]}"
else
  done_step "Debian packages"
fi
if ((need_java)) && (($(java_major | cut -d. -f1 | grep -E '^[0-9]+$' || echo 0) < 17)); then
  echo "install: Kafka 4 needs Java 17 or newer; found '$(java_major)' and no OpenJDK 17 or 21 package to install" >&2; exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "install: Node.js >= 20 is required (Tailwind v4, Playwright); found ${node_major}" >&2; exit 1
fi

# 2. Rust: the pinned toolchain (rust-toolchain.toml) with the wasm target. The site is built by
#    `cargo xtask build` (xtask/), so no cargo-installed build tool is needed.
command -v rustup >/dev/null || { echo "install: rustup is required (https://rustup.rs)" >&2; exit 1; }
toolchain=$(awk -F'"' '/^channel/ {print $2}' rust-toolchain.toml)
if rustup toolchain list | grep -q "^$toolchain"; then
  done_step "Rust $toolchain"
else
  step "rustup toolchain install $toolchain" "a minute or two" \
    rustup toolchain install "$toolchain" --profile minimal -c rustfmt -c clippy
fi
if rustup target list --installed --toolchain "$toolchain" | grep -q wasm32-unknown-unknown; then
  done_step "Rust target wasm32-unknown-unknown"
else
  step "rustup target add wasm32-unknown-unknown" "under a minute" \
    rustup target add wasm32-unknown-unknown --toolchain "$toolchain"
fi

# 2b. cargo-deny, pinned, for the dependency checks of the test command (licences, sources, duplicate
#     versions, and advisories where a RustSec database is at hand). Built once into ~/.cargo/bin.
deny_version=0.20.2
if cargo deny --version 2>/dev/null | grep -q " $deny_version\$"; then
  done_step "cargo-deny $deny_version"
else
  step "cargo install cargo-deny $deny_version" "five minutes or so" \
    cargo install cargo-deny --version "$deny_version" --locked --quiet --target-dir "$REWIND_CACHE/tools-target"
fi

# 2c. Every crate in Cargo.lock, for every platform: `cargo deny --offline` reads them all, and builds for
#     this machine fetch only its own (a new machine's CI once failed there on a Windows-only crate).
step "cargo fetch (every platform's crates)" "under a minute" cargo fetch --locked --quiet

# 3. npm: Tailwind v4 CLI and binaryen's wasm-opt for the site build, and Playwright for the browser tests.
#    Never `playwright install`: tests use Debian's Chromium.
for dir in . end2end; do
  if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    step "npm ci in $dir" "under a minute" bash -c "cd '$dir' && npm ci --no-audit --no-fund --loglevel=error"
  else
    done_step "npm packages in $dir"
  fi
done

# 4. Apache Kafka jars from Maven Central (broker and the reference kafka-consumer-groups tool).
if scripts/kafka.sh fetched; then
  done_step "Kafka jars"
else
  step "Kafka jars from Maven Central" "a minute or two" scripts/kafka.sh fetch
fi
