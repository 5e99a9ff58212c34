#!/usr/bin/env bash
# Writes the proof fixtures the Rust, Python and JavaScript verifiers all check: for each profile
# a small ledger made with `timebank`, its public key (and another key's), two signed checkpoints,
# and an inclusion, a statement and a consistency proof. Keys are random: rerunning changes every
# file, and every verifier's tests must still pass on the new ones.
# usage: bash ledger-store/verifier/testdata/make-fixtures.sh [path/to/timebank]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
timebank="${1:-${CARGO_TARGET_DIR:-target}/debug/timebank}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
at=2026-03-01T09:00:00+08:00
for profile in standard gm; do
  d="$work/$profile"
  tb() { "$timebank" --data "$d" --at "$at" "$@"; }
  tb init --profile "$profile" > /dev/null
  for spec in "1 issuer" "2 member" "3 member" "4 donation"; do
    set -- $spec
    tb account open "$1" --kind "$2" --unit hours --community 7 > /dev/null
  done
  tb checkpoint keygen --profile "$profile" --out "$work/$profile.key" > "$here/$profile.public-key"
  tb checkpoint keygen --profile "$profile" --out "$work/$profile.other" > "$here/$profile.other-public-key"
  tb record --payer 1 --provider 2 --hours 3 --code 101 --id 1 > /dev/null
  tb checkpoint sign --signing-key-file "$work/$profile.key" > "$here/$profile.checkpoint-1"
  tb record --payer 1 --provider 3 --hours 1.25 --code 101 --id 2 > /dev/null
  tb record --payer 1 --provider 2 --hours 0.5 --code 101 --id 3 > /dev/null
  tb gift --from 2 --to 4 --amount 0.5 --id 4 > /dev/null
  tb checkpoint sign --signing-key-file "$work/$profile.key" > "$here/$profile.checkpoint-2"
  tb proof inclusion --transfer 3 --checkpoint "$here/$profile.checkpoint-2" > "$here/$profile.inclusion.json"
  tb proof statement --account 2 --checkpoint "$here/$profile.checkpoint-2" > "$here/$profile.statement.json"
  tb proof consistency --from "$here/$profile.checkpoint-1" --to "$here/$profile.checkpoint-2" \
    > "$here/$profile.consistency.json"
done
echo "fixtures written to $here"
