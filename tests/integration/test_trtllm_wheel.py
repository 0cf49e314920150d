"""`invoke trtllm-wheel` for real, on a miniature TensorRT-LLM repository made by the test.

The repository has TRT-LLM's shape where the tool touches it (tensorrt_llm/version.py and a
docker/Dockerfile.multi with a `wheel` stage leaving the wheel in /src/tensorrt_llm/build), and its
wheel stage builds a tiny pure-Python wheel on the stand-in base image.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import git
from tests.integration.conftest import STANDIN_FAMILY, Names, invoke, standin_build

DOCKERFILE_MULTI = """\
ARG BASE_IMAGE=dynamo-standin-base
ARG BASE_TAG=bookworm
FROM ${BASE_IMAGE}:${BASE_TAG} AS devel
FROM devel AS wheel
ARG TRT_LLM_VER
ARG BUILD_WHEEL_ARGS
ARG DEVEL_IMAGE
COPY . /src/tensorrt_llm
WORKDIR /src/tensorrt_llm
RUN echo "building TRT-LLM ${TRT_LLM_VER} with ${BUILD_WHEEL_ARGS} on ${DEVEL_IMAGE}" && \\
    v="$(python3 -c 'import runpy; print(runpy.run_path("tensorrt_llm/version.py")["__version__"])')" && \\
    python3 standin_wheel.py build pkg --name tensorrt-llm --version "$v" --out build
"""


@pytest.fixture
def trt_repo(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "TensorRT-LLM-origin"
    (repo / "tensorrt_llm").mkdir(parents=True)
    (repo / "docker").mkdir()
    (repo / "pkg" / "tensorrt_llm").mkdir(parents=True)
    (repo / "tensorrt_llm" / "version.py").write_text('__version__ = "1.2.3"\n')
    (repo / "pkg" / "tensorrt_llm" / "__init__.py").write_text("STAND_IN = True\n")
    # TensorRT-LLM wheels ship the TensorRT installer that Dockerfile.trtllm's framework stage runs
    shutil.copy(
        STANDIN_FAMILY / "packages/tensorrt_llm/tensorrt_llm/install_tensorrt.sh",
        repo / "pkg" / "tensorrt_llm" / "install_tensorrt.sh",
    )
    (repo / "docker" / "Dockerfile.multi").write_text(DOCKERFILE_MULTI)
    shutil.copy(STANDIN_FAMILY / "standin_wheel.py", repo / "standin_wheel.py")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "trt")
    return repo, git(repo, "rev-parse", "HEAD")


def wheel_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DYNAMO_TRTLLM_SRC_DIR": str(tmp_path / "src"),
        "DYNAMO_BUILD_NETWORK": "host",
        "DYNAMO_LOG_DIR": str(tmp_path / "logs"),
    }


def test_builds_then_reuses_then_rebuilds_for_another_commit(
    docker_client: Any, trt_repo: tuple[Path, str], tmp_path: Path
) -> None:
    repo, sha = trt_repo
    out = tmp_path / "wheels"
    args = [
        "trtllm-wheel",
        "--git-url",
        f"file://{repo}",
        "--commit",
        sha,
        "--output-dir",
        str(out),
        "--arch",
        "amd64",
    ]
    r = invoke(*args, env=wheel_env(tmp_path))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    (wheel,) = out.glob("*.whl")
    assert wheel.name == f"tensorrt_llm-1.2.3+dev{sha}-py3-none-any.whl"
    assert (out / "commit.txt").read_text().strip() == f"amd64_{sha}"
    assert "--clean --job_count" in r.stdout  # BUILD_WHEEL_ARGS reached TRT-LLM's build stage
    assert (tmp_path / "src" / "tensorrt_llm" / "version.py").read_text() == '__version__ = "1.2.3"\n'
    with zipfile.ZipFile(wheel) as z:
        assert "tensorrt_llm/__init__.py" in z.namelist()

    again = invoke(*args, env=wheel_env(tmp_path))
    assert again.returncode == 0
    assert again.stdout.strip() == f"reusing {wheel.name} in {out} was built from {sha} for amd64"

    (repo / "tensorrt_llm" / "version.py").write_text('__version__ = "1.2.4"\n')
    git(repo, "commit", "-qam", "bump")
    sha2 = git(repo, "rev-parse", "HEAD")
    args[args.index(sha)] = sha2
    r = invoke(*args, env=wheel_env(tmp_path))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert [p.name for p in out.glob("*.whl")] == [f"tensorrt_llm-1.2.4+dev{sha2}-py3-none-any.whl"]


def test_dry_run_clones_nothing(trt_repo: tuple[Path, str], tmp_path: Path) -> None:
    repo, sha = trt_repo
    r = invoke(
        "trtllm-wheel",
        "--git-url",
        f"file://{repo}",
        "--commit",
        sha,
        "--output-dir",
        str(tmp_path / "w"),
        "--dry-run",
        env=wheel_env(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    assert f"git -C {tmp_path / 'src'} fetch --no-tags --depth=1 -- origin {sha}" in r.stdout
    assert not (tmp_path / "src").exists() and not (tmp_path / "w").exists()


def test_build_from_source_feeds_the_trtllm_image(
    names: Names, docker_client: Any, trt_repo: tuple[Path, str], tmp_path: Path
) -> None:
    repo, sha = trt_repo
    out = tmp_path / "wheels"
    r = standin_build(
        "trtllm",
        "runtime",
        "--tensorrtllm-git-url",
        f"file://{repo}",
        "--tensorrtllm-commit",
        sha,
        "--tensorrtllm-pip-wheel-dir",
        str(out),
        env={**names.env(), **wheel_env(tmp_path)},
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    # the wheel's source and build steps run first, then the two image builds that use it
    assert "Step 9/14: build the wheel in TRT-LLM's container" in r.stdout
    assert "Step 14/14: trtllm image (Dockerfile.trtllm, stage runtime)" in r.stdout
    version = (
        docker_client.containers.run(
            f"{names.image}:latest-trtllm-runtime",
            [
                "python3",
                "-c",
                "import tensorrt_llm, importlib.metadata as m; print(m.version('tensorrt-llm'))",
            ],
            remove=True,
            network_mode="none",
        )
        .decode()
        .strip()
    )
    assert version == f"1.2.3+dev{sha}"
