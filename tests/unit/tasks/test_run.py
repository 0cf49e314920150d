"""`invoke run` as a user types it: flags in order, the command after `--`, refusals."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from tests.unit.tasks.shell import run


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
