"""Running a matrix build: each combination's chain of steps in a thread, `--jobs` at a time.

A failing combination does not stop the others; each has its own status, log folder and receipt.
Output lines are prefixed with the combination and step; Ctrl-C (or SIGTERM) stops every running
process, the stopped combinations record it, and the ones not started yet never start.
"""

from __future__ import annotations

import concurrent.futures as futures
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from . import render
from .engine import Engine
from .errors import StepFailed
from .execute import PlainDisplay, StepResult, StepRunner, run_chain, run_or_skip
from .plan.matrix import MatrixPlan
from .plan.model import BuildPlan, Step
from .signals import stop_of, stopped

if TYPE_CHECKING:
    from .buildkey import BuildKeys

GB = 1024**3
JOB_MEMORY = 2 * GB  # about what one compile job needs

ReceiptFor = Callable[[BuildPlan], Callable[[list[StepResult], str], None]]


@dataclass
class Outcome:
    plan: BuildPlan
    status: str = "pending"
    seconds: float = 0.0
    returncode: int = 0
    results: list[StepResult] = field(default_factory=list)


def default_jobs() -> int:
    """Parallel combinations: one per CPU, at most one per ~2 GB of available memory."""
    cpus = os.cpu_count() or 1
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info = dict(line.split(":", 1) for line in f)
        available = int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return max(1, cpus)
    return max(1, min(cpus, available // JOB_MEMORY))


def _chain(
    plan: BuildPlan,
    runner: StepRunner,
    stream: TextIO,
    receipt: ReceiptFor,
    keys: BuildKeys | None,
    engine: Engine,
) -> Outcome:
    out = Outcome(plan)
    started = time.monotonic()

    def one(step: Step, index: int) -> StepResult:
        display = PlainDisplay(f"{plan.key} {step.name}", time.monotonic(), stream)
        result = run_or_skip(step, index, keys, lambda: runner.run(step, index, display), engine)
        if result.up_to_date:
            display.line(f"up to date (build key {result.key[:12]})")
        if result.problem:
            display.line(f"error: {result.problem}")
        return result

    ok = run_chain(plan.steps, one, out.results)
    if ok:
        out.status = "built"
    else:
        failed = out.results[-1]
        out.status = failed.stopped or f"failed at step {failed.step.name}"
        out.returncode = failed.returncode
    out.seconds = time.monotonic() - started
    receipt(plan)(out.results, out.status)
    return out


def _wait(pending: set[futures.Future[Outcome]], runner: StepRunner) -> None:
    """Wait for futures in the main thread, where Ctrl-C and SIGTERM arrive; stop every docker process on it.

    Combinations not started yet are cancelled; the running ones record the stop in their logs and
    receipts before the pool (and then the log folders' locks) is let go.
    """
    try:
        while pending:
            _, pending = futures.wait(pending, timeout=0.5)
    except KeyboardInterrupt as exc:
        for future in pending:
            future.cancel()
        runner.stop_all(stop_of(exc))
        raise stopped(exc, "every running build of the matrix was stopped") from None


def execute_matrix(
    mplan: MatrixPlan,
    engine: Engine,
    runner: StepRunner,
    jobs: int,
    receipt: ReceiptFor,
    stream: TextIO | None = None,
    keys: BuildKeys | None = None,
) -> list[Outcome]:
    out = stream or sys.stdout
    for w in mplan.warnings:
        render.warn(w)
    for step in mplan.steps:  # missing secrets fail before any step
        runner.env(step)
    engine.ping()
    print(f"matrix: {len(mplan.plans)} combinations, {jobs} at a time", file=out)
    with futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {
            pool.submit(_chain, plan, runner, out, receipt, keys, engine): plan for plan in mplan.plans
        }
        _wait(set(running), runner)
    outcomes = [fut.result() for fut in running]
    print_outcomes(outcomes, runner, out)
    failed = [o for o in outcomes if o.status != "built"]
    if failed:
        raise StepFailed(
            f"{len(failed)} of {len(outcomes)} combinations failed: " + ", ".join(o.plan.key for o in failed),
            next(o.returncode for o in failed) or 1,
        )
    return outcomes


def print_outcomes(outcomes: Sequence[Outcome], runner: StepRunner, stream: TextIO) -> None:
    print("\nMatrix summary", file=stream)
    for o in outcomes:
        tags = " ".join(o.plan.final_tags) if o.status == "built" else "(not built)"
        logs = o.plan.steps[0].log if o.plan.steps else str(runner.log_dir)
        folder = os.path.dirname(logs or "")
        print(f"  {o.plan.key:<22} {o.status:<28} {o.seconds:6.1f}s  {tags}  logs: {folder}", file=stream)
