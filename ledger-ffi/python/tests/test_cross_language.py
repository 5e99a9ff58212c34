"""The Python half of the cross-language ledger (``cross_language.py``) checked against itself;
``CrossLanguageTest.java`` checks it across languages."""

from __future__ import annotations

from pathlib import Path

import cross_language


def test_ids_above_2_to_64_survive_a_reopen(tmp_path: Path) -> None:
    cross_language.write(str(tmp_path / "ledger"))
    cross_language.check(str(tmp_path / "ledger"))
