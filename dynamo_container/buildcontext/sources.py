"""Does a build context hold every path a Dockerfile reads from it?

Each COPY/ADD source and RUN bind-mount source of a Dockerfile is looked up in the tree the build
would send: the main context (a Dynamo checkout, filtered by the Dockerfile's ignore file) or a
named context (e.g. `tooling`, the family's own folder). A path is missing when it is not in the
tree, or when the ignore file keeps it out. The tree is a folder on disk, or a recorded list of
paths (the upstream source tree at the snapshot, for the contract tests).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dynamo_container.buildcontext.context import Matcher, ignore_file
from dynamo_container.buildcontext.dockerfiles import Source, load
from dynamo_container.model.pins import SNAPSHOT


class Tree(Protocol):
    def matches(self, path: str) -> list[str]:
        """The paths (files or folders) `path` names: itself, or what a glob pattern matches."""
        ...


@dataclass(frozen=True)
class DiskTree:
    root: Path

    def matches(self, path: str) -> list[str]:
        if any(c in path for c in "*?["):
            return sorted(str(p.relative_to(self.root)) for p in self.root.glob(path))
        return [path] if os.path.lexists(self.root / path) else []


class ListedTree:
    """Files listed one per line (folders are implied by the files under them)."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files = frozenset(files)
        self.folders = frozenset(f.rsplit("/", i)[0] for f in self.files for i in range(1, f.count("/") + 1))

    def matches(self, path: str) -> list[str]:
        every = self.files | self.folders
        if any(c in path for c in "*?["):
            return sorted(p for p in every if fnmatch.fnmatchcase(p, path))
        return [path] if path in every else []


@dataclass(frozen=True)
class Missing:
    dockerfile: Path
    source: Source
    reason: str

    def __str__(self) -> str:
        where = f"context {self.source.context}" if self.source.context else "the build context"
        return (
            f"{self.dockerfile.name}:{self.source.line} {self.source.how} {self.source.path}: "
            f"{self.reason} in {where}"
        )


def normalize(path: str) -> str:
    """`./container/deps/` -> `container/deps`; `.` and `./` -> ``."""
    cleaned = path.strip().removeprefix("./").rstrip("/")
    return "" if cleaned in (".", "") else cleaned


def matcher_for(dockerfile: Path, context: Path) -> Matcher:
    return Matcher.for_context(context, ignore_file(dockerfile, context) or context / ".dockerignore")


def missing(
    dockerfile: Path,
    main: Tree,
    matcher: Matcher,
    named: Mapping[str, Tree],
) -> list[Missing]:
    """Every source of `dockerfile` that its context does not deliver."""
    out = []
    for source in load(dockerfile.resolve()).sources():
        tree = main if not source.context else named.get(source.context)
        if tree is None:
            continue  # a context this check does not know (e.g. trtllm_wheel, passed per build)
        reason = _why_missing(source, tree, matcher if not source.context else Matcher(()))
        if reason:
            out.append(Missing(dockerfile, source, reason))
    return out


def _why_missing(source: Source, tree: Tree, matcher: Matcher) -> str:
    path = normalize(source.path)
    if not path:
        return ""  # the whole context
    found = tree.matches(path)
    if not found:
        return "not present"
    if all(matcher.excluded(p) for p in found):
        return "excluded by the ignore file"
    return ""


def check_family(container: Path, context: Path, names: Iterable[str] | None = None) -> list[Missing]:
    """Dockerfiles of a family folder (all, or `names`) against a checkout on disk and the family's folder."""
    if names is None:
        names = sorted(p.name for p in container.glob("Dockerfile*") if not p.name.endswith(".dockerignore"))
    problems: list[Missing] = []
    for name in names:
        dockerfile = container / name
        problems += missing(
            dockerfile, DiskTree(context), matcher_for(dockerfile, context), {"tooling": DiskTree(container)}
        )
    return problems


def summary(problems: list[Missing], context: Path, limit: int = 4) -> tuple[str, str]:
    """One line naming the missing paths, and what to do about them."""
    paths = sorted({normalize(m.source.path) or "." for m in problems})
    shown = ", ".join(paths[:limit]) + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
    in_checkout = any(not m.source.context for m in problems)
    message = f"the build context {context} lacks {shown}, which the Dockerfiles read"
    hint = (
        f"point --context (DYNAMO_CONTEXT) at a Dynamo checkout (ai-dynamo/dynamo at {SNAPSHOT[:9]}, "
        "the commit the family builds)"
        if in_checkout
        else "the Dockerfile family folder (--container-dir) is incomplete"
    )
    return message, hint
