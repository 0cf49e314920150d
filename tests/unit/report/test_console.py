"""Printed commands: one flag with its value per line, so a dry run reads (and pastes) as it runs,
and commands of the tool itself named as the user runs it."""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path

import pytest

from dynamo_container.report import console
from dynamo_container.report.console import format_command
from tests.helpers import plan


def test_every_flag_the_planner_emits_gets_a_line_with_its_value(repo: Path) -> None:
    plans = [
        plan(repo, target="runtime", make_efa=True, push=True, registry="reg.example:5000/t"),
        plan(repo, target="local-dev", cache_from=("type=local,src=/c",), cache_to=("type=inline",)),
        plan(repo, framework="trtllm", tensorrtllm_git_url="https://g", tensorrtllm_commit="c"),
    ]
    for p in plans:
        for step in p.steps:
            text = format_command(step.argv, step.env)
            lines = text.split(" \\\n    ")
            if Path(step.argv[0]).name != "docker" or len(lines) == 1:
                continue
            for line in lines[1:-1]:  # a flag alone, or a flag and its value
                words = shlex.split(line)
                assert words[0].startswith("-") and len(words) <= 2, line
                assert len(words) == 1 or not words[1].startswith("-"), line
            last = shlex.split(lines[-1])  # `--` and the context (or the image): nothing else
            assert last[0] == "--" and not any(w.startswith("-") for w in last[1:]), lines[-1]
            assert shlex.split(text.replace(" \\\n    ", " ")) == [f"{k}={v}" for k, v in step.env] + list(
                step.argv
            )


@pytest.mark.parametrize(
    ("argv0", "program"),
    [("/venv/bin/dynamo-container", "dynamo-container"), ("/venv/bin/invoke", "invoke"), ("inv", "invoke")],
)
def test_a_command_to_type_names_the_program_the_user_ran(
    monkeypatch: pytest.MonkeyPatch, argv0: str, program: str
) -> None:
    monkeypatch.setattr(sys, "argv", [argv0, "build"])
    assert console.command("run --image x:1") == f"{program} run --image x:1"


def test_a_dry_run_ends_with_the_run_command_as_the_user_types_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["/venv/bin/dynamo-container", "build"])
    out = io.StringIO()
    p = plan(repo, framework="sglang", target="runtime")
    console.print_plan(p, out)
    assert out.getvalue().rstrip().endswith(f"After a build, run it with: dynamo-container {p.run_hint}")
