#!/usr/bin/env bash
# Builds every fuzz target and runs each on a scratch copy of its committed corpus for a bounded
# time. Fails when a target fails to build, crashes, or finds an input that breaks a check.
#
#   fuzz/run.sh [seconds-per-target] [target...]
#
# Toolchain: with `cargo-fuzz` and a nightly toolchain installed, the targets are built by
# `cargo +nightly fuzz build` (AddressSanitizer on). Otherwise they are built by stable cargo with
# the same sanitizer-coverage flags cargo-fuzz passes (libfuzzer-sys needs only those), so a
# fresh machine needs nothing beyond stable Rust and a C++ compiler. Either way the binaries are
# run directly, with libFuzzer's own options.
#
# FUZZ_QUICK=1 (what scripts/test-all.sh runs by default) builds the targets without coverage
# instrumentation, in cargo's dev profile (debug assertions and overflow checks on) and in the main
# workspace's target folder, so the crates the tests already compiled are reused: each target
# then replays its whole committed corpus and mutates at random for the given time. Without
# coverage feedback the mutation is blind, which is why real fuzzing (the default of this script,
# and TIMEBANK_LONG=1 in the test script) builds instrumented.
#
# Environment: FUZZ_TARGET_DIR (default: $CARGO_TARGET_DIR/fuzz when CARGO_TARGET_DIR is set,
# else target/ next to this script; its own folder since its flags differ), FUZZ_JOBS (targets run
# at once, default 1), FUZZ_KEEP=1 keeps the scratch corpora (printed at the end).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-45}"
shift || true
all_targets=(engine_model engine_policy amount_parse policy_parse journal_decode store_faults c_abi exchange_decode snapshot_decode)
targets=()
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    for t in "${all_targets[@]}"; do
        [ -f "fuzz_targets/$t.rs" ] && targets+=("$t")
    done
fi

triple="$(rustc -vV | sed -n 's/^host: //p')"
default_target_dir="$PWD/target"
[ -z "${CARGO_TARGET_DIR:-}" ] || default_target_dir="$CARGO_TARGET_DIR/fuzz"
target_dir="${FUZZ_TARGET_DIR:-$default_target_dir}"
if [ "${FUZZ_QUICK:-0}" = 1 ]; then
    echo "fuzz: quick: corpus replay and blind mutation, uninstrumented dev build"
    target_dir="${CARGO_TARGET_DIR:-$PWD/../target}"
    bins=()
    for t in "${targets[@]}"; do bins+=(--bin "$t"); done
    cargo build --locked --target-dir "$target_dir" "${bins[@]}"
elif command -v cargo-fuzz >/dev/null 2>&1 && rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz: building with cargo-fuzz on nightly (AddressSanitizer)"
    # cargo-fuzz finds `fuzz/` from the repository root.
    for t in "${targets[@]}"; do
        (cd .. && cargo +nightly fuzz build --release --debug-assertions --target "$triple" \
            --target-dir "$target_dir" "$t")
    done
else
    echo "fuzz: building with stable cargo and sanitizer-coverage flags (no cargo-fuzz/nightly)"
    # The flags cargo-fuzz 0.12 passes, minus the sanitizer (which needs nightly). `--target` keeps
    # them away from build scripts and proc macros.
    export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Cdebug-assertions -Ccodegen-units=1 ${RUSTFLAGS:-}"
    bins=()
    for t in "${targets[@]}"; do bins+=(--bin "$t"); done
    cargo build --release --target "$triple" --target-dir "$target_dir" "${bins[@]}"
fi
bin_dir="$target_dir/$triple/release"
[ "${FUZZ_QUICK:-0}" != 1 ] || bin_dir="$target_dir/debug"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/timebank-fuzz.XXXXXX")"
if [ "${FUZZ_KEEP:-0}" != 1 ]; then trap 'rm -rf "$scratch"' EXIT; fi

run_one() {
    local t="$1" corpus="$scratch/$1/corpus" artifacts="$scratch/$1/artifacts"
    mkdir -p "$corpus" "$artifacts"
    [ -d "corpus/$t" ] && cp -R "corpus/$t/." "$corpus/"
    # -rss_limit_mb bounds memory; -timeout flags any single input slower than 10 s as a bug.
    if "$bin_dir/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" \
        >"$scratch/$t.log" 2>&1; then
        local execs
        execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t.log")"
        echo "fuzz: $t ok: ${execs:-?} executions in ${seconds} s"
    else
        echo "fuzz: $t FAILED; the last lines of its log:"
        tail -n 60 "$scratch/$t.log"
        for a in "$artifacts"/*; do
            [ -f "$a" ] || continue
            mkdir -p "artifacts/$t" && cp "$a" "artifacts/$t/"
            echo "fuzz: failing input saved as fuzz/artifacts/$t/$(basename "$a")"
        done
        return 1
    fi
}

failed=0
jobs="${FUZZ_JOBS:-1}"
pids=()
names=()
for t in "${targets[@]}"; do
    run_one "$t" &
    pids+=($!)
    names+=("$t")
    if [ "${#pids[@]}" -ge "$jobs" ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "${FUZZ_KEEP:-0}" = 1 ] && echo "fuzz: scratch corpora kept in $scratch"
if [ "$failed" != 0 ]; then
    echo "fuzz: a target failed (see above)"
    exit 1
fi
