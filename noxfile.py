"""Nox sessions: the one entry point CI and developers use to check the project and its images.

Sessions run with the interpreter nox itself runs on (the project's .venv made by scripts/setup), so
they cost no extra installs. `nox -s lint typecheck tests resolve smoke` is what CI runs.

Smoke sessions come from the framework matrix (dynamo_container/model/catalog.py), one per framework,
parametrized by its CUDA versions: `nox -s smoke-vllm` runs every CUDA version of vLLM,
`nox -s "smoke-vllm(cuda='13.0')"` one of them, `nox -s smoke` (or `nox -t smoke`) all of them.
Each builds the runtime image through `invoke build` and checks it through `invoke smoke` (tiers 0-2).
The profile: DYNAMO_SMOKE_PROFILE=real|stand-in, or auto: the real container/ family where nvcr.io
answers (building the Dynamo checkout named by DYNAMO_CONTEXT), else the stand-in family of
tests/fixtures (as in CI).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path

import nox

from dynamo_container.model import catalog

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests"]

PY = sys.executable
CODE = ["dynamo_container", "tests", "benchmarks", "tasks.py", "noxfile.py"]
STANDIN_ENV = "tests/fixtures/stand-in.env"
WORKFLOWS = sorted(str(p) for p in Path(".github/workflows").glob("*.yml"))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check), hadolint on every Dockerfile and shellcheck (invoke lint)."""
    session.run(PY, "-m", "ruff", "check", *CODE)
    session.run(PY, "-m", "ruff", "format", "--check", *CODE)
    session.run(PY, "-m", "invoke", "lint")
    # the CI workflows: actionlint (with shellcheck on their run: scripts) and zizmor, offline
    tools = os.path.dirname(PY)
    path = {"PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"}
    session.run(os.path.join(tools, "actionlint"), *WORKFLOWS, env=path, external=True)
    session.run(os.path.join(tools, "zizmor"), "--offline", *WORKFLOWS, external=True)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on the library package."""
    session.run(PY, "-m", "mypy")


def _pytest(session: nox.Session, *paths: str) -> None:
    session.run(PY, "-m", "pytest", *paths, *session.posargs)


@nox.session
def unit(session: nox.Session) -> None:
    """pytest on plans, argv and the real Dockerfiles' contracts: no engine, seconds."""
    _pytest(session, "tests/unit", "tests/contract")


@nox.session
def integration(session: nox.Session) -> None:
    """pytest against a real engine with the stand-in family (skipped without one, except in CI)."""
    _pytest(session, "tests/integration")


@nox.session
def tests(session: nox.Session) -> None:
    """Every tier in one pytest run: unit, contract, and integration when an engine answers (always in CI)."""
    _pytest(session)


@nox.session
def resolve(session: nox.Session) -> None:
    """Each image's Python install set resolved by uv against PyPI (`-- vllm`, `-- vllm-13.0` pick rows)."""
    session.run(PY, "-m", "dynamo_container.deps.resolution", *session.posargs)
    session.run(PY, "-m", "pytest", "-m", "resolve", "tests/resolve")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks on the real engine (stand-in family): benchmarks/run.py; `-- --quick` for fewer runs."""
    session.run(PY, "benchmarks/run.py", *session.posargs)


@cache
def profile() -> tuple[str, list[str]]:
    """(profile name and why, the invoke flags that select it)."""
    chosen = os.environ.get("DYNAMO_SMOKE_PROFILE", "auto")
    if chosen == "auto":
        try:
            urllib.request.urlopen("https://nvcr.io/v2/", timeout=5)
            reachable = True
        except urllib.error.HTTPError as exc:  # 401: the registry answers and wants a token
            reachable = exc.code in (200, 401)
        except OSError:
            reachable = False
        chosen = "real" if reachable else "stand-in"
        why = "nvcr.io answers" if reachable else "nvcr.io is out of reach"
    elif chosen in ("real", "stand-in"):
        why = "DYNAMO_SMOKE_PROFILE"
    else:
        raise SystemExit(f"DYNAMO_SMOKE_PROFILE={chosen!r}: use real, stand-in or auto")
    return f"{chosen} ({why})", ([] if chosen == "real" else ["--env-file", STANDIN_ENV])


def _smoke_session(framework: str) -> None:
    @nox.session(name=f"smoke-{framework}", tags=["smoke"])
    @nox.parametrize("cuda", list(catalog.cuda_versions(framework)))
    def smoke_framework(session: nox.Session, cuda: str) -> None:
        name, flags = profile()
        session.log(f"smoke {framework} CUDA {cuda}: {name} profile")
        args = [*flags, "--framework", framework, "--cuda-version", cuda]
        session.run(PY, "-m", "invoke", "build", *args, "--target", "runtime")
        session.run(PY, "-m", "invoke", "smoke", *args)

    smoke_framework.__doc__ = f"Build and check the {framework} runtime image, per CUDA version."


for _framework in catalog.FRAMEWORKS:
    _smoke_session(_framework)


@nox.session
def smoke(session: nox.Session) -> None:
    """Every smoke-<framework> session of the matrix."""
    for variant in catalog.VARIANTS:
        session.notify(f"smoke-{variant.framework}(cuda='{variant.cuda}')")
