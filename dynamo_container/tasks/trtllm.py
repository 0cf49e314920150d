"""`invoke trtllm-wheel`: build (or reuse) a TensorRT-LLM wheel from a git commit."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context

from .. import render
from ..config import Config
from ..errors import ConfigError
from .cli import ENV_FILE, Extra, SettingsTask, settings_task

OUTPUT_DIR = Extra(
    "output_dir",
    "Folder for the wheel and commit.txt (default: DYNAMO_TENSORRTLLM_PIP_WHEEL_DIR or /tmp/trtllm_wheel).",
)
COMMIT = Extra("commit", "TensorRT-LLM commit, tag or branch (default: DYNAMO_TENSORRTLLM_COMMIT).")
ARCH = Extra("arch", "amd64 or arm64 (default: from DYNAMO_PLATFORM).")
GIT_URL = Extra(
    "git_url", "TensorRT-LLM git URL (default: DYNAMO_TENSORRTLLM_GIT_URL or NVIDIA's repository)."
)
SETTINGS = (
    "dry_run",
    "platform",
    "log_dir",
    "trtllm_src_dir",
    "trtllm_cuda_archs",
    "build_network",
    "tensorrtllm_commit",
    "tensorrtllm_git_url",
    "tensorrtllm_pip_wheel_dir",
)


def trtllm_wheel(cfg: Config, *, output_dir: str, commit: str, arch: str, git_url: str) -> None:
    from .. import pipeline
    from ..engine import choose_frontend
    from ..execute_plan import execute_build
    from ..plan.model import TaskPlan
    from ..plan.wheel import plan_steps as plan_wheel
    from ..plan.wheel import summary
    from ..resolve.trtllm import wheel_request

    s = cfg.s
    req = wheel_request(cfg, output_dir=output_dir, commit=commit, arch=arch, git_url=git_url)
    if req.reuse:
        print(f"reusing {req.reuse}")
        return
    frontend = choose_frontend(s.docker_cli, s.build_frontend, s.builder, dry_run=s.dry_run).frontend
    warnings = () if req.git_lfs else ("git-lfs is not installed: TRT-LLM's large files stay pointers",)
    plan = TaskPlan(tuple(plan_wheel(req, frontend, cfg.path(s.log_dir))), summary(req), warnings=warnings)
    if s.dry_run:
        render.print_plan(plan)
        return
    execute_build(plan, pipeline.engine(cfg), pipeline.runner(cfg))
    wheels = sorted(req.output_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise ConfigError(
            f"the TRT-LLM build left {len(wheels)} wheels in {req.output_dir}",
            f"see the build folder {req.output_dir / 'build'}",
        )
    marker = (req.output_dir / "commit.txt").read_text(encoding="utf-8", errors="replace").strip()
    print(f"TensorRT-LLM wheel: {wheels[0]} (commit.txt: {marker})")


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(
        root,
        "trtllm-wheel",
        ("engine",),
        include=SETTINGS,
        extras=(ENV_FILE, OUTPUT_DIR, COMMIT, ARCH, GIT_URL),
    )
    def trtllm_wheel_task(
        c: Context,
        cfg: Config,
        output_dir: str | None = None,
        commit: str | None = None,
        arch: str | None = None,
        git_url: str | None = None,
    ) -> None:
        """Build a TensorRT-LLM wheel from a commit in TRT-LLM's build container; reuse a matching one."""
        trtllm_wheel(
            cfg, output_dir=output_dir or "", commit=commit or "", arch=arch or "", git_url=git_url or ""
        )

    return [trtllm_wheel_task]
