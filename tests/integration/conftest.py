"""Integration tier: a real Docker engine, the stand-in family, uniquely named images removed afterwards.

Without an engine these tests are skipped with the reason; in CI (CI set) a missing engine fails them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECT, STANDIN_ENV_FILE, standin_profile
from tests.helpers import STANDIN_CHECKOUT as STANDIN_CHECKOUT  # the stand-in Dynamo checkout it builds
from tests.helpers import STANDIN_FAMILY as STANDIN_FAMILY  # the stand-in family (and `tooling` context)

INVOKE = str(Path(sys.executable).parent / "invoke")
_PROFILE = standin_profile()
# the base image scripts/stand-in-base builds, as the profile names it
STANDIN_BASE = f"{_PROFILE['DYNAMO_BASE_IMAGE']}:{_PROFILE['DYNAMO_BASE_IMAGE_TAG']}"
STANDIN_ENV = str(STANDIN_ENV_FILE.relative_to(PROJECT))  # as users type it, from the project folder


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs a Docker engine for the integration tests: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> Any:
    try:
        import docker

        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:
        _unavailable(f"no Docker engine answers ({type(exc).__name__}); run scripts/engine-up")
    try:
        client.images.get(STANDIN_BASE)
    except Exception:
        _unavailable(f"the stand-in base image {STANDIN_BASE} is missing; run scripts/stand-in-base")
    return client


@pytest.fixture(scope="session")
def registry() -> str:
    """The loopback registry of scripts/registry-up."""
    import urllib.request

    try:
        urllib.request.urlopen("http://127.0.0.1:5000/v2/", timeout=3)
    except Exception as exc:
        _unavailable(f"no registry on 127.0.0.1:5000 ({exc}); run scripts/registry-up")
    return "127.0.0.1:5000"


@dataclass
class Names:
    """Unique image repositories for one test; every image under them is removed afterwards."""

    token: str
    image: str
    base: str
    extra: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {"DYNAMO_IMAGE_NAME": self.image, "DYNAMO_BASE_IMAGE_NAME": self.base}


def remove_images(client: Any, repos: list[str]) -> None:
    """Every image tagged under `repos`, and any left known only by a digest there (a pulled one)."""

    def ours(repo: str) -> bool:
        return any(repo == r or repo.endswith("/" + r) for r in repos)

    for image in client.images.list():
        for tag in image.tags:
            if ours(tag.rsplit(":", 1)[0]):
                with contextlib.suppress(Exception):  # already gone with an earlier tag
                    client.images.remove(tag, force=True, noprune=False)
    for image in client.images.list():
        digests = image.attrs.get("RepoDigests") or []
        if not image.tags and any(ours(d.split("@", 1)[0]) for d in digests):
            with contextlib.suppress(Exception):
                client.images.remove(image.id, force=True, noprune=False)


@pytest.fixture
def names(docker_client: Any) -> Iterator[Names]:
    token = uuid.uuid4().hex[:8]
    n = Names(token, f"dyntest-{token}", f"dyntest-{token}-base")
    try:
        yield n
    finally:
        remove_images(docker_client, [n.image, n.base, *n.extra])


def invoke(
    *args: str, env: dict[str, str] | None = None, cwd: Path = PROJECT, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    base.update(env or {})
    return subprocess.run([INVOKE, *args], cwd=cwd, env=base, capture_output=True, text=True, timeout=timeout)


def standin_build(framework: str, target: str, *args: str, env: dict[str, str] | None = None) -> Any:
    """`invoke build` of the stand-in family (the command users type with the stand-in profile)."""
    return invoke(
        "build", "--env-file", STANDIN_ENV, "--framework", framework, "--target", target, *args, env=env
    )


def build_info(client: Any, image: str) -> dict[str, list[str]]:
    """NAME -> values recorded in /opt/dynamo/build-info.env by the stand-in stages."""
    out = client.containers.run(
        image, ["cat", "/opt/dynamo/build-info.env"], remove=True, network_mode="none", entrypoint=[]
    )
    info: dict[str, list[str]] = {}
    for line in out.decode().splitlines():
        key, _, value = line.partition("=")
        info.setdefault(key, []).append(value)
    return info


def trtllm_wheel_dir(folder: Path, version: str, commit: str) -> Path:
    """A folder as `--tensorrtllm-pip-wheel-dir` takes it: one stand-in TensorRT-LLM wheel (built from
    the family's packages/tensorrt_llm) and commit.txt (`amd64_<commit>`)."""
    folder.mkdir(parents=True, exist_ok=True)
    tool, package = STANDIN_FAMILY / "standin_wheel.py", STANDIN_FAMILY / "packages/tensorrt_llm"
    argv = [sys.executable, str(tool), "build", str(package), "--name", "tensorrt-llm"]
    subprocess.run([*argv, "--version", version, "--out", str(folder)], check=True, capture_output=True)
    (folder / "commit.txt").write_text(f"amd64_{commit}\n")
    return folder
