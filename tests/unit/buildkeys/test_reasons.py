"""Why a step runs: what changed since it last built its image (build keys without an engine)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dynamo_container.buildkeys import reasons
from dynamo_container.plan.model import Step
from tests.unit.buildkeys.test_race import BUILT_ID, Build, make_build


@pytest.fixture
def build(tmp_path: Path) -> Build:
    return make_build(tmp_path)


def built_once(build: Build) -> None:
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    assert verdict.reason == reasons.FIRST
    assert build.built(keys, verdict.key)


def reason(build: Build, step: Step | None = None) -> str:
    verdict = build.keys().up_to_date(step or build.step)
    assert not verdict.image
    return verdict.reason


def test_an_up_to_date_step_names_the_image_it_kept(build: Build) -> None:
    built_once(build)
    verdict = build.keys().up_to_date(build.step)
    assert verdict.image == BUILT_ID and verdict.reason.startswith(f"kept {BUILT_ID} (build key ")


def test_a_changed_context_file_is_named(build: Build) -> None:
    built_once(build)
    (build.context / "src" / "a.py").write_text("print('changed')\n")
    assert reason(build) == "build context files: src/a.py changed"


def test_added_and_removed_context_files_are_named(build: Build) -> None:
    built_once(build)
    (build.context / "src" / "b.py").unlink()
    for n in range(5):
        (build.context / "src" / f"new{n}.py").write_text("x\n")
    assert reason(build) == (
        "build context files: src/new0.py, src/new1.py, src/new2.py and 2 more added; src/b.py removed"
    )


def test_an_ignored_file_changes_nothing(build: Build) -> None:
    built_once(build)
    (build.context / "notes.log").write_text("still excluded\n")
    assert build.keys().up_to_date(build.step).image == BUILT_ID


def test_the_dockerfile_is_named(build: Build) -> None:
    built_once(build)
    path = build.family / "Dockerfile"
    path.write_text(path.read_text() + "RUN true\n")
    assert reason(build) == "Dockerfile changed"


def test_a_named_context_file_is_named(build: Build) -> None:
    built_once(build)
    (build.family / "helper.sh").write_text("echo changed\n")
    assert reason(build) == "build context tooling: helper.sh changed"


def test_a_base_image_that_is_another_image_now(build: Build) -> None:
    built_once(build)
    build.engine.tags["base:1"] = "sha256:" + "c" * 64
    assert reason(build) == "base image base:1 is another image now"


def test_a_build_arg_is_named(build: Build) -> None:
    built_once(build)
    argv = (*build.step.argv[:-1], "--build-arg", "DYNAMO_VERSION=2", build.step.argv[-1])
    assert reason(build, dataclasses.replace(build.step, argv=argv)) == "build arg DYNAMO_VERSION changed"


def test_a_keyed_setting_is_named(build: Build) -> None:
    built_once(build)
    keys = build.keys()
    keys.environ = {"SOURCE_DATE_EPOCH": "1"}
    assert keys.up_to_date(build.step).reason == "setting SOURCE_DATE_EPOCH changed"


def test_the_engine_losing_the_image_is_the_reason(build: Build) -> None:
    built_once(build)
    build.engine.tags["img:1"] = "sha256:" + "d" * 64  # the tag now points at another image
    assert reason(build) == "the engine no longer has the image it built under every one of its tags"


def test_no_cache_and_force_are_the_reason(build: Build) -> None:
    argv = (*build.step.argv[:-1], "--no-cache", build.step.argv[-1])
    assert reason(build, dataclasses.replace(build.step, argv=argv)) == "--no-cache"
    keys = build.keys()
    keys.force = True
    verdict = keys.up_to_date(build.step)
    assert (verdict.key, verdict.reason) == ("", "--force")


def test_a_malformed_history_is_a_first_build(build: Build) -> None:
    built_once(build)
    (history,) = (build.logs / "keys" / "steps").iterdir()
    history.write_text("{not json")
    (build.context / "src" / "a.py").write_text("print('changed')\n")
    assert reason(build) == reasons.FIRST


@pytest.mark.parametrize(
    ("before", "now", "text"),
    [
        (["docker", "--tag", "a:1", "."], ["docker", "--tag", "a:2", "."], "its image tags changed"),
        (["docker", "--network", "host", "."], ["docker", "."], "the docker command changed"),
        (["docker", "."], ["docker", "."], ""),
    ],
)
def test_command_changes(before: list[str], now: list[str], text: str) -> None:
    assert reasons.command_change(before, now) == text


def test_several_changes_are_named_together() -> None:
    before = {"dockerfile": "a", "dockerfile_path": "x/Dockerfile.vllm", "frontend": "f1", "variables": {}}
    now = {
        "dockerfile": "b",
        "dockerfile_path": "x/Dockerfile.vllm",
        "frontend": "f2",
        "variables": {"BUILDKIT_X": "1"},
    }
    assert reasons.what_changed(before, now).split("; ") == [
        "Dockerfile.vllm changed",
        "setting BUILDKIT_X changed",
        "the docker CLI, buildx or the engine version changed",
    ]
