#!/usr/bin/env bash
# The FFI benchmark (a measurement, not a test): the same workload (a fund, 1,000 members, full
# batches of 8,190 service transfers of 0.01 hours, then one account lookup many times) on the
# same store options (default policy, no checkpoint key, a fresh directory) from Rust, C, Python
# and Java. Usage: bash ledger-ffi/bench/run.sh [BATCHES] [SINGLES]
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
ffi="$root/ledger-ffi"
target="${CARGO_TARGET_DIR:-$root/target}/release"
batches="${1:-20}"
singles="${2:-200000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build -q --release --locked -p timebank-ffi --lib --example bench_store
# Every language measures this one native build (not the glibc 2.17 one that is shipped).
mkdir -p "$work/libraries/linux-x86-64"
native="$work/libraries/linux-x86-64"
cp "$target/libtimebank.so" "$native/"
ln -s libtimebank.so "$native/libtimebank.so.0" # the SONAME, which the C program loads
bash "$ffi/stage-library.sh" "$work/libraries"
gcc -std=c11 -O2 -I "$ffi/include" "$ffi/bench/bench_c.c" -o "$work/bench_c" \
    -L "$native" -ltimebank -Wl,-rpath,"$native"
python3 -m venv --system-site-packages "$work/venv"
TIMEBANK_WHEEL_LIBRARY="$target/libtimebank.so" \
    "$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$ffi/python"
(cd "$ffi/java" && mvn -q -B -DskipTests -Dtimebank.platforms.check.skip=true -Dmaven.javadoc.skip=true \
    -Dmaven.source.skip=true package 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g')
jna="$(find ~/.m2/repository/net/java/dev/jna/jna -name 'jna-*.jar' | sort | tail -1)"
jar="$(ls "$ffi"/java/target/timebank-*[0-9].jar)"

echo "batches of 8190: $batches; single calls: $singles; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$target/examples/bench_store" "$work/rust" "$batches" "$singles"
"$work/bench_c" "$work/c" "$batches" "$singles"
"$work/venv/bin/python" "$ffi/bench/bench.py" "$work/python" "$batches" "$singles"
javac -d "$work/classes" -cp "$jar:$jna" "$ffi/bench/Bench.java"
java -cp "$jar:$jna:$work/classes" org.timebank.Bench "$work/java" "$batches" "$singles"
