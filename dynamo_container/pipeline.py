"""The flow of a build, composed once: configuration -> resolve -> plan -> execute -> report.

Tasks call these functions; nothing here parses flags or prints help. `probe` is the I/O a plan
needs besides the configuration (git for the version, the docker CLI for the build frontend).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynamo_container.buildcontext.git import VersionInfo, describe
from dynamo_container.config import Config
from dynamo_container.docker.engine import Engine, FrontendChoice, choose_frontend
from dynamo_container.errors import ConfigError
from dynamo_container.plan.build import plan_build
from dynamo_container.plan.model import BuildPlan, TaskPlan
from dynamo_container.resolve import values
from dynamo_container.resolve.build import Host, resolve_build

# Matrix builds, the executors, `run` and `efa` are imported where they are used: a dry run of one
# build loads none of them (each module of frozen dataclasses costs a millisecond or two to import).
if TYPE_CHECKING:
    from dynamo_container.execute.keys import BuildKeys
    from dynamo_container.execute.runner import StepRunner
    from dynamo_container.plan.matrix import MatrixPlan
    from dynamo_container.plan.run import RunPlan
    from dynamo_container.resolve.trtllm import WheelRequest


def frontend(cfg: Config, *, dry_run: bool | None = None) -> FrontendChoice:
    """How builds run (buildx or build, which builder); a dry run tolerates a missing docker CLI."""
    s = cfg.s
    return choose_frontend(
        s.docker_cli, s.build_frontend, s.builder, dry_run=s.dry_run if dry_run is None else dry_run
    )


def probe(cfg: Config) -> tuple[VersionInfo, FrontendChoice]:
    s = cfg.s
    choice = frontend(cfg)
    version = values.version_text(cfg)
    return describe(cfg.checkout(), version=version, commit=s.commit_sha), choice


def host() -> Host:
    return Host(os.getuid(), os.getgid())


def build_plan(cfg: Config) -> tuple[BuildPlan | MatrixPlan, str]:
    """The plan of one build or of a matrix build, and a note when the build frontend is a fallback."""
    version, choice = probe(cfg)
    if values.is_matrix(cfg):
        from dynamo_container.plan.matrix import plan_matrix
        from dynamo_container.resolve.matrix import resolve_matrix

        return plan_matrix(resolve_matrix(cfg, version, choice.frontend, host())), choice.note
    return plan_build(resolve_build(cfg, version, choice.frontend, host())), choice.note


def engine(cfg: Config) -> Engine:
    return Engine.of(cfg.s.docker_cli)


def runner(cfg: Config) -> StepRunner:
    from dynamo_container.execute.runner import StepRunner

    return StepRunner(cfg.secrets, cfg.root, cfg.path(cfg.s.log_dir))


def build(cfg: Config, plan: BuildPlan | MatrixPlan) -> Any:
    """A real build: its log folders held, everything knowable checked, then the steps run."""
    from dynamo_container.buildcontext.sources import check_family, summary
    from dynamo_container.execute.runner import log_folders

    names = sorted({Path(s.dockerfile).name for s in plan.steps if s.kind == "build" and s.dockerfile})
    context = cfg.checkout()
    problems = check_family(cfg.path(cfg.s.container_dir), context, names)
    if problems:
        raise ConfigError(*summary(problems, context))
    if cfg.s.executor == "bake":
        return execute_bake(cfg, plan)
    with log_folders(_log_folders(plan), values.origin(cfg, "log_dir")):
        preflight(cfg, plan)
        return execute(cfg, plan)


def bake_run(cfg: Config, plan: BuildPlan | MatrixPlan) -> TaskPlan:
    """The plan of --executor bake: its bake file in one `docker buildx bake`, then the pushes."""
    from dynamo_container.plan.bake import bake_run_plan
    from dynamo_container.plan.matrix import MatrixPlan

    mplan = MatrixPlan.of(plan)
    return bake_run_plan(mplan, frontend(cfg, dry_run=False).frontend, cfg.path(cfg.s.log_dir))


def execute_bake(cfg: Config, plan: BuildPlan | MatrixPlan) -> Any:
    """--executor bake: the checks of a build, the bake file written, then one bake and the pushes."""
    from dynamo_container.execute.build import execute_build
    from dynamo_container.execute.preflight import check_bake
    from dynamo_container.execute.runner import log_folders
    from dynamo_container.plan.bake import BAKE_FILE, bake_text, to_bake, write_bake
    from dynamo_container.plan.matrix import MatrixPlan

    bplan = bake_run(cfg, plan)
    with log_folders(_log_folders(bplan), values.origin(cfg, "log_dir")):
        preflight(cfg, plan)
        check_bake(engine(cfg), frontend(cfg, dry_run=False).frontend)
        mplan = MatrixPlan.of(plan)
        write_bake(cfg.path(cfg.s.log_dir) / BAKE_FILE, bake_text(to_bake(mplan)))
        return execute_build(bplan, engine(cfg), runner(cfg))


def preflight(cfg: Config, plan: BuildPlan | MatrixPlan) -> None:
    """What can be known before step 1 (see preflight.py), then the context-size warning."""
    from dynamo_container.buildcontext.context import warn_if_large
    from dynamo_container.execute.preflight import check_build

    s = cfg.s
    check_build(
        plan.steps, engine(cfg), frontend(cfg, dry_run=False).frontend, s.cache_to, s.dev_image.strip()
    )
    warn_if_large(cfg)


def _log_folders(plan: BuildPlan | MatrixPlan | TaskPlan) -> set[Path]:
    return {Path(step.log).parent for step in plan.steps if step.log}


def build_keys(cfg: Config, eng: Engine) -> BuildKeys:
    """The up-to-date checks of a real build (with --force: every step runs, and says so)."""
    from dynamo_container.execute.keys import BuildKeys, frontend_identity

    s = cfg.s
    frontend = choose_frontend(s.docker_cli, s.build_frontend, s.builder, dry_run=False).frontend
    identity = frontend_identity(
        s.docker_cli, frontend.buildx, frontend.builder, frontend.driver, eng.version()
    )
    keys = BuildKeys(eng, cfg.path(s.log_dir), identity)
    keys.force = s.force
    return keys


def execute(cfg: Config, plan: BuildPlan | MatrixPlan) -> Any:
    """Run a plan (a matrix plan in parallel), writing a receipt per combination."""
    from dynamo_container.report.receipts import receipt_writer

    eng, run = engine(cfg), runner(cfg)
    log_dir, context = cfg.path(cfg.s.log_dir), cfg.checkout()
    keys = build_keys(cfg, eng)
    try:
        if not isinstance(plan, BuildPlan):
            from dynamo_container.execute.matrix import default_jobs, execute_matrix

            def receipt(p: BuildPlan) -> Any:
                return receipt_writer(p, eng, log_dir, cfg.secrets, context, quiet=True)

            jobs = cfg.s.jobs or default_jobs()
            return execute_matrix(plan, eng, run, jobs, receipt, keys=keys, progress=cfg.s.progress)
        from dynamo_container.execute.build import execute_build

        on_finish = receipt_writer(plan, eng, log_dir, cfg.secrets, context)
        return execute_build(plan, eng, run, on_finish=on_finish, keys=keys, progress=cfg.s.progress)
    finally:
        keys.save()


def explain(cfg: Config, plan: BuildPlan | MatrixPlan) -> list[dict[str, Any]]:
    """`invoke build --explain`: for every build step, whether a build now would run it and why.

    A dry run that asks the engine for image IDs and hashes the contexts as a build would, and
    writes nothing (no key, no file-hash cache, no log folder).
    """
    from dynamo_container.report.reasons import explain_steps

    eng = engine(cfg)
    eng.ping()
    plans = [plan] if isinstance(plan, BuildPlan) else list(plan.plans)
    return explain_steps(plans, build_keys(cfg, eng))


def efa_plan(cfg: Config) -> TaskPlan:
    """The plan of `invoke efa`: the EFA layer on top of an image the user names."""
    from dynamo_container.plan.efa import plan_efa
    from dynamo_container.resolve.efa import resolve_efa

    return plan_efa(resolve_efa(cfg, frontend(cfg).frontend))


def execute_efa(cfg: Config, plan: TaskPlan) -> Any:
    from dynamo_container.execute.build import execute_build
    from dynamo_container.model.naming import suggest_build
    from dynamo_container.resolve import values

    eng = engine(cfg)
    eng.ping()
    image = cfg.s.image.strip()
    eng.require_image(image, suggest_build(values.image_names(cfg), image))
    from dynamo_container.execute.runner import log_folders

    with log_folders(_log_folders(plan), values.origin(cfg, "log_dir")):
        return execute_build(plan, eng, runner(cfg), progress=cfg.s.progress)


def run_plan(cfg: Config, command: list[str]) -> RunPlan:
    """The exact `docker run` command of `invoke run`, with CMD after `--`."""
    from dynamo_container.plan.run import plan_run
    from dynamo_container.resolve.run import resolve_run

    return plan_run(resolve_run(cfg, command, host(), dict(os.environ)))


def execute_run(cfg: Config, plan: RunPlan) -> None:
    from dynamo_container.execute.container import check_engine, execute_run

    check_engine(engine(cfg), plan)
    execute_run(plan, os.environ, cfg.secrets)


def wheel_plan(
    cfg: Config, *, output_dir: str, commit: str, arch: str, git_url: str
) -> tuple[WheelRequest, TaskPlan | None]:
    """`invoke trtllm-wheel`: the request, and the plan of its steps (None: a matching wheel is reused)."""
    from dynamo_container.plan.wheel import plan_steps, summary
    from dynamo_container.resolve.trtllm import wheel_request

    req = wheel_request(cfg, output_dir=output_dir, commit=commit, arch=arch, git_url=git_url)
    if req.reuse:
        return req, None
    warnings = () if req.git_lfs else ("git-lfs is not installed: TRT-LLM's large files stay pointers",)
    steps = plan_steps(req, frontend(cfg).frontend, cfg.path(cfg.s.log_dir))
    return req, TaskPlan(tuple(steps), summary(req), warnings=warnings)


def execute_wheel(cfg: Config, req: WheelRequest, plan: TaskPlan) -> tuple[Path, str]:
    """Run the wheel's steps; the one wheel they left and its commit.txt line."""
    from dynamo_container.execute.build import execute_build

    execute_build(plan, engine(cfg), runner(cfg))
    wheels = sorted(req.output_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise ConfigError(
            f"the TRT-LLM build left {len(wheels)} wheels in {req.output_dir}",
            f"see the build folder {req.output_dir / 'build'}",
        )
    return wheels[0], (req.output_dir / "commit.txt").read_text(encoding="utf-8", errors="replace").strip()
