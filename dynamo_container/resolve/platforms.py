"""Multi-platform builds (`--platform linux/amd64,linux/arm64`): one resolved build per platform.

An image of several platforms is a manifest list in a registry over one image per platform, so
such a build needs --push and a registry; each platform's build is an ordinary request of its own
(its own log folder `<combination>-<arch>`), and the planner (plan/platforms.py) carries each
under its own arch tag and joins them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.model.frontend import Frontend
from dynamo_container.model.naming import Names, names_registry
from dynamo_container.model.version import CheckoutFacts
from dynamo_container.resolve import values
from dynamo_container.resolve.build import BuildRequest, Host, check_shared, resolve_combination
from dynamo_container.resolve.values import origin


@dataclass(frozen=True, eq=False, repr=False)
class PlatformsRequest:
    """The builds of one combination for several platforms, in the order they were asked for."""

    requests: tuple[BuildRequest, ...]

    @property
    def first(self) -> BuildRequest:
        return self.requests[0]

    @property
    def framework(self) -> catalog.Framework:
        """The combination's framework, the same in every platform's request (as a BuildRequest's)."""
        return self.first.framework


def is_multi_platform(cfg: Config) -> bool:
    return len([p for p in cfg.s.platform.split(",") if p.strip()]) > 1


def resolve_any(
    cfg: Config,
    fw: catalog.Framework,
    variant: catalog.Variant,
    checkout: CheckoutFacts,
    frontend: Frontend,
    host: Host,
) -> BuildRequest | PlatformsRequest:
    """The request of one combination: one platform as before, several as a PlatformsRequest."""
    if not is_multi_platform(cfg):
        return resolve_combination(cfg, fw, variant, checkout, frontend, host)
    return _platforms(cfg, fw, variant, checkout, frontend, host)


def resolve_platforms(
    cfg: Config, checkout: CheckoutFacts, frontend: Frontend, host: Host
) -> PlatformsRequest:
    """A build of the one combination the settings name, for each platform they list."""
    check_shared(cfg)
    fw = values.framework(cfg)
    return _platforms(cfg, fw, values.variant(cfg, fw), checkout, frontend, host)


def _platforms(
    cfg: Config,
    fw: catalog.Framework,
    variant: catalog.Variant,
    checkout: CheckoutFacts,
    frontend: Frontend,
    host: Host,
) -> PlatformsRequest:
    chosen = values.platforms(cfg)
    _check(cfg, frontend, len(chosen))
    requests = []
    for platform, arch in chosen:
        req = resolve_combination(cfg, fw, variant, checkout, frontend, host, platform=(platform, arch))
        # each platform's logs, metadata files and receipt apart from the other's
        requests.append(dataclasses.replace(req, log_dir=req.log_dir.with_name(f"{req.log_dir.name}-{arch}")))
    return PlatformsRequest(tuple(requests))


def _check(cfg: Config, frontend: Frontend, count: int) -> None:
    """What a manifest list needs, refused before anything is resolved further."""
    s, where = cfg.s, origin(cfg, "platform")
    what = f"{where} {s.platform.strip()!r} names {count} platforms"
    if not s.push:
        raise ConfigError(
            f"{what}: an image of several platforms is a manifest list, which exists only in a "
            f"registry, and {origin(cfg, 'push')} is off",
            "add --push and --registry HOST[:PORT][/NAMESPACE] (e.g. --push --registry 127.0.0.1:5000)",
        )
    names = Names(s.image_name, s.base_image_name, s.registry, s.tag.strip())
    if not names_registry(names.tag or f"{names.image_repo}:x"):
        shown = s.registry.strip() or "empty"
        raise ConfigError(
            f"{what}: the per-platform images and their manifest list go to a registry, and "
            f"{origin(cfg, 'registry')} is {shown}",
            "add --registry HOST[:PORT][/NAMESPACE] (e.g. --registry 127.0.0.1:5000)",
        )
    if not frontend.buildx:
        raise ConfigError(
            f"{what}: the manifest list is made by docker buildx imagetools, and the build frontend "
            f"({origin(cfg, 'build_frontend')}) is docker build",
            "install docker-buildx, or use --build-frontend buildx",
        )
    if s.executor == "bake":
        raise ConfigError(
            f"{what}: {origin(cfg, 'executor')} bake builds one platform per target",
            "use --executor steps (the default) for a multi-platform build",
        )
    if s.target.strip() == catalog.FRONTEND_STAGE:
        raise ConfigError(
            f"{what}: --target {catalog.FRONTEND_STAGE} copies the EPP image its host step makes for this "
            "machine's architecture only",
            "build the frontend one platform at a time (e.g. --platform linux/arm64)",
        )
