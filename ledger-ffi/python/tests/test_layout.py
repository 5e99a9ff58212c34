"""The ctypes structs cannot drift from the C header: ``tests/c/layout.c``, compiled here with
the system's C compiler, prints every field's ``offsetof`` and size, and every line must match
``timebank._structs`` field by field, and every mirrored field must be in it."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Set

from timebank import _structs as S

FFI = Path(__file__).resolve().parents[2]
MIRRORS = {
    "timebank_id": S.TimebankId,
    "timebank_open_options": S.OpenOptions,
    "timebank_account_new": S.AccountNew,
    "timebank_account": S.AccountOut,
    "timebank_statement_line": S.StatementLineOut,
    "timebank_statement_page": S.StatementPageOut,
    "timebank_store_info": S.StoreInfoOut,
    "timebank_verify_report": S.VerifyReportOut,
    "timebank_transfer": S.TransferIn,
    "timebank_transfer_text": S.TransferTextIn,
    "timebank_transfer_info": S.TransferOut,
    "timebank_operation_outcome": S.OperationOutcome,
    "timebank_attribution": S.AttributionIn,
}


def c_layout(tmp_path: Path) -> Set[str]:
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler, "a C compiler is needed to check the struct layouts"
    program = tmp_path / "layout"
    subprocess.run(
        [compiler, "-std=c11", "-I", str(FFI / "include"), str(FFI / "tests/c/layout.c"),
         "-o", str(program)],
        check=True,
    )
    out = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout
    return set(out.split("\n")) - {""}


def python_layout() -> Set[str]:
    lines = set()
    for name, struct in MIRRORS.items():
        lines.add(f"{name} sizeof {ctypes.sizeof(struct)}")
        for field, _ in struct._fields_:
            descriptor = getattr(struct, field)
            lines.add(f"{name}.{field} {descriptor.offset} {descriptor.size}")
    return lines


def test_every_struct_matches_the_c_compiler_field_by_field(tmp_path: Path) -> None:
    c = c_layout(tmp_path)
    py = python_layout()
    c_mirrored = {line for line in c if line.split(".")[0].split(" ")[0] in MIRRORS}
    assert c_mirrored == c, f"structs the package does not mirror: {sorted(c - c_mirrored)}"
    assert sorted(py - c) == [], "in _structs.py but not so in C"
    assert sorted(c - py) == [], "in C but not so in _structs.py"


def test_the_comparison_catches_a_drift(tmp_path: Path) -> None:
    drifted: Dict[str, str] = {"timebank_transfer.code 94 2": "timebank_transfer.code 96 2"}
    c = {drifted.get(line, line) for line in c_layout(tmp_path)}
    assert c != python_layout()

