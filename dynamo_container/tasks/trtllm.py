"""`invoke trtllm-wheel`: build (or reuse) a TensorRT-LLM wheel from a git commit."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, Extra, SettingsTask, settings_task

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
)  # (--commit, --git-url and --output-dir default to the DYNAMO_TENSORRTLLM_* settings)


def trtllm_wheel(cfg: Config, *, output_dir: str, commit: str, arch: str, git_url: str) -> None:
    from dynamo_container import pipeline

    req, plan, run = pipeline.wheel_plan(
        cfg, output_dir=output_dir, commit=commit, arch=arch, git_url=git_url
    )
    if plan is None:
        print(f"reusing {req.reuse}")
    elif cfg.s.dry_run:
        console.print_plan(plan)
    else:
        wheel, marker = pipeline.execute_wheel(req, plan, run)
        print(f"TensorRT-LLM wheel: {wheel} (commit.txt: {marker})")


def tasks(root: Path | None) -> list[SettingsTask]:
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
