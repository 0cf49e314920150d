"""Every row builds with the snapshot's effective build args (apart from the ledger's fixes).

Effective value of an ARG a step's Dockerfile declares: what the planner passes, else the
Dockerfile's default, else "". Compared, for every framework x CUDA row and target, with what
upstream's build.sh and Dockerfiles made of the same row (tests/contract/snapshot.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.buildcontext.dockerfiles import load
from dynamo_container.buildcontext.git import VersionInfo
from dynamo_container.config import load_config
from dynamo_container.model import catalog
from dynamo_container.plan.model import BuildPlan
from dynamo_container.resolve.build import Host
from tests.contract import snapshot
from tests.helpers import PROJECT, plan_of

VERSION = VersionInfo("v1.0.0", "1.0.0", "f" * 40, "fffffff", True)
UID, GID = 4242, 4343
TARGETS = ("runtime", "dev", "local-dev")


def effective_args(plan: BuildPlan) -> dict[str, set[str]]:
    """ARG name -> the values it takes in the plan's build steps (one value unless steps disagree)."""
    out: dict[str, set[str]] = {}
    for step in plan.steps:
        df = load(Path(step.dockerfile or ""))
        passed = dict(step.build_args)
        for name in df.declared_args():
            defaults = df.arg_defaults.get(name, ("",))
            value = passed[name] if name in passed else defaults[0]
            out.setdefault(name, set()).add(value)
    return out


def expected_args(framework: str, cuda: str, target: str) -> dict[str, str]:
    expected = dict(snapshot.ROWS[(framework, cuda)])
    if target in ("dev", "local-dev"):
        expected |= {**snapshot.DEV_TARGET, "FRAMEWORK": framework}
    if target == "local-dev":
        expected |= {"USER_UID": str(UID), "USER_GID": str(GID)}
    substitutions = {"<sha>": VERSION.commit}
    return {k: substitutions.get(v, v) for k, v in expected.items()}


def rows() -> list[tuple[str, str, str]]:
    return [(v.framework, v.cuda, t) for v in catalog.VARIANTS for t in TARGETS]


def test_the_test_data_covers_every_row() -> None:
    assert set(snapshot.ROWS) == {(v.framework, v.cuda) for v in catalog.VARIANTS}


@pytest.mark.parametrize(("framework", "cuda", "target"), rows())
def test_effective_build_args_equal_the_snapshots(framework: str, cuda: str, target: str) -> None:
    flags = {"framework": framework, "cuda_version": cuda, "target": target}
    plan = plan_of(load_config(PROJECT, environ={}, flags=flags), VERSION, host=Host(UID, GID))
    ours = effective_args(plan)
    for name, value in expected_args(framework, cuda, target).items():
        if name in snapshot.NOT_CARRIED:
            assert name not in ours, f"{name} is listed as not carried but is declared"
            continue
        assert name in ours, f"{framework} {cuda} {target}: the family does not declare {name}"
        want = snapshot.FIXED.get(name, value)
        assert ours[name] == {want}, (
            f"{framework} {cuda} {target}: {name} is {ours[name]}, the snapshot's {want}"
        )


def test_not_carried_and_fixed_are_in_the_ledger() -> None:
    ledger = (PROJECT / "container/PINS.md").read_text()
    for name, value in snapshot.FIXED.items():
        assert f"| {name} | `{value}` |" in ledger
    assert "frontend stage of container/Dockerfile" in ledger and "one COPY" in ledger
