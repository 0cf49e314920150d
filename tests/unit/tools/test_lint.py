"""tools/lint.py: which files are linted, hadolint's command line, shellcheck on each RUN body."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.tools import lint
from tests.helpers import PROJECT


def test_both_families_are_linted_and_ignore_files_are_not_dockerfiles() -> None:
    found = lint.dockerfiles(PROJECT)
    assert PROJECT / "container" / "Dockerfile.vllm" in found
    assert PROJECT / "tests" / "fixtures" / "container" / "Dockerfile" in found
    assert not [p for p in found if p.name.endswith(".dockerignore")]


def test_shell_scripts_include_the_projects_scripts_and_ci() -> None:
    found = lint.shell_scripts(PROJECT)
    assert PROJECT / "scripts" / "setup" in found and PROJECT / ".ci" / "run" in found
    assert found == sorted(set(found))


def test_hadolint_reads_the_projects_config_and_relative_paths() -> None:
    argv = lint.hadolint_argv(PROJECT, [PROJECT / "container" / "Dockerfile"])
    assert argv[1:] == ["--config", str(PROJECT / "container" / ".hadolint.yaml"), "container/Dockerfile"]


def test_a_missing_tool_says_which_package_installs_it() -> None:
    with pytest.raises(ConfigError, match="no-such-linter not found") as err:
        lint.tool("no-such-linter", "no-such-package")
    assert err.value.hint == "pip install no-such-package (scripts/setup installs it)"


def test_a_bad_run_body_is_reported_at_its_line_and_a_clean_one_is_not(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM scratch\nRUN echo fine\nRUN for f in $(ls); do echo "$f"; done\n')
    problems = lint.check_run_bodies([dockerfile])
    assert [(p.dockerfile, p.line) for p in problems] == [(dockerfile, 3)]
    assert "SC2045" in problems[0].report and "RUN:" in problems[0].report
