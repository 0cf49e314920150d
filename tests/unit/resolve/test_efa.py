"""resolve/efa.py: the request of `invoke efa`, refused in one line where it cannot be planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.model.frontend import Frontend
from dynamo_container.resolve.efa import EfaRequest, resolve_efa
from tests.helpers import PROJECT, config


def efa(tmp_path: Path, image: str, **flags: str) -> EfaRequest:
    cfg = config(tmp_path, image=image, container_dir=str(PROJECT / "container"), **flags)
    return resolve_efa(cfg, Frontend())


def test_the_request_names_the_image_platform_and_family(tmp_path: Path) -> None:
    req = efa(tmp_path, "img:1", platform="linux/arm64")
    assert (req.image, req.platform, req.container) == ("img:1", "linux/arm64", PROJECT / "container")


def test_efa_refuses_what_it_cannot_plan(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--image: empty value"):
        efa(tmp_path, " ")
    with pytest.raises(ConfigError, match="unsupported platform 'linux/s390x'"):
        efa(tmp_path, "img", platform="linux/s390x")
