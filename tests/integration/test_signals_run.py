"""SIGTERM to `invoke run` stops its container and --rm removes it, with and without a terminal.

The docker CLI (28 here, engine 26) passes the signals it receives to the container in both modes
(`docker run` and `docker run -t`/`-it` alike); the tool passes SIGTERM on to the CLI, --init passes
it to the command. The terminal case runs under `script`, which gives the tool a real pty. As in
test_signals_build.py, each test runs through the wrapper the library provides today and as the
plain `invoke` command, which passes once tasks/cli.py enters `terminate_as_interrupt()`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECT
from tests.integration.conftest import STANDIN_BASE, STANDIN_ENV
from tests.integration.test_signals_build import LAUNCHERS, command

MODES = ["no-terminal", "tty", "interactive-terminal"]


def containers(client: Any, name: str) -> list[Any]:
    return list(client.containers.list(all=True, filters={"name": f"^/{name}$"}))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_sigterm_stops_and_removes_the_container(
    launcher: str, mode: str, docker_client: Any, tmp_path: Path
) -> None:
    name = f"dyntest-run-{uuid.uuid4().hex[:8]}"
    args = ["run", "--env-file", STANDIN_ENV, "--image", STANDIN_BASE, "--gpus", "none", "--name", name]
    args += {"no-terminal": ["--no-tty"], "tty": ["--tty"], "interactive-terminal": ["-i", "--tty"]}[mode]
    argv = command(launcher, *args, "--", "sleep", "300")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    pid_file = tmp_path / "pid"
    if mode == "interactive-terminal":  # a real pty; the tool is the shell `script` runs, exec'd
        if shutil.which("script") is None:
            pytest.skip("util-linux script is needed for a terminal")
        line = f"echo $$ > {pid_file}; exec {shlex.join(argv)}"
        argv = ["script", "-qefc", line, "/dev/null"]
    proc = subprocess.Popen(
        argv, cwd=PROJECT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not docker_client.containers.list(filters={"name": f"^/{name}$"}):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.2)
        tool = int(pid_file.read_text()) if mode == "interactive-terminal" else proc.pid
        os.kill(tool, signal.SIGTERM)  # the tool alone, as a supervisor would
        out, err = proc.communicate(timeout=60)
        text = (out + err).decode(errors="replace")
        assert proc.returncode == 143, text
        # on a terminal the line may follow what docker left on it (a NUL, colour codes): from error: on
        errors = [line[line.index("error:") :].strip() for line in text.splitlines() if "error:" in line]
        assert errors == ["error: terminated by SIGTERM: the container exited with 143"], text
        assert "Traceback" not in text
        assert containers(docker_client, name) == []  # stopped, and removed by --rm
    finally:
        if proc.poll() is None:
            proc.kill()
        for c in containers(docker_client, name):
            c.remove(force=True)
