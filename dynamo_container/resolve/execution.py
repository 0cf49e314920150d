"""How an invocation's plans run, read from the configuration once: the execution request.

The layers below resolve (the pipeline's composition, the executors, the reports) take these values
from the request and never read the configuration again. The build frontend is chosen here, once per
invocation (it may run the docker CLI), and every later step uses that choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dynamo_container.config import Config
from dynamo_container.docker.engine import FrontendChoice, choose_frontend
from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.model.naming import Names
from dynamo_container.resolve import values


@dataclass(frozen=True, eq=False, repr=False)  # (holds the secrets: never compared or printed)
class Execution:
    docker_cli: str
    chosen: FrontendChoice | None  # the build frontend, chosen once (None: this task builds nothing)
    dry_run: bool
    executor: str  # steps | bake
    jobs: int | None  # combinations at a time (None: the matrix executor's default)
    progress: str
    force: bool
    log_dir: Path
    log_dir_origin: str  # where --log-dir came from, for refusals about its folders
    secrets: Mapping[str, str]
    root: Path  # the folder relative paths were resolved from
    context: Path | None  # the checkout the builds send (None: this task sends none)
    container_dir: Path  # the Dockerfile family
    # the Dockerfile of each framework built (each once): its ignore file filters the context
    dockerfiles: tuple[Path, ...]
    context_warn_mb: int | None
    cache_to: tuple[str, ...]
    dev_image: str
    image: str  # `invoke efa`: the image the layer goes on
    names: Names  # the image names of the builds, for the hint of an image the engine lacks

    @property
    def choice(self) -> FrontendChoice:
        if self.chosen is None:  # a task that builds nothing never asks (a bug if it does)
            raise ConfigError("this task builds no image, so it chose no build frontend")
        return self.chosen

    @property
    def checkout(self) -> Path:
        if self.context is None:  # a task that sends no context never asks (a bug if it does)
            raise ConfigError("this task builds from no checkout", "set --context")
        return self.context


def frontend(cfg: Config) -> FrontendChoice:
    """How builds run (buildx or build, which builder); a dry run tolerates a missing docker CLI."""
    s = cfg.s
    return choose_frontend(s.docker_cli, s.build_frontend, s.builder, dry_run=s.dry_run)


def resolve_execution(
    cfg: Config,
    choice: FrontendChoice | None,
    frameworks: Iterable[catalog.Framework] = (),
    *,
    checkout: bool = True,
) -> Execution:
    """The execution request of an invocation whose frontend is `choice` and builds `frameworks`
    (`checkout`: it sends the checkout as a build context)."""
    s = cfg.s
    family = cfg.path(s.container_dir)
    return Execution(
        docker_cli=s.docker_cli,
        chosen=choice,
        dry_run=s.dry_run,
        executor=s.executor,
        jobs=s.jobs or None,
        progress=s.progress,
        force=s.force,
        log_dir=cfg.path(s.log_dir),
        log_dir_origin=values.origin(cfg, "log_dir"),
        secrets=cfg.secrets,
        root=cfg.root,
        context=cfg.checkout() if checkout else None,
        container_dir=family,
        dockerfiles=tuple(dict.fromkeys(family / fw.dockerfile for fw in frameworks)),
        context_warn_mb=s.context_warn_mb,
        cache_to=tuple(s.cache_to),
        dev_image=s.dev_image.strip(),
        image=s.image.strip(),
        names=values.image_names(cfg),
    )


def context_ignore_file(cfg: Config) -> Path | None:
    """The ignore file of the one framework's Dockerfile (`invoke context`, which reports one build's
    context: a comma list or `all` is refused in one line)."""
    from dynamo_container.buildcontext.context import ignore_file

    fw = values.framework(cfg)
    return ignore_file(cfg.path(cfg.s.container_dir) / fw.dockerfile, cfg.checkout())


def context_ignore_files(cfg: Config) -> tuple[Path | None, ...]:
    """The ignore file of each framework's Dockerfile the settings name (one, a comma list or all;
    each file once): the doctor measures the context every one of those builds would send."""
    from dynamo_container.buildcontext.context import ignore_files
    from dynamo_container.resolve.matrix import framework_names

    family = cfg.path(cfg.s.container_dir)
    dockerfiles = [family / catalog.framework(name).dockerfile for name in framework_names(cfg)]
    return tuple(ignore_files(dockerfiles, cfg.checkout()))
