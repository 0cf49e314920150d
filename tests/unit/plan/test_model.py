"""plan/model.py: the records planners produce, as `--json` shows them."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.plan.model import Secret, Step, TaskPlan
from tests.helpers import plan


def test_a_secret_is_passed_by_its_variable_never_by_value() -> None:
    assert Secret("hf-token", "HF_TOKEN").flag == "id=hf-token,env=HF_TOKEN"


def test_a_steps_json_names_every_field_a_reader_uses(repo: Path) -> None:
    step = plan(repo).steps[-1]
    data = step.to_json()
    assert data["argv"] == list(step.argv) and data["tags"] == list(step.tags)
    assert data["build_args"] == dict(step.build_args) and data["secrets"] == [s.id for s in step.secrets]
    assert {"cache_from", "cache_to", "no_cache", "metadata", "log", "platform", "context"} <= set(data)


def test_a_build_plan_is_keyed_by_its_combination(repo: Path) -> None:
    p = plan(repo, framework="sglang")
    assert p.key == f"sglang-cuda{p.cuda}"
    data = p.to_json()
    assert (data["framework"], data["cuda_version"]) == ("sglang", p.cuda)
    assert [s["name"] for s in data["steps"]] == [s.name for s in p.steps]


def test_a_task_plan_lists_its_notes_and_steps() -> None:
    step = Step("x", "a host step", ("true",), "host")
    data = TaskPlan((step,), (), notes=("n",)).to_json()
    assert data["notes"] == ["n"] and [s["name"] for s in data["steps"]] == ["x"]
