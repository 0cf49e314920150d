"""The matrix resolve layer: which combinations a comma list or 'all' names, and what a matrix refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.resolve.matrix import combinations
from dynamo_container.resolve.values import is_matrix
from tests.helpers import config, mplan


def keys(combos: list[tuple[str, str]]) -> list[str]:
    return [f"{fw}-cuda{cuda}" for fw, cuda in combos]


def test_combinations(repo: Path) -> None:
    c, w = combinations(config(repo, framework="vllm,sglang", cuda_version="all"))
    assert keys(c) == ["vllm-cuda12.9", "vllm-cuda13.0", "sglang-cuda12.9", "sglang-cuda13.0"] and w == []
    c, w = combinations(config(repo, framework="all"))
    assert keys(c) == [f"{fw}-cuda{catalog.framework(fw).default_cuda}" for fw in catalog.FRAMEWORKS]
    c, w = combinations(config(repo, framework="vllm,trtllm", cuda_version="13.0,13.1"))
    assert keys(c) == ["vllm-cuda13.0", "trtllm-cuda13.1"]
    assert w == [
        "vllm has no CUDA 13.1: left out (valid: 12.9, 13.0)",
        "trtllm has no CUDA 13.0: left out (valid: 13.1)",
    ]
    with pytest.raises(ConfigError, match="no valid framework x CUDA combination"):
        combinations(config(repo, framework="trtllm", cuda_version="12.9,13.0"))
    with pytest.raises(ConfigError, match="unknown framework 'vlm'"):
        combinations(config(repo, framework="vllm,vlm"))
    with pytest.raises(ConfigError, match="all stands alone"):
        combinations(config(repo, framework="all,vllm"))
    assert is_matrix(config(repo, framework="vllm,sglang")) and is_matrix(config(repo, cuda_version="all"))
    assert not is_matrix(config(repo, framework="vllm", cuda_version="13.0"))


def test_tag_is_refused_for_a_matrix(repo: Path) -> None:
    with pytest.raises(ConfigError, match="--tag names one image"):
        mplan(repo, framework="vllm,sglang", tag="x:1")
