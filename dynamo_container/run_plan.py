"""The run planner: configuration to the exact `docker run` command (pure, but for checking paths)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import matrix
from .config import Config
from .errors import ConfigError
from .plan import looks_like_credential
from .settings import by_name

_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GPU_ID = re.compile(r"^(\d+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+)$")
CONTAINER_HOME = "/home/dynamo"
DEFAULT_ULIMITS: tuple[str, ...] = by_name()["ulimits"].default


@dataclass(frozen=True)
class HostInfo:
    uid: int
    gid: int


@dataclass(frozen=True)
class RunPlan:
    argv: tuple[str, ...]
    image: str
    image_is_default: bool
    interactive: bool
    gpus: str  # "" when no GPUs are requested
    name: str
    env_by_name: tuple[str, ...]  # variables docker takes from its own environment (never printed)
    create_dirs: tuple[str, ...]  # host folders to create before running (the HF cache)
    ulimits: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "argv": list(self.argv),
            "image": self.image,
            "interactive": self.interactive,
            "gpus": self.gpus,
            "env_by_name": list(self.env_by_name),
            "create_dirs": list(self.create_dirs),
            "warnings": list(self.warnings),
        }


def default_image(cfg: Config) -> str:
    s = cfg.s
    fw = s.framework.strip().lower()
    if fw not in matrix.FRAMEWORKS:
        raise ConfigError(
            f"unknown framework {s.framework!r}", f"choose one of: {', '.join(matrix.FRAMEWORKS)}"
        )
    target = s.target.strip()
    repo = f"{s.registry.rstrip('/')}/{s.image_name}" if s.registry.strip() else s.image_name
    return f"{repo}:latest-{fw}" + (f"-{target}" if target else "")


def gpus_value(gpus: str) -> str:
    """docker's --gpus value, or '' for none; a device list gets the quoting docker's CSV parser needs."""
    g = gpus.strip()
    if g.lower() in ("", "none"):
        return ""
    if g == "all" or g.isdigit():
        return g
    if g.startswith(("device=", '"device=')):
        return g if g.startswith('"') else f'"{g}"'
    ids = [x.strip() for x in g.split(",")]
    if all(_GPU_ID.match(x) for x in ids):
        return f'"device={",".join(ids)}"'
    raise ConfigError(
        f"--gpus {gpus!r} is not a GPU request",
        "use all, a count (2), a device list (0,1 or GPU UUIDs) or none",
    )


def _check_volume(spec: str) -> str:
    parts = spec.split(":")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ConfigError(f"-v {spec!r} is not SRC:DST[:OPTIONS]", "e.g. -v /data/models:/models:ro")
    src = parts[0]
    if src.startswith(("/", ".", "~")):  # a host path (relative to the current folder, as in a shell)
        path = Path(src).expanduser()
        if not path.exists():
            raise ConfigError(f"-v {spec}: {src} does not exist on this machine", "create it or fix the path")
        parts[0] = str(path.resolve())
    # otherwise a named docker volume
    return ":".join(parts)


def merge_ulimits(defaults: tuple[str, ...], given: tuple[str, ...]) -> list[str]:
    """The defaults, each replaced by a given limit of the same type; `TYPE=` drops one."""
    merged: dict[str, str] = {}
    for item in (*defaults, *given):
        kind, sep, value = item.partition("=")
        if not sep or not re.match(r"^[a-z]+$", kind):
            raise ConfigError(
                f"--ulimit {item!r} is not TYPE=SOFT[:HARD]", "e.g. --ulimit nofile=65536:65536"
            )
        if value:
            merged[kind] = value
        else:
            merged.pop(kind, None)
    return [f"{k}={v}" for k, v in merged.items()]


def plan_run(cfg: Config, command: list[str], host: HostInfo, environ: dict[str, str]) -> RunPlan:
    """Everything `invoke run` will pass to `docker run`, in the original run script's order."""
    s = cfg.s
    warnings: list[str] = list(cfg.warnings)
    image = s.image.strip() or default_image(cfg)
    if s.image.strip() and s.target.strip() and cfg.is_set("target"):
        warnings.append("--target only names the default image; ignored with --image")
    gpus = gpus_value(s.gpus)
    interactive = s.interactive or s.mount_workspace
    tty = s.tty or s.mount_workspace
    privileged = s.privileged if s.privileged is not None else s.mount_workspace

    user = s.user.strip()
    if user == "host":
        user = f"{host.uid}:{host.gid}"
    elif user and not _USER.match(user):
        raise ConfigError(f"--user {s.user!r} is not a user", "use UID, UID:GID, a name, or host")

    envs: list[str] = []
    by_name: list[str] = []
    for item in s.envs:
        key, sep, value = item.partition("=")
        if not _ENV_NAME.match(key):
            raise ConfigError(f"-e {item!r}: {key!r} is not a variable name", "e.g. -e LOG_LEVEL=debug")
        if sep and looks_like_credential(key):
            raise ConfigError(
                f"-e {key}=... would print a credential in the command line",
                f"pass it by name: -e {key}, with {key} set in the environment or an env file",
            )
        envs.append(item)
        if not sep:
            by_name.append(key)
    if gpus:
        for key, value in (
            ("CUDA_DEVICE_ORDER", s.cuda_device_order),
            ("NVIDIA_DRIVER_CAPABILITIES", s.driver_capabilities),
        ):
            if value and not any(e.split("=", 1)[0] == key for e in envs):
                envs.append(f"{key}={value}")

    volumes = [_check_volume(v) for v in s.volumes]
    create_dirs: list[str] = []
    if s.mount_workspace:
        volumes += [f"{cfg.root}:/workspace", "/tmp:/tmp", "/mnt:/mnt"]
    hf = s.hf_cache.strip() or environ.get("HF_HOME", "")
    if not hf and s.mount_workspace:
        hf = str(cfg.root / ".cache" / "huggingface")
    if hf and hf.lower() != "none":
        hf_path = cfg.path(hf).expanduser()
        home = "/root" if user.split(":")[0] in ("root", "0") else CONTAINER_HOME
        volumes.append(f"{hf_path}:{home}/.cache/huggingface")
        create_dirs.append(str(hf_path))
    if s.mount_workspace and "HF_TOKEN" not in [e.split("=", 1)[0] for e in envs]:
        envs.append("HF_TOKEN")
        by_name.append("HF_TOKEN")
    if s.use_nixl_gds:
        volumes.append("/run/udev:/run/udev:ro")
        if not s.mount_workspace:
            volumes.append("/tmp:/tmp")

    if s.container_env_file:
        env_file = cfg.path(s.container_env_file)
        if not env_file.is_file():
            raise ConfigError(f"--container-env-file {s.container_env_file}: no such file")

    argv: list[str] = [s.docker_cli, "run"]
    if gpus:
        argv += ["--gpus", gpus]
    if interactive and tty:
        argv.append("-it")
    elif interactive:
        argv.append("-i")
    elif tty:
        argv.append("-t")
    if s.rm:
        argv.append("--rm")
    argv += ["--network", s.network]
    if s.runtime:
        argv += ["--runtime", s.runtime]
    argv.append(f"--shm-size={s.shm_size}")
    ulimits = merge_ulimits(DEFAULT_ULIMITS, s.ulimits)
    for limit in ulimits:
        argv += ["--ulimit", limit]
    for e in envs:
        argv += ["-e", e]
    if s.container_env_file:
        argv += ["--env-file", str(cfg.path(s.container_env_file))]
    for v in volumes:
        argv += ["-v", v]
    for p in s.ports:
        argv += ["-p", p]
    argv += ["-w", s.workdir, "--cap-add", "CAP_SYS_PTRACE"]
    if s.use_nixl_gds:
        argv.append("--cap-add=IPC_LOCK")
    argv += ["--ipc", "host"]
    if privileged:
        argv.append("--privileged")
    if user:
        argv += ["--user", user]
        if user.split(":")[0] not in ("0", "root") and s.user.strip() == "host":
            # an arbitrary UID reaches the image's group-0-writable home and venv (OpenShift style)
            argv += ["--group-add", "0"]
    if s.name:
        argv += ["--name", s.name]
    if s.entrypoint:
        argv += ["--entrypoint", s.entrypoint]
    argv.append(image)
    argv += command
    return RunPlan(
        argv=tuple(argv),
        image=image,
        image_is_default=not s.image.strip(),
        interactive=interactive and tty,
        gpus=gpus,
        name=s.name,
        env_by_name=tuple(by_name),
        create_dirs=tuple(create_dirs),
        ulimits=tuple(ulimits),
        warnings=tuple(warnings),
    )
