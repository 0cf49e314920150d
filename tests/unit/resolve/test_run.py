"""resolve/run.py: `invoke run`'s values checked before anything runs (the command: plan/test_run.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.resolve.build import Host
from dynamo_container.resolve.run import RunRequest, gpus_value, resolve_run
from tests.helpers import config


def run(root: Path, **flags: object) -> RunRequest:
    return resolve_run(config(root, **flags), [], Host(1234, 5678), {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("all", "all"),
        ("2", "2"),
        ("0,1", '"device=0,1"'),
        ("GPU-abc-123", '"device=GPU-abc-123"'),
        ("device=3", '"device=3"'),
        ("none", ""),
        ("NONE", ""),
    ],
)
def test_gpus(tmp_path: Path, value: str, expected: str) -> None:
    assert gpus_value(config(tmp_path, gpus=value)) == expected


def test_bad_gpus(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a GPU request"):
        run(tmp_path, gpus="lots")


def test_missing_mount_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist on this machine"):
        run(tmp_path, volumes=("/nonexistent/x:/x",))
    with pytest.raises(ConfigError, match="not SRC:DST"):
        run(tmp_path, volumes=("/tmp",))


def test_the_request_carries_the_gpu_request_as_docker_takes_it(tmp_path: Path) -> None:
    assert run(tmp_path, gpus="0,1").gpus == '"device=0,1"'
    assert run(tmp_path, gpus="none").gpus == ""
