"""The resolved request of `invoke run`: the image and every `docker run` option, validated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.model import grammar
from dynamo_container.model.naming import latest_image, suggest_build
from dynamo_container.model.secrets import looks_like_credential
from dynamo_container.resolve import values
from dynamo_container.resolve.build import Host
from dynamo_container.resolve.values import origin
from dynamo_container.settings import by_name

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GPU_ID = re.compile(r"[0-9]+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+")
_DEVICE_ORDERS = ("PCI_BUS_ID", "FASTEST_FIRST")
_CAPABILITIES = frozenset(["compute", "compat32", "display", "graphics", "utility", "video", "all"])
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


# The run settings with a grammar of their own (resolve/values.py _SHAPES).
SHAPED_SETTINGS = ("name", "network", "runtime", "workdir", "shm_size", "ports")


def default_image(cfg: Config) -> str:
    """The image a build of the configured framework, CUDA version and target tags `latest`."""
    fw = values.framework(cfg)
    variant = values.variant(cfg, fw)
    return latest_image(values.image_names(cfg), fw.name, variant.cuda, cfg.s.target.strip())


def gpus_value(cfg: Config) -> str:
    """docker's --gpus value, or '' for none; a device list gets the quoting docker's CSV parser needs."""
    raw = cfg.s.gpus
    g = raw.strip()
    if g.lower() in ("", "none"):
        return ""
    if g == "all" or not grammar.number_problem(g, 1, 1024):
        return g
    listed = g.strip('"').removeprefix("device=")
    ids = [x.strip() for x in listed.split(",")]
    if all(_GPU_ID.fullmatch(x) for x in ids):
        return f'"device={",".join(ids)}"'
    raise ConfigError(
        f"{origin(cfg, 'gpus')} {raw!r} is not a GPU request",
        "use all, a count (2), a device list (0,1 or GPU UUIDs) or none",
    )


def merge_ulimits(defaults: tuple[str, ...], given: tuple[str, ...], where: str = "--ulimit") -> list[str]:
    """The defaults, each replaced by a given limit of the same type; `TYPE=` drops one."""
    merged: dict[str, str] = {}
    for item in (*defaults, *given):
        kind, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"{where} {item!r} is not TYPE=SOFT[:HARD]", "e.g. --ulimit nofile=65536:65536")
        problem = grammar.ulimit_problem(kind, value) if value else grammar.ulimit_problem(kind, "0")
        if problem:
            raise ConfigError(f"{where} {item!r}: {problem}", "e.g. --ulimit nofile=65536:65536")
        if value:
            merged[kind] = value
        else:
            merged.pop(kind, None)
    return [f"{k}={v}" for k, v in merged.items()]


def shm_size(cfg: Config) -> str:
    values.shapes(cfg, "shm_size")
    return cfg.s.shm_size.strip()


def _user(cfg: Config, host: Host) -> str:
    user = cfg.s.user.strip()
    if user == "host":
        return f"{host.uid}:{host.gid}"
    problem = grammar.user_problem(user) if user else ""
    if problem:
        raise ConfigError(
            f"{origin(cfg, 'user')} {cfg.s.user!r} is not a user: {problem}",
            "use UID, UID:GID, a name, or host",
        )
    return user


def _envs(cfg: Config) -> tuple[list[str], list[str]]:
    """The -e items, and the names whose values docker takes from its environment."""
    envs, by_name_only = [], []
    for item in cfg.s.envs:
        key, sep, _ = item.partition("=")
        if not _ENV_NAME.fullmatch(key):
            raise ConfigError(
                f"{origin(cfg, 'envs')} {item!r}: {key!r} is not a variable name", "e.g. -e LOG_LEVEL=debug"
            )
        if sep and looks_like_credential(key):  # (credential values: config.refuse_credentials)
            raise ConfigError(
                f"-e {key}=... would print a credential in the command line",
                f"pass it by name: -e {key}, with {key} set in the environment or an env file",
            )
        envs.append(item)
        if not sep:
            by_name_only.append(key)
    return envs, by_name_only


def _volume(spec: str, where: str) -> str:
    problem = grammar.volume_problem(spec)
    if problem:
        raise ConfigError(f"{where} {spec!r}: {problem}", "e.g. -v /data/models:/models:ro")
    parts = spec.split(":")
    src = parts[0]
    if src.startswith(("/", ".", "~")):  # a host path (relative to the current folder, as in a shell)
        path = Path(src).expanduser()
        if not path.exists():
            raise ConfigError(
                f"{where} {spec}: {src} does not exist on this machine", "create it or fix the path"
            )
        parts[0] = str(path.resolve())
    return ":".join(parts)  # otherwise a named docker volume


def default_hf_cache(cfg: Config) -> Path:
    """run.sh's default HF cache with --mount-workspace: .cache/huggingface in the checkout's container/."""
    return cfg.checkout() / "container" / ".cache" / "huggingface"


def _mounts(cfg: Config, user: str, environ: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Volumes, and the host folders to create (the HF cache)."""
    s = cfg.s
    volumes = [_volume(v, origin(cfg, "volumes")) for v in s.volumes]
    if s.mount_workspace:  # the Dynamo checkout being built (the build context), as run.sh mounts it
        volumes += [f"{cfg.checkout()}:/workspace", "/tmp:/tmp", "/mnt:/mnt"]
    hf = s.hf_cache.strip() or environ.get("HF_HOME", "")
    if not hf and s.mount_workspace:
        hf = str(default_hf_cache(cfg))
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
    order, capabilities = cfg.s.cuda_device_order.strip(), cfg.s.driver_capabilities.strip()
    if order and order not in _DEVICE_ORDERS:
        raise ConfigError(
            f"{origin(cfg, 'cuda_device_order')} {order!r} is not a CUDA device order",
            f"use {' or '.join(_DEVICE_ORDERS)}",
        )
    unknown = [c for c in capabilities.split(",") if c and c not in _CAPABILITIES]
    if unknown:
        raise ConfigError(
            f"{origin(cfg, 'driver_capabilities')}: unknown capability {unknown[0]!r}",
            f"a comma list of: {', '.join(sorted(_CAPABILITIES))}",
        )
    given = {e.split("=", 1)[0] for e in envs}
    pairs = (("CUDA_DEVICE_ORDER", order), ("NVIDIA_DRIVER_CAPABILITIES", capabilities))
    return [f"{k}={v}" for k, v in pairs if v and k not in given]


def _terminal(cfg: Config) -> tuple[bool, bool]:
    """(-i, -t): only when asked (-i, -t, -it), as run.sh: --mount-workspace implies neither."""
    return cfg.s.interactive, bool(cfg.s.tty)


def _runtime(cfg: Config, gpus: str, warnings: list[str]) -> str:
    """run.sh's --runtime nvidia beside --gpus; none of it without GPUs (it would expose every GPU)."""
    runtime = cfg.s.runtime.strip()
    if runtime.lower() == "none":
        return ""
    if runtime == "nvidia" and not gpus:
        if cfg.is_set("runtime"):
            warnings.append("--gpus none: the NVIDIA runtime is left out (it would expose every GPU)")
        return ""
    return runtime


def _group_add_root(user: str) -> bool:
    """run.sh's --group-add 0 for a user other than root: the images give group 0 their files."""
    return bool(user) and user.split(":")[0] not in ("0", "root")


def _checked(cfg: Config, warnings: list[str]) -> str:
    """Refuse malformed image names and sizes; say when a size has no effect. Returns the image."""
    values.references(cfg, "image", "image_name", "registry")
    values.shapes(cfg, *SHAPED_SETTINGS)
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
    interactive, tty = _terminal(cfg)
    return RunRequest(
        docker=s.docker_cli,
        image=image,
        image_is_default=not s.image.strip(),
        command=tuple(command),
        gpus=gpus,
        interactive=interactive,
        tty=tty,
        privileged=bool(s.privileged),
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
        workdir=s.workdir.strip(),
        user=user,
        group_add_root=_group_add_root(user),
        name=s.name.strip(),
        entrypoint=s.entrypoint,
        nixl_gds=s.use_nixl_gds,
        image_hint=suggest_build(values.image_names(cfg), image),
        warnings=tuple(warnings),
    )
