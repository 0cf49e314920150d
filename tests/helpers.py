"""Test helpers: temporary git repositories and plan shortcuts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from dynamo_container.buildcontext.context import ContextReport, FolderSize
from dynamo_container.buildcontext.git import VersionInfo, describe
from dynamo_container.config import Config, load_config
from dynamo_container.docker.engine import FrontendChoice
from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.build import plan_build
from dynamo_container.plan.matrix import MatrixPlan, plan_matrix
from dynamo_container.plan.model import BuildPlan
from dynamo_container.resolve.build import BuildRequest, Host, resolve_build
from dynamo_container.resolve.checkout import read_checkout
from dynamo_container.resolve.execution import Execution, resolve_execution
from dynamo_container.resolve.matrix import resolve_matrix

PROJECT = Path(__file__).resolve().parent.parent

# The stand-in profile: one env file (the miniature family, its checkout and local base image) that
# users pass with --env-file and every test tier reads through `standin_profile`.
STANDIN_ENV_FILE = PROJECT / "tests/fixtures/stand-in.env"
STANDIN_FAMILY = PROJECT / "tests/fixtures/container"
STANDIN_CHECKOUT = PROJECT / "tests/fixtures/stand-in/dynamo"


def standin_profile() -> dict[str, str]:
    """The stand-in profile as environment variables, its paths made absolute as `--env-file` takes
    them (from the file's own folder): for a test that cannot pass the file itself."""
    from dotenv import dotenv_values

    from dynamo_container.settings import by_env_key

    profile = {}
    for key, value in dotenv_values(STANDIN_ENV_FILE, interpolate=False).items():
        if value is None:
            continue
        spec = by_env_key()[key]
        profile[key] = str((STANDIN_ENV_FILE.parent / value).resolve()) if spec.path else value
    return profile


GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return out.stdout.strip()


def make_repo(path: Path, *, tag: str | None = "v0.6.1", commits_after: int = 1) -> Path:
    """A git repo with one commit (optionally tagged) and `commits_after` more commits."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README").write_text("x\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "first")
    if tag:
        git(path, "tag", tag)
    for i in range(commits_after):
        (path / "README").write_text(f"x{i}\n")
        git(path, "commit", "-q", "-am", f"c{i}")
    return path


def mark_checkout(repo: Path) -> Path:
    """Commit the files that make a git repo a Dynamo checkout (locate.CHECKOUT_MARKERS)."""
    from dynamo_container.buildcontext.locate import CHECKOUT_MARKERS

    for marker in CHECKOUT_MARKERS:
        path = repo / marker
        if "." in path.name:
            path.write_text("# a marker of a Dynamo checkout\n")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "README").write_text("a marker of a Dynamo checkout\n")
    git(repo, "add", "--", *CHECKOUT_MARKERS)
    git(repo, "commit", "-q", "-m", "checkout markers")
    return repo


def config(
    root: Path, environ: dict[str, str] | None = None, env_file: str | None = None, **flags: Any
) -> Config:
    return load_config(root, environ=environ or {}, flags=flags, env_file=env_file, cwd=root)


def request(
    root: Path, environ: dict[str, str] | None = None, frontend: Frontend | None = None, **flags: Any
) -> BuildRequest:
    """The resolved build request of `flags` (the layer that validates them), with a fixed host user."""
    if "DYNAMO_CONTAINER_DIR" not in (environ or {}):
        flags.setdefault("container_dir", str(PROJECT / "container"))
    cfg = config(root, environ, **flags)
    version = describe(cfg.path(cfg.s.context), version=cfg.s.version, commit=cfg.s.commit_sha)
    return resolve_build(cfg, read_checkout(cfg, version), frontend or Frontend(), HOST)


def plan(
    root: Path,
    environ: dict[str, str] | None = None,
    frontend: Frontend | None = None,
    **flags: Any,
) -> BuildPlan:
    if "DYNAMO_CONTAINER_DIR" not in (environ or {}):  # the real family, wherever root is
        flags.setdefault("container_dir", str(PROJECT / "container"))
    cfg = config(root, environ, **flags)
    version = describe(cfg.path(cfg.s.context), version=cfg.s.version, commit=cfg.s.commit_sha)
    return plan_of(cfg, version, frontend)


HOST = Host(4242, 4343)


def execution(cfg: Config, frontend: Frontend | None = None) -> Execution:
    """How `cfg`'s build would run, with `frontend` as the chosen build frontend (no docker CLI asked)."""
    return resolve_execution(cfg, FrontendChoice(frontend or Frontend()))


def plan_of(
    cfg: Config, version: VersionInfo, frontend: Frontend | None = None, host: Host = HOST
) -> BuildPlan:
    """resolve -> plan, as `invoke build` does, with a fixed host user."""
    return plan_build(resolve_build(cfg, read_checkout(cfg, version), frontend or Frontend(), host))


GB = 1_000_000_000


def context_report(nbytes: int) -> ContextReport:
    """A measured build context of `nbytes`, all in one folder (the doctor's context check reads it)."""
    return ContextReport(
        Path("/ctx"), ".dockerignore", 3, nbytes, 42, (FolderSize("data", nbytes, 40),), 0.004
    )


def wheel_dir(root: Path, *, wheels: int = 1, commit_txt: str | None = "amd64_31116825") -> Path:
    """A TRT-LLM wheel folder: `wheels` wheel files and (unless None) a commit.txt."""
    d = root / "wheels"
    d.mkdir()
    for i in range(wheels):
        (d / f"tensorrt_llm-1.3.0rc{i}-cp312-cp312-linux_x86_64.whl").write_bytes(b"")
    if commit_txt is not None:
        (d / "commit.txt").write_text(commit_txt + "\n")
    return d


def mplan(root: Path, **flags: Any) -> MatrixPlan:
    """The plan of a matrix build (a comma list or `all`) against the real family."""
    cfg = config(root, container_dir=str(PROJECT / "container"), **flags)
    return plan_matrix(resolve_matrix(cfg, read_checkout(cfg, describe(root)), Frontend(), HOST))
