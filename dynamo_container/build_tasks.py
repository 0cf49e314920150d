"""`invoke build` and the stage tasks `base`, `wheel`, `framework`, `runtime`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from invoke.context import Context

from . import render
from .cli import ENV_FILE, JSON, SettingsTask, settings_task
from .config import Config
from .errors import ConfigError
from .plan import BuildPlan

STAGE_TASKS = {
    "base": ("base", "Build the Dynamo base image (container/Dockerfile, stage base) for a framework."),
    "wheel": ("wheel_builder", "Build the wheel_builder stage (NIXL, UCX and the Dynamo wheels)."),
    "framework": ("framework", "Build the base image, then the framework stage of the framework image."),
    "runtime": ("runtime", "Build the base image, then the runtime image of the framework."),
}


def make_plan(cfg: Config) -> tuple[BuildPlan, str]:
    """The plan of this configuration, and a note about the build frontend when it is a fallback."""
    from .engine import choose_frontend
    from .plan import plan_build
    from .version import describe

    choice = choose_frontend(cfg, dry_run=cfg.s.dry_run)
    version = describe(cfg.path(cfg.s.context), version=cfg.s.version, commit=cfg.s.commit_sha)
    plan = plan_build(cfg, version, choice.frontend, host_uid=os.getuid(), host_gid=os.getgid())
    return plan, choice.note


def run_build(cfg: Config, *, json: bool = False) -> None:
    if json and not cfg.s.dry_run:
        raise ConfigError("--json prints the plan of a dry run", "add --dry-run")
    plan, note = make_plan(cfg)
    if json:
        render.print_json(plan.to_json())
        return
    if note:
        render.warn(note)
    if cfg.s.dry_run:
        render.print_plan(plan)
        return
    from .context import warn_if_large
    from .execute import execute_build

    warn_if_large(cfg)
    execute_build(plan, cfg)


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

    out = [build, efa]
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
