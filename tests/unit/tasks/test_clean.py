"""`invoke clean` as a user types it (removal itself: tests/unit/execute/test_clean.py)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import PROJECT
from tests.unit.tasks.shell import run


def test_without_a_docker_cli_clean_says_which_one_it_could_not_run(tmp_path: Path) -> None:
    r = run(PROJECT, "clean", "--dry-run", "--log-dir", str(tmp_path))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: cannot run /nonexistent/docker") and "DYNAMO_DOCKER_CLI" in r.stderr
