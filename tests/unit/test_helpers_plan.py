"""Plans of the helper tasks: `invoke efa` and `invoke trtllm-wheel` (reuse, arch, version, steps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container import matrix
from dynamo_container.errors import ConfigError
from dynamo_container.plan import Frontend, plan_efa, suggest_build
from dynamo_container.trtllm_wheel import (
    WheelRequest,
    normalize_arch,
    plan_source,
    plan_wheel,
    read_version,
    reusable,
    version_suffix,
)
from tests.helpers import config


def test_efa_plan(tmp_path: Path) -> None:
    p = plan_efa(config(tmp_path, platform="linux/arm64"), "reg.example/dyn:rc1-vllm-runtime", Frontend())
    (step,) = p.steps
    assert step.tags == ("reg.example/dyn:rc1-vllm-runtime-efa",)
    assert dict(step.build_args) == {
        "BASE_IMAGE": "reg.example/dyn:rc1-vllm-runtime",
        "EFA_VERSION": matrix.EFA_VERSION,
    }
    assert step.target == "runtime-aws" and step.platform == "linux/arm64"
    other = plan_efa(config(tmp_path), "img", Frontend()).steps[0]
    assert other.tags == ("img:latest-efa",) and other.target == "dev-aws"
    with pytest.raises(ConfigError, match="--image is required"):
        plan_efa(config(tmp_path), " ", Frontend())


def test_suggest_build() -> None:
    assert suggest_build("dynamo", "dynamo:latest-sglang-runtime") == (
        "build it: invoke build --framework sglang --target runtime"
    )
    assert suggest_build("dynamo", "dynamo:latest-none") == "build it: invoke build --framework none"
    assert suggest_build("dynamo", "other/img:1").startswith("pull it (docker pull other/img:1)")


def request(tmp_path: Path, **kw: object) -> WheelRequest:
    values: dict[str, object] = {
        "output_dir": tmp_path / "out",
        "commit": "31116825",
        "arch": "amd64",
        "git_url": "https://g.example/trt.git",
        "src_dir": tmp_path / "src",
        "nixl_ref": "0.10.1",
        "jobs": 4,
    }
    values.update(kw)
    return WheelRequest(**values)  # type: ignore[arg-type]


def test_arch_names() -> None:
    assert [normalize_arch(a) for a in ("x86_64", "AMD64", "aarch64", "arm64")] == [
        "amd64",
        "amd64",
        "arm64",
        "arm64",
    ]
    with pytest.raises(ConfigError, match="is not an architecture"):
        normalize_arch("ppc64le")


def test_version_suffix() -> None:
    assert version_suffix("31116825") == "+dev31116825"
    assert version_suffix("release/1.2-rc") == "+devrelease1.2rc"


def test_reuse_needs_one_wheel_and_a_matching_commit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert reusable(out, "amd64", "c1") == ""
    (out / "tensorrt_llm-1.0-py3-none-any.whl").write_bytes(b"")
    (out / "commit.txt").write_text("amd64_c1\n")
    assert reusable(out, "amd64", "c1").startswith("tensorrt_llm-1.0-py3-none-any.whl")
    assert reusable(out, "arm64", "c1") == "" and reusable(out, "amd64", "c2") == ""
    (out / "tensorrt_llm-2.0-py3-none-any.whl").write_bytes(b"")
    assert reusable(out, "amd64", "c1") == ""  # two wheels: which one?
    plan = plan_source(request(tmp_path, output_dir=out, commit="c1"), has_git_lfs=False)
    assert not plan.reuse and plan.steps


def test_source_steps(tmp_path: Path) -> None:
    fresh = plan_source(request(tmp_path), has_git_lfs=True)
    argvs = [s.argv for s in fresh.steps]
    src = str(tmp_path / "src")
    assert argvs[0] == ("git", "init", "-q", src)
    assert ("git", "-C", src, "fetch", "--no-tags", "--depth=1", "origin", "31116825") in argvs
    assert argvs[-1] == ("git", "-C", src, "lfs", "pull")
    (tmp_path / "src" / ".git").mkdir(parents=True)
    again = plan_source(request(tmp_path), has_git_lfs=False)
    assert again.steps[0].argv[-3:] == ("set-url", "origin", "https://g.example/trt.git")
    assert any("git-lfs is not installed" in w for w in again.warnings)
    with pytest.raises(ConfigError, match="commit is empty"):
        plan_source(request(tmp_path, commit=" "))


def test_wheel_steps(tmp_path: Path) -> None:
    amd = plan_wheel(request(tmp_path, cuda_archs="90-real", network="host"), Frontend(), version="1.3.0")
    build = next(s for s in amd.steps if s.kind == "build")
    a = build.argv
    assert a[:3] == ("docker", "buildx", "build") and "--load" not in a
    assert a[a.index("--target") + 1] == "wheel_export"
    assert "TRT_LLM_VER=1.3.0+dev31116825" in a and "DEVEL_IMAGE=tritondevel" in a
    assert (
        "BUILD_WHEEL_ARGS=--clean --job_count 4 --cuda_architectures 90-real "
        "--extra-cmake-vars NIXL_ROOT=/opt/nvidia/nvda_nixl"
    ) in a
    assert f"type=local,dest={tmp_path / 'out' / 'build'}" in a and a[a.index("--network") + 1] == "host"
    marker = next(s for s in amd.steps if s.name == "trtllm-commit-txt")
    assert "amd64_31116825" in marker.argv[-1]
    arm = next(
        s
        for s in plan_wheel(request(tmp_path, arch="arm64"), Frontend(), version="1").steps
        if s.kind == "build"
    )
    assert "DEVEL_IMAGE=devel" in arm.argv and not any("NIXL_ROOT" in w for w in arm.argv)
    legacy = next(
        s
        for s in plan_wheel(request(tmp_path), Frontend(buildx=False), version="1").steps
        if s.kind == "build"
    )
    assert legacy.argv[:2] == ("docker", "build") and dict(legacy.env) == {"DOCKER_BUILDKIT": "1"}


def test_read_version(tmp_path: Path) -> None:
    (tmp_path / "tensorrt_llm").mkdir()
    (tmp_path / "tensorrt_llm" / "version.py").write_text('# x\n__version__ = "1.3.0rc16"\n')
    assert read_version(tmp_path) == "1.3.0rc16"
    (tmp_path / "tensorrt_llm" / "version.py").write_text("VERSION = 1\n")
    with pytest.raises(ConfigError, match="no __version__"):
        read_version(tmp_path)
