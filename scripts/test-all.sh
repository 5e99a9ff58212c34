#!/usr/bin/env bash
# Every test in every language. CI runs exactly this (see .ci/run and the README).
# Long soaks and fuzz runs are behind TIMEBANK_LONG=1; the default is the short version.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Rust: format, lints (warnings are errors)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust: tests"
cargo test --workspace --locked

step "Rust: the community time-bank example runs and its books balance"
cargo run --locked -q -p examples --bin community_month > /dev/null

step "FFI: the C ABI from C, Python and Java"
bash ledger-ffi/test.sh
