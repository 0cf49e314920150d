"""Running the tasks as a user types them: `invoke` in a Dynamo checkout made by the test."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

INVOKE = str(Path(sys.executable).parent / "invoke")


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_") and k not in ("HF_TOKEN",)}
    # a docker CLI that does not exist: dry runs show the buildx form without probing an engine
    base.update({"DYNAMO_DOCKER_CLI": "/nonexistent/docker", "NO_COLOR": "1"})
    base.update(env or {})
    return subprocess.run([INVOKE, *args], cwd=root, env=base, capture_output=True, text=True, timeout=60)


def commands_from(stdout: str) -> list[list[str]]:
    """The docker commands a dry run printed, parsed back the way a shell would."""
    blocks = stdout.split("\nStep ")[1:]
    out = []
    for block in blocks:
        text = block.split("\n", 1)[1].split("\n\n")[0]
        out.append(shlex.split(text.replace("\\\n", " ")))
    return out
