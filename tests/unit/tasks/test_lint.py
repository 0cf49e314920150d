"""`invoke lint` (hadolint and shellcheck on the whole repository) passes on the repository itself."""

from __future__ import annotations

from tests.helpers import PROJECT
from tests.unit.tasks.shell import run


def test_the_repository_lints_clean() -> None:
    r = run(PROJECT, "lint")
    assert r.returncode == 0, r.stdout + r.stderr
