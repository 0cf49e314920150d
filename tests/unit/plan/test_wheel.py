"""A TensorRT-LLM wheel from git: its request (resolve/trtllm.py) and its steps (plan/wheel.py)."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.wheel import plan_steps, source_steps, version_suffix, wheel_steps
from dynamo_container.resolve.trtllm import WheelRequest


def request(tmp_path: Path, **kw: object) -> WheelRequest:
    values: dict[str, object] = {
        "output_dir": tmp_path / "out",
        "commit": "31116825",
        "arch": "amd64",
        "git_url": "https://g.example/trt.git",
        "src_dir": tmp_path / "src",
        "jobs": 4,
    }
    values.update(kw)
    return WheelRequest(**values)  # type: ignore[arg-type]


def test_version_suffix() -> None:
    assert version_suffix("31116825") == "+dev31116825"
    assert version_suffix("release/1.2-rc") == "+devrelease1.2rc"


def test_source_steps(tmp_path: Path) -> None:
    src = str(tmp_path / "src")
    argvs = [s.argv for s in source_steps(request(tmp_path))]
    # `--` before every value: a commit or URL can never be read as one of git's options
    assert argvs[0] == ("git", "init", "-q", "--", src)
    assert ("git", "-C", src, "remote", "add", "--", "origin", "https://g.example/trt.git") in argvs
    assert ("git", "-C", src, "fetch", "--no-tags", "--depth=1", "--", "origin", "31116825") in argvs
    assert argvs[-1] == ("git", "-C", src, "lfs", "pull")
    again = source_steps(request(tmp_path, fresh_source=False, git_lfs=False))
    assert again[0].argv[-4:] == ("set-url", "--", "origin", "https://g.example/trt.git")
    assert all("lfs" not in s.argv for s in again)


def test_wheel_steps(tmp_path: Path) -> None:
    amd = wheel_steps(request(tmp_path, cuda_archs="90-real", network="host"), Frontend())
    a = next(s for s in amd if s.kind == "build").argv
    assert a[:3] == ("docker", "buildx", "build") and "--load" not in a
    assert a[a.index("--target") + 1] == "wheel_export" and "DEVEL_IMAGE=tritondevel" in a
    assert (
        "BUILD_WHEEL_ARGS=--clean --job_count 4 --cuda_architectures 90-real "
        "--extra-cmake-vars NIXL_ROOT=/opt/nvidia/nvda_nixl"
    ) in a
    assert f"type=local,dest={tmp_path / 'out' / 'build'}" in a and a[a.index("--network") + 1] == "host"
    version = next(s for s in amd if s.name == "trtllm-version")
    assert version.argv[:4] == ("sed", "-i", "-E", "-e") and "+dev31116825" in version.argv[4]
    assert version.argv[-2:] == ("--", str(tmp_path / "src" / "tensorrt_llm/version.py"))
    marker = next(s for s in amd if s.name == "trtllm-commit-txt")
    assert "amd64_31116825" in marker.argv[-1]
    arm = next(s for s in wheel_steps(request(tmp_path, arch="arm64"), Frontend()) if s.kind == "build")
    assert "DEVEL_IMAGE=devel" in arm.argv and not any("NIXL_ROOT" in w for w in arm.argv)
    legacy = next(s for s in wheel_steps(request(tmp_path), Frontend(buildx=False)) if s.kind == "build")
    assert legacy.argv[:2] == ("docker", "build") and dict(legacy.env) == {"DOCKER_BUILDKIT": "1"}


def test_every_step_has_its_log(tmp_path: Path) -> None:
    steps = plan_steps(request(tmp_path), Frontend(), tmp_path / "logs")
    assert steps and all(s.log == str(tmp_path / "logs" / f"{s.name}.log") for s in steps)


def test_a_reusable_wheel_plans_no_steps(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "tensorrt_llm-1.0-py3-none-any.whl").write_bytes(b"")
    (out / "commit.txt").write_text("amd64_c1\n")
    assert plan_steps(request(tmp_path, reuse="yes"), Frontend(), tmp_path) == []
