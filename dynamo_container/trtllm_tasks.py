"""`invoke trtllm-wheel`: build (or reuse) a TensorRT-LLM wheel from a git commit."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context

from . import render
from .cli import ENV_FILE, Extra, SettingsTask, settings_task
from .config import Config
from .errors import ConfigError

OUTPUT_DIR = Extra(
    "output_dir",
    "Folder for the wheel and commit.txt (default: DYNAMO_TENSORRTLLM_PIP_WHEEL_DIR or /tmp/trtllm_wheel).",
)
COMMIT = Extra("commit", "TensorRT-LLM commit, tag or branch (default: DYNAMO_TENSORRTLLM_COMMIT).")
ARCH = Extra("arch", "amd64 or arm64 (default: from DYNAMO_PLATFORM).")
GIT_URL = Extra(
    "git_url", "TensorRT-LLM git URL (default: DYNAMO_TENSORRTLLM_GIT_URL or NVIDIA's repository)."
)


def trtllm_wheel(
    cfg: Config, *, output_dir: str | None, commit: str | None, arch: str | None, git_url: str | None
) -> None:
    from .engine import choose_frontend
    from .trtllm_wheel import arch_of_platform, plan_source, plan_wheel, read_version, request_from

    s = cfg.s
    req = request_from(
        output_dir=output_dir or s.tensorrtllm_pip_wheel_dir,
        commit=commit or s.tensorrtllm_commit,
        arch=arch or arch_of_platform(s.platform),
        git_url=git_url or s.tensorrtllm_git_url,
        src_dir=s.trtllm_src_dir,
        nixl_ref=s.nixl_ref,
        cuda_archs=s.trtllm_cuda_archs,
        network=s.build_network,
        root=cfg.root,
    )
    source = plan_source(req)
    if source.reuse:
        for note in source.notes:
            print(note)
        return
    frontend = choose_frontend(cfg, dry_run=s.dry_run).frontend
    if s.dry_run:
        preview = plan_wheel(
            req, frontend, version="<__version__ of tensorrt_llm/version.py after the checkout>"
        )
        combined = type(source)(req, False, source.steps + preview.steps, source.summary, source.warnings)
        render.print_plan(combined)
        return
    from .execute import execute_build

    execute_build(source, cfg)
    execute_build(plan_wheel(req, frontend, version=read_version(req.src_dir)), cfg)
    wheels = sorted(req.output_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise ConfigError(
            f"the TRT-LLM build left {len(wheels)} wheels in {req.output_dir}",
            f"see the build folder {req.output_dir / 'build'}",
        )
    print(
        f"TensorRT-LLM wheel: {wheels[0]} (commit.txt: {(req.output_dir / 'commit.txt').read_text().strip()})"
    )


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(
        root,
        "trtllm-wheel",
        ("engine",),
        include=(
            "nixl_ref",
            "dry_run",
            "platform",
            "log_dir",
            "trtllm_src_dir",
            "trtllm_cuda_archs",
            "build_network",
            "tensorrtllm_commit",
            "tensorrtllm_git_url",
            "tensorrtllm_pip_wheel_dir",
        ),
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
        trtllm_wheel(cfg, output_dir=output_dir, commit=commit, arch=arch, git_url=git_url)

    return [trtllm_wheel_task]
