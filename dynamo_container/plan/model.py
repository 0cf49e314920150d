"""What planners produce: steps (a docker invocation or a host command) and the plans around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from dynamo_container.model import catalog
from dynamo_container.model.version import VersionInfo

StepKind = Literal["build", "push", "host"]


@dataclass(frozen=True)
class Secret:
    id: str
    env: str

    @property
    def flag(self) -> str:
        return f"id={self.id},env={self.env}"


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    argv: tuple[str, ...]
    kind: StepKind = "build"
    dockerfile: str | None = None
    target: str | None = None
    tags: tuple[str, ...] = ()
    build_args: tuple[tuple[str, str], ...] = ()
    secrets: tuple[Secret, ...] = ()
    contexts: tuple[tuple[str, str], ...] = ()
    platform: str | None = None
    context: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    log: str | None = None
    feeds_next: bool = False  # a later step builds FROM this step's image
    metadata: str = ""  # BuildKit's --metadata-file of a buildx step: the image ID it built
    # this step's own --cache-from / --cache-to entries (plan/cache.py) and --no-cache, as in argv
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    no_cache: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "argv": list(self.argv),
            "env": dict(self.env),
            "dockerfile": self.dockerfile,
            "target": self.target,
            "tags": list(self.tags),
            "build_args": dict(self.build_args),
            "secrets": [s.id for s in self.secrets],
            "contexts": dict(self.contexts),
            "platform": self.platform,
            "context": self.context,
            "log": self.log,
            "metadata": self.metadata,
            "cache_from": list(self.cache_from),
            "cache_to": list(self.cache_to),
            "no_cache": self.no_cache,
        }


@dataclass(frozen=True)
class BuildPlan:
    framework: str
    cuda: str
    target: str
    platform: str
    arch: str
    version: VersionInfo
    steps: tuple[Step, ...]
    summary: tuple[tuple[str, str], ...]
    final_tags: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    run_hint: str = ""  # the words of the `run` task that runs the result, after the program name
    secret_env: tuple[str, ...] = field(default=())  # env vars the steps read secrets from

    @property
    def key(self) -> str:
        return catalog.combination_key(self.framework, self.cuda)

    def to_json(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "cuda_version": self.cuda,
            "target": self.target,
            "platform": self.platform,
            "arch": self.arch,
            "version": self.version.version,
            "python_version": self.version.python_version,
            "commit": self.version.commit,
            "final_tags": list(self.final_tags),
            "warnings": list(self.warnings),
            "steps": [s.to_json() for s in self.steps],
        }


@dataclass(frozen=True)
class TaskPlan:
    """The plan of a single-purpose task (`invoke efa`, `invoke trtllm-wheel`): steps and what to print."""

    steps: tuple[Step, ...]
    summary: tuple[tuple[str, str], ...]
    final_tags: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    run_hint: str = ""  # the words of the `run` task that runs the result, after the program name
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "final_tags": list(self.final_tags),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "steps": [s.to_json() for s in self.steps],
        }


# A plan of steps with a summary, as report.console prints it: a build's, or a task's (efa,
# trtllm-wheel, bake). A matrix prints as its BuildPlans.
StepsPlan = BuildPlan | TaskPlan


@runtime_checkable
class AnyPlan(Protocol):
    """Any plan a task prints, runs or writes as --json: BuildPlan, TaskPlan, plan.matrix.MatrixPlan,
    plan.run.RunPlan. A protocol, not a union of the four: plan.matrix and plan.run import this module,
    so naming their classes here would make an import cycle."""

    @property
    def warnings(self) -> tuple[str, ...]: ...

    def to_json(self) -> dict[str, Any]: ...
