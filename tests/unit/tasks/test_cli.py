"""The task layer's shared behaviour: errors as one line, env files and the environment reaching a plan,
cheap argument copies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.tasks.shell import run


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


def test_cheap_argument_copies_repeatable_values_apart() -> None:
    import copy

    from dynamo_container.tasks.cli import CheapArgument

    arg = CheapArgument(names=["build-arg"], kind=list, default=[])
    arg.value = "A=1"  # invoke appends each occurrence of a repeatable flag to a list in `_value`
    twin = copy.deepcopy(arg)
    twin.value = "B=2"
    assert arg.value == ["A=1"] and twin.value == ["A=1", "B=2"]
    assert repr(arg) == "--build-arg"
