"""The git facts of the checkout a build reads, gathered once before the build is resolved.

This is the one module of the resolve layer that runs git: the requests (resolve/build.py) and the
planners that read them receive these facts and start no process themselves.
"""

from __future__ import annotations

from dynamo_container.buildcontext.git import describe, epp_git_tag, git_dirty
from dynamo_container.config import Config
from dynamo_container.model import catalog
from dynamo_container.model.version import CheckoutFacts, VersionInfo
from dynamo_container.resolve import values


def read_checkout(cfg: Config, version: VersionInfo | None = None) -> CheckoutFacts:
    """Version and commit (or `version`, when already known), and the facts only some builds need:
    the EPP image tag for --target frontend, the dirty flag for --release-build."""
    s = cfg.s
    root = cfg.checkout()
    if version is None:
        version = describe(root, version=values.version_text(cfg), commit=s.commit_sha)
    epp_tag = epp_git_tag(root) if s.target.strip() == catalog.FRONTEND_STAGE else ""
    dirty = git_dirty(root) if s.release_build else None
    return CheckoutFacts(version, epp_tag, dirty)
