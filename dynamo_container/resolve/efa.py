"""The resolved request of `invoke efa`: the AWS EFA layer on top of an existing image."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.model.frontend import Frontend
from dynamo_container.resolve import values


@dataclass(frozen=True)
class EfaRequest:
    image: str
    efa_version: str
    platform: str
    container: Path
    context: Path
    log_dir: Path
    frontend: Frontend
    network: str = ""
    user_args: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()


def resolve_efa(cfg: Config, frontend: Frontend) -> EfaRequest:
    s = cfg.s
    if not s.image.strip():
        raise ConfigError("--image is required", "name the runtime or dev image to add the EFA layer to")
    values.references(cfg, "image")
    values.platform(cfg)  # refuses an unknown platform before anything is planned
    return EfaRequest(
        image=s.image.strip(),
        efa_version=s.efa_version,
        platform=s.platform.strip(),
        container=values.existing_path(
            cfg, s.container_dir, values.origin(cfg, "container_dir"), folder=True
        ),
        context=cfg.checkout(),
        log_dir=cfg.path(s.log_dir) / "efa",
        frontend=frontend,
        network=s.build_network,
        user_args=tuple(values.build_args(cfg)),
        warnings=(*cfg.warnings, *values.build_arg_warnings(cfg)),
    )
