"""Build keys (no engine): what a key covers, which steps can be keyed, the context digest."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from dynamo_container.buildcontext.context import Matcher
from dynamo_container.buildcontext.dockerfiles import load
from dynamo_container.buildkeys.keys import (
    expand,
    image_refs,
    needed_stages,
    not_keyable,
    tree_digest,
)
from dynamo_container.buildkeys.store import StatCache
from dynamo_container.plan.model import Step
from tests.helpers import STANDIN_FAMILY

STANDIN = STANDIN_FAMILY


def test_expansion_follows_dockerfile_rules() -> None:
    values = {"A": "x", "EMPTY": ""}
    assert expand("img:${A}-$A", values) == "img:x-x"
    assert expand("${MISSING:-d} ${EMPTY:-d} ${EMPTY-d} ${A:+set} ${EMPTY:+set}", values) == "d d  set "
    assert expand("${A/x/y}", values) is None  # a form BuildKit has and we do not: never guess


def test_steps_that_always_run() -> None:
    def build(*words: str, tags: tuple[str, ...] = ("img:1",), dockerfile: str = "Dockerfile") -> Step:
        return Step("s", "s", ("docker", "buildx", "build", *words, "."), tags=tags, dockerfile=dockerfile)

    assert not_keyable(build("--load")) == ""
    assert not_keyable(Step("p", "p", ("docker", "push", "x"), kind="push")) == "a push step"
    for flag in ("--no-cache", "--pull", "--push", "--cache-to", "--builder", "--output"):
        assert not_keyable(build(flag)) == f"{flag} given"
    # a build that writes files (the TRT-LLM wheel) or makes no image is never skipped
    assert not_keyable(build("--output", tags=())) == "it builds no tagged image from a Dockerfile"


def test_a_target_needs_its_stages_and_their_images() -> None:
    df = load(STANDIN / "Dockerfile.vllm")
    runtime = {s.name for s in needed_stages(df, "runtime")}
    assert "runtime" in runtime and "dynamo_base" in runtime and "dev" not in runtime
    step = Step(
        "framework",
        "f",
        ("docker",),
        dockerfile=str(STANDIN / "Dockerfile.vllm"),
        target="runtime",
        build_args=(("DYNAMO_BASE_IMAGE", "dyn-base:1"),),
        contexts=(("tooling", str(STANDIN)),),
    )
    refs = image_refs(df, step)
    assert refs is not None and "dyn-base:1" in refs and "scratch" not in refs


def tree(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("print(1)\n")
    (root / "notes.log").write_text("x\n")
    (root / "empty").mkdir()
    (root / "link").symlink_to("src/a.py")
    return root


def test_the_context_digest_changes_with_every_input_buildkit_sends(tmp_path: Path) -> None:
    root = tree(tmp_path / "ctx")
    cache = StatCache(tmp_path / "cache.json")
    keep_all, no_logs = Matcher(()), Matcher.from_text("*.log\n")

    def digest(matcher: Matcher = keep_all) -> str | None:
        return tree_digest(root, matcher, cache)

    first = digest()
    assert first == digest() and first is not None
    (root / "src" / "a.py").write_text("print(2)\n")  # contents
    second = digest()
    assert second != first
    (root / "src" / "a.py").chmod(0o755)  # mode
    third = digest()
    assert third != second
    (root / "empty" / "sub").mkdir()  # an empty folder is part of a COPY
    fourth = digest()
    assert fourth != third
    (root / "link").unlink()
    (root / "link").symlink_to("notes.log")  # a link target
    assert digest() != fourth
    # the ignore rules: an excluded file changes nothing, a rule change does
    before = digest(no_logs)
    (root / "notes.log").write_text("changed\n")
    assert digest(no_logs) == before and digest(keep_all) != before


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The stat cache's clock, `seconds` ahead: files written now look that old to it."""
    now = time.time_ns()
    clock = SimpleNamespace(time=time.time, time_ns=lambda: now + int(seconds * 1e9))
    monkeypatch.setattr("dynamo_container.buildkeys.store.time", clock)


def test_the_stat_cache_trusts_only_files_older_than_a_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f"
    path.write_text("one")
    cache = StatCache(tmp_path / "cache.json")
    cache.digest(str(path), path.stat())
    assert not cache.entries  # just written: a rewrite within the same timestamp tick keeps its stamp
    old = time.time() - 60
    os.utime(path, (old, old))
    cache.digest(str(path), path.stat())
    assert not cache.entries  # an old mtime is not enough: its ctime (set by utime itself) is new
    later(monkeypatch, 60)
    first = cache.digest(str(path), path.stat())
    assert str(path) in cache.entries
    cache.save()
    reloaded = StatCache(tmp_path / "cache.json")
    assert reloaded.digest(str(path), path.stat()) == first
    path.write_text("two")  # size changes: hashed again
    assert reloaded.digest(str(path), path.stat()) != first


def test_a_same_size_rewrite_with_its_mtime_put_back_is_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cp -p, tar and touch -r restore size and mtime on the same inode; only ctime tells."""
    path = tmp_path / "f"
    path.write_text("one")
    before = path.stat()
    cache = StatCache(tmp_path / "cache.json")
    later(monkeypatch, 60)
    first = cache.digest(str(path), before)
    assert str(path) in cache.entries  # trusted from now on, for exactly this stamp
    path.write_text("two")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert cache.digest(str(path), after) != first


def test_a_young_file_rewritten_within_its_timestamp_tick_is_hashed_again(tmp_path: Path) -> None:
    """A file changed moments ago is never cached: the next change may keep every timestamp."""
    path = tmp_path / "f"
    path.write_text("one")
    cache = StatCache(tmp_path / "cache.json")
    stamp = path.stat()
    first = cache.digest(str(path), stamp)
    path.write_text("two")  # the same size; pretend the clock did not tick: the same stat is passed
    assert cache.digest(str(path), stamp) != first
