#!/usr/bin/env bash
# Builds the libtimebank that is shipped (in the wheels, the jar and by install.sh) for one Linux
# architecture, linked against glibc 2.17 so that it loads on CentOS 7, RHEL 8, Kylin V10, UOS and
# anything newer, then checks it (check-library.sh):
#
#   ledger-ffi/build-library.sh x86_64|aarch64 OUT_DIR
#
# OUT_DIR receives libtimebank.so (debug info stripped, symbols kept) and libtimebank.a. The build
# is `cargo zigbuild --release --target <arch>-unknown-linux-gnu.2.17` (zig links against the
# glibc 2.17 symbol versions whatever the build machine's glibc); missing tools are installed from
# their registries: the Rust target (rustup), zig (the `ziglang` package on PyPI) and
# cargo-zigbuild (its prebuilt package on PyPI; crates.io if that fails). Exit status 3 means a
# tool could not be installed on this machine (nothing was built); any other failure is the
# build's.
set -euo pipefail
arch="${1:?usage: build-library.sh x86_64|aarch64 OUT_DIR}"
out="${2:?usage: build-library.sh x86_64|aarch64 OUT_DIR}"
ffi="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$ffi")"
case "$arch" in
    x86_64 | aarch64) ;;
    *) echo "build-library.sh: unknown architecture '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac
# The oldest glibc the shipped library needs: manylinux2014's, CentOS 7's.
glibc=2.17
# The build tools, pinned so that every machine links the same way.
ZIG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1
triple="$arch-unknown-linux-gnu"
unavailable() { echo "build-library.sh: $* could not be installed on this machine" >&2; exit 3; }

if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
    echo "build-library.sh: adding the Rust target $triple" >&2
    rustup target add "$triple" >&2 || unavailable "the Rust target $triple"
fi
pip_install() {
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@" >&2
}
if ! command -v zig >/dev/null && ! python3 -m ziglang version >/dev/null 2>&1; then
    echo "build-library.sh: installing zig (PyPI package ziglang)" >&2
    pip_install "ziglang==$ZIG_VERSION" || unavailable "zig (ziglang)"
fi
if ! command -v cargo-zigbuild >/dev/null; then
    # PyPI carries a prebuilt cargo-zigbuild; compiling it from crates.io takes minutes.
    echo "build-library.sh: installing cargo-zigbuild (PyPI)" >&2
    pip_install "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" &&
        PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH" ||
        cargo install --locked --quiet cargo-zigbuild --version "$CARGO_ZIGBUILD_VERSION" >&2 ||
        unavailable "cargo-zigbuild"
fi

(cd "$root" && cargo zigbuild --release --locked -p timebank-ffi --lib --target "$triple.$glibc" >&2)
built="${CARGO_TARGET_DIR:-$root/target}/$triple/release"
mkdir -p "$out"
# Debug info is left out of the shipped copy (a fifth of the size); the symbol table stays, so a
# host's backtraces and valgrind's suppressions still name functions.
strip=strip
[ "$arch" = x86_64 ] || strip="$arch-linux-gnu-strip" # Debian's binutils-aarch64-linux-gnu
if command -v "$strip" >/dev/null; then
    "$strip" --strip-debug -o "$out/libtimebank.so" "$built/libtimebank.so"
else
    echo "build-library.sh: no $strip: the library keeps its debug info" >&2
    cp "$built/libtimebank.so" "$out/libtimebank.so"
fi
cp "$built/libtimebank.a" "$out/"
bash "$ffi/check-library.sh" "$out/libtimebank.so" "$arch" "$glibc"
