"""Run from a Dynamo checkout: the checkout found around the current folder, and where paths start."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dynamo_container.buildcontext.locate import find_checkout, git_top, is_dynamo_checkout
from dynamo_container.config import load_config
from dynamo_container.errors import ConfigError
from tests.helpers import PROJECT, STANDIN_CHECKOUT, git, make_repo, mark_checkout

SCRIPT = str(Path(sys.executable).parent / "dynamo-container")


def test_the_git_top_level_is_found_from_any_folder_inside(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    deep = repo / "a" / "b"
    deep.mkdir(parents=True)
    assert git_top(deep) == repo and git_top(repo) == repo
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(worktree))
    assert (worktree / ".git").is_file() and git_top(worktree) == worktree
    assert git_top(Path("/")) is None


def test_a_checkout_is_recognised_by_its_files(tmp_path: Path) -> None:
    plain = make_repo(tmp_path / "plain")
    assert not is_dynamo_checkout(plain) and find_checkout(plain) is None
    assert find_checkout(PROJECT) is None  # this tool's repository is not a Dynamo checkout
    assert find_checkout(STANDIN_CHECKOUT) is None  # inside this repository: its top level is ours
    copy = tmp_path / "standin"
    shutil.copytree(STANDIN_CHECKOUT, copy)
    assert find_checkout(copy) is None  # not a git checkout yet
    git(copy, "init", "-q")
    (copy / "components" / "src").mkdir(exist_ok=True)
    assert find_checkout(copy / "components" / "src") == copy


def test_upstream_checkouts_have_every_marker() -> None:
    from dynamo_container.buildcontext.locate import CHECKOUT_MARKERS

    manifest = (PROJECT / "tests/fixtures/upstream/manifest-3b9b3f31c.txt").read_text()
    for marker in CHECKOUT_MARKERS:
        assert f"\n{marker}" in f"\n{manifest}", marker


def test_paths_start_at_the_env_file_folder_or_the_current_folder(tmp_path: Path) -> None:
    root, cwd, profiles = tmp_path / "root", tmp_path / "here", tmp_path / "profiles"
    for folder in (root, cwd, profiles):
        folder.mkdir()
    (root / ".env").write_text("DYNAMO_LOG_DIR=logs\nDYNAMO_CONTAINER_ENV_FILE=ce.env\n")
    (profiles / "p.env").write_text(
        "DYNAMO_CONTEXT=../dynamo\nDYNAMO_BUILD_CONTEXTS='a=extra b=docker-image://alpine:3'\n"
        "DYNAMO_VOLUMES='./data:/data models:/models /abs:/abs'\nDYNAMO_HF_CACHE=none\n"
    )
    cfg = load_config(root, env_file="../profiles/p.env", environ={"DYNAMO_TRTLLM_SRC_DIR": "src"}, cwd=cwd)
    s = cfg.s
    assert s.log_dir == str(root / "logs") and s.container_env_file == str(root / "ce.env")
    assert s.context == str(tmp_path / "dynamo")
    assert s.build_contexts == (f"a={profiles / 'extra'}", "b=docker-image://alpine:3")
    assert s.volumes == (f"{profiles / 'data'}:/data", "models:/models", "/abs:/abs")
    assert s.hf_cache == "none"
    assert s.trtllm_src_dir == str(cwd / "src")  # the environment: from the current folder
    flags = load_config(root, flags={"context": "ck", "log_dir": "~/l", "hf_cache": "hf"}, cwd=cwd).s
    assert flags.context == str(cwd / "ck") and flags.hf_cache == str(cwd / "hf")
    assert flags.log_dir == os.path.expanduser("~/l")


def test_defaults_are_shown_resolved_and_no_checkout_says_what_to_do(tmp_path: Path) -> None:
    cfg = load_config(tmp_path, environ={}, cwd=tmp_path / "x", default_context=None)
    assert cfg.s.log_dir == str(tmp_path / "build-logs")
    assert cfg.s.container_dir == str(PROJECT / "container")
    with pytest.raises(ConfigError) as refused:
        cfg.checkout()
    assert str(refused.value) == (
        f"no Dynamo checkout to build: {tmp_path / 'x'} is not inside one and no --context is given "
        "(run it in a Dynamo checkout, or give --context PATH or set DYNAMO_CONTEXT)"
    )
    assert load_config(tmp_path, environ={}).checkout() == tmp_path


def _tool(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    env |= {"DYNAMO_DOCKER_CLI": "/nonexistent/docker", "NO_COLOR": "1"}
    return subprocess.run([SCRIPT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_the_console_script_builds_the_checkout_around_the_current_folder(tmp_path: Path) -> None:
    checkout = mark_checkout(make_repo(tmp_path / "dynamo"))
    (checkout / ".env").write_text("DYNAMO_FRAMEWORK=sglang\nDYNAMO_LOG_DIR=../logs\n")
    (checkout / ".env.local").write_text("DYNAMO_TARGET=runtime\n")
    inside = checkout / "lib" / "bindings" / "python"
    shown = _tool(inside, "config", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["env_files"] == [".env", ".env.local"] and data["project"] == str(checkout)
    settings = {key: row["value"] for key, row in data["settings"].items()}
    assert settings["DYNAMO_CONTEXT"] == str(checkout)
    assert settings["DYNAMO_LOG_DIR"] == str(tmp_path / "logs")  # from the .env file's folder
    plan = _tool(inside, "plan", "--json")
    assert plan.returncode == 0, plan.stderr
    (combination,) = json.loads(plan.stdout)["combinations"]
    assert combination["framework"] == "sglang" and combination["target"] == "runtime"
    assert [step["argv"][-1] for step in combination["steps"]] == [str(checkout)] * 2
    assert combination["steps"][0]["argv"][combination["steps"][0]["argv"].index("--metadata-file") + 1] == (
        str(tmp_path / "logs" / "sglang-cuda12.9" / "base.metadata.json")
    )


def test_outside_a_checkout_without_context_one_line_says_so(tmp_path: Path) -> None:
    plain = make_repo(tmp_path / "plain")
    (plain / ".env").write_text("DYNAMO_FRAMEWORK=bogus\n")  # not a checkout: its .env is not read
    out = _tool(plain, "build", "--framework", "vllm", "--dry-run")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"error: no Dynamo checkout to build: {plain} is not inside one and no --context is given "
        "(run it in a Dynamo checkout, or give --context PATH or set DYNAMO_CONTEXT)"
    ]
    given = _tool(plain, "build", "--context", str(STANDIN_CHECKOUT), "--dry-run")
    assert given.returncode == 0, given.stderr
    assert f"context       {STANDIN_CHECKOUT}" in given.stdout
