"""A real build whose reader went away (`invoke build ... | head -0`): the build still finishes.

The tool's output becomes a sink when its pipe closes; docker's build goes on, the image is tagged and
the receipt written, and the tool ends with the pipe's status (141), as a shell tool would, with no
traceback on stderr.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from dynamo_container.report.guard import PIPE_STATUS
from tests.helpers import PROJECT
from tests.integration.conftest import INVOKE, STANDIN_ENV, Names


def test_a_build_into_a_closed_pipe_finishes_and_ends_with_the_pipe_status(
    names: Names, docker_client: Any, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    env |= names.env() | {"DYNAMO_LOG_DIR": str(tmp_path / "logs")}
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        r = subprocess.run(
            [INVOKE, "build", "--env-file", STANDIN_ENV, "--framework", "none", "--target", "runtime"],
            cwd=PROJECT,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    finally:
        os.close(write_end)
    assert r.returncode == PIPE_STATUS, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    tags = [t for image in docker_client.images.list() for t in image.tags if t.startswith(names.image + ":")]
    assert tags, "the build did not finish"
    assert list((tmp_path / "logs" / "receipts").glob("none-*.json")), "no receipt was written"
