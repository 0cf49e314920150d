"""Matrix builds (resolve/matrix.py, plan/matrix.py), bake export and receipts, as plans (no engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynamo_container import matrix
from dynamo_container.bake import to_bake
from dynamo_container.errors import ConfigError
from dynamo_container.execute_matrix import default_jobs
from dynamo_container.frontend import Frontend
from dynamo_container.plan import MatrixPlan, plan_matrix
from dynamo_container.receipts import diff_receipts, receipt_name
from dynamo_container.resolve import combinations, is_matrix, resolve_matrix
from dynamo_container.secrets import redact
from dynamo_container.version import describe
from tests.helpers import HOST, PROJECT, config

CONTAINER = str(PROJECT / "container")


def mplan(root: Path, **flags: object) -> MatrixPlan:
    cfg = config(root, container_dir=CONTAINER, **flags)
    return plan_matrix(resolve_matrix(cfg, describe(root), Frontend(), HOST))


def keys(combos: list[tuple[str, str]]) -> list[str]:
    return [f"{fw}-cuda{cuda}" for fw, cuda in combos]


def test_combinations(repo: Path) -> None:
    c, w = combinations(config(repo, framework="vllm,sglang", cuda_version="all"))
    assert keys(c) == ["vllm-cuda12.9", "vllm-cuda13.0", "sglang-cuda12.9", "sglang-cuda13.0"] and w == []
    c, w = combinations(config(repo, framework="all"))
    assert keys(c) == [f"{fw}-cuda{matrix.framework(fw).default_cuda}" for fw in matrix.FRAMEWORKS]
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


def test_default_jobs_is_bounded() -> None:
    import os

    assert 1 <= default_jobs() <= (os.cpu_count() or 1)


def test_each_combination_is_an_ordinary_plan_with_its_own_logs(repo: Path) -> None:
    m = mplan(repo, framework="vllm,sglang", target="runtime")
    assert [p.key for p in m.plans] == ["vllm-cuda12.9", "sglang-cuda12.9"]
    vllm = m.plans[0]
    assert vllm.steps[1].log == str(repo / "build-logs" / "vllm-cuda12.9" / "framework.log")
    assert m.plans[0].steps[0].argv != m.plans[1].steps[0].argv  # each framework's own step 1
    assert m.to_json()["combinations"][1]["key"] == "sglang-cuda12.9"


def test_tag_is_refused_for_a_matrix(repo: Path) -> None:
    with pytest.raises(ConfigError, match="--tag names one image"):
        mplan(repo, framework="vllm,sglang", tag="x:1")


def test_bake_file_links_the_chain(repo: Path) -> None:
    m = mplan(repo, framework="vllm,none", target="local-dev", make_efa=True, cache_to=("type=inline",))
    bake = to_bake(m, cache_to=("type=inline",))
    targets = bake["target"]
    assert bake["group"]["default"]["targets"] == ["vllm-cuda12_9-efa", "none-cuda12_8-efa"]
    fw = targets["vllm-cuda12_9-framework"]
    base_tag = m.plans[0].steps[0].tags[0]
    tooling = {"tooling": CONTAINER}
    assert fw["contexts"] == {**tooling, base_tag: "target:vllm-cuda12_9-base"}
    assert fw["args"]["DYNAMO_BASE_IMAGE"] == base_tag and fw["cache-to"] == ["type=inline"]
    assert "cache-to" not in targets["vllm-cuda12_9-local-dev"]
    dev_tag = m.plans[0].steps[1].tags[0]
    assert targets["vllm-cuda12_9-local-dev"]["contexts"] == {
        **tooling,
        dev_tag: "target:vllm-cuda12_9-framework",
    }
    assert "none-cuda12_8-base" not in targets  # framework none has no base step
    json.dumps(bake)


def test_receipt_helpers() -> None:
    assert receipt_name("vllm", "12.9", "") == "vllm-12.9-dev"
    assert redact({"a": ["x hf_secret y"], "b": "ok"}, ["hf_secret", "no"]) == {"a": ["x **** y"], "b": "ok"}
    a = {
        "framework": "vllm",
        "commit": "c1",
        "dirty": False,
        "base_images": {"b:1": "sha256:1"},
        "plan": {"steps": [{"name": "base", "build_args": {"X": "1", "Y": "2"}, "dockerfile": "D"}]},
        "images": {"t": "sha256:a"},
        "steps": [{"name": "base", "cached": 0, "total": 5, "seconds": 10.0}],
    }
    b = {
        "framework": "vllm",
        "commit": "c2",
        "dirty": True,
        "base_images": {"b:1": "sha256:2"},
        "plan": {"steps": [{"name": "base", "build_args": {"X": "1", "Z": "3"}, "dockerfile": "D"}]},
        "images": {"t": "sha256:b"},
        "steps": [{"name": "base", "cached": 5, "total": 5, "seconds": 0.5}],
    }
    assert diff_receipts(a, b) == [
        "commit: c1 -> c2",
        "dirty: False -> True",
        "base image b:1: sha256:1 -> sha256:2",
        "step base build arg Y: only in A (2)",
        "step base build arg Z: only in B (3)",
        "image t: sha256:a -> sha256:b",
        "step base cache: 0/5 -> 5/5 cached",
        "step base time: 10.0s -> 0.5s",
    ]
