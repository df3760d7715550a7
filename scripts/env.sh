# Sourced by the other scripts: one place for paths and tool versions.
# Caches live outside the clone so a fresh clone (CI) reuses a warm build; override any of them.
REWIND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export REWIND_CACHE=${REWIND_CACHE:-$HOME/.cache/rewind}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REWIND_CACHE/target}
export CARGO_LEPTOS_VERSION=0.3.11
export PATH="$REWIND_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# The wasm-bindgen CLI must be exactly the library version Cargo.lock resolved.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$REWIND_ROOT/Cargo.lock"
}
