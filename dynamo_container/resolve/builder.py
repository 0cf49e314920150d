"""A builder that is not the local engine: what it needs from --registry and --push, checked once.

Such a builder pushes the images later steps build on to the registry and pulls them back, so the
registry must be reachable from where its BuildKit runs. A loopback registry (127.0.0.1, localhost,
[::1]) is this machine's only for a BuildKit in this machine's own network: it cannot work from
kubernetes pods (refused), and works from a BuildKit container or daemon only when that shares the
host's network (a warning naming what to check). A docker-container builder of another engine loads
its images into that engine, not into this one: only --push gets them to anyone else.
(A docker-driver builder is always the local engine's: buildx refuses another engine's, engine.py.)
"""

from __future__ import annotations

import re

from dynamo_container.errors import ConfigError
from dynamo_container.model.frontend import Frontend
from dynamo_container.model.naming import Names, names_registry

_LOOPBACK = re.compile(r"(127(\.[0-9]{1,3}){3}|localhost|\[::1\])(:[0-9]{1,5})?")


def is_loopback(host: str) -> bool:
    """127.0.0.1:5000, localhost, [::1]:5000: a registry address only this machine's network reaches."""
    return _LOOPBACK.fullmatch(host.lower()) is not None


def on_this_machine(address: str) -> bool:
    """A builder's engine or daemon address that is on this machine: a unix socket or a loopback host."""
    if address.startswith(("unix://", "npipe://")):
        return True
    scheme, sep, rest = address.partition("://")
    return bool(sep) and scheme in ("tcp", "http", "https") and is_loopback(rest.split("/", 1)[0])


def registry_host(names: Names) -> str:
    """host[:port] of the registry the builder pushes the intermediate images to ('' for none)."""
    probe = f"{names.base_repo}:x"
    return probe.split("/", 1)[0] if names_registry(probe) else ""


def check(frontend: Frontend, names: Names, push: bool) -> list[str]:
    """Refuse what cannot work with this builder; the warnings of what may not."""
    if frontend.shares_image_store:
        return []
    who = f"builder {frontend.builder} ({frontend.driver} driver"
    who += f" at {frontend.builder_host})" if frontend.builder_host else ")"
    if not frontend.loads_here and not push:
        raise ConfigError(
            f"{who} builds on another engine: its images land there, not in this one",
            "add --push (with --registry) to get them through the registry, or build on this engine",
        )
    host = registry_host(names)
    if not is_loopback(host):
        return []
    if frontend.driver == "kubernetes":
        raise ConfigError(
            f"--registry {host} is a loopback address: {who} runs in pods, whose {host.rsplit(':', 1)[0]} "
            "is their own, so it can neither push there nor pull from there",
            "name the registry by an address the pods reach (a cluster service or the registry's host name)",
        )
    if frontend.driver == "remote" and on_this_machine(frontend.builder_host):
        return []  # a buildkitd of this machine, reached over its socket or loopback
    if frontend.driver == "docker-container":
        why = "runs BuildKit in a container, whose loopback is its own unless the builder was made with "
        why += "--driver-opt network=host"
    else:
        why = "reaches this machine's loopback only if its BuildKit runs here, in the host's network"
    advice = "otherwise name the registry by an address it reaches"
    return [f"--registry {host} is a loopback address: {who} {why}; {advice}"]
