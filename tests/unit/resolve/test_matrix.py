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


def test_each_combination_arrives_as_catalog_objects(repo: Path) -> None:
    """The matrix resolves each combination from its Framework and Variant; the settings (a comma
    list) are never rewritten per combination, and a combination's request is a one-build's request."""
    from dynamo_container.model.frontend import Frontend
    from dynamo_container.resolve.checkout import read_checkout
    from dynamo_container.resolve.matrix import resolve_matrix
    from tests.helpers import HOST, PROJECT, request

    family = str(PROJECT / "container")
    cfg = config(repo, framework="vllm,sglang", cuda_version="all", container_dir=family)
    mreq = resolve_matrix(cfg, read_checkout(cfg), Frontend(), HOST)
    assert [(r.framework, r.variant) for r in mreq.requests] == [
        (catalog.framework(fw), catalog.find_variant(fw, cuda)) for fw, cuda in combinations(cfg)[0]
    ]
    assert cfg.s.framework == "vllm,sglang"  # the matrix's own settings, untouched
    first = mreq.requests[0]
    one = request(repo, framework=first.framework.name, cuda_version=first.variant.cuda)
    assert (one.framework, one.variant, one.images, one.names, one.log_dir) == (
        first.framework,
        first.variant,
        first.images,
        first.names,
        first.log_dir,
    )


def test_a_combination_request_does_not_read_the_framework_settings(repo: Path) -> None:
    from dynamo_container.model.frontend import Frontend
    from dynamo_container.resolve.build import resolve_combination
    from dynamo_container.resolve.checkout import read_checkout
    from tests.helpers import HOST, PROJECT

    cfg = config(repo, framework="all", cuda_version="all", container_dir=str(PROJECT / "container"))
    sglang = catalog.framework("sglang")
    variant = catalog.find_variant("sglang", sglang.default_cuda)
    assert variant is not None
    req = resolve_combination(cfg, sglang, variant, read_checkout(cfg), Frontend(), HOST)
    assert (req.framework.name, req.variant.cuda, req.key) == ("sglang", sglang.default_cuda, variant.key)
