"""Matrix builds: several frameworks x CUDA versions in one command.

`--framework vllm,sglang --cuda-version all` plans every valid combination (one ordinary plan each,
with its own log folder). Identical base-image builds are run once with the tags of all the
combinations that share them; the rest of each combination runs in parallel, bounded by --jobs.
A failing combination does not stop the others; each has its own status, log folder and receipt.
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from . import matrix, render
from .config import Config
from .errors import ConfigError, Interrupted, StepFailedSummary
from .plan import BuildPlan, Frontend, Step, plan_build
from .version import VersionInfo

GB = 1024**3
JOB_MEMORY = 2 * GB  # about what one compile job needs


@dataclass(frozen=True)
class Combination:
    framework: str
    cuda: str

    @property
    def key(self) -> str:
        return f"{self.framework}-cuda{self.cuda}"


def is_matrix(cfg: Config) -> bool:
    fw, cuda = cfg.s.framework.strip().lower(), cfg.s.cuda_version.strip().lower()
    return "," in fw or fw == "all" or "," in cuda or cuda == "all"


def combinations(cfg: Config) -> tuple[list[Combination], list[str]]:
    """Every valid framework x CUDA pair asked for, and warnings about the pairs left out."""
    spec = cfg.s.framework.strip().lower()
    names = list(matrix.FRAMEWORKS) if spec == "all" else [x.strip() for x in spec.split(",") if x.strip()]
    for name in names:
        if name not in matrix.FRAMEWORKS:
            raise ConfigError(
                f"unknown framework {name!r}", f"choose from: {', '.join(matrix.FRAMEWORKS)}, all"
            )
    cuda_spec = cfg.s.cuda_version.strip().lower()
    wanted = [] if cuda_spec in ("", "all") else [x.strip() for x in cuda_spec.split(",") if x.strip()]
    combos: list[Combination] = []
    warnings: list[str] = []
    for name in dict.fromkeys(names):
        valid = matrix.cuda_versions(name)
        if cuda_spec == "all":
            chosen = list(valid)
        elif not wanted:
            chosen = [matrix.framework(name).default_cuda]
        else:
            chosen = [c for c in wanted if c in valid]
            skipped = [c for c in wanted if c not in valid]
            if skipped:
                warnings.append(
                    f"{name} has no CUDA {', '.join(skipped)}: left out (valid: {', '.join(valid)})"
                )
        combos += [Combination(name, c) for c in chosen]
    if not combos:
        raise ConfigError(
            "no valid framework x CUDA combination asked for", f"valid: {matrix.describe_valid()}"
        )
    return combos, warnings


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


@dataclass(frozen=True)
class SharedStep:
    """One build run for several combinations (identical but for the tags), with all their tags."""

    step: Step
    combos: tuple[Combination, ...]


@dataclass(frozen=True)
class MatrixPlan:
    plans: tuple[tuple[Combination, BuildPlan], ...]
    shared: tuple[SharedStep, ...]
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "combinations": [{"key": c.key, **p.to_json()} for c, p in self.plans],
            "shared_base_steps": [
                {"combinations": [c.key for c in s.combos], **s.step.to_json()} for s in self.shared
            ],
            "warnings": list(self.warnings),
        }


def _without_tags(argv: Sequence[str]) -> tuple[str, ...]:
    out, skip = [], False
    for word in argv:
        if skip:
            skip = False
            continue
        if word == "--tag":
            skip = True
            continue
        out.append(word)
    return tuple(out)


def _with_tags(step: Step, tags: Sequence[str]) -> Step:
    argv = list(_without_tags(step.argv))
    context = argv.pop()  # the build context is always last
    for t in tags:
        argv += ["--tag", t]
    return dataclasses.replace(step, argv=(*argv, context), tags=tuple(tags))


def plan_matrix(
    cfg: Config, version: VersionInfo, frontend: Frontend, host_uid: int, host_gid: int
) -> MatrixPlan:
    combos, warnings = combinations(cfg)
    if len(combos) > 1 and cfg.s.tag.strip():
        raise ConfigError(
            "--tag names one image, a matrix build makes several", "drop --tag (or use --registry)"
        )
    plans = []
    for combo in combos:
        settings = dataclasses.replace(
            cfg.settings,
            framework=combo.framework,
            cuda_version=combo.cuda,
            log_dir=str(cfg.path(cfg.s.log_dir) / combo.key),
        )
        plans.append(
            (
                combo,
                plan_build(
                    dataclasses.replace(cfg, settings=settings),
                    version,
                    frontend,
                    host_uid=host_uid,
                    host_gid=host_gid,
                ),
            )
        )
    groups: dict[tuple[str, ...], list[tuple[Combination, Step]]] = {}
    for combo, plan in plans:
        first = plan.steps[0] if plan.steps else None
        if first is not None and first.name == "base" and len(plan.steps) > 1:
            groups.setdefault(_without_tags(first.argv), []).append((combo, first))
    shared = []
    for members in groups.values():
        tags = [t for _, step in members for t in step.tags]
        shared.append(SharedStep(_with_tags(members[0][1], tags), tuple(c for c, _ in members)))
    return MatrixPlan(tuple(plans), tuple(shared), tuple(warnings))


def print_matrix_plan(mplan: MatrixPlan, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    for w in mplan.warnings:
        render.warn(w)
    for shared in mplan.shared:
        who = ", ".join(c.key for c in shared.combos)
        title = f"Shared base image of {who}" if len(shared.combos) > 1 else f"Base image of {who}"
        print(render.style(title, render.BOLD, stream), file=stream)
        render.print_command(shared.step.argv, shared.step.env, stream)
        print(file=stream)
    for combo, plan in mplan.plans:
        print(render.style(f"== {combo.key} ==", render.BOLD, stream), file=stream)
        rest = plan.steps[1:] if any(combo in s.combos for s in mplan.shared) else plan.steps
        rest_plan = dataclasses.replace(plan, steps=tuple(rest), warnings=())
        render.print_plan(rest_plan, stream, dry_run=False)
        print(file=stream)
    print("Dry run: nothing was run or written.", file=stream)


# ---------------------------------------------------------------------------------------------------
# execution


@dataclass
class Outcome:
    combo: Combination
    status: str = "pending"
    seconds: float = 0.0
    returncode: int = 0
    results: list[Any] = field(default_factory=list)
    log_dir: str = ""


class Runner:
    """Runs steps from several threads: prefixed output lines, every docker process known for Ctrl-C."""

    def __init__(self, cfg: Config, stream: TextIO) -> None:
        from .execute import masker

        self.cfg, self.stream = cfg, stream
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen[str]] = set()
        self.stopping = threading.Event()
        self.mask = masker(list(cfg.secrets.values()))

    def run(self, label: str, step: Step) -> Any:
        from .execute import PlainDisplay, StepResult, build_env, resolve_program, stream_process

        result = StepResult(step, 0)
        if self.stopping.is_set():
            result.returncode = 130
            return result
        display = _LockedDisplay(PlainDisplay(label, time.monotonic(), self.stream), self.lock)
        started = time.monotonic()
        result.returncode = stream_process(
            resolve_program(step.argv),
            build_env(self.cfg, step),
            Path(step.log or "step.log"),
            display,
            self.mask,
            result.progress,
            cwd=self.cfg.root,
            on_start=self._track,
        )
        result.seconds = time.monotonic() - started
        return result

    def _track(self, proc: subprocess.Popen[str]) -> None:
        with self.lock:
            self.procs.add(proc)

    def stop_all(self) -> None:
        self.stopping.set()
        with self.lock:
            procs = list(self.procs)
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                    os.killpg(proc.pid, signal.SIGINT)
        deadline = time.monotonic() + 20
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


class _LockedDisplay:
    def __init__(self, inner: Any, lock: threading.Lock) -> None:
        self.inner, self.lock = inner, lock

    def line(self, text: str) -> None:
        with self.lock:
            self.inner.line(text)

    def status(self, text: str) -> None:
        pass


def _wait(pending: set[futures.Future[Any]], runner: Runner) -> None:
    """Wait for futures in the main thread, where Ctrl-C arrives; stop every docker process on it."""
    try:
        while pending:
            _, pending = futures.wait(pending, timeout=0.5)
    except KeyboardInterrupt:
        runner.stop_all()
        raise Interrupted("interrupted: every running build of the matrix was stopped") from None


def execute_matrix(mplan: MatrixPlan, cfg: Config, jobs: int, stream: TextIO | None = None) -> list[Outcome]:
    from .build_tasks import receipt_writer
    from .engine import preflight

    stream = stream or sys.stdout
    for w in mplan.warnings:
        render.warn(w)
    preflight(cfg)
    runner = Runner(cfg, stream)
    outcomes = {
        combo: Outcome(combo, log_dir=str(cfg.path(cfg.s.log_dir) / combo.key)) for combo, _ in mplan.plans
    }
    print(
        f"matrix: {len(outcomes)} combinations, {len(mplan.shared)} base images, {jobs} at a time",
        file=stream,
    )
    base_results: dict[Combination, Any] = {}
    with futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {
            pool.submit(runner.run, "base " + "+".join(c.key for c in s.combos), s.step): s
            for s in mplan.shared
        }
        _wait(set(running), runner)
        for fut, shared in running.items():
            result = fut.result()
            for combo in shared.combos:
                base_results[combo] = result

        def chain(combo: Combination, plan: BuildPlan) -> Outcome:
            out = outcomes[combo]
            started = time.monotonic()
            results = []
            steps = list(plan.steps)
            if combo in base_results:
                base = base_results[combo]
                results.append(base)
                steps = steps[1:]
                if base.returncode != 0:
                    out.status, out.returncode = "failed: shared base image", base.returncode
            if out.status == "pending":
                for step in steps:
                    result = runner.run(f"{combo.key} {step.name}", step)
                    results.append(result)
                    if result.returncode != 0:
                        out.status, out.returncode = f"failed at step {step.name}", result.returncode
                        break
                else:
                    out.status = "built"
            out.seconds = time.monotonic() - started
            out.results = results
            receipt_writer(cfg, plan, quiet=True)(results, out.status)
            return out

        _wait({pool.submit(chain, combo, plan) for combo, plan in mplan.plans}, runner)
    ordered = [outcomes[c] for c, _ in mplan.plans]
    print_outcomes(ordered, mplan, stream)
    failed = [o for o in ordered if o.status != "built"]
    if failed:
        raise StepFailedSummary(
            f"{len(failed)} of {len(ordered)} combinations failed: " + ", ".join(o.combo.key for o in failed),
            next(o.returncode for o in failed) or 1,
        )
    return ordered


def print_outcomes(outcomes: Sequence[Outcome], mplan: MatrixPlan, stream: TextIO) -> None:
    plans = dict(mplan.plans)
    print("\nMatrix summary", file=stream)
    for o in outcomes:
        tags = " ".join(plans[o.combo].final_tags)
        print(f"  {o.combo.key:<22} {o.status:<28} {o.seconds:6.1f}s  {tags}  logs: {o.log_dir}", file=stream)
