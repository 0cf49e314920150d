"""`invoke config`: every setting with its value and where it came from, credentials hidden."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.tasks.shell import run


def test_config_shows_value_and_source(project: Path) -> None:
    (project / ".env").write_text("DYNAMO_FRAMEWORK=trtllm\nGITHUB_TOKEN=ghp_file\n")
    r = run(project, "config", "--json", "--platform", "linux/arm64", env={"DYNAMO_TAG": "t:1"})
    data = json.loads(r.stdout)["settings"]
    assert data["DYNAMO_FRAMEWORK"] == {"value": "trtllm", "source": ".env:1"}
    assert data["DYNAMO_PLATFORM"] == {"value": "linux/arm64", "source": "flag --platform"}
    assert data["DYNAMO_TAG"] == {"value": "t:1", "source": "environment"}
    assert data["DYNAMO_BASE_IMAGE"] == {
        "value": "nvcr.io/nvidia/pytorch",
        "source": "default (matrix: trtllm)",
    }
    assert data["GITHUB_TOKEN"]["value"] == "(set, hidden)" and "ghp_file" not in r.stdout
    table = run(project, "config")
    assert table.returncode == 0
    assert "DYNAMO_FRAMEWORK" in table.stdout and ".env:1" in table.stdout and "ghp_file" not in table.stdout
