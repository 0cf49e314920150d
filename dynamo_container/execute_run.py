"""Running a `docker run` plan: the engine checks that would make it fail, then the container itself.

The checks come first so a missing image, a GPU request on an engine without the NVIDIA runtime, a
ulimit the daemon cannot grant or a taken container name each stop with one line before docker starts.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from . import render
from .engine import Engine, local_engine_limits, ulimit_problems
from .errors import ConfigError, ContainerExit, EngineError, Interrupted
from .plan.run import RunPlan

STOP_GRACE_SECONDS = 10


def _check_gpus(engine: Engine, plan: RunPlan) -> None:
    runtimes = set(engine.client().info().get("Runtimes", {}))
    if "nvidia" not in runtimes and not shutil.which("nvidia-container-runtime-hook"):
        raise EngineError(
            f"--gpus {plan.gpus} needs the NVIDIA container runtime, which this engine lacks "
            f"(runtimes: {', '.join(sorted(runtimes)) or 'none'})",
            "install the NVIDIA Container Toolkit, or run without GPUs: --gpus none",
        )


def _check_ulimits(engine: Engine, plan: RunPlan) -> None:
    limits = local_engine_limits(engine.url)
    too_high = ulimit_problems(plan.ulimits, limits)
    if too_high:
        kind, _, _ = too_high[0].partition("=")
        raise EngineError(
            f"this engine cannot grant --ulimit {'; '.join(too_high)}",
            f"lower it, e.g. --ulimit {kind}={limits[kind]}, or drop it with --ulimit {kind}=",
        )


def _check_name(engine: Engine, plan: RunPlan) -> None:
    if plan.name and engine.client().containers.list(all=True, filters={"name": f"^/{plan.name}$"}):
        raise ConfigError(
            f"container name {plan.name} is already in use",
            f"remove it (docker rm -f {plan.name}) or pick another --name",
        )


def check_engine(engine: Engine, plan: RunPlan) -> None:
    """What would make `docker run` fail, each as one clear line before anything starts."""
    if shutil.which(plan.argv[0]) is None:
        raise EngineError(
            f"docker CLI {plan.argv[0]!r} not found", "install one (scripts/engine-up) or fix --docker-cli"
        )
    engine.ping()
    engine.require_image(plan.image, plan.image_hint)
    if plan.gpus:
        _check_gpus(engine, plan)
    _check_ulimits(engine, plan)
    _check_name(engine, plan)


def _environment(plan: RunPlan, environ: Mapping[str, str], secrets: Mapping[str, str]) -> dict[str, str]:
    """docker's environment: ours, plus the secrets docker reads by name that only env files hold."""
    env = dict(environ)
    for name in plan.env_by_name:
        if name not in env and name in secrets:
            env[name] = secrets[name]
    return env


def execute_run(plan: RunPlan, environ: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    """Run the container in the foreground; its exit code becomes ours."""
    for folder in plan.create_dirs:
        Path(folder).mkdir(parents=True, exist_ok=True)
    render.print_command(plan.argv, stream=sys.stderr)
    proc = subprocess.Popen(list(plan.argv), env=_environment(plan, environ, secrets))
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        code = _stop(proc)
        raise Interrupted(f"interrupted: the container exited with {code}") from None
    if code != 0:
        raise ContainerExit(code)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """Ctrl-C: the docker CLI passes SIGINT, then SIGTERM, to the container; its exit ends the CLI.

    The terminal may have sent SIGINT to the CLI already; a second one is harmless. A CLI that still
    runs after both grace periods is killed, and the container may then outlive it: say so.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        if proc.poll() is not None:
            break
        proc.send_signal(sig)
        try:
            return proc.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:  # a second Ctrl-C: go on to the next signal at once
            continue
    if proc.poll() is None:
        proc.kill()
        render.warn(
            "the container did not stop; it may still run (docker ps shows it, docker rm -f stops it)"
        )
    return proc.wait()
