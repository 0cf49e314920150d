"""Running a matrix build: each combination's chain of steps in a thread, `--jobs` at a time.

A failing combination does not stop the others; each has its own status, log folder and receipt.
On a terminal a status board shows one line per combination (report/board.py); `--progress plain`
prefixes every output line with the combination and step, `quiet` prints only each step's result.
The summary tells combinations that were up to date (every step skipped) from built and failed ones.
Ctrl-C (or SIGTERM) stops every running
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

from dynamo_container.docker.engine import Engine
from dynamo_container.errors import StepFailed
from dynamo_container.execute.build import done_line
from dynamo_container.execute.runner import StepResult, StepRunner, failure_report, run_chain, run_or_skip
from dynamo_container.execute.signals import stop_of, stopped
from dynamo_container.plan.matrix import MatrixPlan
from dynamo_container.plan.model import BuildPlan, Step
from dynamo_container.report import console
from dynamo_container.report.board import Board, BoardDisplay
from dynamo_container.report.views import Display, LiveRegion, PlainDisplay, QuietDisplay, choose

if TYPE_CHECKING:
    from dynamo_container.buildkeys.keys import BuildKeys

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

    @property
    def ok(self) -> bool:
        return self.status in ("built", "up to date")

    @property
    def up_to_date(self) -> bool:
        """Every step skipped: nothing was built."""
        return bool(self.results) and all(r.up_to_date for r in self.results)


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
    board: Board | None = None,
    mode: str = "plain",
) -> Outcome:
    out = Outcome(plan)
    started = time.monotonic()
    total = len(plan.steps)

    def one(step: Step, index: int) -> StepResult:
        prefix = f"{plan.key} {step.name}"
        shown = PlainDisplay(prefix, time.monotonic(), stream)  # the step's result lines, in plain and quiet
        display: Display = shown if mode == "plain" else QuietDisplay()
        if board is not None:
            board.step(plan.key, index, step.name)
            display = BoardDisplay(board, plan.key)
        result = run_or_skip(step, index, keys, lambda: runner.run(step, index, display), engine)
        if board is None:
            if result.ok:
                shown.line(f"step {index}/{total} {done_line(result)}")
            if result.problem:
                shown.line(f"error: {result.problem}")
        return result

    ok = run_chain(plan.steps, one, out.results)
    if ok:
        out.status = "up to date" if out.up_to_date else "built"
    else:
        failed = out.results[-1]
        out.status = failed.stopped or f"failed at step {failed.step.name}"
        out.returncode = failed.returncode
    out.seconds = time.monotonic() - started
    if board is not None:
        why = _why(out)
        board.finish(plan.key, out.status, _tally(out) + (f"; {why}" if why else ""))
    receipt(plan)(out.results, "built" if ok else out.status)
    return out


def _why(o: Outcome) -> str:
    """Why the first step that built ran ('' when none did): what a rebuild of the combination was for."""
    ran = next((r for r in o.results if r.ok and not r.up_to_date and r.reason), None)
    return f"{ran.step.name} ran because {ran.reason}" if ran else ""


def _tally(o: Outcome) -> str:
    """What the steps of a combination did: '2 up to date', '1 built, 1 up to date', '1 failed'."""
    up = sum(1 for r in o.results if r.up_to_date)
    built = sum(1 for r in o.results if r.ok and not r.up_to_date)
    failed = sum(1 for r in o.results if not r.ok)
    not_run = len(o.plan.steps) - len(o.results)
    parts = [(built, "built"), (up, "up to date"), (failed, "failed"), (not_run, "not run")]
    return ", ".join(f"{n} {word}" for n, word in parts if n)


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
    progress: str = "auto",
    *,
    pinged: bool = False,
) -> list[Outcome]:
    """Run the combinations `jobs` at a time (`pinged`: the caller's checks already pinged the engine)."""
    out = stream or sys.stdout
    mode, fallback = choose(progress, out)
    for w in (*mplan.warnings, *([fallback] if fallback else [])):
        console.warn(w)
    for step in mplan.steps:  # missing secrets fail before any step
        runner.env(step)
    if not pinged:
        engine.ping()
    print(f"matrix: {len(mplan.plans)} combinations, {jobs} at a time", file=out)
    board = Board([(p.key, len(p.steps)) for p in mplan.plans]) if mode == "tty" else None
    with futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {
            pool.submit(_chain, plan, runner, out, receipt, keys, engine, board, mode): plan
            for plan in mplan.plans
        }
        if board is None:
            _wait(set(running), runner)
        else:
            with LiveRegion(board, out):
                _wait(set(running), runner)
            print("\n".join(board.lines()), file=out)  # the board as it ended stays on the screen
    outcomes = [fut.result() for fut in running]
    print_outcomes(outcomes, runner, out)
    failed = [o for o in outcomes if not o.ok]
    if mode != "plain":  # the board and quiet showed no output lines: say why each failed
        _failures(failed, runner, out)
    if failed:
        raise StepFailed(
            f"{len(failed)} of {len(outcomes)} combinations failed: " + ", ".join(o.plan.key for o in failed),
            next(o.returncode for o in failed) or 1,
        )
    return outcomes


def _failures(failed: Sequence[Outcome], runner: StepRunner, out: TextIO) -> None:
    for o in failed:
        last = o.results[-1] if o.results else None
        if last is None or last.stopped:
            continue
        print(
            f"\n{o.plan.key}: " + failure_report(last, len(o.plan.steps), runner.log_path(last.step)),
            file=out,
        )


def print_outcomes(outcomes: Sequence[Outcome], runner: StepRunner, stream: TextIO) -> None:
    """The matrix summary: per combination up to date, built or failed, what its steps did, tags, logs."""
    rows = []
    for o in outcomes:
        tags = "\n".join(o.plan.final_tags) if o.ok else "(not built)"
        logs = o.plan.steps[0].log if o.plan.steps else str(runner.log_dir)
        folder = os.path.dirname(logs or "")
        rows.append((o.plan.key, o.status, _tally(o), f"{o.seconds:.1f}s", tags, folder, _why(o) or "-"))
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("built", "up to date")}
    failed = len(outcomes) - sum(counts.values())
    title = f"Matrix summary: {counts['built']} built, {counts['up to date']} up to date, {failed} failed"
    print(file=stream)
    console.print_table(
        title, ("combination", "status", "steps", "duration", "image tags", "logs", "why"), rows, stream
    )
