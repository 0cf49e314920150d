"""`--progress`: which mode a stream gets, what each mode prints, the matrix status board."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dynamo_container.execute.build import execute_build
from dynamo_container.execute.matrix import Outcome, print_outcomes
from dynamo_container.execute.runner import StepResult, StepRunner
from dynamo_container.plan.model import Step, TaskPlan
from dynamo_container.report import views
from dynamo_container.report.board import Board


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class NoEngine:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the engine was used: {name}")


@pytest.fixture
def colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("NO_COLOR", "CI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "120")


@pytest.mark.usefixtures("colour_terminal")
@pytest.mark.parametrize(
    ("mode", "env", "tty", "chosen", "why"),
    [
        ("auto", {}, True, "tty", ""),
        ("auto", {}, False, "plain", ""),
        ("auto", {"CI": "1"}, True, "plain", ""),
        ("auto", {"TERM": "dumb"}, True, "plain", ""),
        ("auto", {"NO_COLOR": ""}, True, "plain", ""),
        ("tty", {}, True, "tty", ""),
        ("tty", {}, False, "plain", "the output is not a terminal"),
        ("tty", {"TERM": "dumb"}, True, "plain", "TERM is dumb"),
        ("tty", {"NO_COLOR": "1"}, True, "plain", "NO_COLOR is set"),
        ("plain", {}, True, "plain", ""),
        ("quiet", {}, True, "quiet", ""),
        ("quiet", {}, False, "quiet", ""),
    ],
)
def test_the_mode_a_stream_gets(
    monkeypatch: pytest.MonkeyPatch, mode: str, env: dict[str, str], tty: bool, chosen: str, why: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    got, note = views.choose(mode, Terminal() if tty else io.StringIO())
    assert got == chosen
    assert (why in note) if why else note == ""


def sh(name: str, script: str) -> Step:
    return Step(name, f"the {name} step", ("sh", "-c", script), kind="host")


def build(mode: str, stream: io.StringIO, tmp_path: Path) -> list[StepResult]:
    plan = TaskPlan((sh("a", "echo out-of-a"), sh("b", "echo out-of-b")), (("what", "two host steps"),))
    runner = StepRunner({}, tmp_path, tmp_path / "logs")
    return execute_build(plan, NoEngine(), runner, stream=stream, progress=mode)  # type: ignore[arg-type]


def test_quiet_prints_only_step_results_and_the_summary(tmp_path: Path) -> None:
    out = io.StringIO()
    build("quiet", out, tmp_path)
    lines = [line for line in out.getvalue().splitlines() if line]
    assert lines[0].startswith("Step 1/2 a done in ") and lines[1].startswith("Step 2/2 b done in ")
    assert lines[2] == "Summary" and lines[3].split()[:2] == ["step", "image"]
    text = out.getvalue()
    assert "out-of-a" not in text and "Configuration" not in text and "sh -c" not in text
    assert "out-of-a" in (tmp_path / "logs" / "a.log").read_text()  # the log keeps every line


def test_plain_prints_commands_and_prefixed_lines(tmp_path: Path) -> None:
    out = io.StringIO()
    build("plain", out, tmp_path)
    text = out.getvalue()
    assert "Configuration" in text and "Step 1/2: the a step" in text and "sh -c 'echo out-of-a'" in text
    assert any(line.startswith("[1/2 a ") and line.endswith("] out-of-a") for line in text.splitlines())


@pytest.mark.usefixtures("colour_terminal")
def test_tty_shows_a_live_view_and_keeps_the_results(tmp_path: Path) -> None:
    out = Terminal()
    build("tty", out, tmp_path)
    text = out.getvalue()
    assert "\x1b[" in text  # the live region is drawn and cleared
    assert f"log: {tmp_path / 'logs' / 'a.log'}" in text
    assert "Step 2/2 b done in " in text and "┏━" in text


def test_live_step_shows_the_instruction_the_elapsed_time_and_the_last_lines() -> None:
    view = views.LiveStep("1/2 base", started=0.0)
    view.status("3/10 cached so far · [wheel_builder 5/11] RUN    make\n  wheels")
    for n in range(10):
        view.line(f"line {n}")
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(view)
    shown = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert (
        "1/2 base · " in shown[0] and "3/10 cached so far · [wheel_builder 5/11] RUN make wheels" in shown[0]
    )
    assert shown[1:] == [f"line {n}" for n in range(10 - views.TAIL, 10)]


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (59.9, "59s"), (61, "1m01s"), (3725, "1h02m")])
def test_clock(seconds: float, text: str) -> None:
    assert views.clock(seconds) == text


def test_the_board_has_one_line_per_combination() -> None:
    board = Board([("vllm-cuda12.9", 2), ("sglang-cuda12.9", 2), ("trtllm-cuda13.1", 2)])
    board.step("vllm-cuda12.9", 1, "base")
    board.detail("vllm-cuda12.9", "4/9 cached so far · [base 3/11]   COPY a /a")
    board.step("sglang-cuda12.9", 2, "framework")
    board.finish("sglang-cuda12.9", "up to date", "2 up to date")
    lines = board.lines()
    assert lines[0] == "matrix: 1 of 3 combinations finished"
    vllm, sglang, trtllm = lines[1:]
    assert vllm.split()[:5] == ["vllm-cuda12.9", "step", "1", "of", "2"]
    assert vllm.endswith("4/9 cached so far · [base 3/11] COPY a /a")
    assert sglang.split()[1:4] == ["up", "to", "date"] and sglang.endswith("2 up to date")
    assert trtllm.split() == ["trtllm-cuda13.1", "queued", "-"]


def _outcome(key: str, status: str, up: list[bool], ok: bool = True, reason: str = "") -> Outcome:
    steps = tuple(Step(f"s{i}", "s", ("true",)) for i in range(len(up)))
    plan: Any = SimpleNamespace(key=key, final_tags=(f"img:{key}",), steps=steps)
    results = [
        StepResult(s, i, up_to_date=u, returncode=0 if ok else 1, reason=reason)
        for i, (s, u) in enumerate(zip(steps, up, strict=True))
    ]
    return Outcome(plan, status=status, results=results)


def test_the_matrix_summary_tells_up_to_date_from_built_and_failed(tmp_path: Path) -> None:
    outcomes = [
        _outcome("vllm-cuda12.9", "up to date", [True, True]),
        _outcome("sglang-cuda12.9", "built", [True, False], reason="build context files: a.py changed"),
        _outcome("trtllm-cuda13.1", "failed at step s0", [False], ok=False),
    ]
    out = io.StringIO()
    print_outcomes(outcomes, StepRunner({}, tmp_path, tmp_path), out)
    lines = out.getvalue().splitlines()
    assert lines[1] == "Matrix summary: 1 built, 1 up to date, 1 failed"
    rows = {line.split()[0]: line for line in lines[3:]}
    assert " up to date " in rows["vllm-cuda12.9"] and "2 up to date" in rows["vllm-cuda12.9"]
    assert " built " in rows["sglang-cuda12.9"] and "1 built, 1 up to date" in rows["sglang-cuda12.9"]
    assert rows["sglang-cuda12.9"].endswith("s1 ran because build context files: a.py changed")
    assert rows["vllm-cuda12.9"].endswith(" -")  # up to date: nothing ran
    assert "failed at step s0" in rows["trtllm-cuda13.1"] and "(not built)" in rows["trtllm-cuda13.1"]
