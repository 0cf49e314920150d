"""A signal during a matrix build: every running chain stopped and recorded, the waiting ones never started.

Each combination is a chain of host steps in its own session (as docker builds are); the signal is
sent to this process once the chosen number of combinations said `ready`, so it lands while they run.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildcontext.git import VersionInfo
from dynamo_container.execute.matrix import execute_matrix
from dynamo_container.execute.runner import StepResult, StepRunner
from dynamo_container.execute.signals import CTRL_C, SIGTERM, Stop, Stopped, terminate_as_interrupt
from dynamo_container.plan.matrix import MatrixPlan
from dynamo_container.plan.model import BuildPlan, Step

VERSION = VersionInfo("v0.0.1", "0.0.1", "a" * 40, "aaaaaaa", True)


@pytest.fixture(autouse=True)
def default_sigterm() -> Iterator[None]:
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "a handler was left installed"
    signal.signal(signal.SIGTERM, before)


class ReadyCounter:
    """The matrix's output stream: sends `sig` to this process when `wanted` lines ended in `ready`."""

    def __init__(self, sig: int, wanted: int) -> None:
        self.sig, self.wanted, self.seen = sig, wanted, 0
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            self.seen += text.rstrip("\n").endswith(" ready")
            if self.seen == self.wanted and text.rstrip("\n").endswith(" ready"):
                os.kill(os.getpid(), self.sig)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class PingOnly:
    """An engine that answers the ping; host steps need nothing else of it."""

    def ping(self) -> None:
        pass


def combination(tmp_path: Path, cuda: str) -> BuildPlan:
    folder = tmp_path / "logs" / f"none-cuda{cuda}"
    pid = tmp_path / f"{cuda}.pid"
    steps = (
        Step("first", "first", ("sh", "-c", "echo first"), kind="host", log=str(folder / "first.log")),
        Step(
            "slow",
            "slow",
            ("sh", "-c", f"echo $$ > {pid}; echo ready; exec sleep 60"),
            kind="host",
            log=str(folder / "slow.log"),
        ),
        Step("never", "never", ("sh", "-c", "echo never"), kind="host", log=str(folder / "never.log")),
    )
    return BuildPlan("none", cuda, "runtime", "linux/amd64", "amd64", VERSION, steps, (), ())


@pytest.mark.parametrize(
    ("sig", "stop"),
    [pytest.param(signal.SIGINT, CTRL_C, id="ctrl-c"), pytest.param(signal.SIGTERM, SIGTERM, id="sigterm")],
)
@pytest.mark.parametrize(("combinations", "jobs"), [(1, 1), (2, 2), (3, 2), (4, 1)])
def test_a_signal_stops_every_running_chain_and_starts_no_other(
    sig: int, stop: Stop, combinations: int, jobs: int, tmp_path: Path
) -> None:
    plans = tuple(combination(tmp_path, f"12.{n}") for n in range(combinations))
    recorded: dict[str, str] = {}

    def receipt(plan: BuildPlan) -> Callable[[list[StepResult], str], None]:
        def write(results: list[StepResult], status: str) -> None:
            recorded[plan.key] = status

        return write

    runner = StepRunner({}, tmp_path, tmp_path / "logs")
    running = min(jobs, combinations)
    engine: Any = PingOnly()
    with pytest.raises(Stopped) as err, terminate_as_interrupt():
        execute_matrix(MatrixPlan(plans), engine, runner, jobs, receipt, stream=ReadyCounter(sig, running))  # type: ignore[arg-type]
    assert str(err.value) == f"{stop.word}: every running build of the matrix was stopped"
    assert err.value.exit_code == stop.exit_code
    started = [p for p in plans if (tmp_path / f"{p.cuda}.pid").exists()]
    assert len(started) == running  # the waiting combinations never started
    assert recorded == {p.key: stop.word for p in started}  # each stopped chain recorded its stop
    for plan in started:
        pid = int((tmp_path / f"{plan.cuda}.pid").read_text())
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        folder = tmp_path / "logs" / plan.key
        assert (folder / "slow.log").read_text().splitlines()[-1] == stop.log_line
        assert not (folder / "never.log").exists()
