"""The matrix planner: one ordinary plan per combination, each with its own logs."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import mplan


def test_each_combination_is_an_ordinary_plan_with_its_own_logs(repo: Path) -> None:
    m = mplan(repo, framework="vllm,sglang", target="runtime")
    assert [p.key for p in m.plans] == ["vllm-cuda12.9", "sglang-cuda12.9"]
    vllm = m.plans[0]
    assert vllm.steps[1].log == str(repo / "build-logs" / "vllm-cuda12.9" / "framework.log")
    assert m.plans[0].steps[0].argv != m.plans[1].steps[0].argv  # each framework's own step 1
    assert m.to_json()["combinations"][1]["key"] == "sglang-cuda12.9"
