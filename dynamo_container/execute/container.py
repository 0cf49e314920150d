"""Running a `docker run` plan: the engine checks that would make it fail, then the container itself.

The checks come first so a missing image, a GPU request on an engine without the NVIDIA runtime, a
ulimit the daemon cannot grant or a taken container name each stop with one line before docker starts.
The host folders the run mounts (the HF cache) are made only then, just before docker starts, and
taken back (when still empty) if docker itself refuses the run. Ctrl-C and SIGTERM (signals.py) are
passed on to the container through the docker CLI.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from dynamo_container.docker.engine import (
    Engine,
    has_nvidia_runtime,
    local_engine_limits,
    runtimes_of,
    ulimit_problems,
)
from dynamo_container.errors import ConfigError, ContainerExit, EngineError
from dynamo_container.execute.logfolders import first_missing, remove_if_empty
from dynamo_container.execute.signals import Stop, held_signals, stop_of, stopped
from dynamo_container.plan.run import RunPlan
from dynamo_container.report import console

STOP_GRACE_SECONDS = 10
DOCKER_REFUSED = 125  # docker run's own exit code when the CLI or the daemon refuses: no command ran


def _check_gpus(engine: Engine, plan: RunPlan) -> None:
    runtimes = runtimes_of(engine.client().info())
    if not has_nvidia_runtime(runtimes):
        raise EngineError(
            f"--gpus {plan.gpus} needs the NVIDIA container runtime, which this engine lacks "
            f"(runtimes: {', '.join(runtimes) or 'none'})",
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


def _create(folders: tuple[str, ...]) -> list[tuple[Path, Path]]:
    """Make the folders the run mounts; (folder, the highest folder made for it) for each one made."""
    made: list[tuple[Path, Path]] = []
    for folder in folders:
        path = Path(folder)
        top = first_missing(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _take_back(made)
            raise ConfigError(
                f"cannot create {folder}, which the run mounts as the HF cache ({exc.strerror})",
                "point --hf-cache (or HF_HOME) at a folder you can write, or pass --hf-cache none",
            ) from None
        if top is not None:
            made.append((path, top))
    return made


def _take_back(made: list[tuple[Path, Path]]) -> None:
    for path, top in made:
        remove_if_empty(path, top)


def execute_run(plan: RunPlan, environ: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    """Run the container in the foreground; its exit code becomes ours."""
    made = _create(plan.create_dirs)
    console.print_command(plan.argv, stream=sys.stderr)
    proc: subprocess.Popen[bytes] | None = None
    try:
        with held_signals():  # a signal while docker starts comes once `proc` is known
            proc = subprocess.Popen(list(plan.argv), env=_environment(plan, environ, secrets))
        code = proc.wait()
    except OSError as exc:
        _take_back(made)
        raise EngineError(
            f"cannot start {plan.argv[0]} ({exc.strerror or type(exc).__name__})", "fix --docker-cli"
        ) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (signals.py)
        if proc is None:
            raise stopped(exc, "docker did not start") from None
        code = _stop(proc, stop_of(exc), plan)
        raise stopped(exc, f"the container exited with {code}") from None
    if code == DOCKER_REFUSED:  # docker's own checks (network, ports, mount options) refused the run
        _take_back(made)
    if code != 0:
        raise ContainerExit(code)


def _stop(proc: subprocess.Popen[bytes], stop: Stop, plan: RunPlan) -> int:
    """Pass the stop to the docker CLI, which passes it to the container; its exit ends the CLI.

    The CLI proxies the signals it gets to the container with and without a terminal (docker CLI
    28 on engine 26, tests/integration/test_signals_run.py); --init passes them on to the command and
    --rm removes the container. Ctrl-C sends SIGINT, then SIGTERM; SIGTERM sends SIGTERM. A
    terminal may have sent SIGINT to the CLI already; a second one is harmless. A CLI still running
    after the grace periods is killed; a named container is then removed by name, an unnamed one may
    outlive it: say so.
    """
    sent = (signal.SIGINT, signal.SIGTERM) if stop.signum == signal.SIGINT else (signal.SIGTERM,)
    for sig in sent:
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
        if not _remove_named(plan):
            console.warn(
                "the container did not stop; it may still run (docker ps shows it, docker rm -f stops it)"
            )
    return proc.wait()


def _remove_named(plan: RunPlan) -> bool:
    """`docker rm -f NAME` of a run given --name; whether the container is gone."""
    if not plan.name:
        return False
    try:
        done = subprocess.run(
            [plan.argv[0], "rm", "-f", "--", plan.name],
            capture_output=True,
            timeout=STOP_GRACE_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
