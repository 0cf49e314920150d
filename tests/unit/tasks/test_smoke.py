"""`invoke smoke` as a user types it: one framework and CUDA version at a time."""

from __future__ import annotations

from tests.helpers import PROJECT
from tests.unit.tasks.shell import run


def test_a_list_of_frameworks_is_refused_in_one_line() -> None:
    r = run(PROJECT, "smoke", "--env-file", "tests/fixtures/stand-in.env", "--framework", "vllm,sglang")
    assert r.returncode == 1
    assert (
        r.stderr.strip()
        == "error: invoke smoke checks one framework and CUDA version (e.g. --framework vllm)"
    )
