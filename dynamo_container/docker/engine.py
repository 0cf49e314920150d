"""The Docker CLI and engine: which build frontend to use, whether the engine answers, image lookups.

`Engine` is the one way the library talks to the engine: `ping` (the only engine check, with the
one explanation of why it failed), image inspects, and a docker-py client for what needs one
(runs, containers, info). Cheap calls go over the socket without docker-py (api.py).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dynamo_container.errors import ConfigError, EngineError
from dynamo_container.model.frontend import Frontend

BUILDKIT_HELP = (
    "install the buildx plugin (Debian/Ubuntu: apt-get install docker-buildx; or run scripts/engine-up), "
    "or set DYNAMO_BUILD_FRONTEND=build to use DOCKER_BUILDKIT=1 docker build"
)
PLUGIN_DIRS = (
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)


@dataclass(frozen=True)
class FrontendChoice:
    frontend: Frontend
    note: str = ""  # why, when it was a fallback
    missing_cli: bool = False  # a dry run without the docker CLI: the frontend shown is a guess

    def for_real(self) -> Frontend:
        """The frontend of something that runs (a bake file's command too): it needs the CLI."""
        if self.missing_cli:
            raise _missing_cli(self.frontend.docker)
        return self.frontend


def _missing_cli(docker: str) -> EngineError:
    return EngineError(f"docker CLI {docker!r} not found on PATH", "run scripts/engine-up to install one")


def buildx_plugin() -> str:
    """The buildx plugin where the docker CLI looks for plugins (no process started), or ''."""
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


@functools.cache  # a build asks for it while planning, before step 1 and for its build keys
def choose_frontend(docker: str, mode: str, builder: str, *, dry_run: bool) -> FrontendChoice:
    """buildx when asked or available (mode auto|buildx|build), else the CLI's built-in BuildKit client."""
    if shutil.which(docker) is None:
        if not dry_run:
            raise _missing_cli(docker)
        shown = mode if mode != "auto" else "buildx"
        return FrontendChoice(
            Frontend(docker, shown == "buildx", builder),
            f"docker CLI {docker!r} not found; showing the {shown} form",
            missing_cli=True,
        )
    if mode == "build":
        if builder:
            raise EngineError("--builder needs the buildx frontend", "drop DYNAMO_BUILD_FRONTEND=build")
        return FrontendChoice(Frontend(docker, False))
    buildx = has_buildx(docker)
    if mode == "buildx" and not buildx:
        raise EngineError(f"{docker} has no buildx plugin", BUILDKIT_HELP)
    if not buildx and builder:
        raise EngineError(f"--builder {builder} needs the buildx plugin, which {docker} lacks", BUILDKIT_HELP)
    note = "" if buildx else f"{docker} has no buildx plugin: using DOCKER_BUILDKIT=1 {docker} build"
    if not builder:
        return FrontendChoice(Frontend(docker, buildx), note)
    driver, endpoint = inspect_builder(docker, builder)
    host = context_host(docker, endpoint) or endpoint  # a node's endpoint: a context name or an address
    here = engine_url(docker, os.environ.get("DOCKER_HOST", ""))
    if driver == "docker" and host != here:  # buildx itself refuses it ("use docker --context=...")
        raise EngineError(
            f"builder {builder} is the built-in BuildKit of another engine ({host}), which buildx builds "
            "on only through that engine's context",
            f"set DOCKER_HOST={host} (or DOCKER_CONTEXT={endpoint}) to build there, with --push and "
            "--registry to get the images through the registry",
        )
    local = driver == "docker"
    # docker-container loads into the engine its container runs on; kubernetes and remote through the CLI
    loads_here = driver != "docker-container" or host == here
    return FrontendChoice(Frontend(docker, buildx, builder, local, driver, host, loads_here), note)


def builder_driver(docker: str, builder: str) -> str:
    """The driver of a buildx builder instance (docker, docker-container, kubernetes, remote)."""
    return inspect_builder(docker, builder)[0]


def context_host(docker: str, name: str) -> str:
    """The engine address of the docker context `name`, or '' when there is no such context."""
    if not name or "://" in name:
        return ""
    try:
        out = subprocess.run(
            [docker, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}", "--", name],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def inspect_builder(docker: str, builder: str) -> tuple[str, str]:
    """The driver of a buildx builder instance (docker, docker-container, kubernetes, remote) and the
    endpoint of its first node (a docker context name or an address)."""
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
    fields: dict[str, str] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())  # the first node's endpoint
    return fields.get("Driver") or "docker", fields.get("Endpoint", "")


# The runtime name `nvidia-ctk runtime configure --runtime=docker` registers, and the one run.sh
# (and our run plans) pass as --runtime beside --gpus.
NVIDIA_RUNTIME = "nvidia"


def runtimes_of(info: Mapping[str, Any]) -> tuple[str, ...]:
    """The container runtimes `docker info` lists (its Runtimes: name -> path), sorted by name."""
    listed = info.get("Runtimes") or {}
    return tuple(sorted(listed)) if isinstance(listed, Mapping) else ()


def has_nvidia_runtime(runtimes: Sequence[str]) -> bool:
    """Does an engine with these runtimes (`runtimes_of`) run GPU containers the way our plans ask?

    Only the engine's own list answers: `--runtime nvidia` is refused by every engine that has not
    registered it, whatever is installed, and a program on this process's PATH says nothing about
    the daemon's host (a remote DOCKER_HOST, a rootless or a Desktop engine).
    """
    return NVIDIA_RUNTIME in runtimes


DEFAULT_ENGINE = "unix:///var/run/docker.sock"


@functools.cache
def engine_url(docker: str, docker_host: str = "") -> str:
    """The engine the docker CLI talks to: DOCKER_HOST, else the CLI's current context."""
    if docker_host:
        return docker_host
    if _uses_default_context():  # what the CLI would answer, without starting it
        return DEFAULT_ENGINE
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
    return DEFAULT_ENGINE


def _uses_default_context() -> bool:
    """No DOCKER_CONTEXT and no currentContext in the CLI's config.json: the default engine socket."""
    import json

    if os.environ.get("DOCKER_CONTEXT"):
        return False
    config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    try:
        current = json.loads(config.read_text(encoding="utf-8")).get("currentContext", "")
    except FileNotFoundError:
        return True
    except (OSError, ValueError, AttributeError):
        return False  # let the CLI say
    return current in ("", "default")


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


@dataclass(frozen=True)
class Engine:
    docker: str  # the CLI that runs the plans
    url: str

    @classmethod
    def of(cls, docker: str) -> Engine:
        return cls(docker, engine_url(docker, os.environ.get("DOCKER_HOST", "")))

    @property
    def local(self) -> bool:
        return self.url.startswith("unix://")

    def client(self) -> Any:
        """A docker-py client of the same engine (runs, containers, info)."""
        return _client(self.url)

    def ping(self) -> None:
        """The one engine check: one clear line when it does not answer."""
        from dynamo_container.docker.api import light_api

        light = light_api(self.url)
        try:
            if light is not None:
                light.ping()
            else:
                self.client().ping()
        except Exception as exc:  # sockets and docker-py raise several unrelated types for the same cause
            raise explain_engine_error(self.url, exc) from None

    def version(self) -> str:
        """The engine's version and API version ('' when it does not say)."""
        from dynamo_container.docker.api import light_api

        light = light_api(self.url)
        data = light.get("/version")[1] if light is not None else self.client().version()
        return f"{data.get('Version', '')} {data.get('ApiVersion', '')}" if isinstance(data, dict) else ""

    def info(self) -> dict[str, Any]:
        """`docker info` of the engine (storage driver, runtimes, data root)."""
        from dynamo_container.docker.api import light_api

        light = light_api(self.url)
        if light is not None:
            status, data = light.get("/info")
            return data if status == 200 and isinstance(data, dict) else {}
        return dict(self.client().info())

    def has_network(self, name: str) -> bool:
        """Does the engine have the network `name` (e.g. `bridge`, absent under --bridge=none)?"""
        from dynamo_container.docker.api import light_api

        light = light_api(self.url)
        if light is not None:
            return light.get(f"/networks/{quote(name, safe='')}")[0] == 200
        try:
            self.client().networks.get(name)
        except Exception:  # not on this engine
            return False
        return True

    def inspect_images(self, refs: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """`docker image inspect` of each reference (None when absent)."""
        from dynamo_container.docker.api import light_api

        light = light_api(self.url)
        out: dict[str, dict[str, Any] | None] = {}
        for ref in refs:
            if light is not None:
                out[ref] = light.image(ref)
                continue
            try:
                out[ref] = dict(self.client().images.get(ref).attrs)
            except Exception:  # not on this engine (e.g. only in a registry)
                out[ref] = None
        return out

    def image_ids(self, refs: Sequence[str]) -> dict[str, str | None]:
        return {ref: (str(a["Id"]) if a else None) for ref, a in self.inspect_images(refs).items()}

    def require_image(self, image: str, hint: str) -> None:
        """One clear line (and how to make it) when an image is not on the engine."""
        if self.inspect_images([image])[image] is None:
            raise ConfigError(f"image {image} is not present on this engine", hint)


_PROC_LIMITS = {
    "Max locked memory": "memlock",
    "Max open files": "nofile",
    "Max stack size": "stack",
    "Max processes": "nproc",
    "Max core file size": "core",
}


def local_engine_limits(url: str, pidfile: str = "/var/run/docker.pid") -> dict[str, int]:
    """Hard resource limits of a local dockerd (-1: unlimited); {} when the engine is not local."""

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
