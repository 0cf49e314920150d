"""NO_COLOR and TERM=dumb on a real terminal (a pty): not one escape code in what a build prints."""

from __future__ import annotations

import os
import pty
import select
import subprocess
from pathlib import Path

import pytest

from tests.helpers import PROJECT
from tests.integration.conftest import INVOKE, STANDIN_ENV, Names, invoke


def on_a_terminal(argv: list[str], env: dict[str, str]) -> bytes:
    """What `argv` writes to a terminal (stdout and stderr on one pty), to the end."""
    primary, secondary = pty.openpty()
    full = {
        k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_") and k not in ("CI", "NO_COLOR")
    }
    proc = subprocess.Popen(argv, cwd=PROJECT, env={**full, **env}, stdout=secondary, stderr=secondary)
    os.close(secondary)
    out = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 120)
        if not ready:
            proc.kill()
            pytest.fail("no output for 120 s")
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the pty is closed once every writer ended
            break
        if not chunk:
            break
        out += chunk
    os.close(primary)
    assert proc.wait(timeout=60) == 0, out.decode(errors="replace")[-3000:]
    return out


@pytest.mark.parametrize(
    ("env", "escapes"),
    [
        ({"NO_COLOR": "1", "TERM": "xterm-256color"}, False),
        ({"TERM": "dumb"}, False),
        ({"TERM": "xterm-256color"}, True),
    ],
    ids=["NO_COLOR", "TERM=dumb", "colour"],
)
def test_no_escape_code_without_colour(
    names: Names, tmp_path: Path, env: dict[str, str], escapes: bool
) -> None:
    env = {**names.env(), "DYNAMO_LOG_DIR": str(tmp_path / "logs"), "COLUMNS": "100", **env}
    built = invoke("build", "--env-file", STANDIN_ENV, "--framework", "none", "--target", "runtime", env=env)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr
    out = b""
    for args in (
        ["build", "--framework", "none", "--target", "runtime", "--version", "0.0.2"],  # runs: a live view
        ["build", "--framework", "none", "--target", "runtime"],  # up to date
        ["config"],
    ):
        out += on_a_terminal([INVOKE, args[0], "--env-file", STANDIN_ENV, *args[1:]], env)
    assert (b"\x1b" in out or b"\x9b" in out) is escapes
    assert b"Summary" in out and b"DYNAMO_PROGRESS" in out
