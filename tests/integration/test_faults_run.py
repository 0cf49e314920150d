"""`invoke run` leaves no HF cache folder behind when the run is refused, by the tool or by docker.

The tool's own checks (image, GPUs, ulimits, name) run before the folder is made; docker's (an
unknown network, a user the image does not have) come only when it runs: exit 125, and the folder
the run made is taken back.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import STANDIN_BASE, STANDIN_ENV, invoke


def run(*args: str) -> Any:
    return invoke("run", "--env-file", STANDIN_ENV, "--gpus", "none", *args)


@pytest.mark.parametrize("refusal", ["unknown-network", "user-not-in-image"])
def test_a_run_docker_refuses_leaves_no_hf_cache(refusal: str, tmp_path: Path, docker_client: Any) -> None:
    options = {
        "unknown-network": ["--network", f"dyntest-no-net-{uuid.uuid4().hex[:8]}"],
        "user-not-in-image": ["--user", "dyntest-nobody"],  # only the image's passwd can tell
    }[refusal]
    hf = tmp_path / "home" / "cache" / "hf"
    (tmp_path / "home").mkdir()
    r = run("--image", STANDIN_BASE, "--hf-cache", str(hf), *options, "--", "true")
    assert r.returncode == 125, r.stderr  # docker's own code
    assert "Traceback" not in r.stderr
    assert list((tmp_path / "home").iterdir()) == []


def test_a_run_the_tool_refuses_leaves_no_hf_cache(tmp_path: Path, docker_client: Any) -> None:
    hf = tmp_path / "cache" / "hf"
    r = run("--image", f"dyntest-absent-{uuid.uuid4().hex[:8]}:x", "--hf-cache", str(hf), "--", "true")
    assert r.returncode == 1 and "is not present on this engine" in r.stderr
    assert not (tmp_path / "cache").exists()


def test_a_run_that_ran_keeps_its_hf_cache(tmp_path: Path, docker_client: Any) -> None:
    hf = tmp_path / "cache" / "hf"
    r = run("--image", STANDIN_BASE, "--hf-cache", str(hf), "--", "sh", "-c", "exit 3")
    assert r.returncode == 3 and hf.is_dir()


def test_an_hf_cache_that_cannot_be_made_is_one_line_and_nothing_runs(
    tmp_path: Path, docker_client: Any
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    name = f"dyntest-run-{uuid.uuid4().hex[:8]}"
    r = run("--image", STANDIN_BASE, "--hf-cache", str(blocker / "hf"), "--name", name, "--", "true")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"error: cannot create {blocker / 'hf'}, which the run mounts as the HF cache (Not a directory) "
        "(point --hf-cache (or HF_HOME) at a folder you can write, or pass --hf-cache none)"
    ]
    assert docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}) == []
