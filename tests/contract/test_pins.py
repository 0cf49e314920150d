"""The pin ledger (dynamo_container/model/pins.py) against the Dockerfiles, the matrix and the planner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildcontext.dockerfiles import load
from dynamo_container.buildcontext.git import VersionInfo
from dynamo_container.config import load_config
from dynamo_container.model import catalog, pins
from dynamo_container.plan.model import BuildPlan
from tests.helpers import PROJECT, plan_of

REAL = PROJECT / "container"
VERSION = VersionInfo("v1.0.0", "1.0.0", "0" * 40, "0000000", True)


def real_plan(**flags: Any) -> BuildPlan:
    return plan_of(load_config(PROJECT, environ={}, flags=flags), VERSION)


def planned_args(plan: BuildPlan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for step in plan.steps:
        for name, value in step.build_args:
            out.setdefault(name, set()).add(value)
    return out


@pytest.mark.parametrize("pin", [p for p in pins.PINS if p.carrier == "default"], ids=lambda p: p.name)
def test_default_pins_are_the_dockerfile_arg_defaults(pin: pins.Pin) -> None:
    for name in pin.files:
        defaults = load(REAL / name).arg_defaults.get(pin.name)
        assert defaults, f"{name} declares no default for {pin.name}"
        assert set(defaults) == {pin.value}, (
            f"{name}: {pin.name} defaults to {defaults}, the ledger says {pin.value}"
        )


@pytest.mark.parametrize("pin", [p for p in pins.PINS if p.carrier == "text"], ids=lambda p: p.name)
def test_text_pins_appear_in_their_files(pin: pins.Pin) -> None:
    for name in pin.files:
        assert pin.value in (REAL / name).read_text(), f"{pin.value} is not in container/{name}"


# The planner's build arg of each planner-carried pin (the others are rules, checked below).
PLANNER_ARGS = {
    "PYTHON_VERSION": "PYTHON_VERSION",
    "NIXL_REF": "NIXL_REF",
    "NIXL_UCX_REF": "NIXL_UCX_REF",
    "NIXL_GDRCOPY_REF": "NIXL_GDRCOPY_REF",
    "NIXL_LIBFABRIC_REF": "NIXL_LIBFABRIC_REF",
    "EFA_VERSION": "EFA_VERSION",
}


@pytest.mark.parametrize("name", sorted(PLANNER_ARGS))
def test_planner_pins_are_what_every_plan_passes(name: str) -> None:
    for variant in catalog.VARIANTS:
        plan = real_plan(
            framework=variant.framework, cuda_version=variant.cuda, target="runtime", make_efa=True
        )
        assert planned_args(plan)[PLANNER_ARGS[name]] == {pins.value(name)}, variant.key


def test_trtllm_pins_are_what_a_default_trtllm_plan_passes() -> None:
    args = planned_args(real_plan(framework="trtllm", target="runtime"))
    assert pins.value("TRTLLM_PIP_WHEEL (planner default)") == catalog.TRTLLM_PIP_WHEEL
    assert args["TRTLLM_WHEEL_IMAGE"] == {pins.value("TRTLLM_WHEEL_IMAGE (planner, download mode)")}
    assert args["GITHUB_TRTLLM_COMMIT"] == {pins.value("GITHUB_TRTLLM_COMMIT")}
    version = catalog.TRTLLM_PIP_WHEEL.partition("==")[2]
    assert version in pins.value("TRTLLM_ABI_INCOMPATIBLE_VERSIONS").split()


def test_every_planner_pin_is_checked() -> None:
    checked = set(PLANNER_ARGS) | {
        "TRTLLM_PIP_WHEEL (planner default)",
        "TRTLLM_WHEEL_IMAGE (planner, download mode)",
        "GITHUB_TRTLLM_COMMIT",
        "TRTLLM_ABI_INCOMPATIBLE_VERSIONS",
    }
    assert {p.name for p in pins.PINS if p.carrier == "planner"} == checked


@pytest.mark.parametrize("row", pins.ROWS, ids=lambda r: f"{r.framework}-{r.cuda}")
def test_rows_are_what_the_planner_passes(row: pins.RowPins) -> None:
    args = planned_args(real_plan(framework=row.framework, cuda_version=row.cuda, target="runtime"))
    assert args["BASE_IMAGE"] == {row.build_image} and args["BASE_IMAGE_TAG"] == {row.build_tag}
    if row.runtime_image:
        assert args["RUNTIME_IMAGE"] == {row.runtime_image}
        assert args["RUNTIME_IMAGE_TAG"] == {row.runtime_tag}
    else:
        assert "RUNTIME_IMAGE" not in args
    assert args.get("CUDA_VERSION", {""}) == {row.cuda_arg}


@pytest.mark.parametrize("framework", catalog.FRAMEWORKS)
def test_switches_are_what_the_planner_passes(framework: str) -> None:
    sw = pins.SWITCHES[framework]
    args = planned_args(real_plan(framework=framework, target="runtime"))
    assert args.get("ENABLE_KVBM") == ({"true"} if sw.kvbm else None)
    assert args.get("ENABLE_GPU_MEMORY_SERVICE") == ({"true"} if sw.gpu_memory_service else None)
    media = {"true" if sw.media else "false"}
    assert args["ENABLE_MEDIA_NIXL"] == args["ENABLE_MEDIA_FFMPEG"] == media


def test_every_difference_says_why() -> None:
    for pin in pins.PINS:
        assert bool(pin.why) == pin.differs, pin.name
        assert ":" in pin.source, pin.name
    assert all(d.what and d.why for d in pins.DIFFERENCES)


def test_the_ledger_file_is_generated_from_the_table() -> None:
    committed = (REAL / "PINS.md").read_text()
    assert committed == pins.ledger_markdown(), (
        "regenerate: python -m dynamo_container.model.pins > container/PINS.md"
    )


def test_ledger_names_every_source_file_that_exists_upstream() -> None:
    manifest = set((PROJECT / "tests/fixtures/upstream/manifest-3b9b3f31c.txt").read_text().split())
    for pin in pins.PINS:
        file = pin.source.split(":")[0]
        assert f"container/{file}" in manifest, pin.source
    for row in pins.ROWS:
        for ref in row.source.split("; "):
            assert f"container/{ref.split(':')[0]}" in manifest, row.source


def test_the_sccache_pin_is_what_use_sccache_installs() -> None:
    text = Path(REAL / "use-sccache.sh").read_text()
    assert f'SCCACHE_VERSION="${{SCCACHE_VERSION:-{pins.value("SCCACHE_VERSION")}}}"' in text
