"""Up-to-date builds on a real engine: an untouched rebuild skips every step and changes nothing; a
change to any input of a step makes that step run again."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.context import kept_files
from tests.integration.conftest import (
    STANDIN_BASE,
    STANDIN_CHECKOUT,
    STANDIN_ENV,
    STANDIN_FAMILY,
    Names,
    invoke,
)


@dataclass
class Workspace:
    """Copies of the stand-in family and checkout that a test may change, and the build's settings."""

    family: Path
    checkout: Path
    logs: Path
    names: Names

    def build(self, *args: str, target: str = "runtime") -> dict[str, bool]:
        """`invoke build` of the vllm image; step name -> whether it was up to date."""
        env = {
            **self.names.env(),
            "DYNAMO_CONTAINER_DIR": str(self.family),
            "DYNAMO_CONTEXT": str(self.checkout),
            "DYNAMO_LOG_DIR": str(self.logs),
            "DYNAMO_VERSION": "1.0.0",  # the copied checkout is not a git repository
            "DYNAMO_COMMIT_SHA": "0" * 40,
        }
        r = invoke(
            "build", "--env-file", STANDIN_ENV, "--framework", "vllm", "--target", target, *args, env=env
        )
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
        receipt = json.loads((self.logs / "receipts" / f"vllm-12.9-{target}.json").read_text())
        return {step["name"]: step["up_to_date"] for step in receipt["steps"]}


@pytest.fixture
def ws(names: Names, tmp_path: Path) -> Workspace:
    family, checkout = tmp_path / "family", tmp_path / "dynamo"
    shutil.copytree(STANDIN_FAMILY, family, symlinks=True)
    shutil.copytree(STANDIN_CHECKOUT, checkout, symlinks=True)
    return Workspace(family, checkout, tmp_path / "logs", names)


def images(client: Any, names: Names) -> dict[str, str]:
    return {tag: image.id for image in client.images.list() for tag in image.tags if names.token in tag}


def test_an_untouched_rebuild_skips_every_step_and_changes_nothing(ws: Workspace, docker_client: Any) -> None:
    assert ws.build() == {"base": False, "framework": False}
    before = images(docker_client, ws.names)
    assert ws.build() == {"base": True, "framework": True}
    assert images(docker_client, ws.names) == before
    assert ws.build("--force") == {"base": False, "framework": False}


def change_a_context_file(ws: Workspace) -> None:
    sent = kept_files(ws.checkout, ws.family / "Dockerfile.dockerignore")
    path = ws.checkout / sorted(p for p in sent if p.endswith((".py", ".rs", ".toml")))[0]
    path.write_text(path.read_text() + "\n# changed\n")


def change_a_dockerfile_line(ws: Workspace) -> None:
    path = ws.family / "Dockerfile.vllm"
    path.write_text(path.read_text() + "\n# one more line\n")


def change_an_ignore_rule(ws: Workspace) -> None:
    path = ws.family / "Dockerfile.vllm.dockerignore"
    sent = kept_files(ws.checkout, path)
    path.write_text(path.read_text() + f"\n{sorted(sent)[-1]}\n")  # one file the context sent is left out


def change_a_helper_both_read(ws: Workspace) -> None:
    path = ws.family / "standin_wheel.py"  # mounted from the tooling context by both Dockerfiles
    path.write_text(path.read_text() + "\n# changed\n")


def change_a_helper_only_vllm_reads(ws: Workspace) -> None:
    folder = ws.family / "packages" / "vllm"  # mounted from the tooling context by Dockerfile.vllm only
    (folder / "added.txt").write_text("new\n")


def change_a_family_file_nothing_reads(ws: Workspace) -> None:
    path = ws.family / "Dockerfile.aws"
    path.write_text(path.read_text() + "\n# unread by the vllm build\n")


CHANGES: dict[str, tuple[Callable[[Workspace], None], tuple[str, ...], set[str]]] = {
    "helper both read": (change_a_helper_both_read, (), {"base", "framework"}),
    "helper vllm reads": (change_a_helper_only_vllm_reads, (), {"framework"}),
    "unread family file": (change_a_family_file_nothing_reads, (), set()),
    "context file": (change_a_context_file, (), {"base", "framework"}),
    "Dockerfile line": (change_a_dockerfile_line, (), {"framework"}),
    "ignore rule": (change_an_ignore_rule, (), {"framework"}),
    "build arg": (lambda ws: None, ("--build-arg", "EXTRA_NOTE=1"), {"base", "framework"}),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_changed_input_makes_its_step_run(ws: Workspace, change: str) -> None:
    alter, args, expected = CHANGES[change]
    ws.build()
    alter(ws)
    ran = {name for name, up_to_date in ws.build(*args).items() if not up_to_date}
    assert ran == expected


def test_another_target_runs_only_the_step_it_changes(ws: Workspace) -> None:
    ws.build(target="runtime")
    assert ws.build(target="dev") == {"base": True, "framework": False}


def test_a_new_base_image_id_makes_the_first_step_run(ws: Workspace, docker_client: Any) -> None:
    repo = f"dyntest-{ws.names.token}-from"
    ws.names.extra.append(repo)
    docker_client.images.get(STANDIN_BASE).tag(repo, "t")
    args = ("--base-image", repo, "--base-image-tag", "t")
    ws.build(*args)
    dockerfile = io.BytesIO(f"FROM {STANDIN_BASE}\nLABEL changed=1\n".encode())
    changed, _ = docker_client.images.build(fileobj=dockerfile, network_mode="none", rm=True)
    changed.tag(repo, "t")
    assert ws.build(*args) == {"base": False, "framework": False}


def test_a_tag_moved_away_makes_its_step_run(ws: Workspace, docker_client: Any) -> None:
    ws.build()
    docker_client.images.remove(f"{ws.names.image}:latest-vllm-runtime")
    assert ws.build() == {"base": True, "framework": False}
