"""Smoke checks: the pure comparisons, and nox sessions generated from the matrix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dynamo_container.checks.smoke import build_arg_mismatches, label_mismatches, parse_build_info
from dynamo_container.model import catalog
from tests.helpers import PROJECT, plan


def test_parse_build_info_keeps_every_recorded_value() -> None:
    info = parse_build_info("STAGE=base\nCUDA_VERSION=12.9\nSTAGE=runtime\nNOTE=a=b\njunk\n")
    assert info == {"STAGE": {"base", "runtime"}, "CUDA_VERSION": {"12.9"}, "NOTE": {"a=b"}}


def test_label_mismatches(repo: Path) -> None:
    p = plan(repo, framework="sglang", target="runtime")
    good = {
        "org.opencontainers.image.revision": p.version.commit,
        "org.opencontainers.image.version": p.version.python_version,
        "ai.dynamo.framework": "sglang",
        "ai.dynamo.cuda-version": "12.9",
        "ai.dynamo.target": "runtime",
    }
    assert label_mismatches(good, p) == []
    bad = {**good, "ai.dynamo.framework": "vllm"}
    assert label_mismatches(bad, p) == ["label ai.dynamo.framework is 'vllm', the plan says 'sglang'"]


def test_build_arg_mismatches(repo: Path) -> None:
    p = plan(repo, framework="vllm", target="runtime", vllm_max_jobs="10")
    recorded = {"CUDA_VERSION": {"12.9"}, "MAX_JOBS": {"3"}, "UNPLANNED": {"x"}}
    assert build_arg_mismatches(recorded, p) == ["build arg MAX_JOBS: planned '10', the image recorded ['3']"]


def test_nox_sessions_come_from_the_matrix() -> None:
    def listed(*args: str) -> list[dict[str, object]]:
        out = subprocess.run(
            [str(Path(sys.executable).parent / "nox"), "--list", "--json", *args],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        )
        return list(json.loads(out.stdout))

    smoke = listed("-t", "smoke")
    assert sorted(str(s["session"]) for s in smoke) == sorted(
        f"smoke-{v.framework}(cuda='{v.cuda}')" for v in catalog.VARIANTS
    )
    assert all(s["tags"] == ["smoke"] and s["call_spec"] for s in smoke)
    assert [s["session"] for s in listed()] == ["lint", "typecheck", "tests"]
    assert [s["session"] for s in listed("-s", "smoke")] == ["smoke"]


def test_smoke_runs_without_gpus_or_the_nvidia_runtime_unless_tier_2_asks(tmp_path: Path) -> None:
    from dynamo_container.checks.smoke import Runner
    from dynamo_container.resolve.build import Host
    from dynamo_container.resolve.run import resolve_run
    from tests.helpers import config

    base = resolve_run(config(tmp_path), [], Host(1, 1), {})
    assert base.runtime == "nvidia" and base.gpus == "all"  # run.sh's defaults
    run = Runner(base, "img:1")
    plain = run.argv(["true"])
    assert "--runtime" not in plain and "--gpus" not in plain
    gpu = run.argv(["nvidia-smi", "-L"], gpus="all", runtime="nvidia")
    assert "--gpus" in gpu and gpu[gpu.index("--runtime") + 1] == "nvidia"
