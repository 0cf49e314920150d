"""Nox sessions: the one entry point CI and developers use to check the project.

Sessions run with the interpreter nox itself runs on (the project's .venv made by scripts/setup),
so they cost no extra installs: `.venv/bin/nox -s lint typecheck tests`.
"""

from __future__ import annotations

import sys

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests"]

PY = sys.executable
CODE = ["dynamo_container", "tests", "tasks.py", "noxfile.py"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and hadolint on every Dockerfile (invoke lint)."""
    session.run(PY, "-m", "ruff", "check", *CODE)
    session.run(PY, "-m", "ruff", "format", "--check", *CODE)
    session.run(PY, "-m", "invoke", "lint")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on the library package."""
    session.run(PY, "-m", "mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """pytest: unit and contract tests always; integration tests when an engine answers (always in CI)."""
    session.run(PY, "-m", "pytest", *session.posargs)
