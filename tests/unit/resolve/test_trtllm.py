"""resolve/trtllm.py: the wheel request from the settings, and when a built wheel can be reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.resolve.trtllm import reusable, wheel_request
from tests.helpers import config


def test_reuse_needs_one_wheel_and_a_matching_commit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert reusable(out, "amd64", "c1") == ""
    (out / "tensorrt_llm-1.0-py3-none-any.whl").write_bytes(b"")
    (out / "commit.txt").write_text("amd64_c1\n")
    assert reusable(out, "amd64", "c1").startswith("tensorrt_llm-1.0-py3-none-any.whl")
    assert reusable(out, "arm64", "c1") == "" and reusable(out, "amd64", "c2") == ""
    (out / "tensorrt_llm-2.0-py3-none-any.whl").write_bytes(b"")
    assert reusable(out, "amd64", "c1") == ""  # two wheels: which one?


def test_wheel_request_from_settings(tmp_path: Path) -> None:
    req = wheel_request(config(tmp_path, platform="linux/arm64"), commit="abc", output_dir="w")
    assert (req.arch, req.commit, req.output_dir) == ("arm64", "abc", tmp_path / "w")
    assert wheel_request(config(tmp_path), commit="abc", arch="x86_64").arch == "amd64"
    with pytest.raises(ConfigError, match="is not an architecture"):
        wheel_request(config(tmp_path), commit="abc", arch="ppc64le")
    with pytest.raises(ConfigError, match="commit is empty"):
        wheel_request(config(tmp_path), commit=" ")
