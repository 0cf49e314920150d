"""Building a TensorRT-LLM wheel from a git commit, inside TensorRT-LLM's own build container (pure).

The steps fetch the commit into the source folder, mark the wheel version `+dev<commit>` in
tensorrt_llm/version.py (which the wheel takes its version from), build the `wheel` stage of
TRT-LLM's docker/Dockerfile.multi with BuildKit exporting only the wheel, collect it and write
`<output>/commit.txt` = `<arch>_<commit>`. A build plan of framework trtllm in build mode runs
these steps before its own, so a dry run shows every command that will run.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.model import Step
from dynamo_container.resolve.trtllm import WheelRequest, commit_marker

VERSION_FILE = "tensorrt_llm/version.py"
DOCKERFILE = "docker/Dockerfile.multi"
EXPORT_STAGE = "wheel_export"
_SAFE = re.compile(r"[^A-Za-z0-9.]")


def version_suffix(commit: str) -> str:
    """A PEP 440 local version for the wheel: +dev<commit>, letters and digits only."""
    return "+dev" + _SAFE.sub("", commit)[:40]


def summary(req: WheelRequest) -> tuple[tuple[str, str], ...]:
    return (
        ("commit", req.commit),
        ("git url", req.git_url),
        ("architecture", req.arch),
        ("source folder", str(req.src_dir)),
        ("output folder", str(req.output_dir)),
    )


def _host(name: str, title: str, *argv: str) -> Step:
    return Step(name, title, tuple(argv), kind="host")


def source_steps(req: WheelRequest) -> list[Step]:
    """Fetch the commit (with submodules and large files) into the source folder."""
    src = str(req.src_dir)
    git = ("git", "-C", src)
    if req.fresh_source:
        steps = [
            _host("trtllm-git-init", "create the source folder", "git", "init", "-q", "--", src),
            _host("trtllm-git-remote", "set the remote", *git, "remote", "add", "--", "origin", req.git_url),
        ]
    else:
        steps = [
            _host(
                "trtllm-git-remote",
                "point the remote at the URL",
                *git,
                "remote",
                "set-url",
                "--",
                "origin",
                req.git_url,
            )
        ]
    steps += [
        _host(
            "trtllm-git-fetch",
            f"fetch {req.commit}",
            *git,
            "fetch",
            "--no-tags",
            "--depth=1",
            "--",
            "origin",
            req.commit,
        ),
        _host("trtllm-git-checkout", "check it out", *git, "checkout", "--force", "--detach", "FETCH_HEAD"),
        _host(
            "trtllm-git-submodules",
            "submodules",
            *git,
            "submodule",
            "update",
            "--init",
            "--recursive",
            "--depth=1",
        ),
    ]
    if req.git_lfs:
        steps.append(_host("trtllm-git-lfs", "large files", *git, "lfs", "pull"))
    return steps


def _build_argv(req: WheelRequest, frontend: Frontend) -> tuple[str, ...]:
    wheel_args = ["--clean", "--job_count", str(req.job_count)]
    if req.cuda_archs:
        wheel_args += ["--cuda_architectures", req.cuda_archs]
    if req.arch == "amd64":  # NIXL lives in TRT-LLM's Triton devel image on x86 only
        wheel_args += ["--extra-cmake-vars", "NIXL_ROOT=/opt/nvidia/nvda_nixl"]
    return (
        *frontend.build_prefix(None),  # the wheel is exported to a folder, not loaded as an image
        "--progress=plain",
        "--platform",
        f"linux/{req.arch}",
        *(("--network", req.network) if req.network else ()),
        "--file",
        str(req.src_dir / DOCKERFILE),
        "--target",
        EXPORT_STAGE,
        "--build-arg",
        f"DEVEL_IMAGE={'tritondevel' if req.arch == 'amd64' else 'devel'}",
        "--build-arg",
        f"BUILD_WHEEL_ARGS={' '.join(wheel_args)}",
        "--output",
        f"type=local,dest={req.output_dir / 'build'}",
        "--",
        str(req.src_dir),
    )


def wheel_steps(req: WheelRequest, frontend: Frontend) -> list[Step]:
    """Mark the version, build and export the wheel stage, collect the wheel, record the commit."""
    src, out = req.src_dir, req.output_dir
    suffix = version_suffix(req.commit)
    dockerfile = shlex.quote(str(src / DOCKERFILE))
    add_export = (
        f"grep -q '^FROM scratch AS {EXPORT_STAGE}$' {dockerfile} || "
        f"printf '\\nFROM scratch AS {EXPORT_STAGE}\\nCOPY --from=wheel /src/tensorrt_llm/build/ /\\n' "
        f">> {dockerfile}"
    )
    q_out = shlex.quote(str(out))
    marker = shlex.quote(commit_marker(req.arch, req.commit))
    version_file = str(src / VERSION_FILE)
    return [
        _host(
            "trtllm-version",
            f"mark the wheel version {suffix}",
            *("sed", "-i", "-E", "-e", f's/^(__version__ = "[^"+]*)"/\\1{suffix}"/', "--", version_file),
        ),
        _host("trtllm-export-stage", f"add the {EXPORT_STAGE} stage", "sh", "-c", add_export),
        _host(
            "trtllm-clear",
            "clear old wheels",
            "sh",
            "-c",
            f"rm -rf {q_out}/build {q_out}/commit.txt {q_out}/*.whl",
        ),
        Step(
            "trtllm-build",
            "build the wheel in TRT-LLM's container",
            _build_argv(req, frontend),
            env=frontend.env,
        ),
        _host(
            "trtllm-collect",
            "collect the wheel",
            *(
                "find",
                str(out / "build"),
                "-maxdepth",
                "3",
                "-name",
                "*.whl",
                "-exec",
                "cp",
                "--",
                "{}",
                str(out),
                ";",
            ),
        ),
        _host(
            "trtllm-commit-txt",
            "record the commit",
            "sh",
            "-c",
            f"printf '%s\\n' {marker} > {q_out}/commit.txt",
        ),
        _host("trtllm-restore", "restore version.py", "git", "-C", str(src), "checkout", "--", VERSION_FILE),
    ]


def plan_steps(req: WheelRequest, frontend: Frontend, log_dir: Path) -> list[Step]:
    """Every step of a wheel build (none when the output folder already holds this commit's wheel)."""
    if req.reuse:
        return []
    steps = source_steps(req) + wheel_steps(req, frontend)
    return [dataclasses.replace(s, log=str(log_dir / f"{s.name}.log")) for s in steps]
