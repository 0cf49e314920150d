"""`invoke build`, the stage tasks and `invoke plan` as a user types them: dry run, JSON, help."""

from __future__ import annotations

import json
from pathlib import Path

from dynamo_container.settings import in_groups
from tests.unit.tasks.shell import commands_from, run


def test_dry_run_prints_summary_and_copy_pasteable_commands(project: Path) -> None:
    r = run(project, "build", "--framework", "sglang", "--target", "runtime", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "Configuration" in r.stdout and "sglang (CUDA 12.9, Python 3.12)" in r.stdout
    assert "Step 1/2: Dynamo base image" in r.stdout and "Step 2/2: sglang image" in r.stdout
    assert "--build-arg DYNAMO_BASE_IMAGE=dynamo-base:v0.6.1.dev." in r.stdout
    assert "\033[" not in r.stdout
    j = run(project, "build", "--framework", "sglang", "--target", "runtime", "--dry-run", "--json")
    plan = json.loads(j.stdout)
    assert commands_from(r.stdout) == [s["argv"] for s in plan["steps"]]
    assert "docker CLI '/nonexistent/docker' not found" in r.stderr


def test_dry_run_writes_nothing(project: Path) -> None:
    before = sorted(p for p in project.rglob("*") if ".git" not in p.parts)
    r = run(project, "build", "--framework", "trtllm", "--target", "local-dev", "--make-efa", "--dry-run")
    assert r.returncode == 0, r.stderr
    after = sorted(p for p in project.rglob("*") if ".git" not in p.parts and "__pycache__" not in p.parts)
    assert after == [p for p in before if "__pycache__" not in p.parts]


def test_json_plan(project: Path) -> None:
    r = run(
        project,
        "build",
        "--framework",
        "vllm",
        "--target",
        "runtime",
        "--build-arg",
        "A=1",
        "--build-arg",
        "B=2",
        "--dry-run",
        "--json",
    )
    data = json.loads(r.stdout)
    assert [s["name"] for s in data["steps"]] == ["base", "framework"]
    assert data["steps"][1]["build_args"]["A"] == "1" and data["steps"][1]["build_args"]["B"] == "2"
    assert r.stderr == ""


def test_json_needs_dry_run(project: Path) -> None:
    r = run(project, "build", "--json")
    assert r.returncode == 1 and "--json prints the plan of a dry run (add --dry-run)" in r.stderr


def test_stage_tasks(project: Path) -> None:
    for task, target, steps in (
        ("base", "base", 1),
        ("wheel", "wheel_builder", 1),
        ("framework", "framework", 2),
        ("runtime", "runtime", 2),
    ):
        r = run(project, task, "--framework", "vllm", "--dry-run", "--json")
        data = json.loads(r.stdout)
        assert data["target"] == target and len(data["steps"]) == steps, task
        assert data["steps"][-1]["target"] == target
    r = run(project, "runtime", "--target", "dev", "--dry-run")
    assert r.returncode != 0  # the stage tasks fix their target


def test_build_help_documents_every_flag(project: Path) -> None:
    r = run(project, "build", "--help")
    assert r.returncode == 0
    for spec in in_groups("build", "engine"):
        assert f"--{spec.flag}" in r.stdout, spec.flag
        if spec.negative_flag:
            assert f"--{spec.negative_flag}" in r.stdout
    assert "--env-file" in r.stdout and "--json" in r.stdout
    flat = "".join(r.stdout.split())  # help text wraps long words
    for spec in in_groups("build", "engine"):
        assert f"[env{spec.env_key}]" in flat, spec.env_key


def test_plan_bake_dash_prints_the_bake_file_and_writes_nothing(project: Path) -> None:
    before = sorted(p.name for p in project.iterdir())
    r = run(project, "plan", "--framework", "vllm", "--target", "runtime", "--bake", "-")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)) == {"group", "target"}
    assert sorted(p.name for p in project.iterdir()) == before  # no file named "-"
    both = run(project, "plan", "--bake", "-", "--json")
    assert both.returncode == 1 and "--bake - and --json both print to standard output" in both.stderr
