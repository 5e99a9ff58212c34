"""Builds the ``timebank`` wheel: the Python code plus libtimebank for one Linux platform.

``pip install ledger-ffi/python`` (or ``pip wheel``) from a checkout builds the library from the
Rust workspace with ``ledger-ffi/build-library.sh`` (``cargo zigbuild``, linked against glibc
2.17), puts it inside the package beside ``_library.py``, and tags the wheel for the platform
the library runs on (``manylinux_2_17_x86_64.manylinux2014_x86_64``, or ``..._aarch64``), so pip
installs it only where it loads. The package stays pure ctypes: no Python extension module.

Environment:

- ``TIMEBANK_WHEEL_ARCH``: ``x86_64`` or ``aarch64`` (default: this machine's), to build the wheel
  for another architecture.
- ``TIMEBANK_WHEEL_LIBRARY``: a ``libtimebank.so`` already built by ``build-library.sh`` to ship
  instead of building one (the wheel's tag still follows that library).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FFI = HERE.parent
LIBRARY = "libtimebank.so"
# ELF e_machine values of the architectures the library is built for.
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}


def wheel_arch() -> str:
    arch = os.environ.get("TIMEBANK_WHEEL_ARCH") or platform.machine()
    if arch == "arm64":
        arch = "aarch64"
    if arch not in ELF_MACHINES.values():
        raise SystemExit(f"timebank: no libtimebank for architecture {arch!r} (x86_64, aarch64)")
    return arch


def library_built(directory: Path) -> Path:
    """The library to ship: the one named by TIMEBANK_WHEEL_LIBRARY, else one built now."""
    given = os.environ.get("TIMEBANK_WHEEL_LIBRARY")
    if given:
        return Path(given)
    script = FFI / "build-library.sh"
    if not script.is_file():
        raise SystemExit(
            "timebank: the wheel is built from the repository checkout (ledger-ffi/python), "
            "where ledger-ffi/build-library.sh builds libtimebank; or set TIMEBANK_WHEEL_LIBRARY"
        )
    subprocess.run(["bash", str(script), wheel_arch(), str(directory)], check=True)
    return directory / LIBRARY


def platform_tag(library: Path) -> str:
    """The wheel's platform tag, read from the library: its architecture and newest glibc."""
    data = library.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit(f"timebank: {library} is not a 64-bit little-endian ELF file")
    machine = int.from_bytes(data[18:20], "little")
    arch = ELF_MACHINES.get(machine)
    if arch is None or arch != wheel_arch():
        raise SystemExit(f"timebank: {library} is for ELF machine {machine}, not {wheel_arch()}")
    versions = {(int(major), int(minor)) for major, minor in re.findall(rb"GLIBC_(\d+)\.(\d+)", data)}
    if not versions:
        raise SystemExit(f"timebank: {library} names no glibc symbol version")
    major, minor = max(versions)
    tag = f"manylinux_{major}_{minor}_{arch}"
    # manylinux2014 is the legacy name of manylinux_2_17; older pips know only that one.
    return f"{tag}.manylinux2014_{arch}" if (major, minor) <= (2, 17) else tag


class BuildWithLibrary(build_py):
    """Copies libtimebank into the built package, beside ``_library.py`` that loads it."""

    def run(self) -> None:
        super().run()
        with tempfile.TemporaryDirectory() as scratch:
            library = library_built(Path(scratch))
            destination = Path(self.build_lib) / "timebank" / LIBRARY
            shutil.copyfile(library, destination)
            self.distribution.timebank_platform_tag = platform_tag(destination)


class WithLibrary(Distribution):
    """Not pure: the package carries a native library, so it installs as platform code."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """A wheel for any Python 3 on one platform: the code is pure, the library is not."""

    def get_tag(self) -> tuple[str, str, str]:
        self.run_command("build_py")
        return "py3", "none", self.distribution.timebank_platform_tag


setup(
    distclass=WithLibrary,
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel},
)
