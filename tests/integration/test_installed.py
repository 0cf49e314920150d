"""The tool as a Dynamo developer installs it: the built wheel in a fresh virtualenv outside this
repository, run in a git checkout of the stand-in Dynamo tree (no tasks.py, no source of the tool).

The stand-in family stays in this repository (tests/fixtures/container): the build selects it with
an env file written for the installed layout, its paths absolute.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import GIT_ENV, PROJECT, git, standin_profile
from tests.integration.conftest import STANDIN_CHECKOUT, Names

pytestmark = pytest.mark.integration


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"{argv[:4]} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


def _wheel(tmp: Path) -> Path:
    """The wheel, built from the tracked files of this repository (copied: the tree stays clean)."""
    source = tmp / "source"
    for name in git(PROJECT, "ls-files", "-z").split("\0"):
        if name and (PROJECT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / name, source / name)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)], tmp)
    (wheel,) = dist.glob("dynamo_container-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `dynamo-container` script of a fresh virtualenv that has only the wheel and its deps."""
    tmp = tmp_path_factory.mktemp("installed")
    wheel = _wheel(tmp)
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    # the dependencies come from pip's cache where it has them (the index otherwise)
    _run([str(env_dir / "bin/python"), "-m", "pip", "install", "-q", str(wheel)], tmp)
    yield env_dir / "bin" / "dynamo-container"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git checkout of the stand-in Dynamo tree, outside this repository."""
    folder = tmp_path / "dynamo"
    shutil.copytree(STANDIN_CHECKOUT, folder)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "stand-in checkout")
    git(folder, "tag", "v0.6.1")
    return folder


def _tool(script: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DYNAMO_", "VIRTUAL_ENV"))}
    base |= {"NO_COLOR": "1", **GIT_ENV, "HOME": str(cwd), **(env or {})}
    return _run([str(script), *args], cwd, base)


def test_installed_package_is_whole(installed: Path) -> None:
    python = installed.parent / "python"
    probe = (
        "import dynamo_container.plan.model, dynamo_container.resolve.build, dynamo_container.tasks.program;"
        "from dynamo_container.buildcontext.locate import real_family, repository;"
        "print(repository(), real_family())"
    )
    out = _run([str(python), "-c", probe], Path("/")).stdout.split()
    assert out[0] == "None" and "site-packages/dynamo_container/family" in out[1]
    family = Path(out[1])
    assert (family / "Dockerfile.vllm").is_file() and (family / "Dockerfile.vllm.dockerignore").is_file()
    assert (family / "use-sccache.sh").is_file() and (family / "git-credential-dynamo").is_file()
    assert (family / "contexts/empty").is_dir() and (family / ".hadolint.yaml").is_file()


def test_version_and_a_dry_run_plan_the_checkout_it_runs_in(installed: Path, checkout: Path) -> None:
    inside = checkout / "components" / "src"
    version = _tool(installed, inside, "--version").stdout
    assert version.startswith("dynamo-container 0.1.0 ") and "3b9b3f31c" in version
    plan = _tool(installed, inside, "build", "--framework", "vllm", "--target", "runtime", "--dry-run")
    family = installed.parent.parent / "lib"
    assert f"context       {checkout}\n" in plan.stdout
    assert "site-packages/dynamo_container/family" in plan.stdout and str(family) in plan.stdout
    assert "dynamo:v0.6.1-vllm-runtime" in plan.stdout
    run = _tool(
        installed, inside, "run", "--mount-workspace", "--image", "x:y", "--gpus", "none", "--dry-run"
    )
    assert f"{checkout}:/workspace" in run.stdout


def test_a_real_stand_in_build_from_the_installed_tool(
    installed: Path, checkout: Path, names: Names, tmp_path: Path
) -> None:
    profile = tmp_path / "stand-in.env"
    # the checkout is the one the tool runs in; the family is this repository's stand-in (absolute)
    settings = {k: v for k, v in standin_profile().items() if k != "DYNAMO_CONTEXT"}
    profile.write_text("".join(f'{k}="{v}"\n' for k, v in settings.items()))
    env = {**names.env(), "DYNAMO_LOG_DIR": str(tmp_path / "logs")}
    args = ["build", "--env-file", str(profile), "--framework", "vllm", "--target", "runtime"]
    _tool(installed, checkout, *args, env=env)
    import docker

    labels = docker.from_env().images.get(f"{names.image}:v0.6.1-vllm-runtime").labels
    assert labels["org.opencontainers.image.revision"] == git(checkout, "rev-parse", "HEAD")
    assert (labels["ai.dynamo.framework"], labels["ai.dynamo.target"]) == ("vllm", "runtime")
