"""SIGTERM is handled as Ctrl-C is (signals.py): the handler itself, and every executor path it reaches.

The executor tests run real child processes (host steps, in sessions of their own as docker builds
are) and send the signal to this process from the child's first output line, so the stop lands while
the step runs, with no timing involved.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import DynamoError, Interrupted
from dynamo_container.execute.build import execute_build
from dynamo_container.execute.runner import StepResult, StepRunner
from dynamo_container.execute.signals import (
    CTRL_C,
    SIGTERM,
    Stop,
    Stopped,
    Terminated,
    held_signals,
    stop_of,
    stopped,
    terminate_as_interrupt,
)
from dynamo_container.plan.model import Step, TaskPlan

BOTH = [pytest.param(signal.SIGINT, CTRL_C, id="ctrl-c"), pytest.param(signal.SIGTERM, SIGTERM, id="sigterm")]


@pytest.fixture(autouse=True)
def default_sigterm() -> Iterator[None]:
    """Each test starts and ends with SIGTERM's default action (a test that broke it would kill pytest)."""
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "a handler was left installed"
    signal.signal(signal.SIGTERM, before)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def sh(name: str, script: str) -> Step:
    return Step(name, name, ("sh", "-c", script), kind="host")


def slow(name: str, tmp_path: Path) -> Step:
    """A step that says `ready` and then waits a minute, unless it is stopped; it writes its pid."""
    return sh(name, f"echo $$ > {tmp_path / (name + '.pid')}; echo ready; exec sleep 60")


class SignalOn:
    """A display (and a text stream) that sends `sig` to this process when it is shown `ready`."""

    def __init__(self, sig: int, times: int = 1) -> None:
        self.sig, self.times, self.seen = sig, times, 0
        self.text: list[str] = []
        self.lock = threading.Lock()

    def _saw(self, text: str) -> None:
        with self.lock:
            self.text.append(text)
            if text.rstrip("\n").endswith("ready"):
                self.seen += 1
                if self.seen == self.times:
                    os.kill(os.getpid(), self.sig)

    def line(self, text: str) -> None:
        self._saw(text)

    def status(self, text: str) -> None:
        pass

    def write(self, text: str) -> int:
        for part in text.splitlines():
            self._saw(part)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


# ----- the handler ----------------------------------------------------------------------------------


def _custom(signum: int, frame: Any) -> None:
    raise AssertionError("the previous handler must not run inside the block")


@pytest.mark.parametrize(
    "previous", [signal.SIG_DFL, signal.SIG_IGN, _custom], ids=["default", "ignore", "own"]
)
def test_the_handler_is_installed_for_the_block_and_the_old_one_restored(previous: Any) -> None:
    signal.signal(signal.SIGTERM, previous)
    with terminate_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) not in (previous, signal.SIG_DFL)
        with pytest.raises(Terminated):
            os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == previous
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.parametrize("repeats", [1, 2, 5])
def test_only_the_first_sigterm_raises_so_cleanup_runs_to_its_end(repeats: int) -> None:
    cleaned = False
    with pytest.raises(Stopped) as err, terminate_as_interrupt():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            for _ in range(repeats):  # a supervisor repeating itself while we clean up
                os.kill(os.getpid(), signal.SIGTERM)
            cleaned = True
    assert cleaned
    assert err.value.exit_code == 143 and str(err.value) == "terminated by SIGTERM"


def test_a_sigterm_is_a_keyboard_interrupt_to_every_ctrl_c_path() -> None:
    caught: list[BaseException] = []
    with terminate_as_interrupt():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except KeyboardInterrupt as exc:  # what the executor catches
            caught.append(exc)
    assert len(caught) == 1 and stop_of(caught[0]) is SIGTERM


def test_errors_inside_the_block_pass_unchanged() -> None:
    with pytest.raises(ValueError, match="not a signal"), terminate_as_interrupt():
        raise ValueError("not a signal")
    with pytest.raises(KeyboardInterrupt) as err, terminate_as_interrupt():
        raise KeyboardInterrupt  # Ctrl-C stays Ctrl-C
    assert stop_of(err.value) is CTRL_C


def test_outside_the_main_thread_the_block_runs_unchanged() -> None:
    seen: list[Any] = []

    def body() -> None:
        with terminate_as_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert seen == [signal.SIG_DFL]


@pytest.mark.parametrize(
    ("exc", "stop", "line"),
    [
        (KeyboardInterrupt(), CTRL_C, "interrupted: step 2/3 (b) was stopped"),
        (Terminated(), SIGTERM, "terminated by SIGTERM: step 2/3 (b) was stopped"),
    ],
)
def test_a_stop_has_its_line_exit_code_and_record_status(exc: BaseException, stop: Stop, line: str) -> None:
    assert stop_of(exc) is stop
    error = stopped(exc, "step 2/3 (b) was stopped")
    assert isinstance(error, Interrupted) and isinstance(error, DynamoError)
    assert str(error) == line and error.exit_code == stop.exit_code == 128 + stop.signum
    assert stop.log_line.startswith("stopped: ")


# ----- the step runner -------------------------------------------------------------------------------


@pytest.mark.parametrize(("sig", "stop"), BOTH)
def test_a_signal_stops_the_step_closes_its_log_and_starts_nothing_after(
    sig: int, stop: Stop, tmp_path: Path
) -> None:
    runner = StepRunner({}, tmp_path, tmp_path / "logs")
    step = slow("slow", tmp_path)
    caught: list[BaseException] = []
    with terminate_as_interrupt():
        try:
            runner.run(step, 1, SignalOn(sig))
        except KeyboardInterrupt as exc:  # the runner passes it on, as the plan's loop expects
            caught.append(exc)
    assert len(caught) == 1 and stop_of(caught[0]) is stop
    assert not alive(int((tmp_path / "slow.pid").read_text()))
    lines = (tmp_path / "logs" / "slow.log").read_text().splitlines()
    assert lines[0].startswith("$ sh -c") and "ready" in lines and lines[-1] == stop.log_line
    late = runner.run(sh("late", f"touch {tmp_path / 'started'}"), 2, SignalOn(0))
    assert (late.returncode, late.stopped) == (stop.exit_code, stop.word)
    assert not (tmp_path / "started").exists()
    assert not (tmp_path / "logs" / "late.log").exists()  # a step that never ran leaves no log


# ----- a plan -------------------------------------------------------------------------------------------


class NoEngine:
    """Host steps never reach the engine; a test that did would fail here."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the engine was used: {name}")


@pytest.mark.parametrize(("sig", "stop"), BOTH)
@pytest.mark.parametrize("at", [1, 2, 3])
def test_a_stopped_plan_records_the_stop_and_ends_with_one_line(
    sig: int, stop: Stop, at: int, tmp_path: Path
) -> None:
    steps = tuple(slow(f"s{i}", tmp_path) if i == at else sh(f"s{i}", "echo fine") for i in (1, 2, 3))
    runner = StepRunner({}, tmp_path, tmp_path / "logs")
    finished: list[tuple[list[str], str]] = []

    def on_finish(results: list[StepResult], status: str) -> None:
        finished.append(([r.step.name for r in results], status))

    stream = SignalOn(sig)
    with pytest.raises(Stopped) as err, terminate_as_interrupt():
        execute_build(TaskPlan(steps, ()), NoEngine(), runner, stream=stream, on_finish=on_finish)  # type: ignore[arg-type]
    log = tmp_path / "logs" / f"s{at}.log"
    assert str(err.value) == f"{stop.word}: step {at}/3 (s{at}) was stopped; its log is {log}"
    assert err.value.exit_code == stop.exit_code
    assert finished == [([f"s{i}" for i in range(1, at)], stop.word)]  # the record, with what ran
    assert log.read_text().splitlines()[-1] == stop.log_line
    assert not alive(int((tmp_path / f"s{at}.pid").read_text()))
    assert [p.name for p in sorted((tmp_path / "logs").iterdir())] == [f"s{i}.log" for i in range(1, at + 1)]


def test_ctrl_c_still_says_interrupted_and_exits_130(tmp_path: Path) -> None:
    runner = StepRunner({}, tmp_path, tmp_path / "logs")
    with pytest.raises(Stopped) as err:  # no SIGTERM handler needed for Ctrl-C
        execute_build(
            TaskPlan((slow("s", tmp_path),), ()), NoEngine(), runner, stream=SignalOn(signal.SIGINT)
        )  # type: ignore[arg-type]
    assert err.value.exit_code == 130 and str(err.value).startswith("interrupted: step 1/1 (s) was stopped")


# ----- a signal while a child process starts ------------------------------------------------------------


@pytest.mark.parametrize(("sig", "stop"), BOTH)
@pytest.mark.parametrize("count", [1, 3])
def test_a_signal_while_a_process_starts_comes_once_it_is_known(sig: int, stop: Stop, count: int) -> None:
    started: list[str] = []
    with pytest.raises(KeyboardInterrupt) as err, terminate_as_interrupt():
        try:
            with held_signals():
                for _ in range(count):  # as if it came during Popen
                    os.kill(os.getpid(), sig)
                started.append("proc")  # the process is known before the signal lands
        except KeyboardInterrupt as exc:
            assert started == ["proc"]
            raise KeyboardInterrupt from exc  # leaves the block as itself, not as its line
    assert stop_of(err.value.__cause__ or err.value) is stop


def test_without_a_signal_holding_changes_nothing() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with held_signals():
        pass
    assert {s: signal.getsignal(s) for s in before} == before
