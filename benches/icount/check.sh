#!/usr/bin/env bash
# The instruction-count gate: runs each hot path of `icount_paths` under callgrind, counting
# instructions (Ir) only inside the path's own function, and fails when a count exceeds the
# committed baseline by more than the margin. Instruction counts repeat exactly on a given
# machine and compiler, so the gate does not flake the way wall-clock timings do.
#
#   bash benches/icount/check.sh            # compare with benches/icount/baseline.txt
#   bash benches/icount/check.sh --update   # rewrite the baseline (commit it with the change)
#
# TIMEBANK_ICOUNT_MARGIN_PCT sets the allowed regression (default 10). A count more than the
# margin below the baseline passes and suggests --update, so an improvement is locked in.
set -euo pipefail
cd "$(dirname "$0")/../.."

baseline=benches/icount/baseline.txt
margin_pct="${TIMEBANK_ICOUNT_MARGIN_PCT:-10}"
paths=(core_apply hash_chain)
update=false
case "${1:-}" in
    "") ;;
    --update) update=true ;;
    *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

if ! command -v valgrind >/dev/null; then
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi
# With compare in the selection, so features resolve as for `cargo run -p compare` and the two
# share one release build of the crates.
cargo build --release --locked -q -p benches -p compare --bin icount_paths
bin="${CARGO_TARGET_DIR:-target}/release/icount_paths"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Instructions executed inside icount_<path> (callgrind's "totals" with collection toggled on
# only within that function).
count() {
    local path="$1" out="$work/$1.callgrind"
    if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
        --toggle-collect="*icount_${path}*" "$bin" "$path" >"$work/$path.log" 2>&1; then
        cat "$work/$path.log" >&2
        echo "icount: $path failed under valgrind" >&2
        exit 1
    fi
    awk '/^totals:/ { print $2 }' "$out"
}

rustc_version="$(rustc --version)"
if $update; then
    {
        echo "# Instruction counts (callgrind Ir) of the gated paths; written by"
        echo "# 'bash benches/icount/check.sh --update' on $(uname -m) with $rustc_version."
        for path in "${paths[@]}"; do
            echo "$path $(count "$path")"
        done
    } > "$baseline"
    cat "$baseline"
    exit 0
fi

if ! grep -qF "$rustc_version" "$baseline"; then
    echo "icount: note: the baseline was written with another compiler ($(grep -o 'rustc [^ ]*' "$baseline" | head -1)); counts may differ for that reason alone"
fi
status=0
printf '%-12s %14s %14s %9s\n' path baseline measured change
for path in "${paths[@]}"; do
    expected="$(awk -v p="$path" '$1 == p { print $2 }' "$baseline")"
    if [ -z "$expected" ]; then
        echo "icount: no baseline for $path in $baseline (run with --update)" >&2
        exit 1
    fi
    measured="$(count "$path")"
    change="$(awk -v m="$measured" -v e="$expected" 'BEGIN { printf "%+.2f%%", (m - e) * 100 / e }')"
    printf '%-12s %14s %14s %9s\n' "$path" "$expected" "$measured" "$change"
    if awk -v m="$measured" -v e="$expected" -v p="$margin_pct" 'BEGIN { exit !(m > e * (1 + p / 100)) }'; then
        echo "icount: $path regressed by more than ${margin_pct}% ($expected -> $measured instructions)" >&2
        status=1
    elif awk -v m="$measured" -v e="$expected" -v p="$margin_pct" 'BEGIN { exit !(m < e * (1 - p / 100)) }'; then
        echo "icount: $path improved by more than ${margin_pct}%: lock it in with --update"
    fi
done
exit "$status"
