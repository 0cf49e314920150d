"""`invoke run`: the original run script, with checks before anything starts."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, JSON, SettingsTask, settings_task

RUN_HELP = {
    "framework": "Framework of the default image (none, vllm, sglang or trtllm).",
    "cuda_version": "CUDA version of the default image (a row of the framework matrix). Empty: the default.",
    "target": "Target of the default image: runtime, dev, local-dev, ... Empty: the dev image.",
}


def command_after_dashes(c: Context) -> list[str]:
    """The words after a standalone `--`, with the user's quoting (invoke keeps only a joined string)."""
    argv = sys.argv
    if "--" in argv:
        return argv[argv.index("--") + 1 :]
    return shlex.split(c.remainder) if c.remainder else []


def run_container(cfg: Config, command: list[str], *, json: bool = False) -> None:
    from dynamo_container import pipeline

    if json and not cfg.s.dry_run:
        raise ConfigError("--json prints the command of a dry run", "add --dry-run")
    plan, run = pipeline.run_plan(cfg, command)
    if json:
        console.print_json(plan.to_json())
        return
    for w in plan.warnings:
        console.warn(w)
    if cfg.s.dry_run:
        console.print_command(plan.argv)
        return
    pipeline.execute_run(plan, run)


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(
        root,
        "run",
        ("run",),
        include=("framework", "cuda_version", "target", "image_name", "registry", "dry_run", "docker_cli"),
        extras=(ENV_FILE, JSON),
        help_texts=RUN_HELP,
        takes_command=True,
    )
    def run(c: Context, cfg: Config, json: bool = False) -> None:
        """Run a Dynamo image: GPUs, host network, shared memory, HF cache; `-- CMD ...` runs CMD in it."""
        run_container(cfg, command_after_dashes(c), json=json)

    return [run]
