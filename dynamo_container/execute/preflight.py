"""What can be known before the first docker command of a real build, each refused in one line.

A build that would fail at step 5 because of something knowable now (a missing dev image, a registry
that does not answer for --push, a cache the builder cannot export, a checkout without the files the
Dockerfiles read) fails here instead, with nothing built and nothing written.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path

from dynamo_container.docker.engine import Engine
from dynamo_container.errors import ConfigError, EngineError
from dynamo_container.model.frontend import Frontend
from dynamo_container.model.naming import names_registry, registry_of
from dynamo_container.plan.model import Step

INLINE_ONLY = "inline"  # the one cache type the docker driver exports without the containerd store
CONTAINER_BUILDER_FIX = (
    "build on a docker-container builder (docker buildx create --name dynamo --driver docker-container "
    "--bootstrap, then --builder dynamo with --registry), enable the containerd image store, or use "
    "--cache-to type=inline"
)
REGISTRY_TIMEOUT = 3.0


def cache_type(entry: str) -> str:
    """The `type` of a --cache-to value (a bare reference means type=registry, as in buildx)."""
    fields = dict(part.partition("=")[::2] for part in entry.split(",") if part.strip())
    return fields.get("type", "registry").strip().lower() or "registry"


def unexportable_cache(cache_to: Sequence[str], driver: str, containerd_store: bool) -> list[str]:
    """The --cache-to types this builder cannot export (the docker driver: inline only)."""
    if driver != "docker" or containerd_store:
        return []
    return sorted({t for t in (cache_type(e) for e in cache_to) if t != INLINE_ONLY})


def containerd_store(info: dict[str, object]) -> bool:
    """Does the engine keep images in containerd (which lets the docker driver export any cache)?"""
    status = info.get("DriverStatus") or []
    return any("io.containerd.snapshotter" in str(v) for pair in status for v in pair)  # type: ignore[attr-defined]


def pushed_registries(steps: Iterable[Step]) -> list[str]:
    """host[:port] of every registry a step pushes to (docker push, or buildx --push)."""
    hosts: list[str] = []
    for step in steps:
        if step.kind == "push" or "--push" in step.argv:
            for tag in step.tags:
                host = registry_of(tag)
                if names_registry(tag) and host not in hosts:
                    hosts.append(host)
    return hosts


def registry_answers(host: str, timeout: float = REGISTRY_TIMEOUT) -> str:
    """'' when a TCP connection to the registry opens, else why not."""
    has_port = re.fullmatch(r"[0-9]{1,5}", host.rsplit(":", 1)[-1]) is not None
    name, _, port = host.rpartition(":") if has_port else (host, "", "443")
    try:
        with socket.create_connection((name, int(port)), timeout=timeout):
            return ""
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def check_epp(steps: Sequence[Step]) -> None:
    """The frontend's EPP step can run: make is installed and the checkout has the EPP Makefile."""
    import shutil

    for step in (s for s in steps if s.kind == "host" and s.name == "epp"):
        folder = Path(step.argv[step.argv.index("-C") + 1])
        if shutil.which(step.argv[0]) is None:
            raise ConfigError(
                "--target frontend builds the EPP image with make, which is not installed",
                "install make (apt-get install make)",
            )
        if not (folder / "Makefile").is_file():
            raise ConfigError(
                f"--target frontend: {folder} has no Makefile, so the EPP image cannot be built",
                "build from a Dynamo checkout that has deploy/inference-gateway/epp (--context)",
            )


def check_build(
    steps: Sequence[Step], engine: Engine, frontend: Frontend, cache_to: Sequence[str], dev_image: str
) -> None:
    """The engine answers; the builder can export the cache; the dev image exists; registries answer."""
    check_epp(steps)
    engine.ping()
    if frontend.buildx and cache_to:
        store = containerd_store(engine.info()) if frontend.driver == "docker" else False
        bad = unexportable_cache(cache_to, frontend.driver, store)
        if bad:
            raise EngineError(
                f"--cache-to type={', type='.join(bad)}: the docker driver exports only inline cache",
                CONTAINER_BUILDER_FIX,
            )
    if dev_image:
        engine.require_image(dev_image, "build it first (invoke build --target dev), or pull it")
    for host in pushed_registries(steps):
        why = registry_answers(host)
        if why:
            raise ConfigError(
                f"--push: the registry {host} does not answer ({why})",
                "start it or fix --registry; nothing was built",
            )


def check_bake(engine: Engine, frontend: Frontend) -> None:
    """--executor bake on the engine's own BuildKit: its RUN steps need the engine's bridge network."""
    if frontend.driver == "docker" and not engine.has_network("bridge"):
        raise EngineError(
            "--executor bake: the engine has no bridge network (it runs with --bridge=none), and bake "
            "files have no network key, so every RUN step would fail with 'network bridge not found'",
            "use --executor steps, or start the engine with a bridge network (scripts/engine-up does)",
        )
