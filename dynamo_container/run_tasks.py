"""`invoke run`: the original run script, with checks before anything starts."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke.context import Context

from . import render
from .cli import ENV_FILE, JSON, SettingsTask, settings_task
from .config import Config
from .errors import ConfigError, DynamoError, EngineError, Interrupted

if TYPE_CHECKING:
    from .run_plan import RunPlan


class ContainerExit(DynamoError):
    """The container's own non-zero exit code, passed through without a message."""

    def __init__(self, code: int) -> None:
        super().__init__("")
        self.exit_code = code


def command_after_dashes(c: Context) -> list[str]:
    """The words after a standalone `--`, with the user's quoting (invoke keeps only a joined string)."""
    argv = sys.argv
    if "--" in argv:
        return argv[argv.index("--") + 1 :]
    return shlex.split(c.remainder) if c.remainder else []


def check_engine(cfg: Config, plan: RunPlan) -> None:
    """What would make `docker run` fail, each as one clear line before anything starts."""
    from .engine import (
        client,
        engine_url,
        explain_engine_error,
        local_engine_limits,
        require_image,
        ulimit_problems,
    )

    try:
        api = client(cfg)
        api.ping()
    except Exception as exc:  # docker-py raises several unrelated types for the same cause
        raise explain_engine_error(engine_url(cfg), exc) from None

    require_image(api, plan.image, cfg.s.image_name)
    if plan.gpus:
        runtimes = set(api.info().get("Runtimes", {}))
        if "nvidia" not in runtimes and not shutil.which("nvidia-container-runtime-hook"):
            raise EngineError(
                f"--gpus {plan.gpus} needs the NVIDIA container runtime, which this engine lacks "
                f"(runtimes: {', '.join(sorted(runtimes)) or 'none'})",
                "install the NVIDIA Container Toolkit, or run without GPUs: --gpus none",
            )
    limits = local_engine_limits(engine_url(cfg))
    too_high = ulimit_problems(plan.ulimits, limits)
    if too_high:
        kind, _, _ = too_high[0].partition("=")
        raise EngineError(
            f"this engine cannot grant --ulimit {'; '.join(too_high)}",
            f"lower it, e.g. --ulimit {kind}={limits[kind]}, or drop it with --ulimit {kind}=",
        )
    if plan.name and api.containers.list(all=True, filters={"name": f"^/{plan.name}$"}):
        raise ConfigError(
            f"container name {plan.name} is already in use",
            f"remove it (docker rm -f {plan.name}) or pick another --name",
        )


def run_container(cfg: Config, command: list[str], *, json: bool = False) -> None:
    from .run_plan import HostInfo, plan_run

    plan = plan_run(cfg, command, HostInfo(os.getuid(), os.getgid()), dict(os.environ))
    if json and not cfg.s.dry_run:
        raise ConfigError("--json prints the command of a dry run", "add --dry-run")
    if json:
        render.print_json(plan.to_json())
        return
    for w in plan.warnings:
        render.warn(w)
    if cfg.s.dry_run:
        render.print_command(plan.argv)
        return
    check_engine(cfg, plan)
    for d in plan.create_dirs:
        Path(d).mkdir(parents=True, exist_ok=True)
    env: dict[str, Any] = dict(os.environ)
    for name in plan.env_by_name:  # docker reads these by name; env files may hold them
        if name not in env and name in cfg.secrets:
            env[name] = cfg.secrets[name]
    render.print_command(plan.argv, stream=sys.stderr)
    proc = subprocess.Popen(list(plan.argv), env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # docker forwards the signal to the container; wait for it to stop
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.terminate()
            code = proc.wait()
        raise Interrupted(f"interrupted: the container exited with {code}") from None
    if code != 0:
        raise ContainerExit(code)


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(
        root,
        "run",
        ("run",),
        include=("framework", "target", "image_name", "registry", "dry_run", "docker_cli"),
        extras=(ENV_FILE, JSON),
    )
    def run(c: Context, cfg: Config, json: bool = False) -> None:
        """Run a Dynamo image: GPUs, host network, shared memory, HF cache; `-- CMD ...` runs CMD in it."""
        run_container(cfg, command_after_dashes(c), json=json)

    return [run]
