"""Building a TensorRT-LLM wheel from a git commit, inside TensorRT-LLM's own build container.

The plan has two phases: the source phase fetches the commit into a source folder; the wheel
phase (planned after the checkout, because it reads the TRT-LLM version from the source) builds
the `wheel` stage of TRT-LLM's docker/Dockerfile.multi with BuildKit, exports only the wheel, and
writes `<output>/commit.txt` = `<arch>_<commit>`. An output folder that already holds one wheel
and a matching commit.txt is reused.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import matrix
from .errors import ConfigError
from .plan import Frontend, Step

VERSION_FILE = "tensorrt_llm/version.py"
DOCKERFILE = "docker/Dockerfile.multi"
EXPORT_STAGE = "wheel_export"
_VERSION = re.compile(r'^__version__\s*=\s*"([^"]+)"', re.M)
_SAFE = re.compile(r"[^A-Za-z0-9.]")


@dataclass(frozen=True)
class WheelRequest:
    output_dir: Path
    commit: str
    arch: str  # amd64 | arm64
    git_url: str
    src_dir: Path
    nixl_ref: str
    cuda_archs: str = ""  # TRT-LLM's --cuda_architectures; empty: its own default
    jobs: int = 0  # 0: min(8, CPUs)
    network: str = ""  # --network of the build's RUN steps


@dataclass(frozen=True)
class WheelPlan:
    request: WheelRequest
    reuse: bool
    steps: tuple[Step, ...]
    summary: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...] = ()
    run_hint: str = ""
    notes: tuple[str, ...] = field(default=())


def normalize_arch(arch: str) -> str:
    a = arch.strip().lower()
    aliases = {"x86_64": "amd64", "aarch64": "arm64", "amd64": "amd64", "arm64": "arm64"}
    if a not in aliases:
        raise ConfigError(f"--arch {arch!r} is not an architecture", "use amd64 or arm64 (x86_64, aarch64)")
    return aliases[a]


def commit_marker(arch: str, commit: str) -> str:
    return f"{arch}_{commit}"


def reusable(output_dir: Path, arch: str, commit: str) -> str:
    """Why the output folder can be reused ('' when it cannot)."""
    marker = output_dir / "commit.txt"
    wheels = sorted(output_dir.glob("*.whl")) if output_dir.is_dir() else []
    if len(wheels) != 1 or not marker.is_file():
        return ""
    if marker.read_text(encoding="utf-8").strip() != commit_marker(arch, commit):
        return ""
    return f"{wheels[0].name} in {output_dir} was built from {commit} for {arch}"


def version_suffix(commit: str) -> str:
    """A PEP 440 local version for the wheel: +dev<commit>, letters and digits only."""
    return "+dev" + _SAFE.sub("", commit)[:40]


def _summary(req: WheelRequest) -> tuple[tuple[str, str], ...]:
    return (
        ("commit", req.commit),
        ("git url", req.git_url),
        ("architecture", req.arch),
        ("source folder", str(req.src_dir)),
        ("output folder", str(req.output_dir)),
    )


def plan_source(req: WheelRequest, *, has_git_lfs: bool | None = None) -> WheelPlan:
    """Phase 1: fetch the commit (or nothing, when the output folder already holds its wheel)."""
    if not req.commit.strip():
        raise ConfigError("the TensorRT-LLM commit is empty", "pass --commit (a hash, tag or branch)")
    why = reusable(req.output_dir, req.arch, req.commit)
    if why:
        return WheelPlan(req, True, (), _summary(req), notes=(f"reusing {why}",))
    src = str(req.src_dir)
    git = ("git", "-C", src)
    steps = []
    if not (req.src_dir / ".git").exists():
        steps.append(
            Step("trtllm-git-init", "create the source folder", ("git", "init", "-q", src), kind="host")
        )
        steps.append(
            Step(
                "trtllm-git-remote",
                "set the remote",
                (*git, "remote", "add", "origin", req.git_url),
                kind="host",
            )
        )
    else:
        steps.append(
            Step(
                "trtllm-git-remote",
                "point the remote at the URL",
                (*git, "remote", "set-url", "origin", req.git_url),
                kind="host",
            )
        )
    steps += [
        Step(
            "trtllm-git-fetch",
            f"fetch {req.commit}",
            (*git, "fetch", "--no-tags", "--depth=1", "origin", req.commit),
            kind="host",
        ),
        Step(
            "trtllm-git-checkout",
            "check it out",
            (*git, "checkout", "--force", "--detach", "FETCH_HEAD"),
            kind="host",
        ),
        Step(
            "trtllm-git-submodules",
            "submodules",
            (*git, "submodule", "update", "--init", "--recursive", "--depth=1"),
            kind="host",
        ),
    ]
    warnings = []
    lfs = shutil.which("git-lfs") is not None if has_git_lfs is None else has_git_lfs
    if lfs:
        steps.append(Step("trtllm-git-lfs", "large files", (*git, "lfs", "pull"), kind="host"))
    else:
        warnings.append(
            "git-lfs is not installed: TRT-LLM's large files stay pointers (apt-get install git-lfs)"
        )
    return WheelPlan(req, False, tuple(steps), _summary(req), tuple(warnings))


def read_version(src_dir: Path) -> str:
    path = src_dir / VERSION_FILE
    try:
        m = _VERSION.search(path.read_text(encoding="utf-8"))
    except OSError:
        m = None
    if not m:
        raise ConfigError(f'{path} has no __version__ = "..." line', "is this a TensorRT-LLM checkout?")
    return m.group(1)


def plan_wheel(req: WheelRequest, frontend: Frontend, *, version: str) -> WheelPlan:
    """Phase 2: build the wheel stage in TRT-LLM's container and collect the wheel (after the checkout)."""
    src, out = req.src_dir, req.output_dir
    jobs = req.jobs or min(8, os.cpu_count() or 1)
    wheel_args = ["--clean", "--job_count", str(jobs)]
    if req.cuda_archs:
        wheel_args += ["--cuda_architectures", req.cuda_archs]
    if req.arch == "amd64":  # NIXL lives in TRT-LLM's Triton devel image on x86 only
        wheel_args += ["--extra-cmake-vars", "NIXL_ROOT=/opt/nvidia/nvda_nixl"]
    devel = "tritondevel" if req.arch == "amd64" else "devel"
    suffix = version_suffix(req.commit)
    dockerfile = shlex.quote(str(src / DOCKERFILE))
    export = (
        f"grep -q '^FROM scratch AS {EXPORT_STAGE}$' {dockerfile} || "
        f"printf '\\nFROM scratch AS {EXPORT_STAGE}\\nCOPY --from=wheel /src/tensorrt_llm/build/ /\\n' "
        f">> {dockerfile}"
    )
    q_out = shlex.quote(str(out))
    build = [
        *frontend.build_prefix(None),  # the wheel is exported to a folder, not loaded as an image
        "--progress=plain",
        "--platform",
        f"linux/{req.arch}",
        *(("--network", req.network) if req.network else ()),
        "--file",
        str(src / DOCKERFILE),
        "--target",
        EXPORT_STAGE,
        "--build-arg",
        f"DEVEL_IMAGE={devel}",
        "--build-arg",
        f"TRT_LLM_VER={version}{suffix}",
        "--build-arg",
        f"BUILD_WHEEL_ARGS={' '.join(wheel_args)}",
        "--output",
        f"type=local,dest={out / 'build'}",
        str(src),
    ]
    version_file = str(src / VERSION_FILE)
    steps = (
        Step(
            "trtllm-version",
            f"mark the wheel version {version}{suffix}",
            ("sed", "-i", "-E", f's/^(__version__ = "[^"+]*)"/\\1{suffix}"/', version_file),
            kind="host",
        ),
        Step("trtllm-export-stage", f"add the {EXPORT_STAGE} stage", ("sh", "-c", export), kind="host"),
        Step(
            "trtllm-clear",
            "clear old wheels",
            ("sh", "-c", f"rm -rf {q_out}/build {q_out}/commit.txt {q_out}/*.whl"),
            kind="host",
        ),
        Step(
            "trtllm-build",
            "build the wheel in TRT-LLM's container",
            tuple(build),
            env=frontend.env,
            kind="build",
        ),
        Step(
            "trtllm-collect",
            "collect the wheel",
            (
                "find",
                str(out / "build"),
                "-maxdepth",
                "3",
                "-name",
                "*.whl",
                "-exec",
                "cp",
                "{}",
                str(out),
                ";",
            ),
            kind="host",
        ),
        Step(
            "trtllm-commit-txt",
            "record the commit",
            (
                "sh",
                "-c",
                f"printf '%s\\n' {shlex.quote(commit_marker(req.arch, req.commit))} > {q_out}/commit.txt",
            ),
            kind="host",
        ),
        Step(
            "trtllm-restore",
            "restore version.py",
            ("git", "-C", str(src), "checkout", "--", VERSION_FILE),
            kind="host",
        ),
    )
    return WheelPlan(req, False, steps, _summary(req))


def request_from(
    *,
    output_dir: str,
    commit: str,
    arch: str,
    git_url: str,
    src_dir: str,
    nixl_ref: str,
    cuda_archs: str = "",
    network: str = "",
    root: Path,
) -> WheelRequest:
    def path(p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else root / q

    return WheelRequest(
        output_dir=path(output_dir or "/tmp/trtllm_wheel"),
        commit=commit.strip(),
        arch=normalize_arch(arch),
        git_url=git_url or "https://github.com/NVIDIA/TensorRT-LLM.git",
        src_dir=path(src_dir),
        nixl_ref=nixl_ref,
        cuda_archs=cuda_archs,
        network=network,
    )


def arch_of_platform(platform: str) -> str:
    return matrix.PLATFORMS.get(platform.strip().lower(), "amd64")
