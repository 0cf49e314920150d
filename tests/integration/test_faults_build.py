"""Faults during real stand-in builds: a docker CLI that builds nothing, the log folder removed, a full
disk under the step log or the receipts. Each ends with one line and nothing left running, and the
last good receipt stays as it was."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildkeys.keys import CACHE_NAME
from dynamo_container.model import catalog
from tests.helpers import PROJECT
from tests.integration.conftest import INVOKE, STANDIN_ENV, Names, invoke
from tests.integration.test_signals_build import docker_processes, family_with
from tests.unit.execute.test_faults_disk import fill

RECEIPT = catalog.build_name(
    "none", catalog.framework("none").default_cuda, "runtime"
)  # none-cuda12.8-runtime
GOOD = {"status": "built", "version": "v-good", "started": "t", "seconds": 1, "note": "the last good build"}


def build(names: Names, logs: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return invoke(
        "build",
        "--env-file",
        STANDIN_ENV,
        "--framework",
        "none",
        "--target",
        "runtime",
        *args,
        env={**names.env(), "DYNAMO_LOG_DIR": str(logs), **(env or {})},
    )


def good_receipt(logs: Path) -> tuple[Path, bytes]:
    path = logs / "receipts" / f"{RECEIPT}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(GOOD))
    return path, path.read_bytes()


def error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@contextmanager
def small_tmpfs(folder: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs at `folder`, unmounted afterwards (skips without root)."""
    if os.geteuid() != 0:
        pytest.skip("a full disk here is a real 64 KiB tmpfs, and mounting one needs root")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fake_cli(tmp_path: Path, name: str, body: str) -> str:
    cli = tmp_path / name
    cli.write_text(f"#!/bin/sh\n{body}\n")
    cli.chmod(0o755)
    return str(cli)


@pytest.mark.parametrize("cli", ["/bin/true", "chatty", "buildx-version-only"])
def test_a_docker_cli_that_exits_0_without_building_is_a_failure(
    cli: str, names: Names, tmp_path: Path, docker_client: Any
) -> None:
    logs = tmp_path / "logs"
    if cli == "chatty":  # says it built, builds nothing
        cli = fake_cli(tmp_path, cli, 'echo "#1 DONE 0.1s"; echo "naming to docker.io/library/x done"')
    elif cli == "buildx-version-only":  # a real answer to `buildx version`, nothing else
        cli = fake_cli(tmp_path, cli, 'if [ "$2" = version ]; then docker buildx version; fi')
    good, before = good_receipt(logs)
    r = build(names, logs, "--docker-cli", cli)
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr
    (line,) = error_lines(r.stderr)
    assert line.startswith("error: step 1/1 (image: none image (Dockerfile, stage runtime)) failed: ")
    metadata = logs / "none-cuda12.8" / "image.metadata.json"
    assert f"{cli} exited 0 but built no image (no image ID in {metadata}, no image " in line
    assert f"check that --docker-cli {cli} is a docker CLI)" in line
    assert good.read_bytes() == before  # not a "built" receipt: the last good one stays
    failed = json.loads((logs / "receipts" / f"{RECEIPT}.failed.json").read_text())
    assert failed["status"] == "failed at step image" and failed["steps"][0]["returncode"] == 1
    assert {p.name for p in (logs / "keys").glob("*.json")} <= {CACHE_NAME}  # no key recorded


def test_the_log_folder_removed_during_a_build_stops_it_in_one_line(
    names: Names, tmp_path: Path, docker_client: Any
) -> None:
    family = family_with(tmp_path, "Dockerfile", "runtime", f"RUN echo slow-{names.token} && sleep 120")
    logs = tmp_path / "logs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    env |= {**names.env(), "DYNAMO_CONTAINER_DIR": str(family), "DYNAMO_LOG_DIR": str(logs)}
    argv = [INVOKE, "build", "--env-file", STANDIN_ENV, "--framework", "none", "--target", "runtime"]
    proc = subprocess.Popen(
        argv, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        for line in proc.stdout:
            if f"slow-{names.token}" in line and "#" in line and "0." in line:
                break
            assert time.monotonic() < deadline, "the slow step never started"
        shutil.rmtree(logs / "none-cuda12.8")  # a cleanup script, a user's rm -rf
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert error_lines(err) == [
        f"error: step 1/1 (image: none image (Dockerfile, stage runtime)) failed: the log folder "
        f"{logs / 'none-cuda12.8'} was removed during the build; the step was stopped "
        "(leave the log folder alone while a build runs)"
    ]
    assert docker_processes(names.token) == "", "a docker process of the build is still running"
    assert (
        json.loads((logs / "receipts" / f"{RECEIPT}.failed.json").read_text())["status"]
        == "failed at step image"
    )


def test_a_full_disk_under_the_step_log_stops_the_build_in_one_line(
    names: Names, tmp_path: Path, docker_client: Any
) -> None:
    with small_tmpfs(tmp_path / "logs") as logs:
        good, before = good_receipt(logs)
        (logs / "none-cuda12.8").mkdir()
        fill(logs, leave_pages=1)  # the command line fits, BuildKit's output does not
        r = build(names, logs, "--force")  # --force: no build keys, which live on the same disk
        assert r.returncode == 1, r.stdout[-2000:] + r.stderr
        log = logs / "none-cuda12.8" / "image.log"
        assert error_lines(r.stderr) == [
            "error: step 1/1 (image: none image (Dockerfile, stage runtime)) failed: "
            f"the step log {log} could not be written (No space left on device); the step was stopped "
            "(free space there, or point --log-dir elsewhere)"
        ]
        assert (
            f"no receipt of this build written under {logs / 'receipts'} (No space left on device)"
            in r.stderr
        )
        assert good.read_bytes() == before
        assert sorted(p.name for p in (logs / "receipts").iterdir()) == [good.name]  # nothing torn
        assert log.read_text().startswith("$ docker buildx build")
    assert docker_processes(names.token) == ""


def test_a_full_disk_under_the_receipts_keeps_the_last_good_one(
    names: Names, tmp_path: Path, docker_client: Any
) -> None:
    logs = tmp_path / "logs"
    with small_tmpfs(logs / "receipts"):
        good, before = good_receipt(logs)
        fill(logs / "receipts", leave_pages=0)
        r = build(names, logs)
        assert r.returncode == 0, r.stderr  # the image was built: a missing receipt is a warning
        assert error_lines(r.stderr) == []
        assert (
            f"warning: no receipt of this build written under {logs / 'receipts'} (No space left on device); "
            "the receipts there stay as they were"
        ) in r.stderr.splitlines()
        assert good.read_bytes() == before
        assert sorted(p.name for p in (logs / "receipts").iterdir()) == sorted(["filler", good.name])
