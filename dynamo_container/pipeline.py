"""The flow of a build, composed once: configuration -> resolve -> plan -> execute -> report.

Tasks call these functions; nothing here parses flags or prints help, and nothing here reads the
configuration: it goes to the resolve functions, whose requests carry everything later (the plan's
request, and the `Execution`: the build frontend, chosen once, the log folder, the executor ...).
The engine is pinged once per command, by the first check that needs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dynamo_container.config import Config
from dynamo_container.docker.engine import Engine
from dynamo_container.errors import ConfigError
from dynamo_container.plan.build import plan_build
from dynamo_container.plan.model import BuildPlan, TaskPlan
from dynamo_container.report import console
from dynamo_container.resolve import execution, values
from dynamo_container.resolve.build import Host, resolve_build
from dynamo_container.resolve.checkout import read_checkout
from dynamo_container.resolve.execution import Execution, resolve_execution
from dynamo_container.resolve.platforms import is_multi_platform

# Matrix builds, the executors, `run` and `efa` are imported where they are used: a dry run of one
# build loads none of them (each module of frozen dataclasses costs a millisecond or two to import).
if TYPE_CHECKING:
    from dynamo_container.buildkeys.keys import BuildKeys
    from dynamo_container.execute.matrix import Outcome
    from dynamo_container.execute.runner import StepResult, StepRunner
    from dynamo_container.plan.matrix import MatrixPlan
    from dynamo_container.plan.run import RunPlan
    from dynamo_container.resolve.trtllm import WheelRequest


@dataclass(frozen=True)
class Build:
    """A build ready to show or run: its plan (one build, or a matrix) and how it runs."""

    plan: BuildPlan | MatrixPlan
    run: Execution

    @property
    def note(self) -> str:
        """Why the build frontend is a fallback ('' when it is not)."""
        return self.run.choice.note


def host() -> Host:
    return Host(os.getuid(), os.getgid())


def build_plan(cfg: Config) -> Build:
    """The plan of one build or of a matrix build, and how it runs (the frontend chosen here, once)."""
    choice = execution.frontend(cfg)
    checkout = read_checkout(cfg)
    if values.is_matrix(cfg):
        from dynamo_container.plan.matrix import plan_matrix
        from dynamo_container.resolve.matrix import resolve_matrix

        mreq = resolve_matrix(cfg, checkout, choice.frontend, host())
        frameworks = [req.framework for req in mreq.requests]
        return Build(plan_matrix(mreq), resolve_execution(cfg, choice, frameworks))
    if is_multi_platform(cfg):
        from dynamo_container.plan.platforms import plan_platforms
        from dynamo_container.resolve.platforms import resolve_platforms

        preq = resolve_platforms(cfg, checkout, choice.frontend, host())
        return Build(plan_platforms(preq), resolve_execution(cfg, choice, [preq.framework]))
    req = resolve_build(cfg, checkout, choice.frontend, host())
    return Build(plan_build(req), resolve_execution(cfg, choice, [req.framework]))


def engine(run: Execution) -> Engine:
    return Engine.of(run.docker_cli)


def runner(run: Execution) -> StepRunner:
    from dynamo_container.execute.runner import StepRunner

    return StepRunner(run.secrets, run.root, run.log_dir)


def build(job: Build) -> list[StepResult] | list[Outcome]:
    """A real build: its log folders held, everything knowable checked, then the steps run."""
    from dynamo_container.buildcontext.sources import check_family, summary
    from dynamo_container.execute.logfolders import log_folders

    plan, run = job.plan, job.run
    names = sorted({Path(s.dockerfile).name for s in plan.steps if s.kind == "build" and s.dockerfile})
    problems = check_family(run.container_dir, run.checkout, names)
    if problems:
        raise ConfigError(*summary(problems, run.checkout))
    eng = engine(run)
    if run.executor == "bake":
        return execute_bake(job, eng)
    with log_folders(_log_folders(plan), run.log_dir_origin):
        preflight(job, eng)
        return execute(job, eng)


def bake_run(job: Build) -> TaskPlan:
    """The plan of --executor bake: its bake file in one `docker buildx bake`, then the pushes."""
    from dynamo_container.plan.bake import bake_run_plan
    from dynamo_container.plan.matrix import MatrixPlan

    return bake_run_plan(MatrixPlan.of(job.plan), job.run.choice.for_real(), job.run.log_dir)


def execute_bake(job: Build, eng: Engine) -> list[StepResult]:
    """--executor bake: the checks of a build, the bake file written, then one bake and the pushes."""
    from dynamo_container.execute.build import execute_build
    from dynamo_container.execute.logfolders import log_folders
    from dynamo_container.execute.preflight import check_bake
    from dynamo_container.plan.bake import BAKE_FILE, bake_text, to_bake, write_bake
    from dynamo_container.plan.matrix import MatrixPlan

    bplan = bake_run(job)
    with log_folders(_log_folders(bplan), job.run.log_dir_origin):
        preflight(job, eng)
        check_bake(eng, job.run.choice.for_real())
        write_bake(job.run.log_dir / BAKE_FILE, bake_text(to_bake(MatrixPlan.of(job.plan))))
        return execute_build(bplan, eng, runner(job.run), pinged=True)


def preflight(job: Build, eng: Engine) -> None:
    """What can be known before step 1 (see preflight.py; it pings the engine), then the context size."""
    from dynamo_container.buildcontext.context import size_warnings
    from dynamo_container.execute.preflight import check_build

    run = job.run
    check_build(job.plan.steps, eng, run.choice.for_real(), run.cache_to, run.dev_image)
    for line in size_warnings(run.checkout, run.dockerfiles, run.context_warn_mb):
        console.warn(line)


def _log_folders(plan: BuildPlan | MatrixPlan | TaskPlan) -> set[Path]:
    return {Path(step.log).parent for step in plan.steps if step.log}


def build_keys(run: Execution, eng: Engine) -> BuildKeys:
    """The up-to-date checks of a real build (with --force: every step runs, and says so)."""
    from dynamo_container.buildkeys.keys import BuildKeys, frontend_identity

    frontend = run.choice.for_real()
    identity = frontend_identity(
        run.docker_cli, frontend.buildx, frontend.builder, frontend.driver, eng.version()
    )
    keys = BuildKeys(eng, run.log_dir, identity)
    keys.force = run.force
    return keys


def execute(job: Build, eng: Engine) -> list[StepResult] | list[Outcome]:
    """Run a plan (a matrix plan in parallel), writing a receipt per combination; preflight pinged."""
    from dynamo_container.execute.build import OnFinish
    from dynamo_container.execute.receipts import receipt_writer

    plan, run = job.plan, job.run
    steps = runner(run)
    keys = build_keys(run, eng)
    try:
        if not isinstance(plan, BuildPlan):
            from dynamo_container.execute.matrix import default_jobs, execute_matrix

            def receipt(p: BuildPlan) -> OnFinish:
                return receipt_writer(p, eng, run.log_dir, run.secrets, run.checkout, quiet=True)

            jobs = run.jobs or default_jobs()
            return execute_matrix(
                plan, eng, steps, jobs, receipt, keys=keys, progress=run.progress, pinged=True
            )
        from dynamo_container.execute.build import execute_build

        on_finish = receipt_writer(plan, eng, run.log_dir, run.secrets, run.checkout)
        return execute_build(
            plan, eng, steps, on_finish=on_finish, keys=keys, progress=run.progress, pinged=True
        )
    finally:
        keys.save()


def explain(job: Build) -> list[dict[str, object]]:
    """`invoke build --explain`: for every build step, whether a build now would run it and why.

    A dry run that asks the engine for image IDs and hashes the contexts as a build would, and
    writes nothing (no key, no file-hash cache, no log folder).
    """
    from dynamo_container.buildkeys.reasons import explain_steps

    eng = engine(job.run)
    eng.ping()
    plans = [job.plan] if isinstance(job.plan, BuildPlan) else list(job.plan.plans)
    return explain_steps(plans, build_keys(job.run, eng))


def efa_plan(cfg: Config) -> tuple[TaskPlan, Execution]:
    """The plan of `invoke efa`: the EFA layer on top of an image the user names."""
    from dynamo_container.plan.efa import plan_efa
    from dynamo_container.resolve.efa import resolve_efa

    choice = execution.frontend(cfg)
    plan = plan_efa(resolve_efa(cfg, choice.frontend))
    return plan, resolve_execution(cfg, choice)


def execute_efa(plan: TaskPlan, run: Execution) -> list[StepResult]:
    from dynamo_container.execute.build import execute_build
    from dynamo_container.execute.logfolders import log_folders
    from dynamo_container.model.naming import suggest_build

    eng = engine(run)
    eng.ping()
    eng.require_image(run.image, suggest_build(run.names, run.image))
    with log_folders(_log_folders(plan), run.log_dir_origin):
        return execute_build(plan, eng, runner(run), progress=run.progress, pinged=True)


def run_plan(cfg: Config, command: list[str]) -> tuple[RunPlan, Execution]:
    """The exact `docker run` command of `invoke run`, with CMD after `--`."""
    from dynamo_container.plan.run import plan_run
    from dynamo_container.resolve.run import resolve_run

    plan = plan_run(resolve_run(cfg, command, host(), dict(os.environ)))
    return plan, resolve_execution(cfg, None, checkout=False)  # it builds nothing: no frontend


def execute_run(plan: RunPlan, run: Execution) -> None:
    from dynamo_container.execute.container import check_engine, execute_run

    check_engine(engine(run), plan)
    execute_run(plan, os.environ, run.secrets)


def wheel_plan(
    cfg: Config, *, output_dir: str, commit: str, arch: str, git_url: str
) -> tuple[WheelRequest, TaskPlan | None, Execution]:
    """`invoke trtllm-wheel`: the request, the plan of its steps (None: a matching wheel is reused)
    and how they run."""
    from dynamo_container.plan.wheel import plan_steps, summary
    from dynamo_container.resolve.trtllm import wheel_request

    req = wheel_request(cfg, output_dir=output_dir, commit=commit, arch=arch, git_url=git_url)
    if req.reuse:
        return req, None, resolve_execution(cfg, None, checkout=False)
    run = resolve_execution(cfg, execution.frontend(cfg), checkout=False)
    warnings = () if req.git_lfs else ("git-lfs is not installed: TRT-LLM's large files stay pointers",)
    steps = plan_steps(req, run.choice.frontend, run.log_dir)
    return req, TaskPlan(tuple(steps), summary(req), warnings=warnings), run


def execute_wheel(req: WheelRequest, plan: TaskPlan, run: Execution) -> tuple[Path, str]:
    """Run the wheel's steps; the one wheel they left and its commit.txt line."""
    from dynamo_container.execute.build import execute_build

    execute_build(plan, engine(run), runner(run))
    wheels = sorted(req.output_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise ConfigError(
            f"the TRT-LLM build left {len(wheels)} wheels in {req.output_dir}",
            f"see the build folder {req.output_dir / 'build'}",
        )
    return wheels[0], (req.output_dir / "commit.txt").read_text(encoding="utf-8", errors="replace").strip()
