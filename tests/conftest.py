"""Fixtures shared by every test tier (helpers live in tests/helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """One commit after tag v0.6.1, like the recorded reference runs."""
    return make_repo(tmp_path / "repo")
