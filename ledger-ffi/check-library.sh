#!/usr/bin/env bash
# Checks a built libtimebank.so the way a host's loader will see it, and fails otherwise:
#
#   ledger-ffi/check-library.sh path/to/libtimebank.so x86_64|aarch64 [GLIBC_MAX]
#
# - its SONAME is libtimebank.so.<ABI major> (build.rs), what programs linked to it record;
# - it is an ELF shared object for the architecture named;
# - the highest GLIBC_x.y symbol version it needs is at most GLIBC_MAX (default 2.17), so it
#   loads on every glibc from that one on;
# - it needs no shared library beyond glibc's and libgcc_s (what manylinux2014 allows).
set -euo pipefail
library="${1:?usage: check-library.sh LIBRARY x86_64|aarch64 [GLIBC_MAX]}"
arch="${2:?usage: check-library.sh LIBRARY x86_64|aarch64 [GLIBC_MAX]}"
glibc_max="${3:-2.17}"
ffi="$(cd "$(dirname "$0")" && pwd)"
fail() { echo "check-library.sh: $library: $*" >&2; exit 1; }

abi_major="$(sed -n 's/^const ABI_MAJOR: u32 = \([0-9]*\);/\1/p' "$ffi/build.rs")"
soname="$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ "$soname" = "libtimebank.so.$abi_major" ] ||
    fail "SONAME is '$soname', expected libtimebank.so.$abi_major"

machine="$(readelf -h "$library" | sed -n 's/^ *Machine: *//p')"
type="$(readelf -h "$library" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')"
case "$arch" in
    x86_64) expected="Advanced Micro Devices X86-64" ;;
    aarch64) expected="AArch64" ;;
    *) fail "unknown architecture '$arch'" ;;
esac
[ "$machine" = "$expected" ] || fail "machine is '$machine', expected '$expected'"
[ "$type" = DYN ] || fail "ELF type is '$type', expected DYN (a shared object)"

# Every GLIBC_x.y[.z] version the library's symbols are bound to (readelf -V, version needs).
needed_max="$(readelf -V --wide "$library" | grep -o 'Name: GLIBC_[0-9][0-9.]*' |
    sed 's/Name: GLIBC_//' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)"
[ -n "$needed_max" ] || fail "no GLIBC symbol versions found (not linked against glibc?)"
highest="$(printf '%s\n%s\n' "$needed_max" "$glibc_max" | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)"
[ "$highest" = "$glibc_max" ] ||
    fail "needs GLIBC_$needed_max, above the ceiling GLIBC_$glibc_max (it would not load there)"

allowed=" libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libutil.so.1 libgcc_s.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 "
for needed in $(readelf -d "$library" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case "$allowed" in
        *" $needed "*) ;;
        *) fail "needs $needed, which is not part of glibc or libgcc_s" ;;
    esac
done
echo "$library: $arch, SONAME $soname, highest symbol version GLIBC_$needed_max (ceiling $glibc_max)"
