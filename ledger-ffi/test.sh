#!/usr/bin/env bash
# The C ABI and its packages, each tested from its own language (called by scripts/test-all.sh):
# build libtimebank in release, check the committed header, run the C tests and the C example
# against the shared and the static library under valgrind, then the Python package (pytest) and
# the Java module (Maven, JUnit), then the Python and Java examples.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
ffi="$root/ledger-ffi"
target="${CARGO_TARGET_DIR:-$root/target}/release"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT

step() { printf '\n==> %s (at %ss)\n' "$*" "$SECONDS"; }
# Maven, quiet and in batch mode; its logger still writes colour resets, which are dropped.
mvn_quiet() { mvn -q -B "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }

step "FFI: build libtimebank (release)"
cargo build -p ledger-ffi --release --locked
bash "$ffi/stage-library.sh" "$target/libtimebank.so"

step "FFI: the committed header matches the code"
bash "$ffi/check-header.sh"

step "FFI: the C layout of every public struct is the one the packages and Rust expect"
gcc -std=c11 -Wall -Wextra -Werror -I "$ffi/include" "$ffi/tests/c/layout.c" -o "$build/layout"
"$build/layout" | diff -u "$ffi/tests/c/layout.expected" -

step "FFI: C tests and the C example, shared and static, under valgrind"
if ! command -v valgrind >/dev/null; then
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi
cflags=(-std=c11 -O1 -g -Wall -Wextra -Werror -I "$ffi/include")
static_libs=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
valgrind=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all
    --suppressions="$ffi/tests/c/valgrind.supp")
shopt -s nullglob
programs=("$ffi"/tests/c/test_*.c "$root"/examples/c/*.c)
for source in "${programs[@]}"; do
    name="$(basename "$source" .c)"
    gcc "${cflags[@]}" -I "$ffi/tests/c" "$source" -o "$build/$name-shared" \
        -L "$target" -ltimebank -Wl,-rpath,"$target"
    gcc "${cflags[@]}" -I "$ffi/tests/c" "$source" -o "$build/$name-static" \
        "$target/libtimebank.a" "${static_libs[@]}"
    for kind in shared static; do
        echo "-- $name ($kind)"
        (cd "$build" && "${valgrind[@]}" "./$name-$kind")
    done
done

step "FFI: Python package (pytest)"
# A private environment, so the package under test is this one even when other checkouts on the
# machine install theirs; pytest comes from the system's packages when it is there.
python3 -m venv --system-site-packages "$build/venv"
python="$build/venv/bin/python"
pip=("$python" -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install "$ffi/python"
"$python" -c "import pytest" 2>/dev/null || "${pip[@]}" install pytest
(cd "$build" && "$python" -m pytest -q -p no:cacheprovider "$ffi/python/tests")

step "FFI: Java module (Maven, JUnit), with the cross-language test against the Python package"
# CrossLanguageTest writes a ledger with ids above 2^64 for this Python to read, and reads one it
# wrote; LayoutTest (like the Python one) compiles tests/c/layout.c with gcc.
(cd "$ffi/java" && mvn_quiet install -Dtimebank.python="$python")

step "FFI: Python and Java examples"
for example in "$root"/examples/python/*.py; do
    (cd "$build" && "$python" "$example")
done
if [ -f "$root/examples/java/pom.xml" ]; then
    (cd "$root/examples/java" && mvn_quiet compile exec:java)
fi
printf "\nFFI: all steps passed in %ss\n" "$SECONDS"
