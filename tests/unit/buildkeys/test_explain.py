"""`invoke build --explain`: per step whether it would run and why, a step after one that runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dynamo_container import pipeline
from dynamo_container.buildkeys.keys import Verdict
from dynamo_container.plan.model import Step
from dynamo_container.tasks import build as build_task
from tests.helpers import config, execution, plan

KEPT = "sha256:" + "a" * 64


class FakeEngine:
    def ping(self) -> None:
        pass


class FakeKeys:
    """A verdict per step name, as BuildKeys.up_to_date gives it."""

    def __init__(self, verdicts: dict[str, Verdict], force: bool = False) -> None:
        self.verdicts, self.force = verdicts, force

    def up_to_date(self, step: Step) -> Verdict:
        return self.verdicts[step.name]


def explained(
    repo: Path, monkeypatch: pytest.MonkeyPatch, verdicts: dict[str, Verdict]
) -> list[dict[str, Any]]:
    monkeypatch.setattr(pipeline, "engine", lambda run: FakeEngine())
    monkeypatch.setattr(pipeline, "build_keys", lambda run, eng: FakeKeys(verdicts))
    cfg = config(repo, context=str(repo), framework="vllm", target="runtime")
    job = pipeline.Build(plan(repo, context=str(repo), framework="vllm", target="runtime"), execution(cfg))
    return pipeline.explain(job)


def test_up_to_date_steps_name_the_image_they_keep(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = Verdict("k" * 64, KEPT, reason=f"kept {KEPT} (build key kkkk)")
    steps = explained(repo, monkeypatch, {"base": kept, "framework": kept})
    assert [(s["step"], s["runs"], s["why"]) for s in steps] == [
        ("base", False, f"kept {KEPT} (build key kkkk)"),
        ("framework", False, f"kept {KEPT} (build key kkkk)"),
    ]


def test_a_step_after_one_that_runs_says_so(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = Verdict("r" * 64, reason="build context files: README changed")
    kept = Verdict("k" * 64, KEPT, reason="kept it")
    steps = explained(repo, monkeypatch, {"base": runs, "framework": kept})
    assert (steps[0]["runs"], steps[0]["why"]) == (True, "build context files: README changed")
    assert steps[1]["runs"] is True
    assert steps[1]["why"].startswith("step base runs first and this step starts from its image")
    missing = Verdict("", why="x is not on the engine", reason="it cannot be skipped: x is not on the engine")
    steps = explained(repo, monkeypatch, {"base": runs, "framework": missing})
    assert steps[1]["why"] == "step base runs first and builds the image it starts from"


def test_the_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"combination": c, "step": "base", "index": 1, "total": 2, "runs": r, "why": w, "tags": []}
        for c, r, w in (("vllm-cuda12.9", True, "--no-cache"), ("sglang-cuda12.9", False, "kept x"))
    ]
    build_task._explain(rows, json=False)
    assert capsys.readouterr().out.splitlines() == [
        "vllm-cuda12.9 step 1/2 base: would run: --no-cache",
        "sglang-cuda12.9 step 1/2 base: up to date: kept x",
        "Explain is a dry run: nothing was run or written.",
    ]
    build_task._explain(rows[:1], json=False)
    assert capsys.readouterr().out.startswith("step 1/2 base: would run: --no-cache\n")
    build_task._explain(rows[:1], json=True)
    assert '"runs": true' in capsys.readouterr().out
