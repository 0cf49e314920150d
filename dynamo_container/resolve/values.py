"""Validating single values: each refusal is one line naming the value, where it came from and a fix.

`origin(cfg, name)` says where a setting's value came from in the user's own terms: the flag they
typed, or the env-file key and line, or the environment variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog, grammar
from dynamo_container.model.naming import Names, split_ref
from dynamo_container.model.references import (
    reference_problem,
    registry_problem,
    repository_problem,
    tag_problem,
)
from dynamo_container.model.secrets import SECRET_ENV_VARS, looks_like_credential, secret_id_of
from dynamo_container.settings import by_name

_ARG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTEXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_REF = (grammar.git_ref_problem, "git ref", "v1.2.3 or a commit id")

# What each setting handed to git, docker or a build holds, checked whole (grammar.py), with an
# example of a valid value: a value that passes is what it looks like and never reads as an option.
_SHAPES: dict[str, tuple[Callable[[str], str], str, str]] = {
    "tensorrtllm_commit": (grammar.git_ref_problem, "commit, tag or branch", "v1.3.0rc1"),
    "tensorrtllm_git_url": (grammar.git_url_problem, "git URL", "https://github.com/NVIDIA/TensorRT-LLM.git"),
    "tensorrtllm_index_url": (grammar.url_problem, "package index URL", "https://pypi.nvidia.com"),
    "tensorrtllm_pip_wheel": (grammar.pip_spec_problem, "pip requirement", "tensorrt-llm==1.3.0rc1"),
    "trtllm_cuda_archs": (grammar.cuda_archs_problem, "CUDA architecture list", "'90-real;100-real'"),
    "nixl_ref": _REF,
    "nixl_ucx_ref": _REF,
    "nixl_gdrcopy_ref": _REF,
    "nixl_libfabric_ref": _REF,
    "efa_version": (grammar.word_problem, "version", "1.45.1"),
    "commit_sha": (grammar.hex_problem, "commit id", "3b9b3f31c"),
    "sccache_bucket": (grammar.bucket_problem, "bucket", "my-sccache"),
    "sccache_region": (grammar.region_problem, "region", "us-west-2"),
    "build_network": (grammar.network_problem, "network", "host"),
    "network": (grammar.network_problem, "network", "host"),
    "builder": (grammar.name_problem, "builder name", "farm"),
    "runtime": (grammar.name_problem, "runtime name", "nvidia"),
    "name": (grammar.name_problem, "container name", "dynamo-1"),
    "workdir": (grammar.path_problem, "working directory", "/workspace"),
    "shm_size": (grammar.size_problem, "size", "10G"),
    "cache_from": (grammar.cache_problem, "cache source", "type=registry,ref=registry.example/cache"),
    "cache_to": (grammar.cache_problem, "cache destination", "type=inline"),
    "ports": (grammar.port_problem, "port mapping", "8000:8000"),
    "uid": (grammar.id_problem, "numeric id", "1000"),
    "gid": (grammar.id_problem, "numeric id", "1000"),
}


# What each image-naming setting holds, and an example of a valid one.
_REFERENCES = {
    "image_name": (repository_problem, "repository name", "dynamo"),
    "base_image_name": (repository_problem, "repository name", "dynamo-base"),
    "base_image": (repository_problem, "repository name", "nvcr.io/nvidia/cuda-dl-base"),
    "runtime_image": (repository_problem, "repository name", "nvcr.io/nvidia/cuda"),
    "base_image_tag": (tag_problem, "tag", "25.01-cuda12.8-devel-ubuntu24.04"),
    "runtime_image_tag": (tag_problem, "tag", "12.8.1-runtime-ubuntu24.04"),
    "tag": (reference_problem, "image reference", "registry.example/team/dynamo:mine"),
    "image": (reference_problem, "image reference", "dynamo:latest-vllm"),
    "dev_image": (reference_problem, "image reference", "dynamo:latest-vllm"),
    "registry": (registry_problem, "registry", "registry.example:5000/team"),
}


def origin(cfg: Config, name: str) -> str:
    """`--target`, `DYNAMO_TARGET (.env:3)` or `DYNAMO_TARGET (environment)`: where a value came from."""
    spec = by_name()[name]
    source = cfg.source(name)
    if source.startswith("flag"):
        return source.removeprefix("flag ")
    if source == "default":
        return f"--{spec.flag}"
    return f"{spec.env_key} ({source})"


def framework(cfg: Config) -> catalog.Framework:
    """The one framework of a single build."""
    raw = cfg.s.framework
    name = raw.strip().lower()
    if "," in name or name == "all":
        raise ConfigError(
            f"{origin(cfg, 'framework')} {raw!r} names several frameworks; this task takes one",
            "e.g. --framework sglang",
        )
    return framework_named(name, origin(cfg, "framework"))


def framework_named(name: str, where: str) -> catalog.Framework:
    if name not in catalog.FRAMEWORKS:
        raise ConfigError(
            f"{where}: unknown framework {name!r}", f"choose one of: {', '.join(catalog.FRAMEWORKS)}"
        )
    return catalog.framework(name)


def variant(cfg: Config, fw: catalog.Framework) -> catalog.Variant:
    cuda = cfg.s.cuda_version.strip() or fw.default_cuda
    found = catalog.find_variant(fw.name, cuda)
    if found is None:
        raise ConfigError(
            f"CUDA {cuda} is not available for {fw.name}", f"valid combinations: {catalog.describe_valid()}"
        )
    return found


def platform(cfg: Config) -> str:
    """The docker arch (amd64, arm64) of the one platform asked for."""
    raw = cfg.s.platform
    items = [p.strip() for p in raw.split(",") if p.strip()]
    if len(items) != 1:
        raise ConfigError(
            f"{origin(cfg, 'platform')} {raw!r} names {len(items)} platforms; this takes one platform",
            "e.g. --platform linux/arm64",
        )
    return _arch_of(cfg, items[0])


def platforms(cfg: Config) -> list[tuple[str, str]]:
    """(platform, arch) of each platform of a comma list, in its order; one per architecture."""
    chosen: dict[str, str] = {}
    for item in (p.strip() for p in cfg.s.platform.split(",")):
        if not item:
            continue
        arch = _arch_of(cfg, item)
        if arch in chosen:
            raise ConfigError(
                f"{origin(cfg, 'platform')} {cfg.s.platform!r} names {arch} twice ({chosen[arch]}, {item})",
                "name each platform once, e.g. --platform linux/amd64,linux/arm64",
            )
        chosen[arch] = item
    if not chosen:
        raise ConfigError(f"{origin(cfg, 'platform')} names no platform", "e.g. --platform linux/amd64")
    return [(item, arch) for arch, item in chosen.items()]


def _arch_of(cfg: Config, item: str) -> str:
    arch = catalog.arch_of_platform(item)
    if arch is None:
        raise ConfigError(
            f"{origin(cfg, 'platform')}: unsupported platform {item!r}",
            f"choose one of: {', '.join(sorted(catalog.PLATFORMS))}",
        )
    return arch


def arch_name(raw: str, where: str) -> str:
    """amd64 or arm64 from any of its spellings (x86_64, aarch64)."""
    arch = catalog.normalize_arch(raw)
    if arch is None:
        raise ConfigError(f"{where} {raw!r} is not an architecture", "use amd64 or arm64 (x86_64, aarch64)")
    return arch


def target(cfg: Config, fw: catalog.Framework) -> str:
    value = cfg.s.target.strip()
    if value == catalog.FRONTEND_STAGE and fw.name != catalog.FRONTEND_FRAMEWORK:
        raise ConfigError(
            f"{origin(cfg, 'target')} frontend is an image of framework none (container/Dockerfile: the "
            f"EPP binary with Dynamo, no inference framework), not of {fw.name}",
            "use --framework none --target frontend",
        )
    if value and value not in fw.targets:
        raise ConfigError(
            f"{origin(cfg, 'target')}: unknown target {value!r} for {fw.name}",
            f"choose one of: {', '.join(fw.targets)}",
        )
    return value


def numeric_id(cfg: Config, name: str, host: int) -> str:
    shapes(cfg, name)
    return getattr(cfg.s, name).strip() or str(host)


def shapes(cfg: Config, *names: str) -> None:
    """Refuse a value of these settings that is not of its kind's grammar (see _SHAPES)."""
    for name in names:
        check, kind, example = _SHAPES[name]
        value = getattr(cfg.s, name)
        for item in value if isinstance(value, tuple) else (value.strip(),):
            problem = check(item) if item else ""
            if problem:
                raise ConfigError(
                    f"{origin(cfg, name)} {item!r} is not a valid {kind}: {problem}", f"e.g. {example}"
                )


def dev_image(cfg: Config) -> str:
    value = cfg.s.dev_image.strip()
    if value and split_ref(value)[1].endswith("-local-dev"):
        raise ConfigError(
            f"{origin(cfg, 'dev_image')} {value!r} is already a local-dev image",
            "pass the dev image it was built from",
        )
    return value


def pairs(cfg: Config, name: str, what: str) -> list[tuple[str, str]]:
    """NAME=VALUE items of a repeatable setting."""
    flag = origin(cfg, name)
    out = []
    for item in getattr(cfg.s, name):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} {item!r} is not {what}=VALUE", f"e.g. {flag} {what}=value")
        out.append((key, value))
    return out


def build_args(cfg: Config) -> list[tuple[str, str]]:
    """User build args, refusing a name that says it is a credential (values: config.refuse_credentials).

    `NAME` without `=` takes its value from the environment, as docker does (config.build_arg_env); a
    name the environment lacks is left out, so the Dockerfile's default applies (build_arg_warnings)."""
    flag = origin(cfg, "build_args")
    out: list[tuple[str, str]] = []
    for item in cfg.s.build_args:
        name, sep, value = item.partition("=")
        if not name:
            raise ConfigError(f"{flag} {item!r} is not NAME=VALUE or NAME", f"e.g. {flag} NAME=value")
        _check_arg_name(flag, name)
        if sep:
            out.append((name, value))
        elif name in cfg.build_arg_env:
            out.append((name, cfg.build_arg_env[name]))
    return out


def build_arg_warnings(cfg: Config) -> list[str]:
    """`--build-arg NAME` for a NAME the environment does not set: docker passes nothing."""
    return [
        f"{origin(cfg, 'build_args')} {item}: {item} is not set in the environment; the Dockerfile's "
        "default applies"
        for item in cfg.s.build_args
        if "=" not in item and item not in cfg.build_arg_env
    ]


def _check_arg_name(flag: str, name: str) -> None:
    if not _ARG_NAME.fullmatch(name):
        raise ConfigError(f"{flag} {name!r}: not a valid argument name", "use letters, digits and _")
    if looks_like_credential(name):
        secret_id = secret_id_of(name)
        how = (
            f"set {name.upper()} in the environment or an env file: it reaches the build as "
            f"BuildKit secret id={secret_id}"
            if secret_id
            else "pass credentials as BuildKit secrets, which never reach the image"
        )
        raise ConfigError(
            f"{flag} {name} looks like a credential; build args are stored in the image history", how
        )


def build_contexts(cfg: Config) -> list[tuple[str, str]]:
    """User named build contexts NAME=PATH (or NAME=docker-image://..., https://, oci-layout://)."""
    flag = origin(cfg, "build_contexts")
    out = []
    for name, value in pairs(cfg, "build_contexts", "NAME"):
        if not _CONTEXT_NAME.fullmatch(name):
            raise ConfigError(f"{flag} name {name!r} is not valid", "use letters, digits, _ . -")
        if name == catalog.TOOLING_CONTEXT:
            raise ConfigError(f"{flag} {name}: the tool passes this context itself", "pick another name")
        out.append((name, value if "://" in value else str(existing_path(cfg, value, flag))))
    return out


def existing_path(cfg: Config, value: str, where: str, *, folder: bool = False) -> Path:
    path, shown = cfg.path(value), cfg.shown(value)
    if not path.exists():
        raise ConfigError(f"{where} {shown}: no such file or folder", "check the path")
    if folder and not path.is_dir():
        raise ConfigError(f"{where} {shown} is not a folder", "name a folder")
    return path


def image_names(cfg: Config) -> Names:
    """The image names every tag, default image and hint derives from (--image-name, --registry, ...)."""
    s = cfg.s
    return Names(s.image_name, s.base_image_name, s.registry, s.tag.strip(), s.no_tag_latest)


def given(cfg: Config, *names: str) -> bool:
    """A setting came from a flag or the environment (an env file's value serves every framework)."""
    return any(getattr(cfg.s, n) and cfg.source(n).startswith(("flag", "environment")) for n in names)


def secrets_present(cfg: Config) -> list[str]:
    """The BuildKit secret ids whose variables are set (for the steps that read them)."""
    return [sid for sid, env in SECRET_ENV_VARS.items() if env in cfg.secrets]


def is_matrix(cfg: Config) -> bool:
    """Does the configuration name several frameworks or CUDA versions (a comma list or `all`)?"""
    fw, cuda = cfg.s.framework.strip().lower(), cfg.s.cuda_version.strip().lower()
    return "," in fw or fw == "all" or "," in cuda or cuda == "all"


def references(cfg: Config, *names: str) -> None:
    """Refuse an image name, tag, reference or registry that docker would refuse."""
    for name in names:
        value = getattr(cfg.s, name).strip()
        check, kind, example = _REFERENCES[name]
        problem = check(value) if value else ""
        if problem:
            raise ConfigError(
                f"{origin(cfg, name)} {value!r} is not a valid {kind}: {problem}", f"e.g. {example}"
            )


def version_text(cfg: Config) -> str:
    """A --version override: it becomes part of every image tag (v<version>-<framework>...)."""
    value = cfg.s.version.strip()
    if value and tag_problem(f"v{value.removeprefix('v')}"):
        raise ConfigError(
            f"{origin(cfg, 'version')} {value!r} cannot be part of an image tag", "e.g. --version 0.9.0"
        )
    return value
