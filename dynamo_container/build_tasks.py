"""`invoke build` and the stage tasks `base`, `wheel`, `framework`, `runtime`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke.context import Context

from . import render
from .cli import ENV_FILE, JSON, Extra, SettingsTask, settings_task
from .config import Config
from .errors import ConfigError

if TYPE_CHECKING:
    from .plan import BuildPlan

STAGE_TASKS = {
    "base": ("base", "Build the Dynamo base image (container/Dockerfile, stage base) for a framework."),
    "wheel": ("wheel_builder", "Build the wheel_builder stage (NIXL, UCX and the Dynamo wheels)."),
    "framework": ("framework", "Build the base image, then the framework stage of the framework image."),
    "runtime": ("runtime", "Build the base image, then the runtime image of the framework."),
}


def plan_inputs(cfg: Config) -> tuple[Any, Any]:
    """What every build plan needs besides the config: the frontend choice and the git version."""
    from .engine import choose_frontend
    from .version import describe

    choice = choose_frontend(cfg, dry_run=cfg.s.dry_run)
    return choice, describe(cfg.path(cfg.s.context), version=cfg.s.version, commit=cfg.s.commit_sha)


def make_plan(cfg: Config) -> tuple[BuildPlan, str]:
    """The plan of this configuration, and a note about the build frontend when it is a fallback."""
    from .plan import plan_build

    choice, version = plan_inputs(cfg)
    plan = plan_build(cfg, version, choice.frontend, host_uid=os.getuid(), host_gid=os.getgid())
    return plan, choice.note


def make_matrix_plan(cfg: Config) -> tuple[Any, str]:
    """The plans of every framework x CUDA combination asked for (a matrix of one is fine too)."""
    from .matrix_build import plan_matrix

    choice, version = plan_inputs(cfg)
    return plan_matrix(cfg, version, choice.frontend, os.getuid(), os.getgid()), choice.note


def show_or_run(
    cfg: Config, plan: Any, note: str, *, json: bool, show: Callable[[Any], None], run: Callable[[Any], Any]
) -> None:
    """What every build task does with its plan: JSON, a dry-run print, or the build itself."""
    if json:
        render.print_json(plan.to_json())
        return
    if note:
        render.warn(note)
    if cfg.s.dry_run:
        show(plan)
        return
    from .context import warn_if_large

    require_sources(cfg, plan)
    warn_if_large(cfg)
    run(plan)


def require_sources(cfg: Config, plan: Any) -> None:
    """Refuse to start when the build context lacks a path a planned Dockerfile reads."""
    from .sources import check_family, summary

    steps = [s for _, p in plan.plans for s in p.steps] if hasattr(plan, "plans") else list(plan.steps)
    names = sorted({Path(s.dockerfile).name for s in steps if s.kind == "build" and s.dockerfile})
    context = cfg.path(cfg.s.context)
    problems = check_family(cfg.path(cfg.s.container_dir), context, names)
    if problems:
        raise ConfigError(*summary(problems, context))


def run_build(cfg: Config, *, json: bool = False) -> None:
    from .matrix_build import is_matrix

    if json and not cfg.s.dry_run:
        raise ConfigError("--json prints the plan of a dry run", "add --dry-run")
    if is_matrix(cfg):
        from .matrix_build import default_jobs, execute_matrix, print_matrix_plan

        mplan, note = make_matrix_plan(cfg)
        jobs = cfg.s.jobs or default_jobs()
        show_or_run(
            cfg, mplan, note, json=json, show=print_matrix_plan, run=lambda p: execute_matrix(p, cfg, jobs)
        )
        return
    from .execute import execute_build

    plan, note = make_plan(cfg)
    show_or_run(
        cfg,
        plan,
        note,
        json=json,
        show=render.print_plan,
        run=lambda p: execute_build(p, cfg, on_finish=receipt_writer(cfg, p)),
    )


def receipt_writer(cfg: Config, plan: BuildPlan, *, quiet: bool = False) -> Callable[[list[Any], str], None]:
    """The executor's on_finish: a receipt of this build under <log dir>/receipts/."""
    import time

    started = time.time()

    def write(results: list[Any], status: str) -> None:
        from .receipts import base_image_refs, image_ids, make_receipt, write_receipt

        try:
            built = image_ids(cfg, [t for r in results for t in r.step.tags if r.step.kind == "build"])
            bases = image_ids(cfg, base_image_refs(plan))
        except Exception:  # the receipt still records the plan and timings without an engine
            built, bases = {}, {}
        path = write_receipt(
            cfg,
            make_receipt(cfg, plan, results, status=status, image_ids=built, base_ids=bases, started=started),
        )
        if not quiet:
            print(f"receipt: {path}")

    return write


def run_efa(cfg: Config, *, json: bool = False) -> None:
    from .engine import choose_frontend, client, preflight, require_image
    from .plan import plan_efa

    if json and not cfg.s.dry_run:
        raise ConfigError("--json prints the plan of a dry run", "add --dry-run")
    plan = plan_efa(cfg, cfg.s.image, choose_frontend(cfg, dry_run=cfg.s.dry_run).frontend)
    if json:
        render.print_json(plan.to_json())
        return
    if cfg.s.dry_run:
        render.print_plan(plan)
        return
    preflight(cfg)
    require_image(client(cfg), cfg.s.image.strip(), cfg.s.image_name)
    from .execute import execute_build

    execute_build(plan, cfg)


BAKE = Extra("bake", "Also write the plan as a docker buildx bake JSON file to this path.")


def run_plan(cfg: Config, *, json: bool = False, bake: str | None = None) -> None:
    """`invoke plan`: the plan(s) of a build invocation, as text, JSON or a bake file; nothing runs."""
    import dataclasses
    import json as jsonlib

    cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, dry_run=True))
    mplan, note = make_matrix_plan(cfg)
    if bake:
        from .bake import to_bake

        data = to_bake(mplan, cache_from=cfg.s.cache_from, cache_to=cfg.s.cache_to, no_cache=cfg.s.no_cache)
        Path(bake).write_text(jsonlib.dumps(data, indent=2) + "\n", encoding="utf-8")
        if not json:
            print(f"bake file: {bake} ({len(data['target'])} targets; docker buildx bake -f {bake} --print)")
    if json:
        render.print_json(mplan.to_json())
    elif not bake:
        from .matrix_build import print_matrix_plan

        if note:
            render.warn(note)
        print_matrix_plan(mplan)


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(root, "build", ("build", "engine"), extras=(ENV_FILE, JSON))
    def build(c: Context, cfg: Config, json: bool = False) -> None:
        """Build Dynamo images: base image, framework image to --target, then local-dev / EFA layers."""
        run_build(cfg, json=json)

    @settings_task(
        root,
        "efa",
        ("engine",),
        include=(
            "image",
            "image_name",
            "efa_version",
            "platform",
            "build_args",
            "container_dir",
            "context",
            "build_network",
            "log_dir",
            "dry_run",
        ),
        extras=(ENV_FILE, JSON),
    )
    def efa(c: Context, cfg: Config, json: bool = False) -> None:
        """Add the AWS EFA layer (libfabric, aws-ofi-nccl) to an existing runtime or dev image."""
        run_efa(cfg, json=json)

    @settings_task(root, "plan", ("build", "engine"), exclude=("dry_run",), extras=(ENV_FILE, JSON, BAKE))
    def plan(c: Context, cfg: Config, json: bool = False, bake: str | None = None) -> None:
        """Print the plan of a build (several frameworks and CUDA versions allowed) or write it for bake."""
        run_plan(cfg, json=json, bake=bake)

    out = [build, efa, plan]
    for task_name, (target, doc) in STAGE_TASKS.items():

        def body(c: Context, cfg: Config, json: bool = False) -> Any:
            run_build(cfg, json=json)

        body.__doc__ = doc
        out.append(
            settings_task(
                root,
                task_name,
                ("build", "engine"),
                exclude=("target",),
                extras=(ENV_FILE, JSON),
                fixed={"target": target},
            )(body)
        )
    return out
