"""Build keys (no engine): a key is recorded only when nothing the step read changed while it built.

Each test computes a step's key as `run_or_skip` does before a build (`up_to_date`), changes an
input the way a user or a tool would while BuildKit is reading it, then records what the build made
(`record`): no record may be written, one warning names what changed, and the next build runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildkeys import store
from dynamo_container.buildkeys.keys import BuildKeys
from dynamo_container.plan.model import Step

BASE_ID = "sha256:" + "b" * 64
BUILT_ID = "sha256:" + "1" * 64
DOCKERFILE = """\
FROM base:1 AS build
COPY --from=tooling helper.sh /helper.sh
COPY src/ /src/
"""


@dataclass
class FakeEngine:
    """Image IDs by reference: every FROM image is present; tags hold what the test put there."""

    tags: dict[str, str] = field(default_factory=dict)

    def image_ids(self, refs: Sequence[str]) -> dict[str, str | None]:
        return {ref: self.tags.get(ref, BASE_ID if ref == "base:1" else None) for ref in refs}


@dataclass
class Build:
    family: Path
    context: Path
    logs: Path
    engine: FakeEngine
    warnings: list[str]
    step: Step

    def keys(self) -> BuildKeys:
        """A new run's keys (as each `invoke build` makes), warnings collected."""
        return BuildKeys(self.engine, self.logs, "frontend", environ={}, warn=self.warnings.append)  # type: ignore[arg-type]

    def built(self, keys: BuildKeys, key: str) -> bool:
        """What run_or_skip does after docker built the image: the engine tags it, then record()."""
        self.engine.tags["img:1"] = BUILT_ID
        return keys.record(self.step, key, BUILT_ID)

    def records(self) -> list[Path]:
        return sorted(p for p in (self.logs / "keys").glob("*.json") if p.name != store.CACHE_NAME)


def make_build(tmp_path: Path) -> Build:
    """A Dockerfile reading one named-context file and a folder of the main context, not built yet."""
    family, context = tmp_path / "family", tmp_path / "dynamo"
    family.mkdir()
    (family / "Dockerfile").write_text(DOCKERFILE)
    (family / "helper.sh").write_text("echo helper\n")
    (family / "unread.txt").write_text("not read by the Dockerfile\n")
    (context / "src").mkdir(parents=True)
    (context / "src" / "a.py").write_text("print('a')\n")
    (context / "src" / "b.py").write_text("print('b')\n")
    (context / "notes.log").write_text("excluded\n")
    (context / ".dockerignore").write_text("*.log\n")
    step = Step(
        "framework",
        "test image",
        (
            "docker",
            "buildx",
            "build",
            "--load",
            "-f",
            str(family / "Dockerfile"),
            "-t",
            "img:1",
            str(context),
        ),
        dockerfile=str(family / "Dockerfile"),
        tags=("img:1",),
        contexts=(("tooling", str(family)),),
        context=str(context),
    )
    return Build(family, context, tmp_path / "logs", FakeEngine(), [], step)


@pytest.fixture
def build(tmp_path: Path) -> Build:
    return make_build(tmp_path)


def test_an_undisturbed_build_is_recorded_and_then_up_to_date(build: Build) -> None:
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    assert verdict.key and not verdict.image
    assert build.built(keys, verdict.key)
    keys.save()
    again = build.keys().up_to_date(build.step)
    assert (again.key, again.image) == (verdict.key, BUILT_ID)
    assert build.warnings == []


def rewrite_same_size_restore_mtime(path: Path) -> None:
    """Different bytes of the same size, the mtime put back (as cp -p or tar would)."""
    st = path.stat()
    text = path.read_text()
    path.write_text(text[::-1] if text[::-1] != text else text.upper())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def write_same_bytes(path: Path) -> None:
    """Changed and changed back: BuildKit may have read the other version in between."""
    path.write_text(path.read_text())


def added_and_removed(path: Path) -> None:
    extra = path.parent / "editor-swap.tmp"
    extra.write_text("x")
    extra.unlink()


def new_content(path: Path) -> None:
    path.write_text(path.read_text() + "# edited\n")


def chmod(path: Path) -> None:
    path.chmod(0o700)


def replaced_by_rename(path: Path) -> None:
    """An editor's save: a new file renamed over the old one (same content, new inode)."""
    tmp = path.with_name(path.name + ".new")
    shutil.copy2(path, tmp)
    tmp.replace(path)


# (what is changed, how, relative to the build's folders) -> the path the warning names
CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "context file: new content": (new_content, "dynamo/src/a.py"),
    "context file: same size, mtime put back": (rewrite_same_size_restore_mtime, "dynamo/src/b.py"),
    "context file: the same bytes written again": (write_same_bytes, "dynamo/src/a.py"),
    "context file: replaced by rename": (replaced_by_rename, "dynamo/src/a.py"),
    "context file: mode": (chmod, "dynamo/src/a.py"),
    "context folder: a file added and removed": (added_and_removed, "dynamo/src/a.py"),
    "Dockerfile: the same bytes written again": (write_same_bytes, "family/Dockerfile"),
    "Dockerfile: same size, mtime put back": (rewrite_same_size_restore_mtime, "family/Dockerfile"),
    "ignore file": (new_content, "dynamo/.dockerignore"),
    "named context file the Dockerfile reads": (new_content, "family/helper.sh"),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_an_input_changed_during_the_build_leaves_no_record(build: Build, change: str) -> None:
    alter, rel = CHANGES[change]
    path = build.family.parent / rel
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    alter(path)  # while "BuildKit" reads the inputs
    assert not build.built(keys, verdict.key)
    keys.save()
    assert build.records() == []
    assert len(build.warnings) == 1
    assert "changed while step framework built" in build.warnings[0]
    expected = path.parent if change.startswith("context folder") else path
    assert build.warnings[0].startswith(str(expected)), build.warnings[0]
    # the next build runs the step (the engine's tag alone proves nothing), and records it
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    assert not verdict.image
    assert build.built(keys, verdict.key)
    assert build.keys().up_to_date(build.step).image == BUILT_ID


@pytest.mark.parametrize(
    "alter",
    [
        lambda b: new_content(b.context / "notes.log"),  # excluded by the ignore file
        lambda b: new_content(b.family / "unread.txt"),  # in the named context, never read
    ],
    ids=["excluded context file", "unread named-context file"],
)
def test_a_change_the_build_cannot_see_does_not_stop_the_record(build: Build, alter: Any) -> None:
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    alter(build)
    assert build.built(keys, verdict.key)
    assert build.warnings == []


def test_a_change_no_timestamp_shows_is_caught_by_the_content_of_a_young_file(
    build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system whose timestamps do not tick between two writes, stamps agree; a file
    changed that recently is never served from the stat cache, so its new content shows."""
    monkeypatch.setattr(
        "dynamo_container.buildkeys.keys.stamp", lambda st: (st.st_mode, st.st_size, st.st_ino)
    )
    monkeypatch.setattr("dynamo_container.buildkeys.keys.stamp_of", lambda path: None)
    path = build.context / "src" / "a.py"
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    path.write_text(path.read_text().upper())  # same size, same inode
    assert not build.built(keys, verdict.key)
    assert build.warnings == [
        "one of its inputs changed while step framework built: its image may hold the old or the new "
        "version; not recorded as up to date (the next build runs the step again)"
    ]


def test_a_record_needs_the_reading_before_the_build(build: Build) -> None:
    """record() without up_to_date() first cannot know what the build read: nothing is recorded."""
    keys = build.keys()
    key = keys.key(build.step).key
    assert key and not build.built(keys, key)
    assert build.records() == []


def test_a_new_base_image_during_the_build_leaves_no_record(build: Build) -> None:
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    build.engine.tags["base:1"] = "sha256:" + "c" * 64  # re-tagged while the build ran
    assert not build.built(keys, verdict.key)
    assert build.records() == []
