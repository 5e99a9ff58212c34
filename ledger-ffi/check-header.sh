#!/usr/bin/env bash
# Regenerates include/timebank.h with the pinned cbindgen and fails if the committed header
# differs (CI runs this). `--write` updates the committed header instead.
set -euo pipefail
cd "$(dirname "$0")"

CBINDGEN_VERSION=0.29.4
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version)" != "cbindgen $CBINDGEN_VERSION" ]; then
    echo "installing cbindgen $CBINDGEN_VERSION"
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
fi

generated="$(mktemp)"
trap 'rm -f "$generated"' EXIT
cbindgen --quiet --config cbindgen.toml --crate ledger-ffi --output "$generated" .

if [ "${1:-}" = "--write" ]; then
    cp "$generated" include/timebank.h
    echo "include/timebank.h updated"
elif ! diff -u include/timebank.h "$generated"; then
    echo "include/timebank.h is out of date: run bash ledger-ffi/check-header.sh --write" >&2
    exit 1
else
    echo "include/timebank.h matches the code"
fi
