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


def test_the_report_layer_takes_typed_plans_and_results() -> None:
    """report.console and execute.receipts name the plan and result types, so strict mypy checks
    every use: no parameter for a plan, a result or the engine is untyped or `Any`."""
    import ast

    from tests.helpers import PROJECT

    typed = {"plan", "mplan", "plans", "results", "result", "engine"}
    loose = []
    for module in ("report/console.py", "execute/receipts.py"):
        tree = ast.parse((PROJECT / "dynamo_container" / module).read_text())
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            for arg in fn.args.args + fn.args.kwonlyargs:
                text = ast.unparse(arg.annotation) if arg.annotation else ""
                if arg.arg in typed and (not text or "Any" in text):
                    loose.append(f"{module} {fn.name}({arg.arg}: {text or 'untyped'})")
    assert loose == []


def test_every_plan_is_an_any_plan(repo: Path) -> None:
    """plan.model.AnyPlan (what a task prints, runs or writes as --json) fits all four plans."""
    from dynamo_container.plan.matrix import MatrixPlan
    from dynamo_container.plan.model import AnyPlan, TaskPlan
    from dynamo_container.plan.run import RunPlan

    build = plan(repo, target="runtime")
    run = RunPlan(("docker", "run", "--", "i"), "i", True, False, "", "", (), ())
    for p in (build, MatrixPlan.of(build), TaskPlan(build.steps, build.summary), run):
        assert isinstance(p, AnyPlan) and isinstance(p.to_json(), dict)
        assert isinstance(p.warnings, tuple)
