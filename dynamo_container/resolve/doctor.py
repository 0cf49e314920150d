"""The doctor's request: the configuration `invoke doctor` checks, read once into plain values.

The doctor reports bad values instead of stopping at the first, so what a build would refuse
arrives here as the refusal itself (`config_error`, an `ulimits` or `checkout` error) for its check
to show; `checks/doctor.py` and `checks/verdicts.py` read only this request and the probes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError, DynamoError
from dynamo_container.model import catalog
from dynamo_container.resolve import values

T = TypeVar("T")


@dataclass(frozen=True)
class DoctorRequest:
    docker_cli: str
    build_frontend: str
    builder: str
    framework: str  # as configured, lowercased (a comma list is shown as given; config_error says why)
    cuda_version: str  # as configured, else the one framework's default ('' when there is none)
    platform: str
    container_dir: str  # as configured (the stand-in family is recognised by it)
    family: Path  # the Dockerfile family it names
    env_files: tuple[str, ...]
    context_shown: str  # the checkout as configured, for the checkout check
    checkout: Path | DynamoError  # the checkout, or why there is none
    # the ignore file of each framework's Dockerfile (each once; a comma list or all names several)
    ignore_files: tuple[Path | None, ...] | DynamoError
    version: str  # --version and --commit-sha overrides, as `describe` takes them
    commit_sha: str
    cache_to: tuple[str, ...]
    ulimits: tuple[str, ...] | DynamoError  # what a container would ask for
    context_warn_mb: int | None
    config_error: ConfigError | None  # a framework, CUDA or platform a build refuses
    warnings: tuple[str, ...]  # the configuration's own (unknown variables ...)


def resolve_doctor(cfg: Config) -> DoctorRequest:
    from dynamo_container.resolve.execution import context_ignore_files
    from dynamo_container.resolve.run import DEFAULT_ULIMITS, merge_ulimits

    s = cfg.s
    framework = s.framework.strip().lower()
    default_cuda = catalog.framework(framework).default_cuda if framework in catalog.FRAMEWORKS else ""
    return DoctorRequest(
        docker_cli=s.docker_cli,
        build_frontend=s.build_frontend,
        builder=s.builder,
        framework=framework,
        cuda_version=s.cuda_version.strip() or default_cuda,
        platform=s.platform,
        container_dir=s.container_dir,
        family=cfg.path(s.container_dir),
        env_files=tuple(cfg.env_files),
        context_shown=s.context or "(no checkout)",
        checkout=_or_error(cfg.checkout),
        ignore_files=_or_error(lambda: context_ignore_files(cfg)),
        version=s.version,
        commit_sha=s.commit_sha,
        cache_to=tuple(s.cache_to),
        ulimits=_or_error(lambda: tuple(merge_ulimits(DEFAULT_ULIMITS, s.ulimits))),
        context_warn_mb=s.context_warn_mb,
        config_error=_config_error(cfg),
        warnings=tuple(cfg.warnings),
    )


def _or_error(read: Callable[[], T]) -> T | DynamoError:
    try:
        return read()
    except DynamoError as exc:
        return exc


def _config_error(cfg: Config) -> ConfigError | None:
    try:  # the same rules a build applies
        values.variant(cfg, values.framework(cfg))
        values.platforms(cfg)  # one platform, or each of a multi-platform list
    except ConfigError as exc:
        return exc
    return None
