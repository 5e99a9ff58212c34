#!/usr/bin/env bash
# Copies the shipped libraries into the Java module's native resources, under JNA's platform
# folders (linux-x86-64/, linux-aarch64/), where JNA finds them on the class path, inside the jar:
#
#   ledger-ffi/stage-library.sh LIBRARIES_DIR
#
# LIBRARIES_DIR holds linux-x86-64/libtimebank.so and linux-aarch64/libtimebank.so, as
# build-library.sh writes them. A missing one is left missing: the jar's build then fails and says
# which. These copies are build outputs, ignored by git. (The Python package builds its own copy:
# python/setup.py.)
set -euo pipefail
libraries="${1:?usage: stage-library.sh LIBRARIES_DIR}"
ffi="$(cd "$(dirname "$0")" && pwd)"
for platform in linux-x86-64 linux-aarch64; do
    destination="$ffi/java/native/$platform"
    rm -f "$destination/libtimebank.so"
    if [ -f "$libraries/$platform/libtimebank.so" ]; then
        mkdir -p "$destination"
        cp "$libraries/$platform/libtimebank.so" "$destination/libtimebank.so"
    fi
done
