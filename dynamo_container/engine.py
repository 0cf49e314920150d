"""The Docker CLI and engine: which build frontend to use, and whether the engine answers."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config import Config
from .errors import ConfigError, EngineError
from .plan import Frontend

BUILDKIT_HELP = (
    "install the buildx plugin (Debian/Ubuntu: apt-get install docker-buildx; or run scripts/engine-up), "
    "or set DYNAMO_BUILD_FRONTEND=build to use DOCKER_BUILDKIT=1 docker build"
)


@dataclass(frozen=True)
class FrontendChoice:
    frontend: Frontend
    note: str = ""  # why, when it was a fallback


PLUGIN_DIRS = (
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)


def buildx_plugin() -> str:
    """The buildx plugin where the docker CLI looks for plugins (no process started), or ''."""
    import os

    config = os.environ.get("DOCKER_CONFIG") or os.path.expanduser("~/.docker")
    for folder in (os.path.join(config, "cli-plugins"), *PLUGIN_DIRS):
        path = os.path.join(folder, "docker-buildx")
        if os.access(path, os.X_OK):
            return path
    return ""


def has_buildx(docker: str) -> bool:
    """buildx is available: its plugin file is in a standard place, or `docker buildx version` answers."""
    if buildx_plugin():
        return True
    try:
        probe = subprocess.run(
            [docker, "buildx", "version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def choose_frontend(cfg: Config, *, dry_run: bool) -> FrontendChoice:
    """buildx when asked or available, else the CLI's built-in BuildKit client."""
    s = cfg.s
    docker = s.docker_cli
    if shutil.which(docker) is None:
        if not dry_run:
            raise EngineError(
                f"docker CLI {docker!r} not found on PATH", "run scripts/engine-up to install one"
            )
        mode = s.build_frontend if s.build_frontend != "auto" else "buildx"
        note = f"docker CLI {docker!r} not found; showing the {mode} form"
        return FrontendChoice(Frontend(docker, mode == "buildx", s.builder), note)
    if s.build_frontend == "build":
        if s.builder:
            raise EngineError("--builder needs the buildx frontend", "drop DYNAMO_BUILD_FRONTEND=build")
        return FrontendChoice(Frontend(docker, False))
    buildx = has_buildx(docker)
    if s.build_frontend == "buildx" and not buildx:
        raise EngineError(f"{docker} has no buildx plugin", BUILDKIT_HELP)
    if not buildx and s.builder:
        raise EngineError(
            f"--builder {s.builder} needs the buildx plugin, which {docker} lacks", BUILDKIT_HELP
        )
    note = "" if buildx else f"{docker} has no buildx plugin: using DOCKER_BUILDKIT=1 {docker} build"
    driver = builder_driver(docker, s.builder) if s.builder else "docker"
    return FrontendChoice(Frontend(docker, buildx, s.builder, driver == "docker", driver), note)


def builder_driver(docker: str, builder: str) -> str:
    """The driver of a buildx builder instance (docker, docker-container, kubernetes, remote)."""
    try:
        out = subprocess.run(
            [docker, "buildx", "inspect", builder], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"cannot inspect buildx builder {builder}: {exc}") from None
    if out.returncode != 0:
        raise EngineError(
            f"no buildx builder named {builder}",
            "docker buildx ls lists them; docker buildx create --name NAME --driver ... makes one",
        )
    for line in out.stdout.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Driver":
            return value.strip()
    return "docker"


def engine_url(cfg: Config) -> str:
    """The engine the docker CLI talks to: DOCKER_HOST, else the CLI's current context."""
    import os

    return _engine_url(cfg.s.docker_cli, os.environ.get("DOCKER_HOST", ""))


@functools.cache
def _engine_url(docker: str, docker_host: str) -> str:
    if docker_host:
        return docker_host
    try:
        out = subprocess.run(
            [docker, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        out = None
    if out is not None and out.returncode == 0 and out.stdout.strip():
        return out.stdout.strip()
    return "unix:///var/run/docker.sock"


def client(cfg: Config) -> Any:
    """A docker-py client for the same engine the CLI uses (docker-py: inspect, run, images)."""
    return _client(engine_url(cfg))


@functools.cache
def _client(url: str) -> Any:
    import docker

    return docker.DockerClient(base_url=url, timeout=120)


def explain_engine_error(url: str, error: Exception) -> EngineError:
    text = str(error)
    if "Permission denied" in text or "PermissionError" in text:
        return EngineError(
            f"permission denied talking to the Docker engine at {url}",
            "add yourself to the docker group (sudo usermod -aG docker $USER, then log in again) "
            "or run as root",
        )
    return EngineError(
        f"cannot reach the Docker engine at {url}",
        "start one with scripts/engine-up, or point DOCKER_HOST at a running engine",
    )


def preflight(cfg: Config) -> None:
    """Check that the engine answers before any step starts (one clear line when it does not)."""
    from .engine_api import light_api

    url = engine_url(cfg)
    light = light_api(url)
    try:
        if light is not None:
            light.ping()
        else:
            client(cfg).ping()
    except Exception as exc:  # sockets and docker-py raise several unrelated types for the same cause
        raise explain_engine_error(url, exc) from None


def inspect_images(cfg: Config, refs: Sequence[str]) -> dict[str, dict[str, Any] | None]:
    """`docker image inspect` of each reference (None when absent); cheap on local and plain TCP engines."""
    from .engine_api import light_api

    light = light_api(engine_url(cfg))
    out: dict[str, dict[str, Any] | None] = {}
    for ref in refs:
        if light is not None:
            out[ref] = light.image(ref)
            continue
        try:
            out[ref] = dict(client(cfg).images.get(ref).attrs)
        except Exception:  # not on this engine (e.g. only in a registry)
            out[ref] = None
    return out


_PROC_LIMITS = {
    "Max locked memory": "memlock",
    "Max open files": "nofile",
    "Max stack size": "stack",
    "Max processes": "nproc",
    "Max core file size": "core",
}


def local_engine_limits(url: str, pidfile: str = "/var/run/docker.pid") -> dict[str, int]:
    """Hard resource limits of a local dockerd (-1: unlimited); {} when the engine is not local."""
    from pathlib import Path

    if not url.startswith("unix://"):
        return {}
    try:
        pid = Path(pidfile).read_text().strip()
        text = Path(f"/proc/{pid}/limits").read_text()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for line in text.splitlines():
        for label, kind in _PROC_LIMITS.items():
            if line.startswith(label):
                hard = line[len(label) :].split()[1]
                out[kind] = -1 if hard == "unlimited" else int(hard)
    return out


def ulimit_problems(requested: Sequence[str], limits: Mapping[str, int]) -> list[str]:
    """Requested ulimits (TYPE=SOFT[:HARD]) that the engine's own hard limits cannot grant."""
    problems = []
    for item in requested:
        kind, _, value = item.partition("=")
        wanted = int(value.split(":")[-1])
        cap = limits.get(kind)
        if cap is None or cap == -1:
            continue
        if wanted == -1 or wanted > cap:
            problems.append(f"{item} (the engine's hard limit is {cap})")
    return problems


def require_image(api: Any, image: str, image_name: str) -> None:
    """One clear line (and the command that makes it) when an image is not on the engine."""
    import docker.errors

    from .plan import suggest_build

    try:
        api.images.get(image)
    except docker.errors.ImageNotFound:
        raise ConfigError(
            f"image {image} is not present on this engine", suggest_build(image_name, image)
        ) from None
