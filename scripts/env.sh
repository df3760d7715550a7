# Sourced by the other scripts: one place for paths, tool versions and the step reporter.
# Caches live outside the clone so a fresh clone (CI) reuses a warm build; override any of them.
REWIND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export REWIND_CACHE=${REWIND_CACHE:-$HOME/.cache/rewind}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REWIND_CACHE/target}
# The server binary the run command and the browser tests use (Cargo.toml [profile.demo]).
export REWIND_BIN=$CARGO_TARGET_DIR/demo/rewind
export PATH="$REWIND_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

# `step NAME HINT CMD...` runs one step of a long first run: says what it is and how long it may take
# before, and how long it took after, so a newcomer never wonders whether it hung.
# `done_step NAME` says in one line that a step has nothing to do.
step() {
  local name=$1 hint=$2 t0=$SECONDS
  shift 2
  echo "==> $name${hint:+ ($hint)}" >&2
  "$@"
  echo "<== $name: done in $((SECONDS - t0)) s" >&2
}
done_step() { echo "==> $1: already done" >&2; }
