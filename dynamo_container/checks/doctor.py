"""`invoke doctor`: what this machine needs to build and run Dynamo images, each with its fix.

`gather` probes (the only part that talks to the outside: docker CLI, engine, git, filesystem);
`run_checks` turns the probes and the doctor's request (the configuration read once,
resolve/doctor.py) into the checks of `verdicts.py`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynamo_container.buildcontext.context import ContextReport, limit_mb
from dynamo_container.checks.registries import Registry, check_registries
from dynamo_container.checks.verdicts import (
    STATUSES,
    Check,
    check_api_version,
    check_builder,
    check_buildkit,
    check_checkout,
    check_cli,
    check_config,
    check_context,
    check_disk,
    check_engine,
    check_git,
    check_nvidia,
    check_ulimits,
    config_facts,
    is_standin,
)
from dynamo_container.errors import DynamoError
from dynamo_container.execute.preflight import containerd_store
from dynamo_container.model.version import VersionInfo

if TYPE_CHECKING:
    from dynamo_container.buildcontext.sources import Missing
    from dynamo_container.docker.engine import Engine
    from dynamo_container.plan.model import Step
    from dynamo_container.resolve.doctor import DoctorRequest


@dataclass(frozen=True)
class Probes:
    cli_path: str = ""
    cli_version: str = ""
    engine_url: str = "unix:///var/run/docker.sock"
    engine_error: Exception | None = None
    server_version: str = ""
    api_version: str = ""
    buildx: bool = False
    builder: str = ""
    builder_driver: str = ""
    builder_error: DynamoError | None = None
    runtimes: tuple[str, ...] = ()
    containerd_store: bool = False
    docker_root: str = ""
    free_bytes: int | None = None
    disk_error: str = ""
    version: VersionInfo | None = None
    version_error: DynamoError | None = None
    engine_limits: dict[str, int] = field(default_factory=dict)
    context: ContextReport | None = None
    context_error: DynamoError | None = None
    missing_sources: tuple[Missing, ...] | None = None
    sources_error: DynamoError | None = None
    registries: tuple[Registry, ...] | None = None
    registries_error: Exception | None = None

    @property
    def reachable(self) -> bool:
        return self.engine_error is None

    @property
    def local(self) -> bool:
        return self.engine_url.startswith("unix://")


def _output(argv: Sequence[str]) -> tuple[int, str]:
    try:
        out = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return out.returncode, out.stdout


def current_builder(docker: str) -> str:
    """The name of the buildx builder in use (`docker buildx inspect` without a name)."""
    code, text = _output([docker, "buildx", "inspect"])
    if code == 0:
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Name" and value.strip():
                return value.strip()
    return "default"


def _builder_probe(req: DoctorRequest, buildx: bool) -> dict[str, Any]:
    from dynamo_container.docker.engine import builder_driver

    if not buildx:
        if req.builder:
            return {
                "builder_error": DynamoError(
                    f"--builder {req.builder} needs the buildx frontend",
                    "install the buildx plugin (apt-get install docker-buildx), or drop DYNAMO_BUILDER",
                )
            }
        return {"builder": "the engine's built-in BuildKit", "builder_driver": "docker"}
    name = req.builder or current_builder(req.docker_cli)
    try:
        return {"builder": name, "builder_driver": builder_driver(req.docker_cli, name)}
    except DynamoError as exc:
        return {"builder": name, "builder_error": exc}


def gather(req: DoctorRequest, build_steps: Callable[[], Sequence[Step]]) -> Probes:
    """Ask the docker CLI, the engine, git and the filesystem everything the checks need
    (`build_steps`: the dry-run plan of the configured build, made only when the engine answers)."""
    from dynamo_container.docker.engine import Engine, has_buildx, local_engine_limits, runtimes_of

    docker = req.docker_cli
    found: dict[str, Any] = {"cli_path": shutil.which(docker) or ""}
    if found["cli_path"]:
        found["cli_version"] = _output([docker, "--version"])[1].strip()
    engine = Engine.of(docker)
    url = engine.url
    found["engine_url"] = url
    info: dict[str, Any] = {}
    try:
        engine.ping()
        api = engine.client()
        version = api.version()
        info = api.info()
        found["server_version"] = str(version.get("Version", ""))
        found["api_version"] = str(version.get("ApiVersion", ""))
    except Exception as exc:  # docker-py raises several unrelated types for the same cause
        found["engine_error"] = exc
    found["runtimes"] = runtimes_of(info)
    found["containerd_store"] = containerd_store(info)
    found["docker_root"] = str(info.get("DockerRootDir", ""))
    if found["cli_path"]:
        found["buildx"] = req.build_frontend != "build" and has_buildx(docker)
        if "engine_error" not in found:
            found |= _builder_probe(req, found["buildx"])
    if url.startswith("unix://") and found["docker_root"]:
        try:
            found["free_bytes"] = shutil.disk_usage(found["docker_root"]).free
        except OSError as exc:
            found["disk_error"] = exc.strerror or str(exc)
    if "engine_error" not in found:
        found["engine_limits"] = local_engine_limits(url)
    found |= _checkout_probes(req)
    found |= _registry_probe(build_steps, engine, reachable="engine_error" not in found)
    return Probes(**found)


def _checkout_probes(req: DoctorRequest) -> dict[str, Any]:
    """What git says of the checkout, its context as BuildKit sends it, the paths the Dockerfiles miss."""
    from dynamo_container.buildcontext.git import describe
    from dynamo_container.buildcontext.sources import check_family

    checkout = req.checkout
    if isinstance(checkout, DynamoError):
        return {"version_error": checkout, "context_error": checkout, "sources_error": checkout}
    found: dict[str, Any] = {}
    try:
        found["version"] = describe(checkout, version=req.version, commit=req.commit_sha)
    except DynamoError as exc:
        found["version_error"] = exc
    try:
        found["context"] = _largest_context(checkout, req.ignore_files)
    except DynamoError as exc:
        found["context_error"] = exc
    try:
        found["missing_sources"] = tuple(check_family(req.family, checkout))
    except DynamoError as exc:
        found["sources_error"] = exc
    return found


def _largest_context(checkout: Path, ignore_files: Sequence[Path | None] | DynamoError) -> ContextReport:
    """The context as the framework steps send it; for several frameworks, the largest they send."""
    from dynamo_container.buildcontext.context import measure

    if isinstance(ignore_files, DynamoError):
        raise ignore_files
    reports = [measure(checkout, ignore) for ignore in ignore_files]
    return max(reports, key=lambda report: report.bytes)


def _registry_probe(
    build_steps: Callable[[], Sequence[Step]], engine: Engine, *, reachable: bool
) -> dict[str, Any]:
    """The registries the configured build pulls from (the images it starts FROM that the engine lacks)."""
    from dynamo_container.checks.registries import pulled_images, registries

    def present(images: Sequence[str]) -> set[str]:
        return {ref for ref, attrs in engine.inspect_images(images).items() if attrs}

    if not reachable:
        return {}
    try:
        return {"registries": registries(pulled_images(build_steps()), present)}
    except Exception as exc:  # a configuration the build would refuse, an engine that stops answering
        return {"registries_error": exc}


def run_checks(req: DoctorRequest, p: Probes) -> list[Check]:
    """Every check, in the order they are shown, from the doctor's request and the probe results."""
    cli = bool(p.cli_path)
    return [
        check_cli(req.docker_cli, p.cli_path, p.cli_version),
        check_engine(p.engine_url, p.engine_error, p.server_version),
        check_api_version(p.api_version, p.reachable),
        check_buildkit(p.buildx, req.build_frontend, cli),
        check_builder(
            builder=p.builder,
            driver=p.builder_driver,
            cache_to=req.cache_to,
            error=p.builder_error,
            containerd_store=p.containerd_store,
            reachable=p.reachable,
            cli_found=cli,
        ),
        check_nvidia(p.runtimes if p.reachable else None),
        check_disk(
            framework=req.framework,
            standin=is_standin(req.container_dir),
            root_dir=p.docker_root,
            free_bytes=p.free_bytes,
            local=p.local,
            url=p.engine_url,
            error=p.disk_error,
            reachable=p.reachable,
        ),
        check_git(p.version, p.version_error),
        check_ulimits(req.ulimits, p.engine_limits, local=p.local, reachable=p.reachable),
        check_context(p.context, limit_mb(req.context_warn_mb), p.context_error),
        check_checkout(p.missing_sources, req.context_shown, p.sources_error),
        check_registries(p.registries, p.registries_error, reachable=p.reachable),
        check_config(req),
    ]


def counts(checks: Sequence[Check]) -> dict[str, int]:
    return {status: sum(1 for c in checks if c.status == status) for status in STATUSES}


def to_json(req: DoctorRequest, checks: Sequence[Check]) -> dict[str, Any]:
    return {
        "ok": not any(c.status == "fail" for c in checks),
        "counts": counts(checks),
        "checks": [c.to_json() for c in checks],
        "config": config_facts(req),
    }
