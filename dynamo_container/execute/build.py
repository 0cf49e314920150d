"""Running one plan in the foreground: the summary, a header and live output per step, the result table."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn, Protocol, TextIO

from dynamo_container.docker.engine import Engine
from dynamo_container.errors import StepFailed
from dynamo_container.execute.runner import (
    StepResult,
    StepRunner,
    failure_report,
    image_sizes,
    run_chain,
    run_or_skip,
)
from dynamo_container.execute.signals import stop_of, stopped
from dynamo_container.model.units import human_size
from dynamo_container.plan.model import Step
from dynamo_container.report import console, views

if TYPE_CHECKING:
    from dynamo_container.buildkeys.keys import BuildKeys

OnFinish = Callable[[list[StepResult], str], None]


class PlanLike(Protocol):
    """What the executor needs of a plan (a BuildPlan or a TaskPlan)."""

    @property
    def steps(self) -> Sequence[Step]: ...

    @property
    def summary(self) -> Sequence[tuple[str, str]]: ...

    @property
    def warnings(self) -> Sequence[str]: ...

    @property
    def run_hint(self) -> str: ...


def result_rows(
    results: Sequence[StepResult], steps: Sequence[Step] = ()
) -> list[tuple[str, str, str, str, str, str]]:
    """One row per step: what it built, or that it failed (its tags not made) or never ran."""
    rows = []
    for r in results:
        step = r.step
        cache = r.progress.counts() if step.kind == "build" else "-"
        cache = "up to date" if r.up_to_date else cache
        size = ", ".join(human_size(v) for v in r.sizes.values()) or "-"
        tags = "\n".join(step.tags) or "-"
        if not r.ok:
            tags = "\n".join(f"not built: {t}" for t in step.tags) or "-"
        status = "" if r.ok else f" (failed, exit {r.returncode})"
        why = r.reason if r.ok else (r.problem or "-")
        rows.append((f"{r.index}. {step.name}{status}", tags, f"{r.seconds:.1f}s", cache, size, why or "-"))
    for index, step in enumerate(steps[len(results) :], len(results) + 1):
        tags = "\n".join(f"not built: {t}" for t in step.tags) or "-"
        rows.append((f"{index}. {step.name} (not run)", tags, "-", "-", "-", "an earlier step failed"))
    return rows


def print_results(results: Sequence[StepResult], stream: TextIO, steps: Sequence[Step] = ()) -> None:
    columns = ("step", "image tags", "duration", "steps", "size", "why")
    console.print_table("Summary", columns, result_rows(results, steps), stream)


def execute_build(
    plan: PlanLike,
    engine: Engine,
    runner: StepRunner,
    stream: TextIO | None = None,
    on_finish: OnFinish | None = None,
    keys: BuildKeys | None = None,
    progress: str = "auto",
    *,
    pinged: bool = False,
) -> list[StepResult]:
    """Run every step of the plan; stop at the first failure. `on_finish(results, status)` runs either way.

    With `keys`, a step that is up to date is skipped (see buildkeys/keys.py). `progress` is the
    `--progress` mode (views.py). `pinged`: the caller's checks already pinged the engine (once
    per command is enough: a second ping tells nothing the first did not).
    """
    out = stream or sys.stdout
    mode, fallback = views.choose(progress, out)
    for w in (*plan.warnings, *([fallback] if fallback else [])):
        console.warn(w)
    if mode != "quiet":
        console.print_summary(plan.summary, out)
    for step in plan.steps:  # missing secrets fail before any step
        runner.env(step)
    if not pinged and any(step.kind != "host" for step in plan.steps):
        engine.ping()
    total = len(plan.steps)

    def one(step: Step, index: int) -> StepResult:
        if mode != "quiet":
            print(file=out)
            print(console.style(f"Step {index}/{total}: {step.title}", console.BOLD, out), file=out)
        result = run_or_skip(step, index, keys, lambda: _run(step, index, total, mode, runner, out), engine)
        if result.ok:
            _done(engine, result, index, total, out)
        return result

    results: list[StepResult] = []
    try:
        ok = run_chain(plan.steps, one, results)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (signals.py)
        _interrupted(exc, results, plan.steps, runner, on_finish)
    if not ok:
        failed = results[-1]
        print_results(results, out, plan.steps)
        if on_finish:
            on_finish(results, f"failed at step {failed.step.name}")
        raise StepFailed(failure_report(failed, total, runner.log_path(failed.step)), failed.returncode)
    print(file=out)
    print_results(results, out)
    if on_finish:
        on_finish(results, "built")
    if plan.run_hint and mode != "quiet":
        print(f"\nRun it with: {console.command(plan.run_hint)}", file=out)
    return results


def _run(step: Step, index: int, total: int, mode: str, runner: StepRunner, out: TextIO) -> StepResult:
    """Run one step, shown as the mode asks: its command and prefixed lines, a live view, or nothing."""
    title = f"{index}/{total} {step.name}"
    if mode == "quiet":
        return runner.run(step, index, views.QuietDisplay())
    if mode == "plain":
        console.print_command(step.argv, step.env, out)
        return runner.run(step, index, views.PlainDisplay(title, time.monotonic(), out))
    print(
        console.style(f"log: {runner.log_path(step)} (the command is its first line)", console.DIM, out),
        file=out,
    )
    view = views.LiveStep(title, time.monotonic())
    with views.LiveRegion(view, out):
        return runner.run(step, index, view)


def done_line(result: StepResult) -> str:
    """How a step ended, in its progress line: up to date (the image kept) or done (counts, why it ran)."""
    step = result.step
    if result.up_to_date:
        return f"up to date: nothing changed since it built {step.tags[0]}; {result.reason}"
    done = f"done in {result.seconds:.1f}s"
    if step.kind == "build":
        done += f" ({result.progress.counts()})"
    return done + (f"; ran because {result.reason}" if result.reason else "")


def _done(engine: Engine, result: StepResult, index: int, total: int, out: TextIO) -> None:
    step = result.step
    if step.kind == "build" and step.tags:
        result.sizes = image_sizes(engine, step.tags[:1])
    print(console.style(f"Step {index}/{total} {step.name} {done_line(result)}", console.DIM, out), file=out)


def _interrupted(
    exc: KeyboardInterrupt,
    results: list[StepResult],
    steps: Sequence[Step],
    runner: StepRunner,
    on_finish: OnFinish | None,
) -> NoReturn:
    """The failed record (status: what stopped it), then one line naming the stopped step and its log."""
    index = len(results) + 1
    step = steps[index - 1] if index <= len(steps) else steps[-1]
    if on_finish:
        on_finish(results, stop_of(exc).word)
    raise stopped(
        exc, f"step {index}/{len(steps)} ({step.name}) was stopped; its log is {runner.log_path(step)}"
    ) from None
