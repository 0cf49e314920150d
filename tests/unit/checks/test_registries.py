"""`invoke doctor`'s registry check: which images the planned steps pull, each registry asked once."""

from __future__ import annotations

import json
from pathlib import Path

from dynamo_container.checks.registries import (
    Registry,
    check_registries,
    credentials,
    pulled_images,
    registries,
    registry_of,
)
from tests.helpers import plan, standin_profile

NVCR = "nvcr.io/nvidia/cuda-dl-base:25.06-cuda12.9-devel-ubuntu24.04"


def test_the_real_family_pulls_these_images_for_vllm(repo: Path) -> None:
    images = pulled_images(plan(repo, framework="vllm", target="runtime").steps)
    assert images == [
        "ghcr.io/astral-sh/uv:0.9.28",
        NVCR,
        "quay.io/pypa/manylinux_2_28_x86_64:2026.01.04-1",
        "nvcr.io/nvidia/cuda:12.9.1-runtime-ubuntu24.04",
    ]  # the step-1 image the framework step starts FROM is built, not pulled
    arm = pulled_images(plan(repo, framework="vllm", target="runtime", platform="linux/arm64").steps)
    assert "quay.io/pypa/manylinux_2_28_aarch64:2026.01.04-1" in arm


def test_the_stand_in_family_pulls_only_its_local_base(repo: Path) -> None:
    steps = plan(repo, standin_profile()).steps
    assert pulled_images(steps) == ["dynamo-standin-base:bookworm"]


def test_each_registry_is_asked_once_for_images_the_engine_lacks() -> None:
    asked: list[str] = []

    def ask(host: str) -> str:
        asked.append(host)
        return "no such host" if host == "quay.io" else ""

    images = [NVCR, "nvcr.io/nvidia/cuda:12.9.1-runtime-ubuntu24.04", "quay.io/pypa/m:1", "alpine:3.20"]
    found = registries(images, lambda refs: {"alpine:3.20"}, ask, lambda host: "")
    assert asked == ["nvcr.io", "quay.io"]
    assert [r.host for r in found] == ["nvcr.io", "quay.io"] and len(found[0].images) == 2
    check = check_registries(found)
    assert check.status == "fail" and check.detail == (
        "quay.io does not answer (no such host), needed for quay.io/pypa/m:1"
    )
    assert "--base-image/--runtime-image" in check.fix
    ok = check_registries((Registry("nvcr.io", (NVCR,), "", "credential helper ngc"),))
    assert ok.status == "pass" and ok.detail == "1 registries answer: nvcr.io (credential helper ngc)"
    assert check_registries(()).status == "pass"
    assert check_registries(None, ValueError("bad framework")).status == "warn"
    assert check_registries(found, reachable=False).detail == "not checked: the engine does not answer"


def test_registry_hosts_and_credentials(tmp_path: Path) -> None:
    assert registry_of("ubuntu:24.04") == "docker.io" and registry_of("localhost:5000/x") == "localhost:5000"
    assert registry_of("127.0.0.1:5000/a/b:c") == "127.0.0.1:5000" and registry_of("nvcr.io/n/c") == "nvcr.io"
    env = {"DOCKER_CONFIG": str(tmp_path)}
    assert credentials("nvcr.io", env) == ""
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {"nvcr.io": {"auth": "x"}}, "credHelpers": {"ghcr.io": "gh"}})
    )
    assert credentials("nvcr.io", env) == f"a login in {tmp_path / 'config.json'}"
    assert credentials("ghcr.io", env) == "credential helper gh" and credentials("quay.io", env) == ""
    (tmp_path / "config.json").write_text("{not json")
    assert credentials("nvcr.io", env) == ""
