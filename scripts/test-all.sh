#!/usr/bin/env bash
# Every test in every language. CI runs exactly this (see .ci/run and the README).
# Long soaks and fuzz runs are behind TIMEBANK_LONG=1; the default is the short version.
# The last line counts the steps below: `N passed, 0 failed`, or the failed step and
# `N passed, 1 failed` with a non-zero exit (the first failing step stops the run).
set -euo pipefail
cd "$(dirname "$0")/.."
# One build from a clean clone: incremental compilation's caches would only take disk (gigabytes).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

passed=0
current=""
step() {
    [ -z "$current" ] || passed=$((passed + 1))
    current="$*"
    printf '\n==> %s (at %ss)\n' "$*" "$SECONDS"
}
summary() {
    local status=$1
    kill "$watchdog" 2>/dev/null || true
    if [ "$status" = 0 ]; then
        [ -z "$current" ] || passed=$((passed + 1))
        printf '\n%s passed, 0 failed\n' "$passed"
    else
        printf '\nfailed (exit %s): %s\n%s passed, 1 failed\n' "$status" "$current" "$passed"
    fi
}
# Every five minutes, what is running (so a run stopped from outside shows where it stood).
( while sleep 300 </dev/null >/dev/null 2>&1; do
    printf '\n[test-all at %ss: still running]\n' "$SECONDS"
    ps -o pid,etimes,args --forest -s "$(ps -o sid= -p $$)" | grep -v -e ' ps -o' -e 'sleep 300' |
      tail -n 40 | cut -c1-200
  done ) &
watchdog=$!
trap 'summary $?' EXIT

step "Rust: format, lints, rustdoc (warnings are errors)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "Rust: the published crates build with the declared minimum Rust (rust-version)"
msrv="$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)"
rustup toolchain list | grep -q "^$msrv" || rustup toolchain install "$msrv" --profile minimal
# `check` only: type-checking is what an older compiler refuses; the tests above run on stable.
# Its own target folder: another compiler's artifacts cannot be reused by stable, and kept apart
# they neither evict nor invalidate the main build's cache.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/msrv" cargo "+$msrv" check --locked \
  -p timebank-core -p timebank-store -p timebank-exchange -p timebank-ffi -p timebank-cli

step "Crates: every published crate (timebank-core, -exchange, -store, -workload, -cli, -ffi) packs for crates.io"
# Packing checks the manifests, metadata and file lists. Rebuilding each packed crate alone
# (`cargo publish`'s verification) takes minutes and compiles what the tests below compile
# anyway, so it runs with TIMEBANK_LONG=1 only.
if [ "${TIMEBANK_LONG:-0}" = 1 ]; then
  cargo publish --workspace --dry-run --locked --allow-dirty
else
  cargo publish --workspace --dry-run --locked --allow-dirty --no-verify
fi

step "Rust: tests"
cargo test --workspace --locked

step "Rust: the community time-bank example runs and its books balance"
cargo run --locked -q -p examples --bin community_month > /dev/null

step "Rust: three ledgers as three processes exchange hours over loopback HTTP"
cargo run --locked -q -p examples --bin exchange_three > /dev/null

step "Store: the independent Python verifier against ledgers the Rust store writes"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r ledger-store/verifier/requirements.txt
cargo build --locked -q -p timebank-store --bin sample-ledger
SAMPLE_LEDGER_BIN="${CARGO_TARGET_DIR:-target}/debug/sample-ledger" \
  python3 -m pytest -q -p no:cacheprovider ledger-store/verifier

step "Store: the dependency-free JavaScript proof verifier (Node's test runner), on the same proofs"
(cd ledger-store/verifier/js && node --test test/)

step "FFI: the C ABI from C, Python and Java"
bash ledger-ffi/test.sh

step "Benchmarks: instruction counts of the hot paths against the committed baseline (callgrind)"
bash benches/icount/check.sh

step "Benchmarks: the side-by-side comparison, quick (prints its table; wall time is not gated)"
cargo run --release --locked -q -p compare -- --quick

step "Fuzz: every target replays its committed corpus, then mutates (10 s each; real fuzzing, 10 min each, with TIMEBANK_LONG=1)"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --manifest-path fuzz/Cargo.toml --target-dir "${CARGO_TARGET_DIR:-target}" --all-targets \
  -- -D warnings
if [ "${TIMEBANK_LONG:-0}" = 1 ]; then
  FUZZ_JOBS="${FUZZ_JOBS:-2}" bash fuzz/run.sh "${TIMEBANK_FUZZ_SECONDS:-600}"
else
  # Uninstrumented, in the main target folder: it reuses what the tests compiled (fuzz/README.md).
  FUZZ_QUICK=1 FUZZ_JOBS="${FUZZ_JOBS:-2}" bash fuzz/run.sh "${TIMEBANK_FUZZ_SECONDS:-10}"
fi
