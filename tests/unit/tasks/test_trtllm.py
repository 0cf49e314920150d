"""`invoke trtllm-wheel`: the commit is required; a dry run prints every step of the wheel build."""

from __future__ import annotations

from tests.helpers import PROJECT
from tests.unit.tasks.shell import run

STANDIN = ("--env-file", "tests/fixtures/stand-in.env")


def test_no_commit_is_refused_with_what_to_pass() -> None:
    r = run(PROJECT, "trtllm-wheel", *STANDIN, "--dry-run")
    assert r.returncode == 1 and r.stdout == ""
    assert (
        r.stderr.strip() == "error: the TensorRT-LLM commit is empty (pass --commit (a hash, tag or branch))"
    )


def test_a_dry_run_prints_the_configuration_and_numbered_steps() -> None:
    r = run(PROJECT, "trtllm-wheel", *STANDIN, "--commit", "abc1234", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "Configuration" in r.stdout and "commit         abc1234" in r.stdout
    steps = [line for line in r.stdout.splitlines() if line.startswith("Step ")]
    assert steps[0].startswith("Step 1/") and steps[0].endswith("create the source folder")
    assert len(steps) == int(steps[0].split("/")[1].split(":")[0])
