"""The checks of `invoke doctor`, each a pure function from a few probe results to a `Check`.

`Check(name, status, detail, fix)`: the unit tests cover every status without an engine;
`doctor.gather` is the one place that asks the docker CLI, the engine, git and the filesystem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dynamo_container.buildcontext.context import ContextReport, size_warning
from dynamo_container.buildcontext.locate import real_family
from dynamo_container.errors import DynamoError
from dynamo_container.execute.preflight import CONTAINER_BUILDER_FIX, unexportable_cache
from dynamo_container.model.units import human_size
from dynamo_container.model.version import VersionInfo

if TYPE_CHECKING:
    from dynamo_container.buildcontext.sources import Missing
    from dynamo_container.resolve.doctor import DoctorRequest

Status = Literal["pass", "warn", "fail"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail")

MIN_API_VERSION = (1, 41)  # Docker Engine 20.10
# Free space recommended in the engine's data root for one framework's images, their base images and
# build cache (GB); the stand-in profile builds on a small local base image.
DISK_GB: dict[str, int] = {"none": 15, "vllm": 40, "sglang": 40, "trtllm": 60}
STANDIN_DISK_GB = 1
_GB = 1_000_000_000

NOT_CHECKED_FIX = "fix the engine check first"
PRUNE_FIX = (
    "free space: docker image prune / docker builder prune (unused images and build cache), or move "
    "the engine's data-root (/etc/docker/daemon.json) to a bigger disk"
)
TOOLKIT_FIX = (
    "install the NVIDIA Container Toolkit and run `nvidia-ctk runtime configure --runtime=docker`, then "
    "restart dockerd; without GPUs run with --gpus none (DYNAMO_GPUS=none)"
)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""  # what to do about a warn or fail

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def _not_checked(name: str, why: str = "the engine does not answer", fix: str = NOT_CHECKED_FIX) -> Check:
    return Check(name, "warn", f"not checked: {why}", fix)


def check_cli(docker: str, path: str, version: str = "") -> Check:
    if not path:
        return Check(
            "docker CLI",
            "fail",
            f"docker CLI {docker!r} not found on PATH",
            "run scripts/engine-up to install one, or point DYNAMO_DOCKER_CLI at it",
        )
    return Check("docker CLI", "pass", f"{path}" + (f" ({version})" if version else ""))


def check_engine(url: str, error: Exception | None, server_version: str = "") -> Check:
    if error is not None:
        from dynamo_container.docker.engine import explain_engine_error
        from dynamo_container.errors import EngineError

        explained = error if isinstance(error, EngineError) else explain_engine_error(url, error)
        return Check("engine", "fail", explained.message, explained.hint)
    return Check("engine", "pass", f"Docker Engine {server_version or '?'} at {url}")


def parse_api_version(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in text.strip().split("."))
    except ValueError:
        return None


def check_api_version(api_version: str, reachable: bool = True) -> Check:
    name = "engine API"
    if not reachable:
        return _not_checked(name)
    want = ".".join(map(str, MIN_API_VERSION))
    parsed = parse_api_version(api_version)
    if parsed is None:
        return Check(
            name, "warn", f"the engine reports API version {api_version!r}", f"needs {want} or later"
        )
    if parsed < MIN_API_VERSION:
        return Check(
            name,
            "fail",
            f"API version {api_version} is older than {want}",
            "upgrade the Docker Engine to 20.10 or later (scripts/engine-up installs a current one)",
        )
    return Check(name, "pass", f"API version {api_version} (at least {want})")


def check_buildkit(buildx: bool, frontend: str, cli_found: bool = True) -> Check:
    from dynamo_container.docker.engine import BUILDKIT_HELP

    name = "BuildKit"
    if not cli_found:
        return _not_checked(name, "no docker CLI", "fix the docker CLI check first")
    if frontend == "build":
        return Check(name, "pass", "DOCKER_BUILDKIT=1 docker build (DYNAMO_BUILD_FRONTEND=build)")
    if buildx:
        return Check(name, "pass", "docker buildx build (buildx plugin)")
    if frontend == "buildx":
        return Check(
            name,
            "fail",
            "DYNAMO_BUILD_FRONTEND=buildx but the docker CLI has no buildx plugin",
            BUILDKIT_HELP,
        )
    return Check(
        name,
        "warn",
        "no buildx plugin: builds fall back to DOCKER_BUILDKIT=1 docker build "
        "(no --builder, no cache export)",
        "install the buildx plugin (Debian/Ubuntu: apt-get install docker-buildx; or run scripts/engine-up)",
    )


def check_builder(
    *,
    builder: str,
    driver: str,
    cache_to: Sequence[str] = (),
    error: DynamoError | None = None,
    containerd_store: bool = False,
    reachable: bool = True,
    cli_found: bool = True,
) -> Check:
    """The builder that builds run on, its driver and whether it can export the configured cache."""
    name = "builder"
    if not cli_found:
        return _not_checked(name, "no docker CLI", "fix the docker CLI check first")
    if not reachable:
        return _not_checked(name)
    if error is not None:
        return Check(name, "fail", error.message, error.hint)
    label = f"{builder} ({driver or '?'} driver)"
    exports = unexportable_cache(cache_to, driver, containerd_store)
    if driver == "docker" and not containerd_store:
        if exports:
            return Check(
                name,
                "warn",
                f"{label} cannot export cache type={', type='.join(exports)} (DYNAMO_CACHE_TO); "
                "only type=inline",
                CONTAINER_BUILDER_FIX,
            )
        return Check(name, "pass", f"{label}; cache export: inline only")
    return Check(name, "pass", f"{label}; cache export: any type")


def check_nvidia(runtimes: Sequence[str] | None) -> Check:
    from dynamo_container.docker.engine import has_nvidia_runtime

    name = "NVIDIA runtime"
    if runtimes is None:
        return _not_checked(name)
    listed = ", ".join(sorted(runtimes)) or "none"
    if has_nvidia_runtime(runtimes):
        return Check(name, "pass", f"nvidia runtime registered (runtimes: {listed})")
    return Check(
        name, "warn", f"no NVIDIA runtime (runtimes: {listed}): invoke run needs --gpus none", TOOLKIT_FIX
    )


def is_standin(container_dir: str) -> bool:
    """Any family but the real one (config fills the real one's path in when none is set)."""
    return Path(container_dir).resolve() != real_family().resolve()


def disk_needed_gb(framework: str, standin: bool) -> int:
    if standin:
        return STANDIN_DISK_GB
    return DISK_GB.get(framework.strip().lower(), max(DISK_GB.values()))


def check_disk(
    *,
    framework: str,
    standin: bool,
    root_dir: str,
    free_bytes: int | None,
    local: bool,
    url: str = "",
    error: str = "",
    reachable: bool = True,
) -> Check:
    name = "disk space"
    if not reachable:
        return _not_checked(name)
    need = disk_needed_gb(framework, standin)
    what = "the stand-in profile" if standin else f"{framework.strip().lower()} images"
    where = root_dir or "the engine's data root"
    if not local:
        return _not_checked(
            name, f"the engine at {url} is not local", f"check free space in {where} on the engine host"
        )
    if free_bytes is None:
        return Check(
            name,
            "warn",
            f"cannot measure free space in {where}" + (f": {error}" if error else ""),
            f"check it on the engine host (df -h {where}); ~{need} GB recommended for {what}",
        )
    detail = f"{human_size(free_bytes)} free in {where}; ~{need} GB recommended for {what}"
    if free_bytes < need * _GB / 4:
        return Check(name, "fail", detail, PRUNE_FIX)
    if free_bytes < need * _GB:
        return Check(name, "warn", detail, PRUNE_FIX)
    return Check(name, "pass", detail)


def check_git(info: VersionInfo | None, error: DynamoError | None = None) -> Check:
    name = "git metadata"
    if error is not None:
        return Check(name, "fail", error.message, error.hint)
    assert info is not None
    detail = f"{info.version} (commit {info.short})"
    if info.note:
        fix = (
            "git fetch --tags --unshallow"
            if "shallow" in info.note
            else "tag a release (git tag v1.2.3), or set the version: --version / DYNAMO_VERSION"
        )
        return Check(name, "warn", f"{detail}; {info.note}", fix)
    return Check(name, "pass", detail)


def check_ulimits(
    requested: Sequence[str] | DynamoError,
    limits: Mapping[str, int],
    *,
    local: bool,
    reachable: bool = True,
) -> Check:
    """Whether a local engine can grant the ulimits `invoke run` asks for."""
    from dynamo_container.docker.engine import ulimit_problems

    name = "ulimits"
    if isinstance(requested, DynamoError):
        return Check(name, "fail", requested.message, requested.hint)
    if not reachable:
        return _not_checked(name)
    wanted = " ".join(requested) or "none"
    if not local:
        return _not_checked(name, "the engine is not local", "check the engine host's dockerd limits")
    if not limits:
        return _not_checked(
            name, "cannot read the local engine's limits (/var/run/docker.pid)", "run as root to check"
        )
    problems = ulimit_problems(requested, dict(limits))
    if problems:
        kinds = [p.partition("=")[0] for p in problems]
        drop = " ".join(f"{k}=" for k in kinds)
        return Check(
            name,
            "warn",
            f"invoke run asks for {wanted}; this engine cannot grant {'; '.join(problems)}",
            "raise dockerd's hard limits (e.g. LimitMEMLOCK=infinity, LimitNOFILE=1048576 in its systemd "
            f'unit) and restart it, or lower or drop them: DYNAMO_ULIMITS="{drop}"',
        )
    return Check(name, "pass", f"the engine grants {wanted}")


def check_context(report: ContextReport | None, limit: int, error: DynamoError | None = None) -> Check:
    name = "build context"
    if error is not None:
        return Check(name, "fail", error.message, error.hint)
    assert report is not None
    warning = size_warning(report, limit)
    if warning:
        entries = " ".join(d.path for d in report.largest[:3])
        return Check(
            name,
            "warn",
            f"{human_size(report.bytes)} in {report.files} files after the ignore file (over {limit} MB)",
            f"exclude what the build does not read in {report.ignore_file or '.dockerignore'} "
            f"(largest: {entries}); invoke context",
        )
    return Check(
        name,
        "pass",
        f"{human_size(report.bytes)} in {report.files} files after the ignore file "
        f"(measured in {report.seconds * 1000:.0f} ms)",
    )


def check_checkout(
    problems: Sequence[Missing] | None, context: str, error: DynamoError | None = None
) -> Check:
    """The build context holds every path the Dockerfiles read (a Dynamo checkout)."""
    from dynamo_container.buildcontext.sources import summary

    name = "Dynamo checkout"
    if error is not None:
        return Check(name, "fail", error.message, error.hint)
    if problems is None:
        return _not_checked(name, "the Dockerfiles were not read", "see the config check")
    if problems:
        message, hint = summary(list(problems), Path(context))
        return Check(name, "fail", message, hint)
    return Check(name, "pass", f"{context} holds every path the Dockerfiles read")


def config_facts(req: DoctorRequest) -> dict[str, Any]:
    return {
        "framework": req.framework,
        "cuda_version": req.cuda_version,
        "platform": req.platform,
        "container_dir": req.container_dir,
        "stand_in": is_standin(req.container_dir),
        "env_files": list(req.env_files),
    }


def check_config(req: DoctorRequest) -> Check:
    """The effective configuration; a framework, CUDA or platform the planner refuses fails here."""
    name = "config"
    facts = config_facts(req)
    files = ", ".join(facts["env_files"]) or "none"
    detail = (
        f"framework {facts['framework']}, CUDA {facts['cuda_version'] or '?'}, platform {facts['platform']}, "
        f"Dockerfiles {facts['container_dir']}"
        + (" (stand-in)" if facts["stand_in"] else "")
        + f"; env files read: {files}"
    )
    if req.config_error is not None:  # the same rules a build applies
        return Check(name, "fail", req.config_error.message, req.config_error.hint)
    if req.warnings:
        return Check(
            name, "warn", f"{detail}; {'; '.join(req.warnings)}", "remove or correct those variables"
        )
    return Check(name, "pass", detail)
