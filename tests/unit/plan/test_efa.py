"""`invoke efa`: the EFA layer on an existing image (resolve/efa.py, plan/efa.py)."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.model import catalog
from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.efa import plan_efa
from dynamo_container.resolve.efa import resolve_efa
from tests.helpers import PROJECT, config


def efa(tmp_path: Path, image: str, **flags: str) -> object:
    cfg = config(tmp_path, image=image, container_dir=str(PROJECT / "container"), **flags)
    return plan_efa(resolve_efa(cfg, Frontend()))


def test_efa_plan(tmp_path: Path) -> None:
    p = efa(tmp_path, "reg.example/dyn:rc1-vllm-runtime", platform="linux/arm64")
    (step,) = p.steps  # type: ignore[attr-defined]
    assert step.tags == ("reg.example/dyn:rc1-vllm-runtime-aws",)
    assert dict(step.build_args) == {
        "BASE_IMAGE": "reg.example/dyn:rc1-vllm-runtime",
        "EFA_VERSION": catalog.EFA_VERSION,
    }
    assert step.target == "runtime-aws" and step.platform == "linux/arm64"
    assert dict(step.contexts) == {"tooling": str(PROJECT / "container")}
    other = efa(tmp_path, "img").steps[0]  # type: ignore[attr-defined]
    assert other.tags == ("img:latest-aws",) and other.target == "dev-aws"
    local = efa(tmp_path, "dynamo:latest-vllm-local-dev").steps[0]  # type: ignore[attr-defined]
    assert local.target == "runtime-aws"  # back to the remapped dynamo user
