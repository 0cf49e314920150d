"""The executor: the one step loop, a step's masked output and log, the failure report."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.execute.runner import StepResult, StepRunner, failure_report, run_chain
from dynamo_container.plan.model import Secret, Step


class Lines:
    """A display that keeps what it was shown."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def status(self, text: str) -> None:
        pass


def sh(name: str, script: str, **kw: object) -> Step:
    return Step(name, name, ("sh", "-c", script), kind="host", **kw)  # type: ignore[arg-type]


def test_run_chain_stops_at_the_first_failure_and_keeps_what_ran() -> None:
    steps = [sh("a", ""), sh("b", ""), sh("c", "")]
    codes = {"a": 0, "b": 2, "c": 0}
    results: list[StepResult] = []
    ok = run_chain(steps, lambda step, i: StepResult(step, i, returncode=codes[step.name]), results)
    assert ok is False
    assert [(r.step.name, r.index, r.returncode) for r in results] == [("a", 1, 0), ("b", 2, 2)]
    results = []
    assert run_chain(steps[:1], lambda step, i: StepResult(step, i), results, first_index=5) is True
    assert results[0].index == 5


def test_a_step_streams_masked_output_to_display_and_log(tmp_path: Path) -> None:
    runner = StepRunner({"HF_TOKEN": "hf_s3cr3t"}, tmp_path, tmp_path / "logs")
    display = Lines()
    step = sh("leak", 'echo "token $HF_TOKEN"; echo second; exit 3')
    result = runner.run(step, 1, display)
    assert result.returncode == 3 and not result.ok
    assert display.lines == ["token ****", "second"]
    log = (tmp_path / "logs" / "leak.log").read_text()
    assert "hf_s3cr3t" not in log and "token ****\nsecond\n" in log
    report = failure_report(result, 4, runner.log_path(step))
    assert report.startswith("step 1/4 (leak: leak) failed after") and "with exit code 3" in report
    assert report.endswith("    token ****\n    second")


def test_a_step_names_the_secrets_it_lacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    runner = StepRunner({}, tmp_path, tmp_path)
    step = sh("needs", "true", secrets=(Secret("github-token", "GITHUB_TOKEN"),))
    with pytest.raises(ConfigError, match="step needs needs GITHUB_TOKEN for its BuildKit secrets"):
        runner.env(step)
    assert runner.env(sh("plain", "true", env=(("X", "1"),)))["X"] == "1"


def test_a_stopped_runner_starts_nothing(tmp_path: Path) -> None:
    runner = StepRunner({}, tmp_path, tmp_path)
    runner.stop_all()
    result = runner.run(sh("late", "touch started"), 1, Lines())
    assert result.returncode == 130 and not (tmp_path / "started").exists()


def test_the_summary_marks_what_a_failure_left_unbuilt() -> None:
    from dynamo_container.execute.build import result_rows

    steps = [
        Step("base", "b", ("docker",), tags=("dyn-base:1",)),
        Step("framework", "f", ("docker",), tags=("dyn:1", "dyn:latest")),
        Step("local-dev", "l", ("docker",), tags=("dyn:1-local-dev",)),
    ]
    results = [StepResult(steps[0], 1, seconds=1.0), StepResult(steps[1], 2, seconds=2.0, returncode=1)]
    rows = result_rows(results, steps)
    assert [r[0] for r in rows] == ["1. base", "2. framework (failed, exit 1)", "3. local-dev (not run)"]
    assert rows[0][1] == "dyn-base:1"
    assert rows[1][1] == "not built: dyn:1\nnot built: dyn:latest"
    assert rows[2][1] == "not built: dyn:1-local-dev"
