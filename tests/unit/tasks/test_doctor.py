"""`invoke doctor --json`: every check with a verdict, and the counts that sum them."""

from __future__ import annotations

import json

from tests.helpers import PROJECT
from tests.unit.tasks.shell import run


def test_without_an_engine_doctor_fails_the_engine_checks_and_counts_every_verdict() -> None:
    r = run(PROJECT, "doctor", "--json")
    data = json.loads(r.stdout)
    assert r.returncode != 0 and data["ok"] is False
    verdicts = [c["status"] for c in data["checks"]]
    assert {k: verdicts.count(k) for k in ("pass", "warn", "fail")} == data["counts"]
    assert any(c["status"] == "fail" and "/nonexistent/docker" in json.dumps(c) for c in data["checks"])
