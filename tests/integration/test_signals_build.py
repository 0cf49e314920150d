"""SIGTERM to a real stand-in build does what Ctrl-C does: docker stopped, log closed, record, lock, 143.

A supervisor (CI cancelling a job, `kill`, systemd) sends SIGTERM to the tool alone; the build's
docker runs in a session of its own, so only the tool can stop it. Each test runs the tool twice
over: through a wrapper that puts the library's handler round invoke, and as the plain `invoke`
command, whose task wrapper (tasks/cli.py) enters `signals.terminate_as_interrupt()` itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECT
from tests.integration.conftest import INVOKE, STANDIN_ENV, Names, invoke

# The handler round the whole program, as an embedding application would use the library.
WRAPPER = f"""
import sys
from invoke.main import program
from dynamo_container.execute.signals import terminate_as_interrupt
sys.argv[0] = {INVOKE!r}
with terminate_as_interrupt():
    program.run()
"""
LAUNCHERS = [
    pytest.param("wrapper", id="wrapper"),
    pytest.param("invoke", id="invoke"),
]
STOP_LINE = "stopped: the tool received SIGTERM"


def command(launcher: str, *args: str) -> list[str]:
    return [sys.executable, "-c", WRAPPER, *args] if launcher == "wrapper" else [INVOKE, *args]


def family_with(tmp_path: Path, dockerfile: str, stage: str, instruction: str) -> Path:
    """A copy of the stand-in family with `instruction` added at the start of `stage`."""
    family = tmp_path / "family"
    shutil.copytree(PROJECT / "tests/fixtures/container", family)
    path = family / dockerfile
    head, sep, rest = path.read_text().partition(f" AS {stage}\n")
    assert sep, f"no stage {stage} in {dockerfile}"
    path.write_text(head + sep + instruction + "\n" + rest)
    return family


def start_slow_build(launcher: str, names: Names, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """A stand-in build (framework none, runtime) whose first RUN sleeps; returned once it sleeps."""
    family = family_with(tmp_path, "Dockerfile", "runtime", f"RUN echo slow-{names.token} && sleep 120")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    env |= {**names.env(), "DYNAMO_CONTAINER_DIR": str(family), "DYNAMO_LOG_DIR": str(tmp_path / "logs")}
    argv = ["build", "--env-file", STANDIN_ENV, "--framework", "none", "--target", "runtime", *args]
    proc = subprocess.Popen(
        command(launcher, *argv),
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 180
    for line in proc.stdout:
        if f"slow-{names.token}" in line and "#" in line and "0." in line:  # BuildKit ran the RUN
            return proc
        assert time.monotonic() < deadline, "the slow step never started"
    proc.kill()
    pytest.fail(f"the build ended before its slow step: {proc.communicate()[1]}")


def docker_processes(token: str) -> str:
    return subprocess.run(["pgrep", "-af", f"dyntest-{token}"], capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_sigterm_stops_the_build_records_it_and_exits_143(
    launcher: str, names: Names, tmp_path: Path, docker_client: Any
) -> None:
    proc = start_slow_build(launcher, names, tmp_path)
    try:
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)  # to the tool alone, as a supervisor does
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: terminated by SIGTERM: step 1/1 (image) was stopped; its log is "
    ), err
    assert docker_processes(names.token) == "", "a docker process of the build is still running"
    folder = tmp_path / "logs" / "none-cuda12.8"
    log = (folder / "image.log").read_text()
    assert f"slow-{names.token}" in log and log.splitlines()[-1] == STOP_LINE
    receipts = tmp_path / "logs" / "receipts"
    failed = json.loads((receipts / "none-cuda12.8-runtime.failed.json").read_text())
    assert failed["status"] == "terminated by SIGTERM"
    assert not (receipts / "none-cuda12.8-runtime.json").exists()
    assert not (folder / ".lock").exists()  # the folder is held without a lock file
    with pytest.raises(Exception):  # noqa: B017 - docker-py's ImageNotFound
        docker_client.images.get(f"{names.image}:latest-none-runtime")
    # the lock was released: the same combination builds at once, into the same log folder
    again = invoke(
        "build",
        "--env-file",
        STANDIN_ENV,
        "--framework",
        "none",
        "--target",
        "runtime",
        env={**names.env(), "DYNAMO_LOG_DIR": str(tmp_path / "logs")},
    )
    assert again.returncode == 0, again.stderr
    assert json.loads((receipts / "none-cuda12.8-runtime.json").read_text())["status"] == "built"
