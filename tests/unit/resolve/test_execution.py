"""resolve/execution.py: how an invocation's plans run, read from the configuration once."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.resolve.execution import context_ignore_file, resolve_execution
from tests.helpers import PROJECT, config


def test_every_execution_option_comes_from_its_setting(repo: Path) -> None:
    cfg = config(
        repo, jobs="3", progress="plain", force=True, log_dir="logs", container_dir=str(PROJECT / "container")
    )
    run = resolve_execution(cfg, None, [catalog.framework("vllm"), catalog.framework("vllm")])
    assert (run.jobs, run.progress, run.force, run.executor) == (3, "plain", True, "steps")
    assert run.log_dir == repo / "logs" and run.log_dir_origin == "--log-dir"
    assert run.dockerfiles == (PROJECT / "container" / "Dockerfile.vllm",)  # each Dockerfile once
    assert run.checkout == repo


def test_a_task_that_builds_nothing_has_no_frontend_and_one_without_a_context_no_checkout(repo: Path) -> None:
    run = resolve_execution(config(repo), None, checkout=False)
    with pytest.raises(ConfigError, match="chose no build frontend"):
        run.choice  # noqa: B018
    with pytest.raises(ConfigError, match="builds from no checkout"):
        run.checkout  # noqa: B018


def test_context_measures_one_framework_and_refuses_a_list(repo: Path) -> None:
    family = str(PROJECT / "container")
    found = context_ignore_file(config(repo, framework="sglang", container_dir=family))
    assert found is not None and found.name == "Dockerfile.sglang.dockerignore"
    with pytest.raises(ConfigError):
        context_ignore_file(config(repo, framework="vllm,sglang", container_dir=family))
