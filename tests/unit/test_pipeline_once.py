"""A build chooses its frontend once and pings the engine once (a matrix build too).

The whole real-build composition runs (`pipeline.build_plan`, then `pipeline.build`: checks, log
folders, preflight, build keys, executor, receipts) against a fake engine that counts its pings and a
frontend chooser that counts its calls; only the docker processes themselves are replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from dynamo_container import pipeline
from dynamo_container.buildkeys.keys import Verdict
from dynamo_container.docker.engine import FrontendChoice
from dynamo_container.errors import EngineError
from dynamo_container.execute.runner import StepResult, StepRunner
from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.model import BuildPlan, Step
from dynamo_container.resolve import execution
from tests.helpers import PROJECT, config

IMAGE = "sha256:" + "b" * 64


class CountingEngine:
    """The engine calls a build makes, answered; `pings` counts the engine checks."""

    docker = "docker"
    url = "unix:///fake.sock"
    local = True

    def __init__(self) -> None:
        self.pings = 0

    def ping(self) -> None:
        self.pings += 1

    def version(self) -> str:
        return "26.1.5 1.45"

    def info(self) -> dict[str, Any]:
        return {}

    def has_network(self, name: str) -> bool:
        return True

    def image_ids(self, refs: Sequence[str]) -> dict[str, str | None]:
        return dict.fromkeys(refs, IMAGE)

    def inspect_images(self, refs: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        return {ref: {"Id": IMAGE, "Size": 1} for ref in refs}

    def require_image(self, image: str, hint: str) -> None:
        pass


class RunEveryStep:
    """Build keys that never find a step up to date (every step runs, so every check is made)."""

    force = False

    def up_to_date(self, step: Step) -> Verdict:
        return Verdict("", reason="a test")

    def record(self, step: Step, key: str, image: str) -> None:
        pass

    def save(self) -> None:
        pass


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], CountingEngine]:
    """(one entry per frontend choice, the engine): every engine the pipeline makes is this one."""
    choices: list[str] = []
    eng = CountingEngine()

    def choose(docker: str, mode: str, builder: str, *, dry_run: bool) -> FrontendChoice:
        choices.append(docker)
        return FrontendChoice(Frontend(docker))

    def ran(self: StepRunner, step: Step, index: int, display: Any) -> StepResult:
        return StepResult(step, index)  # docker is not started: the step "built" (the engine has IMAGE)

    monkeypatch.setattr(execution, "choose_frontend", choose)
    monkeypatch.setattr(pipeline, "engine", lambda run: eng)
    monkeypatch.setattr(pipeline, "build_keys", lambda run, eng: RunEveryStep())
    monkeypatch.setattr(StepRunner, "run", ran)
    return choices, eng


def _cfg(repo: Path, tmp_path: Path, **flags: str) -> Any:
    return config(
        repo,
        context=str(repo),
        container_dir=str(PROJECT / "tests" / "fixtures" / "container"),
        log_dir=str(tmp_path / "logs"),
        progress="plain",
        **flags,
    )


def test_a_build_chooses_its_frontend_once_and_pings_once(
    repo: Path, tmp_path: Path, counted: tuple[list[str], CountingEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dynamo_container.buildcontext.sources.check_family", lambda *a: [])
    choices, eng = counted
    job = pipeline.build_plan(_cfg(repo, tmp_path, framework="vllm", target="runtime"))
    results = pipeline.build(job)
    assert isinstance(job.plan, BuildPlan) and len(results) == len(job.plan.steps) > 1
    assert all(isinstance(r, StepResult) and r.ok for r in results)
    assert (len(choices), eng.pings) == (1, 1)


def test_a_matrix_build_chooses_its_frontend_once_and_pings_once(
    repo: Path, tmp_path: Path, counted: tuple[list[str], CountingEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dynamo_container.buildcontext.sources.check_family", lambda *a: [])
    choices, eng = counted
    job = pipeline.build_plan(_cfg(repo, tmp_path, framework="vllm,sglang", target="runtime", jobs="2"))
    outcomes = pipeline.build(job)
    assert len(outcomes) == 2
    assert (len(choices), eng.pings) == (1, 1)


def test_explain_pings_once_and_chooses_once(
    repo: Path, tmp_path: Path, counted: tuple[list[str], CountingEngine]
) -> None:
    choices, eng = counted
    steps = pipeline.explain(pipeline.build_plan(_cfg(repo, tmp_path, framework="vllm", target="runtime")))
    assert steps and (len(choices), eng.pings) == (1, 1)


def test_a_dry_run_guess_is_refused_where_something_would_run() -> None:
    """Without the docker CLI a dry run shows a frontend; a bake file's command or a build needs it."""
    from dynamo_container.docker.engine import choose_frontend

    guess = choose_frontend("no-such-docker-cli-here", "auto", "", dry_run=True)
    assert guess.missing_cli and guess.frontend.buildx
    with pytest.raises(EngineError, match="docker CLI 'no-such-docker-cli-here' not found on PATH"):
        guess.for_real()
    assert FrontendChoice(Frontend()).for_real() == Frontend()
