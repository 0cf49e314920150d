"""Where things are: the real Dockerfile family, the tool's own repository, the Dynamo checkout.

The tool runs two ways: from its own repository (`invoke ...`, an editable install), where the real
family is the repository's `container/`, or installed from a wheel (`dynamo-container ...` in a Dynamo
checkout), where the same files ship inside the package as `dynamo_container/family/`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # dynamo_container/

# Files and folders every Dynamo checkout has at its top level (ai-dynamo/dynamo at 3b9b3f31c, and
# the stand-in checkout of tests/fixtures): the workspace manifests and the two Python source trees.
CHECKOUT_MARKERS = ("pyproject.toml", "Cargo.toml", "lib/bindings/python", "components/src/dynamo")


def repository() -> Path | None:
    """This tool's source repository, when the package is imported from one (not from a wheel)."""
    top = PACKAGE.parent
    if (top / "pyproject.toml").is_file() and (top / "container" / "Dockerfile").is_file():
        return top
    return None


def real_family() -> Path:
    """The real Dockerfile family: the repository's container/, else the copy inside the package."""
    top = repository()
    return top / "container" if top is not None else PACKAGE / "family"


def git_top(start: Path) -> Path | None:
    """The top level of the git work tree holding `start` (a `.git` folder, or file for a worktree)."""
    folder = start.absolute()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def is_dynamo_checkout(folder: Path) -> bool:
    return all((folder / marker).exists() for marker in CHECKOUT_MARKERS)


def find_checkout(cwd: Path) -> Path | None:
    """The Dynamo checkout around `cwd`: its git top level, when that holds every checkout marker."""
    top = git_top(cwd)
    return top if top is not None and is_dynamo_checkout(top) else None
