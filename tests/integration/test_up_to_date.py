"""Up-to-date builds on a real engine: an untouched rebuild skips every step and changes nothing; a
change to any input of a step makes that step run again, a change to a variable that changes
BuildKit's result too (SOURCE_DATE_EPOCH), and a context file rewritten while a step builds leaves
that step unrecorded."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildcontext.context import kept_files
from tests.integration.conftest import (
    INVOKE,
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

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            **self.names.env(),
            "DYNAMO_CONTAINER_DIR": str(self.family),
            "DYNAMO_CONTEXT": str(self.checkout),
            "DYNAMO_LOG_DIR": str(self.logs),
            "DYNAMO_VERSION": "1.0.0",  # the copied checkout is not a git repository
            "DYNAMO_COMMIT_SHA": "0" * 40,
            **(extra or {}),
        }

    def argv(self, target: str, *args: str) -> list[str]:
        return ["build", "--env-file", STANDIN_ENV, "--framework", "vllm", "--target", target, *args]

    def build(
        self, *args: str, target: str = "runtime", env: dict[str, str] | None = None
    ) -> dict[str, bool]:
        """`invoke build` of the vllm image; step name -> whether it was up to date."""
        return self.build_run(*args, target=target, env=env)[0]

    def build_run(
        self, *args: str, target: str = "runtime", env: dict[str, str] | None = None
    ) -> tuple[dict[str, bool], subprocess.CompletedProcess[str]]:
        """The same, and the finished `invoke build` (its output)."""
        r = invoke(*self.argv(target, *args), env=self.env(env))
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
        return self.steps(target), r

    def steps(self, target: str = "runtime") -> dict[str, bool]:
        receipt = json.loads((self.logs / "receipts" / f"vllm-cuda12.9-{target}.json").read_text())
        return {step["name"]: step["up_to_date"] for step in receipt["steps"]}

    def start(self, target: str = "runtime") -> subprocess.Popen[str]:
        """The same build, started in the background."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")} | self.env()
        argv = [INVOKE, *self.argv(target)]
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def make_workspace(names: Names, tmp_path: Path) -> Workspace:
    family, checkout = tmp_path / "family", tmp_path / "dynamo"
    shutil.copytree(STANDIN_FAMILY, family, symlinks=True)
    shutil.copytree(STANDIN_CHECKOUT, checkout, symlinks=True)
    return Workspace(family, checkout, tmp_path / "logs", names)


@pytest.fixture
def ws(names: Names, tmp_path: Path) -> Workspace:
    return make_workspace(names, tmp_path)


def images(client: Any, names: Names) -> dict[str, str]:
    return {tag: image.id for image in client.images.list() for tag in image.tags if names.token in tag}


def test_an_untouched_rebuild_skips_every_step_and_changes_nothing(ws: Workspace, docker_client: Any) -> None:
    assert ws.build() == {"base": False, "framework": False}
    before = images(docker_client, ws.names)
    assert ws.build() == {"base": True, "framework": True}
    assert images(docker_client, ws.names) == before
    assert ws.build("--force") == {"base": False, "framework": False}


def a_context_file(ws: Workspace) -> Path:
    """A source file both Dockerfiles send with the main context."""
    sent = kept_files(ws.checkout, ws.family / "Dockerfile.dockerignore")
    return ws.checkout / sorted(p for p in sent if p.endswith((".py", ".rs", ".toml")))[0]


def change_a_context_file(ws: Workspace) -> None:
    path = a_context_file(ws)
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


def test_a_new_source_date_epoch_makes_every_step_run(ws: Workspace, docker_client: Any) -> None:
    tag = f"{ws.names.image}:latest-vllm-runtime"
    ws.build()
    before = docker_client.images.get(tag).id
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    assert ws.build(env=epoch) == {"base": False, "framework": False}
    assert docker_client.images.get(tag).id != before  # BuildKit's result did change: skipping was wrong
    assert ws.build(env=epoch) == {"base": True, "framework": True}
    assert ws.build(env={"SOURCE_DATE_EPOCH": "1700000001"}) == {"base": False, "framework": False}


def wait_for_line(path: Path, text: str, proc: subprocess.Popen[str]) -> None:
    """Until the step log shows `text` (the build reached that instruction) or the build ended."""
    deadline = time.monotonic() + 300  # a deadline against a hang, not a timing assertion
    while time.monotonic() < deadline and proc.poll() is None:
        if path.is_file() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    out, err = proc.communicate()
    pytest.fail(f"the build never reached {text!r} (exit {proc.returncode}): {out[-2000:]}{err}")


def test_a_context_file_rewritten_during_the_build_leaves_the_step_unrecorded(ws: Workspace) -> None:
    """The image may hold either version of the file: it must not pass for the one the key read."""
    ws.build()
    marker = f"waiting-{ws.names.token}"
    dockerfile = ws.family / "Dockerfile.vllm"
    anchor = "FROM ${RUNTIME_IMAGE}:${RUNTIME_IMAGE_TAG} AS runtime\n"
    assert anchor in dockerfile.read_text()
    # a step that holds the build while the test rewrites the file (it copies the file after it)
    dockerfile.write_text(
        dockerfile.read_text().replace(anchor, f"{anchor}RUN echo {marker} && sleep 5\n", 1)
    )
    path = a_context_file(ws)
    original = path.read_bytes()
    proc = ws.start()
    wait_for_line(ws.logs / "vllm-cuda12.9" / "framework.log", marker, proc)
    path.write_bytes(original + b"# written while the build ran\n")
    assert proc.poll() is None, "the build ended before the file was rewritten"
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-3000:] + err
    assert f"warning: {path} changed while step framework built" in err
    assert "Traceback" not in out + err
    assert ws.steps() == {"base": True, "framework": False}
    path.write_bytes(original)  # the content the build's key was computed from
    assert ws.build() == {"base": True, "framework": False}  # not taken for up to date
    assert ws.build() == {"base": True, "framework": True}  # an undisturbed build is recorded
