"""A two-platform build on this amd64 machine: arm64 under QEMU, a manifest list in the local registry.

`invoke build --platform linux/amd64,linux/arm64 --push` of the stand-in runtime, on the index of
`scripts/stand-in-base --index 127.0.0.1:5000` (one base name, an image for each architecture), then
the registry's manifest list is inspected and each of its images run on its own platform.
Emulation (scripts/emulation-up: qemu-user-static, binfmt_misc) is set up when missing; where it
cannot be (not root, a kernel without binfmt_misc) the test is skipped with the reason, and in CI
a failure to set it up where it could be fails it.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECT
from tests.integration.conftest import Names, standin_build

pytestmark = pytest.mark.usefixtures("docker_client", "registry")

REGISTRY = "127.0.0.1:5000"
BASE_INDEX = f"{REGISTRY}/dynamo-standin-base"  # tag bookworm, as the stand-in profile's base
BINFMT = Path("/proc/sys/fs/binfmt_misc")
MANIFESTS = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    )
)


def _script(name: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROJECT / "scripts" / name), *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def emulation() -> None:
    """arm64 binaries run here (set up by scripts/emulation-up when missing, as engine-up does)."""
    if _script("emulation-up", "--check").returncode == 0:
        return
    if os.geteuid() != 0:
        pytest.skip("arm64 emulation is not set up and needs root (scripts/emulation-up as root)")
    if not BINFMT.is_dir():
        pytest.skip(f"this kernel has no {BINFMT} (binfmt_misc): arm64 cannot be emulated here")
    done = _script("emulation-up")
    if done.returncode != 0:
        reason = f"scripts/emulation-up failed: {(done.stderr or done.stdout).strip()[-500:]}"
        if os.environ.get("CI"):
            pytest.fail(f"CI could set up arm64 emulation and did not: {reason}", pytrace=False)
        pytest.skip(reason)


def _raw(ref: str) -> dict[str, Any]:
    out = subprocess.run(
        ["docker", "buildx", "imagetools", "inspect", "--raw", "--", ref],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _platforms(ref: str) -> list[str]:
    return sorted(
        f"{m['platform']['os']}/{m['platform']['architecture']}" for m in _raw(ref).get("manifests", [])
    )


@pytest.fixture(scope="module")
def base_index(emulation: None) -> str:
    """The two-platform stand-in base in the local registry (made by scripts/setup; here if missing)."""
    ref = f"{BASE_INDEX}:bookworm"
    try:
        if _platforms(ref) == ["linux/amd64", "linux/arm64"]:
            return BASE_INDEX
    except subprocess.CalledProcessError:
        pass  # not in the registry yet
    made = _script("stand-in-base", "--index", REGISTRY)
    assert made.returncode == 0, made.stderr[-2000:]
    return BASE_INDEX


def _tags(repo: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"http://{REGISTRY}/v2/{repo}/tags/list", timeout=10) as r:
            return sorted(json.load(r).get("tags") or [])
    except urllib.error.HTTPError:
        return []  # the repository was never pushed to


def _delete_from_registry(repo: str) -> None:
    """Every manifest of the repository (the registry of scripts/registry-up allows deletes)."""
    for tag in _tags(repo):
        url = f"http://{REGISTRY}/v2/{repo}/manifests/{tag}"
        head = urllib.request.Request(url, method="HEAD", headers={"Accept": MANIFESTS})
        try:
            with urllib.request.urlopen(head, timeout=10) as r:
                digest = r.headers["Docker-Content-Digest"]
            gone = urllib.request.Request(f"http://{REGISTRY}/v2/{repo}/manifests/{digest}", method="DELETE")
            urllib.request.urlopen(gone, timeout=10).close()
        except urllib.error.HTTPError:
            pass  # already deleted under another tag of the same digest


@pytest.fixture
def pushed(names: Names) -> Iterator[Names]:
    yield names
    for repo in (names.image, names.base):
        _delete_from_registry(repo)


def _uname(ref: str, platform: str) -> str:
    options = [
        "--rm",
        "--pull",
        "always",
        "--platform",
        platform,
        "--network",
        "none",
        "--entrypoint",
        "uname",
    ]
    run = subprocess.run(
        ["docker", "run", *options, "--", ref, "-m"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip()


def test_a_two_platform_build_pushes_a_manifest_list_whose_images_run_on_their_arch(
    base_index: str, pushed: Names, tmp_path: Path
) -> None:
    env = {**pushed.env(), "DYNAMO_BASE_IMAGE": base_index, "DYNAMO_RUNTIME_IMAGE": base_index}
    flags = ["--platform", "linux/amd64,linux/arm64", "--push", "--registry", REGISTRY, "--no-tag-latest"]
    result = standin_build("vllm", "runtime", *flags, "--log-dir", str(tmp_path), env=env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]

    # the image under its tag T, each platform's under T-amd64 and T-arm64, and nothing else
    tags = _tags(pushed.image)
    (final,) = [t for t in tags if not t.endswith(("-amd64", "-arm64"))]
    assert final.endswith("-vllm-runtime")
    assert tags == sorted([final, f"{final}-amd64", f"{final}-arm64"])
    ref = f"{REGISTRY}/{pushed.image}:{final}"
    raw = _raw(ref)
    assert raw["mediaType"].endswith(("manifest.list.v2+json", "image.index.v1+json")), raw["mediaType"]
    assert _platforms(ref) == ["linux/amd64", "linux/arm64"]
    # each entry of the list is the image pushed under its arch tag
    by_arch = {m["platform"]["architecture"]: m["digest"] for m in raw["manifests"]}
    for arch in ("amd64", "arm64"):
        inspect = ["docker", "buildx", "imagetools", "inspect", "--format", "{{json .Manifest}}"]
        single = subprocess.run(
            [*inspect, "--", f"{ref}-{arch}"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(single.stdout)["digest"] == by_arch[arch]

    assert _uname(ref, "linux/amd64") == "x86_64"
    assert _uname(ref, "linux/arm64") == "aarch64"
