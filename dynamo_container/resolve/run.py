"""The resolved request of `invoke run`: the image and every `docker run` option, validated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..errors import ConfigError
from ..naming import Names, latest_image, suggest_build
from ..secrets import looks_like_credential, looks_like_credential_value
from ..settings import by_name
from . import values
from .build import Host
from .values import origin

_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")  # docker's container name rule
_GPU_ID = re.compile(r"^(\d+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+)$")
# docker run --ulimit types (the Linux rlimits docker knows)
ULIMIT_TYPES = frozenset(
    [
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    ]
)
_ULIMIT_VALUE = re.compile(r"^-?\d+$")
# docker's RAMInBytes: a number with an optional unit (b, k, m, g, t, p; an optional i and b)
_SIZE = re.compile(r"^\d+(\.\d+)? ?([kKmMgGtTpP][iI]?[bB]?|[bB])?$")
CONTAINER_HOME = "/home/dynamo"
DEFAULT_ULIMITS: tuple[str, ...] = by_name()["ulimits"].default


@dataclass(frozen=True)
class RunRequest:
    docker: str
    image: str
    image_is_default: bool
    command: tuple[str, ...]
    gpus: str  # docker's --gpus value; "" for none
    interactive: bool
    tty: bool
    privileged: bool
    rm: bool
    network: str
    runtime: str
    shm_size: str
    ulimits: tuple[str, ...]
    envs: tuple[str, ...]  # NAME=VALUE or NAME (docker takes the value from its environment)
    env_by_name: tuple[str, ...]
    env_file: str
    volumes: tuple[str, ...]
    create_dirs: tuple[str, ...]  # host folders to create before running (the HF cache)
    ports: tuple[str, ...]
    workdir: str
    user: str
    group_add_root: bool  # an arbitrary host UID reaches the image's group-0-writable files
    name: str
    entrypoint: str
    nixl_gds: bool
    image_hint: str = ""  # how to get the image when the engine lacks it
    warnings: tuple[str, ...] = ()


def default_image(cfg: Config) -> str:
    """The image a build of the configured framework, CUDA version and target tags `latest`."""
    fw = values.framework(cfg)
    variant = values.variant(cfg, fw)
    names = Names(cfg.s.image_name, cfg.s.base_image_name, cfg.s.registry)
    return latest_image(names, fw.name, variant.cuda, cfg.s.target.strip())


def gpus_value(cfg: Config) -> str:
    """docker's --gpus value, or '' for none; a device list gets the quoting docker's CSV parser needs."""
    raw = cfg.s.gpus
    g = raw.strip()
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
        f"{origin(cfg, 'gpus')} {raw!r} is not a GPU request",
        "use all, a count (2), a device list (0,1 or GPU UUIDs) or none",
    )


def _ulimit_problem(kind: str, value: str) -> str:
    if kind not in ULIMIT_TYPES:
        return f"unknown type {kind!r} (one of: {', '.join(sorted(ULIMIT_TYPES))})"
    numbers = value.split(":")
    if len(numbers) > 2 or not all(_ULIMIT_VALUE.match(n) for n in numbers):
        return "SOFT and HARD are whole numbers (-1: unlimited)"
    soft, hard = int(numbers[0]), int(numbers[-1])
    if hard != -1 and (soft == -1 or soft > hard):
        return f"the soft limit {soft} is above the hard limit {hard}"
    return ""


def merge_ulimits(defaults: tuple[str, ...], given: tuple[str, ...], where: str = "--ulimit") -> list[str]:
    """The defaults, each replaced by a given limit of the same type; `TYPE=` drops one."""
    merged: dict[str, str] = {}
    for item in (*defaults, *given):
        kind, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"{where} {item!r} is not TYPE=SOFT[:HARD]", "e.g. --ulimit nofile=65536:65536")
        problem = _ulimit_problem(kind, value) if value else ("" if kind in ULIMIT_TYPES else "unknown type")
        if problem:
            raise ConfigError(f"{where} {item!r}: {problem}", "e.g. --ulimit nofile=65536:65536")
        if value:
            merged[kind] = value
        else:
            merged.pop(kind, None)
    return [f"{k}={v}" for k, v in merged.items()]


def shm_size(cfg: Config) -> str:
    value = cfg.s.shm_size.strip()
    if not _SIZE.match(value):
        raise ConfigError(f"{origin(cfg, 'shm_size')} {value!r} is not a size", "e.g. --shm-size 10G or 512m")
    return value


def _user(cfg: Config, host: Host) -> str:
    user = cfg.s.user.strip()
    if user == "host":
        return f"{host.uid}:{host.gid}"
    if user and not _USER.match(user):
        raise ConfigError(
            f"{origin(cfg, 'user')} {cfg.s.user!r} is not a user", "use UID, UID:GID, a name, or host"
        )
    return user


def _envs(cfg: Config) -> tuple[list[str], list[str]]:
    """The -e items, and the names whose values docker takes from its environment."""
    envs, by_name_only = [], []
    for item in cfg.s.envs:
        key, sep, _ = item.partition("=")
        if not _ENV_NAME.match(key):
            raise ConfigError(
                f"{origin(cfg, 'envs')} {item!r}: {key!r} is not a variable name", "e.g. -e LOG_LEVEL=debug"
            )
        if sep and (looks_like_credential(key) or looks_like_credential_value(item[len(key) + 1 :])):
            raise ConfigError(
                f"-e {key}=... would print a credential in the command line",
                f"pass it by name: -e {key}, with {key} set in the environment or an env file",
            )
        envs.append(item)
        if not sep:
            by_name_only.append(key)
    return envs, by_name_only


def _volume(spec: str) -> str:
    parts = spec.split(":")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ConfigError(f"-v {spec!r} is not SRC:DST[:OPTIONS]", "e.g. -v /data/models:/models:ro")
    src = parts[0]
    if src.startswith(("/", ".", "~")):  # a host path (relative to the current folder, as in a shell)
        path = Path(src).expanduser()
        if not path.exists():
            raise ConfigError(f"-v {spec}: {src} does not exist on this machine", "create it or fix the path")
        parts[0] = str(path.resolve())
    return ":".join(parts)  # otherwise a named docker volume


def _mounts(cfg: Config, user: str, environ: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Volumes, and the host folders to create (the HF cache)."""
    s = cfg.s
    volumes = [_volume(v) for v in s.volumes]
    if s.mount_workspace:
        volumes += [f"{cfg.root}:/workspace", "/tmp:/tmp", "/mnt:/mnt"]
    hf = s.hf_cache.strip() or environ.get("HF_HOME", "")
    if not hf and s.mount_workspace:
        hf = str(cfg.root / ".cache" / "huggingface")
    create: list[str] = []
    if hf and hf.lower() != "none":
        hf_path = cfg.path(hf).expanduser()
        home = "/root" if user.split(":")[0] in ("root", "0") else CONTAINER_HOME
        volumes.append(f"{hf_path}:{home}/.cache/huggingface")
        create.append(str(hf_path))
    if s.use_nixl_gds:
        volumes.append("/run/udev:/run/udev:ro")
        if not s.mount_workspace:
            volumes.append("/tmp:/tmp")
    return volumes, create


def _gpu_envs(cfg: Config, envs: list[str]) -> list[str]:
    """CUDA_DEVICE_ORDER and NVIDIA_DRIVER_CAPABILITIES for GPU containers, unless given with -e."""
    given = {e.split("=", 1)[0] for e in envs}
    pairs = (
        ("CUDA_DEVICE_ORDER", cfg.s.cuda_device_order),
        ("NVIDIA_DRIVER_CAPABILITIES", cfg.s.driver_capabilities),
    )
    return [f"{k}={v}" for k, v in pairs if v and k not in given]


def _terminal(cfg: Config, host: Host) -> tuple[bool, bool]:
    """(-i, -t): --mount-workspace asks for both, but a terminal only where stdin is one."""
    s = cfg.s
    interactive = s.interactive or s.mount_workspace
    tty = s.tty if s.tty is not None else (s.mount_workspace and host.stdin_tty)
    return interactive, tty


def _runtime(cfg: Config, gpus: str, warnings: list[str]) -> str:
    runtime = cfg.s.runtime.strip()
    if runtime == "nvidia" and not gpus:
        warnings.append("--gpus none: the NVIDIA runtime is left out (it would expose every GPU)")
        return ""
    return runtime


def _name(cfg: Config) -> str:
    name = cfg.s.name.strip()
    if name and not _CONTAINER_NAME.match(name):
        raise ConfigError(
            f"{origin(cfg, 'name')} {name!r} is not a container name",
            "use letters, digits, _ . - (e.g. dynamo-1)",
        )
    return name


def _checked(cfg: Config, warnings: list[str]) -> str:
    """Refuse malformed image names and sizes; say when a size has no effect. Returns the image."""
    values.references(cfg, "image", "image_name", "registry")
    size = shm_size(cfg)
    if cfg.is_set("shm_size"):
        warnings.append(f"--shm-size {size} has no effect: the container shares the host's IPC (--ipc host)")
    if cfg.s.image.strip() and cfg.s.target.strip() and cfg.is_set("target"):
        warnings.append("--target only names the default image; ignored with --image")
    return cfg.s.image.strip() or default_image(cfg)


def resolve_run(cfg: Config, command: list[str], host: Host, environ: Mapping[str, str]) -> RunRequest:
    s = cfg.s
    warnings: list[str] = list(cfg.warnings)
    image = _checked(cfg, warnings)
    gpus = gpus_value(cfg)
    user = _user(cfg, host)
    envs, by_name_only = _envs(cfg)
    if gpus:
        envs += _gpu_envs(cfg, envs)
    volumes, create = _mounts(cfg, user, environ)
    if s.mount_workspace and "HF_TOKEN" not in [e.split("=", 1)[0] for e in envs]:
        envs.append("HF_TOKEN")
        by_name_only.append("HF_TOKEN")
    env_file = ""
    if s.container_env_file:
        env_file = str(values.existing_path(cfg, s.container_env_file, origin(cfg, "container_env_file")))
    interactive, tty = _terminal(cfg, host)
    return RunRequest(
        docker=s.docker_cli,
        image=image,
        image_is_default=not s.image.strip(),
        command=tuple(command),
        gpus=gpus,
        interactive=interactive,
        tty=tty,
        privileged=s.privileged if s.privileged is not None else s.mount_workspace,
        rm=s.rm,
        network=s.network,
        runtime=_runtime(cfg, gpus, warnings),
        shm_size=s.shm_size.strip(),
        ulimits=tuple(merge_ulimits(DEFAULT_ULIMITS, s.ulimits, origin(cfg, "ulimits"))),
        envs=tuple(envs),
        env_by_name=tuple(by_name_only),
        env_file=env_file,
        volumes=tuple(volumes),
        create_dirs=tuple(create),
        ports=s.ports,
        workdir=s.workdir,
        user=user,
        group_add_root=bool(user) and user.split(":")[0] not in ("0", "root") and s.user.strip() == "host",
        name=_name(cfg),
        entrypoint=s.entrypoint,
        nixl_gds=s.use_nixl_gds,
        image_hint=suggest_build(Names(s.image_name, registry=s.registry), image),
        warnings=tuple(warnings),
    )
