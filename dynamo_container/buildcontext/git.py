"""Image version and commit from git, as the original build script meant them.

- HEAD exactly on a version tag:   v<tag>                      (Python package: <tag>)
- otherwise:                       v<latest tag>.dev.<short>   (Python package: <latest>.dev+<short>)
- no version tag reachable:        latest tag is 0.0.1

"Latest tag" is the nearest version tag reachable from HEAD (a tag on another branch does not
count). Version tags are `v1.2.3` or `1.2.3` style; the leading `v` is dropped.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from dynamo_container.errors import ConfigError
from dynamo_container.model.version import VersionInfo  # (callers of describe name it from here too)

FALLBACK_TAG = "0.0.1"
_MATCH = ("--match", "v[0-9]*", "--match", "[0-9]*")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _strip_v(tag: str) -> str:
    return tag[1:] if tag[:1] in ("v", "V") else tag


def from_override(version: str, commit: str) -> VersionInfo:
    bare = _strip_v(version.strip())
    if not bare or any(c.isspace() for c in bare):
        raise ConfigError(f"--version {version!r} is not a version", "e.g. --version 0.7.0")
    return VersionInfo(f"v{bare}", bare, commit or "unknown", (commit or "unknown")[:7], True)


def describe(root: Path, *, version: str = "", commit: str = "") -> VersionInfo:
    """Version and commit of the checkout at `root`; `version`/`commit` override what git says."""
    try:
        head = _git(root, "rev-parse", "--is-shallow-repository", "HEAD", "--short", "HEAD")
    except FileNotFoundError:
        if version:
            return from_override(version, commit)
        raise ConfigError(
            "cannot derive the image version: git is not installed",
            "install git, or pass --version X.Y.Z (and --commit-sha SHA)",
        ) from None
    if head.returncode != 0:
        if version:
            return from_override(version, commit)
        lines = [ln.strip() for ln in head.stderr.splitlines() if ln.strip()]
        reason = next((ln for ln in lines if ln.startswith("fatal:")), lines[0] if lines else "git failed")
        reason = reason.removeprefix("fatal: ")
        raise ConfigError(
            f"cannot derive the image version from {root}: {reason}",
            "build from a git checkout with at least one commit, or pass --version X.Y.Z",
        )
    shallow, full, short = head.stdout.split()
    commit = commit or full
    if version:
        info = from_override(version, commit)
        return VersionInfo(info.version, info.python_version, commit, short, True)
    desc = _git(root, "describe", "--tags", "--long", *_MATCH, "HEAD")
    if desc.returncode != 0:
        note = f"no version tag reachable from HEAD: using {FALLBACK_TAG}"
        if shallow == "true":
            note += " (shallow clone: `git fetch --tags --unshallow` gets the tags)"
        return VersionInfo(
            f"v{FALLBACK_TAG}.dev.{short}", f"{FALLBACK_TAG}.dev+{short}", commit, short, False, note
        )
    # <tag>-<distance>-g<sha>; the tag itself may contain dashes.
    tag, distance, _ = desc.stdout.strip().rsplit("-", 2)
    bare = _strip_v(tag)
    if distance == "0":
        return VersionInfo(f"v{bare}", bare, commit, short, True)
    return VersionInfo(f"v{bare}.dev.{short}", f"{bare}.dev+{short}", commit, short, False)


def epp_git_tag(root: Path) -> str:
    """The EPP Makefile's image tag: `git describe --tags --dirty --always` of the checkout, else dev."""
    try:
        desc = _git(root, "describe", "--tags", "--dirty", "--always")
    except FileNotFoundError:
        return "dev"
    return desc.stdout.strip() if desc.returncode == 0 and desc.stdout.strip() else "dev"


def git_dirty(root: Path) -> bool | None:
    """True when the checkout has uncommitted changes; None without git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None
