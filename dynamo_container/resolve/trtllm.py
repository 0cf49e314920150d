"""How a TensorRT-LLM build gets its wheel: download, install a built one, or build one from git.

Exactly one intent: download (a pip spec; the default), install (a folder with one wheel and its
commit.txt = `<arch>_<commit>`), or build (a git URL and commit, built into the wheel folder first).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog, grammar
from dynamo_container.resolve import values
from dynamo_container.resolve.values import arch_name, origin

DEFAULT_WHEEL_DIR = "/tmp/trtllm_wheel"
DEFAULT_GIT_URL = "https://github.com/NVIDIA/TensorRT-LLM.git"


@dataclass(frozen=True)
class TrtllmIntent:
    mode: Literal["download", "install", "build"]
    commit: str
    pip_wheel: str = ""
    index_url: str = ""
    wheel_dir: str = ""
    git_url: str = ""


@dataclass(frozen=True)
class WheelRequest:
    """A TensorRT-LLM wheel to build from git, in TensorRT-LLM's own build container."""

    output_dir: Path
    commit: str
    arch: str  # amd64 | arm64
    git_url: str
    src_dir: Path
    cuda_archs: str = ""  # TRT-LLM's --cuda_architectures; empty: its own default
    jobs: int = 0  # 0: min(8, CPUs)
    network: str = ""  # --network of the build's RUN steps
    reuse: str = ""  # why the output folder already holds this wheel ('' when it must be built)
    git_lfs: bool = True  # git-lfs is installed (else TRT-LLM's large files stay pointers)
    fresh_source: bool = True  # src_dir is not a git checkout yet

    @property
    def job_count(self) -> int:
        return self.jobs or min(8, os.cpu_count() or 1)


def commit_marker(arch: str, commit: str) -> str:
    return f"{arch}_{commit}"


def reusable(output_dir: Path, arch: str, commit: str) -> str:
    """Why the output folder can be reused ('' when it cannot)."""
    marker = output_dir / "commit.txt"
    wheels = sorted(output_dir.glob("*.whl")) if output_dir.is_dir() else []
    if len(wheels) != 1 or not marker.is_file():
        return ""
    if marker.read_text(encoding="utf-8", errors="replace").strip() != commit_marker(arch, commit):
        return ""
    return f"{wheels[0].name} in {output_dir} was built from {commit} for {arch}"


def resolve_trtllm(cfg: Config, arch: str, warnings: list[str]) -> TrtllmIntent:
    s = cfg.s
    if s.tensorrtllm_index_url and not s.tensorrtllm_pip_wheel:
        raise ConfigError(
            f"{origin(cfg, 'tensorrtllm_index_url')} needs --tensorrtllm-pip-wheel",
            f"e.g. --tensorrtllm-pip-wheel {catalog.TRTLLM_PIP_WHEEL} --tensorrtllm-index-url URL",
        )
    if s.tensorrtllm_pip_wheel and (s.tensorrtllm_pip_wheel_dir or s.tensorrtllm_git_url):
        raise ConfigError(
            "cannot tell how to get TensorRT-LLM: choose one of --tensorrtllm-pip-wheel (download), "
            "--tensorrtllm-pip-wheel-dir (install a built wheel) or --tensorrtllm-git-url with "
            "--tensorrtllm-commit (build from source)"
        )
    if s.tensorrtllm_git_url:
        if not s.tensorrtllm_commit:
            raise ConfigError(
                f"{origin(cfg, 'tensorrtllm_git_url')} needs --tensorrtllm-commit",
                "name the commit, tag or branch to build",
            )
        wheel_dir = cfg.path(s.tensorrtllm_pip_wheel_dir or DEFAULT_WHEEL_DIR)
        return TrtllmIntent(
            "build", s.tensorrtllm_commit, wheel_dir=str(wheel_dir), git_url=s.tensorrtllm_git_url
        )
    if s.tensorrtllm_pip_wheel_dir:
        return _installed_wheel(cfg, arch, warnings)
    return _download(cfg)


def _download(cfg: Config) -> TrtllmIntent:
    s = cfg.s
    spec = s.tensorrtllm_pip_wheel or catalog.TRTLLM_PIP_WHEEL
    commit = s.tensorrtllm_commit
    if not commit:
        _, sep, pinned = spec.partition("==")
        commit = pinned.strip() if sep else ""
        if not commit:
            raise ConfigError(
                f"{origin(cfg, 'tensorrtllm_pip_wheel')} {spec!r} has no ==version to derive the TRT-LLM "
                "commit from",
                "pin it (tensorrt-llm==X.Y.Z) or add --tensorrtllm-commit",
            )
    return TrtllmIntent(
        "download", commit, pip_wheel=spec, index_url=s.tensorrtllm_index_url or catalog.TRTLLM_INDEX_URL
    )


def _installed_wheel(cfg: Config, arch: str, warnings: list[str]) -> TrtllmIntent:
    s = cfg.s
    where = origin(cfg, "tensorrtllm_pip_wheel_dir")
    folder = cfg.path(s.tensorrtllm_pip_wheel_dir)
    if not folder.is_dir():
        raise ConfigError(f"{where} {s.tensorrtllm_pip_wheel_dir}: no such folder")
    wheels = sorted(p.name for p in folder.glob("*.whl"))
    if len(wheels) != 1:
        found = ", ".join(wheels) if wheels else "none"
        raise ConfigError(
            f"{where} {s.tensorrtllm_pip_wheel_dir} must hold exactly one .whl (found: {found})"
        )
    commit = s.tensorrtllm_commit
    marker = folder / "commit.txt"
    if marker.is_file():
        recorded = _recorded_commit(marker, arch)
        if commit and commit != recorded:
            warnings.append(f"--tensorrtllm-commit {commit} wins over {marker} ({recorded})")
        commit = commit or recorded
    elif not commit:
        raise ConfigError(
            f"{folder} has no commit.txt to tell the TRT-LLM commit", "add --tensorrtllm-commit COMMIT"
        )
    return TrtllmIntent("install", commit, wheel_dir=str(folder))


def _recorded_commit(marker: Path, arch: str) -> str:
    text = marker.read_text(encoding="utf-8", errors="replace").strip()
    wheel_arch, sep, recorded = text.partition("_")
    if not sep or not recorded or wheel_arch not in catalog.ARCHES:
        raise ConfigError(f"{marker}: expected <arch>_<commit> (e.g. amd64_31116825), got {text!r}")
    if wheel_arch != arch:
        raise ConfigError(f"{marker}: the wheel was built for {wheel_arch}, this build is for {arch}")
    return recorded


def wheel_request(
    cfg: Config,
    *,
    output_dir: str = "",
    commit: str = "",
    arch: str = "",
    git_url: str = "",
) -> WheelRequest:
    """The wheel build of `invoke trtllm-wheel` (explicit values win over the settings)."""
    s = cfg.s
    values.shapes(cfg, "tensorrtllm_commit", "tensorrtllm_git_url", "trtllm_cuda_archs", "build_network")
    commit = (commit or s.tensorrtllm_commit).strip()
    if not commit:
        raise ConfigError("the TensorRT-LLM commit is empty", "pass --commit (a hash, tag or branch)")
    _check("--commit", commit, grammar.git_ref_problem, "a commit, tag or branch, e.g. v1.3.0rc1")
    if git_url:
        _check("--git-url", git_url, grammar.git_url_problem, f"e.g. {DEFAULT_GIT_URL}")
    chosen = arch_name(arch, "--arch") if arch else catalog.arch_of_platform(s.platform)
    if chosen is None:
        raise ConfigError(
            f"{origin(cfg, 'platform')} {s.platform!r} is not a platform", "use linux/amd64 or linux/arm64"
        )
    out = cfg.path(output_dir or s.tensorrtllm_pip_wheel_dir or DEFAULT_WHEEL_DIR)
    return _wheel(cfg, out, commit, chosen, git_url or s.tensorrtllm_git_url or DEFAULT_GIT_URL)


def _check(flag: str, value: str, check: Callable[[str], str], hint: str) -> None:
    problem = check(value)
    if problem:
        raise ConfigError(f"{flag} {value!r}: {problem}", hint)


def build_wheel_request(cfg: Config, intent: TrtllmIntent, arch: str) -> WheelRequest | None:
    """The wheel a build-mode TensorRT-LLM build makes first (None for the other intents)."""
    if intent.mode != "build":
        return None
    return _wheel(cfg, Path(intent.wheel_dir), intent.commit, arch, intent.git_url)


def _wheel(cfg: Config, out: Path, commit: str, arch: str, git_url: str) -> WheelRequest:
    src = cfg.path(cfg.s.trtllm_src_dir)
    return WheelRequest(
        output_dir=out,
        commit=commit,
        arch=arch,
        git_url=git_url,
        src_dir=src,
        cuda_archs=cfg.s.trtllm_cuda_archs,
        network=cfg.s.build_network,
        reuse=reusable(out, arch, commit),
        git_lfs=shutil.which("git-lfs") is not None,
        fresh_source=not (src / ".git").exists(),
    )
