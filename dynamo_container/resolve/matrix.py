"""Several frameworks x CUDA versions in one command: the combinations asked for, each resolved."""

from __future__ import annotations

from dataclasses import dataclass

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.model.frontend import Frontend
from dynamo_container.model.version import CheckoutFacts
from dynamo_container.resolve.build import BuildRequest, Host, check_shared
from dynamo_container.resolve.platforms import PlatformsRequest, resolve_any
from dynamo_container.resolve.values import framework_named, origin


@dataclass(frozen=True)
class MatrixRequest:
    requests: tuple[BuildRequest | PlatformsRequest, ...]  # several platforms: one PlatformsRequest each
    warnings: tuple[str, ...] = ()


def framework_names(cfg: Config) -> list[str]:
    """The frameworks the settings name (one, a comma list or all), each refused if unknown."""
    spec = cfg.s.framework.strip().lower()
    if spec == "all":
        return list(catalog.FRAMEWORKS)
    names = [x.strip() for x in spec.split(",") if x.strip()]
    where = origin(cfg, "framework")
    for name in names:
        if name == "all":
            raise ConfigError(f"{where} {cfg.s.framework!r}: all stands alone", "use --framework all")
        framework_named(name, where)
    return list(dict.fromkeys(names))


def combinations(cfg: Config) -> tuple[list[tuple[str, str]], list[str]]:
    """Every valid (framework, CUDA) pair asked for, and warnings about the pairs left out."""
    cuda_spec = cfg.s.cuda_version.strip().lower()
    wanted = [] if cuda_spec in ("", "all") else [x.strip() for x in cuda_spec.split(",") if x.strip()]
    combos: list[tuple[str, str]] = []
    warnings: list[str] = []
    for name in framework_names(cfg):
        valid = catalog.cuda_versions(name)
        if cuda_spec == "all":
            chosen = list(valid)
        elif not wanted:
            chosen = [catalog.framework(name).default_cuda]
        else:
            chosen = [c for c in wanted if c in valid]
            skipped = [c for c in wanted if c not in valid]
            if skipped:
                warnings.append(
                    f"{name} has no CUDA {', '.join(skipped)}: left out (valid: {', '.join(valid)})"
                )
        combos += [(name, c) for c in chosen]
    if not combos:
        raise ConfigError(
            "no valid framework x CUDA combination asked for", f"valid: {catalog.describe_valid()}"
        )
    return combos, warnings


def resolve_matrix(cfg: Config, checkout: CheckoutFacts, frontend: Frontend, host: Host) -> MatrixRequest:
    """One request per combination, each resolved from its catalog objects and the shared settings."""
    combos, warnings = combinations(cfg)
    if len(combos) > 1 and cfg.s.tag.strip():
        raise ConfigError(
            "--tag names one image, a matrix build makes several", "drop --tag (or use --registry)"
        )
    check_shared(cfg)
    requests = tuple(
        resolve_any(cfg, fw, variant, checkout, frontend, host) for fw, variant in _objects(combos)
    )
    return MatrixRequest(requests, tuple(warnings))


def _objects(combos: list[tuple[str, str]]) -> list[tuple[catalog.Framework, catalog.Variant]]:
    """The catalog's Framework and Variant of each (name, CUDA) pair `combinations` found valid."""
    out = []
    for name, cuda in combos:
        variant = catalog.find_variant(name, cuda)
        assert variant is not None  # combinations() keeps only the catalog's own pairs
        out.append((catalog.framework(name), variant))
    return out
