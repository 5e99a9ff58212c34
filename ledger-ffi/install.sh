#!/usr/bin/env bash
# Installs the C library for hosts, as a Linux distribution lays it out:
#
#   ledger-ffi/install.sh PREFIX [BUILD_DIR]
#
#   PREFIX/lib/libtimebank.so.X.Y.Z          the shared library (SONAME libtimebank.so.X)
#   PREFIX/lib/libtimebank.so.X -> .so.X.Y.Z  what programs load at run time
#   PREFIX/lib/libtimebank.so   -> .so.X      what `-ltimebank` links against
#   PREFIX/lib/libtimebank.a                  the static library
#   PREFIX/lib/pkgconfig/timebank.pc          `pkg-config --cflags --libs timebank`
#   PREFIX/include/timebank.h                 the header
#   PREFIX/share/timebank/valgrind.supp       suppressions for hosts running valgrind (sled's,
#                                             glibc's and Rust std's process-lifetime state)
#
# BUILD_DIR holds libtimebank.so and libtimebank.a (default: the release build,
# ${CARGO_TARGET_DIR:-target}/release). LIBDIR=lib64 for distributions that use it; DESTDIR
# stages the tree for a package (the .pc file still names PREFIX).
set -euo pipefail
prefix="${1:?usage: install.sh PREFIX [BUILD_DIR]}"
ffi="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$ffi")"
build="${2:-${CARGO_TARGET_DIR:-$root/target}/release}"
libdir="$prefix/${LIBDIR:-lib}"
includedir="$prefix/include"
destdir="${DESTDIR:-}"

version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")"
abi_major="$(sed -n 's/^const ABI_MAJOR: u32 = \([0-9]*\);/\1/p' "$ffi/build.rs")"
[ -n "$version" ] && [ -n "$abi_major" ] || { echo "install.sh: no version found" >&2; exit 1; }
for file in libtimebank.so libtimebank.a; do
    [ -f "$build/$file" ] || { echo "install.sh: $build/$file is missing (build it first)" >&2; exit 1; }
done
soname="$(readelf -d "$build/libtimebank.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
if [ "$soname" != "libtimebank.so.$abi_major" ]; then
    echo "install.sh: $build/libtimebank.so has SONAME '$soname', not libtimebank.so.$abi_major" >&2
    exit 1
fi

mkdir -p "$destdir$libdir/pkgconfig" "$destdir$includedir" "$destdir$prefix/share/timebank"
install -m 0755 "$build/libtimebank.so" "$destdir$libdir/libtimebank.so.$version"
ln -sfn "libtimebank.so.$version" "$destdir$libdir/libtimebank.so.$abi_major"
ln -sfn "libtimebank.so.$abi_major" "$destdir$libdir/libtimebank.so"
install -m 0644 "$build/libtimebank.a" "$destdir$libdir/libtimebank.a"
install -m 0644 "$ffi/include/timebank.h" "$destdir$includedir/timebank.h"
install -m 0644 "$ffi/tests/c/valgrind.supp" "$destdir$prefix/share/timebank/valgrind.supp"
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$libdir|" -e "s|@INCLUDEDIR@|$includedir|" \
    -e "s|@VERSION@|$version|" "$ffi/timebank.pc.in" > "$destdir$libdir/pkgconfig/timebank.pc"
echo "installed libtimebank $version (SONAME $soname) under $destdir$prefix"
