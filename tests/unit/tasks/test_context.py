"""`invoke context`: the build context as BuildKit would receive it, as a table and as JSON."""

from __future__ import annotations

import json

from tests.helpers import PROJECT
from tests.unit.tasks.shell import run

STANDIN = ("--env-file", "tests/fixtures/stand-in.env")


def test_the_stand_in_context_is_measured_through_its_ignore_file() -> None:
    data = json.loads(run(PROJECT, "context", *STANDIN, "--json").stdout)
    assert data["context"] == str(PROJECT / "tests/fixtures/stand-in/dynamo")
    assert data["ignore_file"].endswith("tests/fixtures/container/Dockerfile.vllm.dockerignore")
    assert data["files"] > 0 and data["bytes"] > 0 and data["patterns"] > 0
    assert all(d["bytes"] <= data["bytes"] for d in data["largest_dirs"])


def test_the_table_says_the_same_in_words() -> None:
    r = run(PROJECT, "context", *STANDIN)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Build context (after the ignore file)")
    assert "Dockerfile.vllm.dockerignore" in r.stdout and "DYNAMO_CONTEXT_WARN_MB" in r.stdout
