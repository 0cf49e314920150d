"""Validating single values: each refusal is one line naming the value, where it came from and a fix.

`origin(cfg, name)` says where a setting's value came from in the user's own terms: the flag they
typed, or the env-file key and line, or the environment variable.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import matrix
from ..config import Config
from ..errors import ConfigError
from ..naming import split_ref
from ..references import reference_problem, registry_problem, repository_problem, tag_problem
from ..secrets import SECRET_ENV_VARS, looks_like_credential, looks_like_credential_value, secret_id_of
from ..settings import by_name

_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTEXT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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


def framework(cfg: Config) -> matrix.Framework:
    """The one framework of a single build."""
    raw = cfg.s.framework
    name = raw.strip().lower()
    if "," in name or name == "all":
        raise ConfigError(
            f"{origin(cfg, 'framework')} {raw!r} names several frameworks; this task takes one",
            "e.g. --framework sglang",
        )
    return framework_named(name, origin(cfg, "framework"))


def framework_named(name: str, where: str) -> matrix.Framework:
    if name not in matrix.FRAMEWORKS:
        raise ConfigError(
            f"{where}: unknown framework {name!r}", f"choose one of: {', '.join(matrix.FRAMEWORKS)}"
        )
    return matrix.framework(name)


def variant(cfg: Config, fw: matrix.Framework) -> matrix.Variant:
    cuda = cfg.s.cuda_version.strip() or fw.default_cuda
    found = matrix.find_variant(fw.name, cuda)
    if found is None:
        raise ConfigError(
            f"CUDA {cuda} is not available for {fw.name}", f"valid combinations: {matrix.describe_valid()}"
        )
    return found


def platform(cfg: Config) -> str:
    """The docker arch (amd64, arm64) of the one platform asked for."""
    raw = cfg.s.platform
    items = [p.strip() for p in raw.split(",") if p.strip()]
    if len(items) != 1:
        raise ConfigError(
            f"{origin(cfg, 'platform')} {raw!r} names {len(items)} platforms; build one platform at a time",
            "e.g. --platform linux/arm64",
        )
    arch = matrix.arch_of_platform(items[0])
    if arch is None:
        raise ConfigError(
            f"{origin(cfg, 'platform')}: unsupported platform {items[0]!r}",
            f"choose one of: {', '.join(sorted(matrix.PLATFORMS))}",
        )
    return arch


def arch_name(raw: str, where: str) -> str:
    """amd64 or arm64 from any of its spellings (x86_64, aarch64)."""
    arch = matrix.normalize_arch(raw)
    if arch is None:
        raise ConfigError(f"{where} {raw!r} is not an architecture", "use amd64 or arm64 (x86_64, aarch64)")
    return arch


def target(cfg: Config, fw: matrix.Framework) -> str:
    value = cfg.s.target.strip()
    if value and value not in fw.targets:
        raise ConfigError(
            f"{origin(cfg, 'target')}: unknown target {value!r} for {fw.name}",
            f"choose one of: {', '.join(fw.targets)}",
        )
    return value


def numeric_id(cfg: Config, name: str, host: int) -> str:
    value = getattr(cfg.s, name).strip()
    if value and not value.isdigit():
        raise ConfigError(f"{origin(cfg, name)} {value!r} is not a numeric id", f"e.g. --{name} 1000")
    return value or str(host)


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
    """User build args, refusing anything that names or carries a credential."""
    known_values = {v: k for k, v in cfg.secrets.items() if len(v) >= 4}
    flag = origin(cfg, "build_args")
    out = pairs(cfg, "build_args", "NAME")
    for name, value in out:
        if not _ARG_NAME.match(name):
            raise ConfigError(f"{flag} {name!r}: not a valid argument name", "use letters, digits and _")
        secret_id = secret_id_of(name)
        how = (
            f"set {name.upper()} in the environment or an env file: it reaches the build as "
            f"BuildKit secret id={secret_id}"
            if secret_id
            else "pass credentials as BuildKit secrets, which never reach the image"
        )
        if looks_like_credential(name):
            raise ConfigError(
                f"{flag} {name} looks like a credential; build args are stored in the image history", how
            )
        if value in known_values:
            raise ConfigError(
                f"{flag} {name} carries the value of {known_values[value]}; "
                "build args are stored in the image history",
                how,
            )
        if looks_like_credential_value(value):
            raise ConfigError(
                f"{flag} {name}=... holds a value in a token format; build args stay in the image history",
                how,
            )
    return out


def build_contexts(cfg: Config) -> list[tuple[str, str]]:
    """User named build contexts NAME=PATH (or NAME=docker-image://..., https://, oci-layout://)."""
    flag = origin(cfg, "build_contexts")
    out = []
    for name, value in pairs(cfg, "build_contexts", "NAME"):
        if not _CONTEXT_NAME.match(name):
            raise ConfigError(f"{flag} name {name!r} is not valid", "use letters, digits, _ . -")
        if name == matrix.TOOLING_CONTEXT:
            raise ConfigError(f"{flag} {name}: the tool passes this context itself", "pick another name")
        out.append((name, value if "://" in value else str(existing_path(cfg, value, flag))))
    return out


def existing_path(cfg: Config, value: str, where: str, *, folder: bool = False) -> Path:
    path = cfg.path(value)
    if not path.exists():
        raise ConfigError(f"{where} {value}: no such file or folder", "check the path")
    if folder and not path.is_dir():
        raise ConfigError(f"{where} {value} is not a folder", "name a folder")
    return path


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
