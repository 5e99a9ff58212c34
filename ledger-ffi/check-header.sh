#!/usr/bin/env bash
# Regenerates include/timebank.h with the pinned cbindgen and fails if the committed header
# differs (CI runs this). `--write` updates the committed header instead. The work is done by the
# test ledger-ffi/tests/header.rs (cbindgen is a pinned dev-dependency, so nothing is installed),
# built with the whole workspace's features so that it reuses what `cargo test --workspace` built.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--write" ]; then
    TIMEBANK_WRITE_HEADER=1 cargo test --workspace --locked -q --test header >/dev/null
    echo "include/timebank.h updated"
else
    cargo test --workspace --locked -q --test header >/dev/null
    echo "include/timebank.h matches the code"
fi
