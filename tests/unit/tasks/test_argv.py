"""Command lines invoke's parser would misread (tasks/argv.py), fed for every flag of every task.

For each value-taking flag, a value that is itself a flag is offered in every spelling invoke splits
(`-p=--privileged`, `--port=--privileged`, `-p--privileged`) and as the next word (`-v --dry-run`);
each must be refused by name before invoke parses the line, while ordinary values pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.tasks import collection
from dynamo_container.tasks.argv import problem, runtime_config_problem
from tests.helpers import PROJECT

TASKS = collection(PROJECT, argv=[]).tasks
# (task, every spelling of one value-taking flag, its canonical --name)
VALUE_FLAGS = [
    (name, tuple(f"--{n}" if len(n) > 1 else f"-{n}" for n in arg.names), f"--{arg.names[0]}")
    for name, task in sorted(TASKS.items())
    for arg in task.get_arguments()
    if arg.takes_value
]
SWITCHES = ("--privileged", "--mount-workspace", "--dry-run", "--push", "--help")


def _other_flag(task: str) -> str:
    """A switch of `task` (the flag a hostile value would turn on)."""
    names = [n for a in TASKS[task].get_arguments() if not a.takes_value for n in a.names if len(n) > 1]
    return f"--{names[0]}" if names else "--help"


def _own_flags(task: str) -> list[str]:
    """Every spelling of every flag of `task`, the --no- forms too: what invoke reads as its flags."""
    from invoke.parser import ParserContext

    context = ParserContext(args=TASKS[task].get_arguments())
    return sorted([*context.flags, *context.inverse_flags])


def test_every_task_has_value_flags_to_check() -> None:
    assert {task for task, _, _ in VALUE_FLAGS} >= {"build", "run", "plan", "trtllm-wheel", "receipts"}


@pytest.mark.parametrize(("task", "spellings", "canonical"), VALUE_FLAGS, ids=lambda v: str(v))
def test_a_flag_written_into_a_value_is_refused(
    task: str, spellings: tuple[str, ...], canonical: str
) -> None:
    for spelled in spellings:
        for switch in (*SWITCHES, _other_flag(task)):
            words = [f"{spelled}={switch}"] + ([f"{spelled}{switch}"] if len(spelled) == 2 else [])
            for word in words:
                found = problem(["invoke", task, word], TASKS)
                assert found.startswith(f"{word}: a value cannot start with -"), (word, found)
                assert f"write {canonical} VALUE" in found


@pytest.mark.parametrize(("task", "spellings", "canonical"), VALUE_FLAGS, ids=lambda v: str(v))
def test_a_flag_where_a_value_belongs_is_refused(
    task: str, spellings: tuple[str, ...], canonical: str
) -> None:
    for spelled in spellings:
        for flag in _own_flags(task):
            found = problem(["invoke", task, spelled, flag], TASKS)
            assert found == f"{canonical} needs a value (the next word, {flag}, is a flag)", found
        assert problem(["invoke", task, spelled], TASKS) == f"{canonical} needs a value"


def test_a_dash_word_that_is_no_flag_of_the_task_is_left_to_its_grammar() -> None:
    # invoke takes it as the value; the value's own check then refuses it by name (test_hostile.py)
    assert problem(["invoke", "build", "--base-image-tag", "-bad"], TASKS) == ""
    assert problem(["invoke", "build", "--tag", "--privileged"], TASKS) == ""  # a flag of run only


@pytest.mark.parametrize(
    "line",
    [
        "run -p 8000:8000 --dry-run",
        "run -p=8000:8000 -p8001:8001 --port=8002:8002",
        "run -e A=1 -e=B=2 --env C",
        "build --framework=vllm --target runtime --build-arg X=a=b",
        "run -v /a:/b --dry-run -- --privileged -x",  # after --: the container's command
        "run --image vllm",  # a value that is also a task's name
        "build --tag -",  # a lone dash is a value (the grammar refuses it later)
    ],
)
def test_ordinary_lines_pass(line: str) -> None:
    assert problem(["invoke", *line.split()], TASKS) == ""


def test_a_repeated_flag_is_still_named_in_any_spelling() -> None:
    found = problem(["invoke", "run", "--image=a:1", "--image", "b:2"], TASKS)
    assert found == "--image is given twice (a:1, then b:2); give it once"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.yaml", "a: [\n", "invoke cannot read it (while parsing a flow node"),
        ("bad.json", "{oops", "invoke cannot read it ("),
        ("bad.py", "def (:\n", "invoke cannot read it ("),
        ("bad.toml", "a = 1\n", "invoke cannot read it ("),  # a type invoke has no loader for
        ("list.yaml", "- a\n- b\n", "invoke cannot read it ("),  # not a mapping
    ],
)
def test_an_unreadable_runtime_config_is_one_line(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    for argv in (["invoke", "-f", str(path), "build"], ["invoke", f"--config={path}", "build"]):
        found = runtime_config_problem(argv, {})
        assert found.startswith(f"{argv[1].split('=')[0]} {path}: {message}"), found
        assert "\n" not in found
    from_env = runtime_config_problem(["invoke", "build"], {"INVOKE_RUNTIME_CONFIG": str(path)})
    assert from_env.startswith(f"INVOKE_RUNTIME_CONFIG {path}: {message}")


def test_a_missing_runtime_config_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert runtime_config_problem(["invoke", "-r", "x", "-f", str(missing), "build"], {}) == (
        f"-f {missing}: no such file"
    )


def test_a_good_runtime_config_and_task_flags_named_f_pass(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("run:\n  echo: true\n")
    assert runtime_config_problem(["invoke", "-f", str(good), "build"], {}) == ""
    # a task's own -f (after the task name) is not invoke's configuration file
    assert runtime_config_problem(["invoke", "build", "-f", "x"], {}) == ""
    assert runtime_config_problem(["invoke", "build"], {}) == ""
