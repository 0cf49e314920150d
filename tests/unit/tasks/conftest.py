"""The checkout every task test runs in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import PROJECT, make_repo, mark_checkout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Dynamo checkout made by the test, with our tasks.py in it (no developer .env files)."""
    root = mark_checkout(make_repo(tmp_path / "proj"))
    (root / "tasks.py").write_text((PROJECT / "tasks.py").read_text())
    (root / "container").symlink_to(PROJECT / "container")
    return root
