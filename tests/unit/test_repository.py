"""Promises the repository makes about itself: CI runs the README's commands, files stay in sync."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path
from types import ModuleType

from dynamo_container.model import catalog
from tests.helpers import PROJECT


def readme_commands() -> list[str]:
    """The indented command lines of the README's set-up section."""
    text = (PROJECT / "README.md").read_text()
    section = text.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_has_exactly_two_setup_commands() -> None:
    assert readme_commands() == [
        "scripts/quickstart",
        "scripts/setup && .venv/bin/nox -s lint typecheck tests resolve smoke",
    ]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (PROJECT / ".ci/run").read_text().splitlines()
    assert readme_commands()[1] in ci


def test_scripts_are_executable_bash_with_strict_mode() -> None:
    for name in ("setup", "quickstart", "engine-up", "registry-up", "stand-in-base"):
        path = PROJECT / "scripts" / name
        assert path.stat().st_mode & 0o111, name
        text = path.read_text()
        assert text.startswith("#!/usr/bin/env bash"), name
        assert re.search(r"^set -euo pipefail$", text, re.M), name


def _benchmark_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", PROJECT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_runner_reads_receipts_by_the_name_builds_give_them(tmp_path: Path) -> None:
    """`nox -s bench` is not in CI: this keeps its imports and its receipt lookup in step with the tool."""
    bench = _benchmark_runner().Bench(quick=True)
    shutil.rmtree(bench.tmp)
    receipts = tmp_path / "receipts"
    receipts.mkdir()
    name = catalog.build_name("vllm", "12.9", "runtime")
    (receipts / f"{name}.json").write_text(json.dumps({"steps": [{"up_to_date": True}]}))
    plan = {"framework": "vllm", "cuda_version": "12.9", "target": "runtime"}
    assert bench.up_to_date(plan, {"DYNAMO_LOG_DIR": str(tmp_path)}) is True
