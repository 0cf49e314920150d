"""The version facts of a checkout, as plain data: what git said, without asking it again.

`buildcontext.git.describe` reads them (it runs git); resolve passes them on in each request, so
the planners, which start no process, read them from there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VersionInfo:
    version: str  # image version, e.g. v0.6.1.dev.55c9371
    python_version: str  # e.g. 0.6.1.dev+55c9371
    commit: str  # full sha, or what --commit-sha said
    short: str
    exact: bool  # HEAD carries a version tag
    note: str = ""  # why the fallback was used, for the summary


@dataclass(frozen=True)
class CheckoutFacts:
    """What git says about the checkout a build reads, read once before resolve (resolve/checkout.py)."""

    version: VersionInfo
    epp_tag: str = ""  # `git describe --tags --dirty --always`: read for --target frontend only
    dirty: bool | None = None  # uncommitted changes (None: git could not say): read for --release-build
