#!/usr/bin/env bash
# Copies a built libtimebank.so to where the packages ship it from: inside the Python package
# and in the Java module's native resources (JNA's linux-x86-64/ folder). These copies are build
# outputs, ignored by git.
set -euo pipefail
library="${1:?usage: stage-library.sh path/to/libtimebank.so}"
ffi="$(cd "$(dirname "$0")" && pwd)"
# Debug info stays in the build; the shipped copies carry symbols only (a fifth of the size).
for destination in "$ffi/python/src/timebank" "$ffi/java/native/linux-x86-64"; do
    mkdir -p "$destination"
    strip --strip-debug -o "$destination/libtimebank.so" "$library"
done
