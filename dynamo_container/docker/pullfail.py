"""A build that failed because a base image could not be pulled, told in two lines with what to do.

BuildKit reports it twice (the `load metadata` step, then `failed to solve`), as a raw resolver or
HTTP error: `failed to resolve source metadata for nvcr.io/...: ... lookup nvcr.io ...: no such host`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dynamo_container.model.naming import registry_of

_SOURCE = re.compile(r"failed to resolve source metadata for (?P<ref>\S+): ")
_CAUSES = (
    ("unreachable", re.compile(r"no such host|i/o timeout|connection refused|network is unreachable")),
    ("refused", re.compile(r"401 Unauthorized|unauthorized|authentication required|denied|403 Forbidden")),
    ("missing", re.compile(r": not found$|manifest unknown")),
)


@dataclass(frozen=True)
class PullFailure:
    image: str  # the reference BuildKit could not resolve
    cause: str  # unreachable, refused or missing

    @property
    def registry(self) -> str:
        return registry_of(self.image)

    def message(self) -> str:
        why = {
            "unreachable": f"{self.registry} is out of reach from this machine",
            "refused": f"{self.registry} refused the engine's credentials (or it has none)",
            "missing": f"{self.registry} has no such image",
        }[self.cause]
        return f"cannot pull the base image {self.image}: {why}"

    def hint(self) -> str:
        login = f"docker login {self.registry}"
        mirror = "a mirror through --base-image/--runtime-image (and their -tag flags)"
        standin = "the stand-in profile (--env-file tests/fixtures/stand-in.env in the tool's repository)"
        first = f"{login} (the engine logs in, not this tool); " if self.cause != "missing" else ""
        return f"what to do: {first}{mirror}; or {standin}; `invoke doctor` checks each registry"


def pull_failure(lines: Iterable[str]) -> PullFailure | None:
    """The base-image pull failure that ended a build, from its log lines; None for any other failure."""
    for line in lines:
        if "failed to solve" not in line:
            continue
        source = _SOURCE.search(line)
        if source is None:
            continue
        for cause, pattern in _CAUSES:
            if pattern.search(line.rstrip()):
                return PullFailure(source.group("ref"), cause)
    return None
