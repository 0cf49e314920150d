"""The invoke tasks as a user types them: flags, dry run, JSON, errors, config."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from dynamo_container.settings import in_groups
from tests.helpers import PROJECT, make_repo, mark_checkout

INVOKE = str(Path(sys.executable).parent / "invoke")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Dynamo checkout made by the test, with our tasks.py in it (no developer .env files)."""
    root = mark_checkout(make_repo(tmp_path / "proj"))
    (root / "tasks.py").write_text((PROJECT / "tasks.py").read_text())
    (root / "container").symlink_to(PROJECT / "container")
    return root


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_") and k not in ("HF_TOKEN",)}
    # a docker CLI that does not exist: dry runs show the buildx form without probing an engine
    base.update({"DYNAMO_DOCKER_CLI": "/nonexistent/docker", "NO_COLOR": "1"})
    base.update(env or {})
    return subprocess.run([INVOKE, *args], cwd=root, env=base, capture_output=True, text=True, timeout=60)


def commands_from(stdout: str) -> list[list[str]]:
    """The docker commands a dry run printed, parsed back the way a shell would."""
    blocks = stdout.split("\nStep ")[1:]
    out = []
    for block in blocks:
        text = block.split("\n", 1)[1].split("\n\n")[0]
        out.append(shlex.split(text.replace("\\\n", " ")))
    return out


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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--framework", "foo"],
            "error: --framework: unknown framework 'foo' (choose one of: none, vllm, sglang, trtllm)",
        ),
        (["--uid", "12"], "error: --uid and --gid can only be used with --dev-image or --target local-dev"),
        (
            ["--use-sccache", "--sccache-bucket", "b"],
            "error: --sccache-region is required with --use-sccache",
        ),
        (
            ["--enable-kvbm", "--disable-kvbm"],
            "error: --enable-kvbm and --disable-kvbm contradict each other",
        ),
        (["--build-arg", "HF_TOKEN=x"], "error: --build-arg HF_TOKEN looks like a credential"),
        (["--cuda-version", "11.8"], "error: CUDA 11.8 is not available for vllm"),
    ],
)
def test_errors_are_one_line_on_stderr(project: Path, args: list[str], message: str) -> None:
    r = run(project, "build", *args, "--dry-run")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith(message)
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_json_needs_dry_run(project: Path) -> None:
    r = run(project, "build", "--json")
    assert r.returncode == 1 and "--json prints the plan of a dry run (add --dry-run)" in r.stderr


def test_env_file_errors_name_file_and_line(project: Path) -> None:
    (project / "ci.env").write_text("DYNAMO_FRAMEWORK=sglang\nDYNAMO_TRAGET=runtime\n")
    r = run(project, "build", "--env-file", "ci.env", "--dry-run")
    assert r.returncode == 1
    assert r.stderr.strip() == "error: ci.env:2: unknown setting DYNAMO_TRAGET; did you mean DYNAMO_TARGET?"


def test_env_file_and_environment_reach_the_plan(project: Path) -> None:
    (project / ".env").write_text("DYNAMO_FRAMEWORK=sglang\n")
    (project / "ci.env").write_text("DYNAMO_TARGET=runtime\nHF_TOKEN=hf_fromfile\n")
    r = run(
        project, "build", "--env-file", "ci.env", "--dry-run", "--json", env={"DYNAMO_NO_TAG_LATEST": "1"}
    )
    data = json.loads(r.stdout)
    assert data["framework"] == "sglang" and data["target"] == "runtime"
    assert len(data["steps"][1]["tags"]) == 1
    assert data["steps"][1]["secrets"] == ["hf-token"] and "hf_fromfile" not in r.stdout


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


def test_config_shows_value_and_source(project: Path) -> None:
    (project / ".env").write_text("DYNAMO_FRAMEWORK=trtllm\nGITHUB_TOKEN=ghp_file\n")
    r = run(project, "config", "--json", "--platform", "linux/arm64", env={"DYNAMO_TAG": "t:1"})
    data = json.loads(r.stdout)["settings"]
    assert data["DYNAMO_FRAMEWORK"] == {"value": "trtllm", "source": ".env:1"}
    assert data["DYNAMO_PLATFORM"] == {"value": "linux/arm64", "source": "flag --platform"}
    assert data["DYNAMO_TAG"] == {"value": "t:1", "source": "environment"}
    assert data["DYNAMO_BASE_IMAGE"] == {
        "value": "nvcr.io/nvidia/pytorch",
        "source": "default (matrix: trtllm)",
    }
    assert data["GITHUB_TOKEN"]["value"] == "(set, hidden)" and "ghp_file" not in r.stdout
    table = run(project, "config")
    assert table.returncode == 0
    assert "DYNAMO_FRAMEWORK" in table.stdout and ".env:1" in table.stdout and "ghp_file" not in table.stdout


def test_run_flags_as_typed(project: Path) -> None:
    (project / "data").mkdir()
    r = run(
        project,
        "run",
        "--image",
        "img:1",
        "-it",
        "-e",
        "A=1",
        "-e",
        "B",
        "-v",
        "./data:/d",
        "--gpus",
        "0,1",
        "--dry-run",
        "--json",
        "--",
        "python3",
        "-c",
        "print('a b')",
    )
    data = json.loads(r.stdout)
    argv = data["argv"]
    assert argv[:5] == ["/nonexistent/docker", "run", "--gpus", '"device=0,1"', "-it"]
    assert argv[-4:] == ["img:1", "python3", "-c", "print('a b')"]
    assert argv[argv.index("A=1") - 1] == "-e"
    assert f"{project / 'data'}:/d" in argv
    text = run(project, "run", "--image", "img:1", "--gpus", "none", "--dry-run", "--", "echo", "x y")
    assert text.returncode == 0
    assert shlex.split(text.stdout.replace("\\\n", " "))[-3:] == ["img:1", "echo", "x y"]


def test_run_errors(project: Path) -> None:
    r = run(project, "run", "--user", "a b", "--dry-run")
    assert r.returncode == 1 and r.stderr.startswith("error: --user 'a b' is not a user")
    r = run(project, "run", "-e", "GITHUB_TOKEN=ghp_x", "--dry-run")
    assert r.returncode == 1 and "by name: -e GITHUB_TOKEN" in r.stderr and "ghp_x" not in r.stderr
    r = run(project, "run", "--json")
    assert r.returncode == 1 and "add --dry-run" in r.stderr


def test_cheap_argument_copies_repeatable_values_apart() -> None:
    import copy

    from dynamo_container.tasks.cli import CheapArgument

    arg = CheapArgument(names=["build-arg"], kind=list, default=[])
    arg.value = "A=1"  # invoke appends each occurrence of a repeatable flag to a list in `_value`
    twin = copy.deepcopy(arg)
    twin.value = "B=2"
    assert arg.value == ["A=1"] and twin.value == ["A=1", "B=2"]
    assert repr(arg) == "--build-arg"


def test_plan_bake_dash_prints_the_bake_file_and_writes_nothing(project: Path) -> None:
    before = sorted(p.name for p in project.iterdir())
    r = run(project, "plan", "--framework", "vllm", "--target", "runtime", "--bake", "-")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)) == {"group", "target"}
    assert sorted(p.name for p in project.iterdir()) == before  # no file named "-"
    both = run(project, "plan", "--bake", "-", "--json")
    assert both.returncode == 1 and "--bake - and --json both print to standard output" in both.stderr
