"""The executor: runs a plan's steps through the docker CLI, one after another.

Output is streamed live (a status line on a terminal, prefixed plain lines in CI or a pipe),
each step writes its log under the log folder, a failure names the step, stage and instruction,
and Ctrl-C stops the docker process and exits 130.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from . import render
from .config import Config
from .errors import ConfigError, DynamoError, Interrupted
from .plan import Step
from .progress import BuildProgress

TAIL_LINES = 25


class StepFailed(DynamoError):
    """A docker command of the plan failed; exits with docker's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class StepResult:
    step: Step
    index: int
    seconds: float = 0.0
    returncode: int = 0
    progress: BuildProgress = field(default_factory=BuildProgress)
    sizes: dict[str, int] = field(default_factory=dict)


def is_ci() -> bool:
    return bool(os.environ.get("CI")) or not sys.stdout.isatty()


def masker(secret_values: Sequence[str]) -> Any:
    values = sorted((v for v in secret_values if len(v) >= 4), key=len, reverse=True)

    def mask(line: str) -> str:
        for v in values:
            if v in line:
                line = line.replace(v, "****")
        return line

    return mask


class PlanLike(Protocol):
    """What the executor needs of a plan (a BuildPlan, a TRT-LLM wheel plan, ...)."""

    @property
    def steps(self) -> Sequence[Step]: ...

    @property
    def summary(self) -> Sequence[tuple[str, str]]: ...

    @property
    def warnings(self) -> Sequence[str]: ...

    @property
    def run_hint(self) -> str: ...


class Display(Protocol):
    def line(self, text: str) -> None: ...

    def status(self, text: str) -> None: ...


class PlainDisplay:
    """One prefixed line per output line: readable in CI logs and pipes."""

    def __init__(self, prefix: str, started: float, stream: TextIO) -> None:
        self.prefix, self.started, self.stream = prefix, started, stream

    def line(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{self.prefix} {elapsed:5.0f}s] {text}", file=self.stream, flush=True)

    def status(self, text: str) -> None:
        pass


class RichDisplay:
    """Output lines dimmed, under a live status line with the step name, elapsed time and instruction."""

    def __init__(self, live: Any, prefix: str, started: float) -> None:
        self.live, self.prefix, self.started = live, prefix, started
        self.current = ""

    def line(self, text: str) -> None:
        from rich.text import Text

        self.live.console.print(Text(text, style="dim"), highlight=False)
        self.status(self.current)

    def status(self, text: str) -> None:
        from rich.spinner import Spinner

        self.current = text
        elapsed = time.monotonic() - self.started
        self.live.update(Spinner("dots", text=f"{self.prefix} · {elapsed:.0f}s · {text[:100]}"))


@contextmanager
def display_for(prefix: str, started: float) -> Iterator[Display]:
    if is_ci():
        yield PlainDisplay(prefix, started, sys.stdout)
        return
    from rich.live import Live

    with Live(refresh_per_second=8, transient=True) as live:
        yield RichDisplay(live, prefix, started)


def stream_process(
    argv: Sequence[str],
    env: Mapping[str, str],
    log_path: Path,
    display: Display,
    mask: Any,
    progress: BuildProgress,
    cwd: Path | None = None,
    on_start: Callable[[subprocess.Popen[str]], None] | None = None,
) -> int:
    """Run one command, teeing masked output to the display and the log; Ctrl-C stops it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(argv) + "\n")
        proc = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,  # we forward Ctrl-C ourselves, exactly once
        )
        if on_start:
            on_start(proc)
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = mask(raw.rstrip("\n"))
                log.write(line + "\n")
                progress.feed(line)
                display.line(line)
                if progress.current:
                    display.status(progress.current)
            return proc.wait()
        except KeyboardInterrupt:
            _stop(proc)
            log.write("interrupted by the user\n")
            raise


def _stop(proc: subprocess.Popen[str]) -> None:
    """Ask docker to cancel (SIGINT), then insist."""
    for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def resolve_program(argv: Sequence[str]) -> list[str]:
    """`invoke ...` steps run this project's invoke (beside this interpreter), the one that planned them."""
    if argv and argv[0] == "invoke":
        beside = Path(sys.executable).parent / "invoke"
        return [str(beside) if beside.exists() else "invoke", *argv[1:]]
    return list(argv)


def build_env(cfg: Config, step: Step) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in cfg.secrets.items():
        env.setdefault(key, value)
    env.update(step.env)
    missing = sorted({s.env for s in step.secrets if not env.get(s.env)})
    if missing:
        raise ConfigError(
            f"step {step.name} needs {', '.join(missing)} for its BuildKit secrets",
            "set them in the environment or in an env file (never as build args)",
        )
    return env


def _failure_report(result: StepResult, total: int, log_path: Path) -> str:
    step, prog = result.step, result.progress
    lines = [
        f"step {result.index}/{total} ({step.name}: {step.title}) failed after {result.seconds:.1f}s "
        f"with exit code {result.returncode}"
    ]
    failed = prog.failure
    if failed is not None:
        where = f" at {prog.dockerfile_line}" if prog.dockerfile_line else ""
        lines.append(f"  stage {failed.stage}, instruction {failed.instruction}{where}")
        lines.append(f"  {failed.error}")
    elif prog.last_error:
        lines.append(f"  {prog.last_error}")
    lines.append(f"  last lines of {log_path}:")
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with log_path.open(encoding="utf-8", errors="replace") as f:
        tail.extend(line.rstrip("\n") for line in f)
    lines += [f"    {line}" for line in tail]
    return "\n".join(lines)


def image_sizes(cfg: Config, tags: Sequence[str]) -> dict[str, int]:
    from .engine import inspect_images

    try:
        found = inspect_images(cfg, tags)
    except Exception:  # sizes are informative; a failed inspect must not fail a finished build
        return {}
    return {t: int(attrs.get("Size", 0)) for t, attrs in found.items() if attrs}


def print_results(results: Sequence[StepResult], stream: TextIO) -> None:
    rows = []
    for r in results:
        step = r.step
        cache = f"{r.progress.cached}/{r.progress.total}" if step.kind == "build" else "-"
        size = ", ".join(render.human_size(v) for v in r.sizes.values()) or "-"
        rows.append(
            (f"{r.index}. {step.name}", "\n".join(step.tags) or "-", f"{r.seconds:.1f}s", cache, size)
        )
    if is_ci():
        print("Summary", file=stream)
        for row in rows:
            print("  " + " | ".join(c.replace("\n", " ") for c in row), file=stream)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Summary", title_justify="left")
    for col in ("step", "image tags", "duration", "cached/total", "size"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    Console(file=stream).print(table)


def execute_build(
    plan: PlanLike,
    cfg: Config,
    stream: TextIO | None = None,
    on_finish: Callable[[list[StepResult], str], None] | None = None,
) -> list[StepResult]:
    """Run every step of the plan; stop at the first failure. `on_finish(results, status)` runs either way."""
    from .engine import preflight

    stream = stream or sys.stdout
    for w in plan.warnings:
        render.warn(w)
    render.print_summary(plan.summary, stream)
    envs = [build_env(cfg, step) for step in plan.steps]  # missing secrets fail before any step
    if any(step.kind != "host" for step in plan.steps):
        preflight(cfg)
    mask = masker(list(cfg.secrets.values()))
    results: list[StepResult] = []
    total = len(plan.steps)
    for index, (step, env) in enumerate(zip(plan.steps, envs, strict=True), 1):
        print(file=stream)
        print(render.style(f"Step {index}/{total}: {step.title}", render.BOLD, stream), file=stream)
        render.print_command(step.argv, step.env, stream)
        result = StepResult(step, index)
        log_path = Path(step.log or cfg.path(cfg.s.log_dir) / f"{step.name}.log")
        started = time.monotonic()
        try:
            with display_for(f"{index}/{total} {step.name}", started) as display:
                result.returncode = stream_process(
                    resolve_program(step.argv), env, log_path, display, mask, result.progress, cwd=cfg.root
                )
        except KeyboardInterrupt:
            result.seconds = time.monotonic() - started
            if on_finish:
                on_finish([*results, result], "interrupted")
            raise Interrupted(
                f"interrupted: step {index}/{total} ({step.name}) was stopped after {result.seconds:.0f}s; "
                f"its log is {log_path}"
            ) from None
        result.seconds = time.monotonic() - started
        results.append(result)
        if result.returncode != 0:
            print_results(results, stream)
            if on_finish:
                on_finish(results, f"failed at step {step.name}")
            raise StepFailed(_failure_report(result, total, log_path), result.returncode)
        if step.kind == "build" and step.tags:
            result.sizes = image_sizes(cfg, step.tags[:1])
        done = f"done in {result.seconds:.1f}s"
        if step.kind == "build":
            done += f" ({result.progress.cached}/{result.progress.total} steps cached)"
        print(render.style(f"Step {index}/{total} {done}", render.DIM, stream), file=stream)
    print(file=stream)
    print_results(results, stream)
    if on_finish:
        on_finish(results, "built")
    if plan.run_hint:
        print(f"\nRun it with: {plan.run_hint}", file=stream)
    return results
