#!/usr/bin/env bash
# The C ABI and its packages, each tested from its own language (called by scripts/test-all.sh):
# build the shipped libtimebank for x86_64 and aarch64 on glibc 2.17 and check it (SONAME,
# architecture, glibc ceiling), check the committed header, install it with install.sh and run
# the C tests and the C example against the installed shared library (found through pkg-config)
# under valgrind and against the static one natively, and the aarch64 build under qemu-aarch64;
# then build the x86_64 and aarch64 wheels and check their platform tags (auditwheel), the
# Python package (pytest), the Java module (Maven, JUnit; the jar with both platforms'
# libraries, sources and javadoc), then the Python and Java examples. A part whose tools cannot
# be installed on this machine (the aarch64 cross toolchain, qemu) is reported and skipped; the
# rest still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
ffi="$root/ledger-ffi"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
libraries="$build/libraries"
skipped=()

step() { printf '\n==> %s (at %ss)\n' "$*" "$SECONDS"; }
skip() { echo "SKIPPED: $*"; skipped+=("$*"); }
# Maven, quiet and in batch mode; its logger still writes colour resets, which are dropped.
mvn_quiet() { mvn -q -B "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }
apt_install() {
    [ -n "${apt_updated:-}" ] || { apt-get update -qq >/dev/null && apt_updated=1; }
    apt-get install -y -qq "$@" >/dev/null
}

step "FFI: build the shipped libtimebank for x86_64 (glibc 2.17) and check it"
bash "$ffi/build-library.sh" x86_64 "$libraries/linux-x86-64"

step "FFI: build the shipped libtimebank for aarch64 (glibc 2.17) and check it"
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user ||
        echo "(apt-get could not install gcc-aarch64-linux-gnu or qemu-user)"
fi
aarch64=1
bash "$ffi/build-library.sh" aarch64 "$libraries/linux-aarch64" || status=$?
if [ "${status:-0}" = 3 ]; then
    aarch64=0
    skip "the aarch64 library: its tools could not be installed (see above)"
elif [ "${status:-0}" != 0 ]; then
    exit "$status"
fi

step "FFI: the committed header matches the code"
bash "$ffi/check-header.sh"

step "FFI: the C layout of every public struct is the one the packages and Rust expect"
gcc -std=c11 -Wall -Wextra -Werror -I "$ffi/include" "$ffi/tests/c/layout.c" -o "$build/layout"
"$build/layout" | diff -u "$ffi/tests/c/layout.expected" -

step "FFI: install.sh lays out the library; C tests and the C example, shared under valgrind and static"
command -v valgrind >/dev/null || apt_install valgrind
command -v pkg-config >/dev/null || apt_install pkg-config
prefix="$build/prefix"
bash "$ffi/install.sh" "$prefix" "$libraries/linux-x86-64"
# What a host does: the flags come from timebank.pc; programs load libtimebank.so.0 (the SONAME).
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
readlink "$prefix/lib/libtimebank.so" | grep -x 'libtimebank.so.0' >/dev/null
cflags=(-std=c11 -O1 -g -Wall -Wextra -Werror $(pkg-config --cflags timebank) -I "$ffi/tests/c")
shared_libs=($(pkg-config --libs timebank) -Wl,-rpath,"$prefix/lib")
static_libs=($(pkg-config --static --libs timebank | sed 's/-ltimebank\b/-l:libtimebank.a/'))
# A definite or indirect leak fails; "possibly lost" and "still reachable" blocks belong to sled's
# process-wide state and its epoch-based reclamation (tagged pointers), whose timing varies from
# machine to machine, so they are neither errors nor printed (valgrind.supp says more).
# --fair-sched=yes: valgrind runs one thread at a time, and its default lock lets a thread that
# waits on another in a loop take the lock straight back, so a test of two threads could spin
# for ever.
valgrind=(timeout 900 valgrind -q --fair-sched=yes --error-exitcode=1 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --suppressions="$prefix/share/timebank/valgrind.supp")
shopt -s nullglob
programs=("$ffi"/tests/c/test_*.c "$root"/examples/c/*.c)
for source in "${programs[@]}"; do
    name="$(basename "$source" .c)"
    gcc "${cflags[@]}" "$source" -o "$build/$name-shared" "${shared_libs[@]}"
    gcc "${cflags[@]}" "$source" -o "$build/$name-static" "${static_libs[@]}"
    readelf -d "$build/$name-shared" | grep 'NEEDED.*\[libtimebank.so.0\]' >/dev/null
    # Under valgrind once (the same code either way), and natively against the static library.
    echo "-- $name (shared, valgrind)"
    (cd "$build" && "${valgrind[@]}" "./$name-shared")
    echo "-- $name (static)"
    (cd "$build" && timeout 300 "./$name-static")
done

step "FFI: the aarch64 library: C tests and the C example, shared and static, under qemu-aarch64"
if [ "$aarch64" = 1 ]; then
    if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
        prefix_arm="$build/prefix-aarch64"
        bash "$ffi/install.sh" "$prefix_arm" "$libraries/linux-aarch64"
        arm_static=($(PKG_CONFIG_PATH="$prefix_arm/lib/pkgconfig" pkg-config --static --libs timebank |
            sed 's/-ltimebank\b/-l:libtimebank.a/'))
        for source in "${programs[@]}"; do
            name="$(basename "$source" .c)"
            aarch64-linux-gnu-gcc "${cflags[@]}" "$source" -o "$build/$name-arm-shared" \
                -L "$prefix_arm/lib" -ltimebank -Wl,-rpath,"$prefix_arm/lib"
            aarch64-linux-gnu-gcc "${cflags[@]}" "$source" -o "$build/$name-arm-static" \
                "${arm_static[@]}"
            for kind in shared static; do
                echo "-- $name (aarch64, $kind, qemu)"
                (cd "$build" && qemu-aarch64 -L /usr/aarch64-linux-gnu "./$name-arm-$kind")
            done
        done
    else
        skip "no aarch64-linux-gnu-gcc or qemu-aarch64: the aarch64 C tests did not run"
    fi
else
    skip "no aarch64 library: the aarch64 C tests did not run"
fi

step "FFI: Python wheels (x86_64, aarch64) built from source; their platform tags checked"
# A private environment, so the package under test is this one even when other checkouts on the
# machine install theirs; pytest comes from the system's packages when it is there.
if ! python3 -m venv --system-site-packages "$build/venv"; then
    # venv hides why its pip bootstrap failed: show it, then make the environment without a pip of
    # its own and use the system's, which --system-site-packages lets it see (installs still go
    # into the environment).
    echo "python3 -m venv failed; its pip bootstrap says:"
    "$build/venv/bin/python" -m ensurepip --default-pip || true
    rm -rf "$build/venv"
    python3 -m venv --system-site-packages --without-pip "$build/venv"
fi
python="$build/venv/bin/python"
pip=("$python" -m pip --quiet --disable-pip-version-check)
"$python" -c "import auditwheel" 2>/dev/null || "${pip[@]}" install auditwheel
wheels="$build/wheels"
# The package's own build (setup.py) builds the library: the build above is reused from cargo's
# cache. The aarch64 wheel ships the library already built and checked.
"${pip[@]}" wheel --no-deps --wheel-dir "$wheels" "$ffi/python"
if [ "$aarch64" = 1 ]; then
    # Its build needs no zig: the venv's own setuptools builds it, without a second isolated
    # environment (a minute saved).
    "${pip[@]}" install "setuptools>=77"
    TIMEBANK_WHEEL_ARCH=aarch64 TIMEBANK_WHEEL_LIBRARY="$libraries/linux-aarch64/libtimebank.so" \
        "${pip[@]}" wheel --no-deps --no-build-isolation --wheel-dir "$wheels" "$ffi/python"
fi
for arch in x86_64 $([ "$aarch64" = 1 ] && echo aarch64); do
    wheel="$(ls "$wheels"/timebank-*-py3-none-manylinux_2_17_"$arch".manylinux2014_"$arch".whl)"
    unzip -l "$wheel" | grep ' timebank/libtimebank.so$' >/dev/null
    "$python" -m auditwheel show "$wheel" | tee "$build/auditwheel.txt"
    tr '\n' ' ' < "$build/auditwheel.txt" |
        grep "consistent with the following platform tag: \"manylinux_2_17_$arch\"" >/dev/null
done

step "FFI: Python package from its wheel (pytest)"
"${pip[@]}" install "$wheels"/timebank-*_x86_64.whl
"$python" -c "import pytest" 2>/dev/null || "${pip[@]}" install pytest
(cd "$build" && "$python" -m pytest -q -p no:cacheprovider "$ffi/python/tests")

step "FFI: Java module (Maven, JUnit, the cross-language test against the Python package; the jar with linux-x86-64 and linux-aarch64, sources, javadoc)"
# CrossLanguageTest writes a ledger with ids above 2^64 for this Python to read, and reads one it
# wrote; LayoutTest (like the Python one) compiles tests/c/layout.c with gcc.
bash "$ffi/stage-library.sh" "$libraries"
if [ "$aarch64" = 1 ]; then
    (cd "$ffi/java" && mvn_quiet install -Dtimebank.python="$python")
    jar="$(ls "$ffi"/java/target/timebank-*[0-9].jar)"
    for platform in linux-x86-64 linux-aarch64; do
        unzip -l "$jar" | grep " $platform/libtimebank.so$" >/dev/null
    done
    ls "$ffi"/java/target/timebank-*-sources.jar "$ffi"/java/target/timebank-*-javadoc.jar >/dev/null
else
    skip "the jar was built for the tests without linux-aarch64 (the release build refuses that)"
    (cd "$ffi/java" && mvn_quiet install -Dtimebank.python="$python" -Dtimebank.platforms.check.skip=true)
fi

step "FFI: Python and Java examples"
for example in "$root"/examples/python/*.py; do
    (cd "$build" && "$python" "$example")
done
if [ -f "$root/examples/java/pom.xml" ]; then
    (cd "$root/examples/java" && mvn_quiet compile exec:java)
fi
if [ "${#skipped[@]}" -gt 0 ]; then
    printf '\nFFI: skipped on this machine:\n'
    printf '  - %s\n' "${skipped[@]}"
fi
printf "\nFFI: all steps passed in %ss\n" "$SECONDS"
