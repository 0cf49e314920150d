"""`invoke receipts`: with no build yet it says so and where it looked."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import PROJECT
from tests.unit.tasks.shell import run


def test_no_receipts_yet_names_the_folder(tmp_path: Path) -> None:
    r = run(PROJECT, "receipts", "--log-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (
        r.stdout.strip() == f"no receipts yet in {tmp_path / 'receipts'} (every real invoke build writes one)"
    )
