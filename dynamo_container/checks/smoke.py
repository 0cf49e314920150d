"""Smoke checks of a built runtime image, in tiers, each run through the `invoke run` planner.

tier 0  the image exists under every planned tag; OCI labels and recorded build args match the plan
tier 1  the framework and Dynamo import; the default user is not root; the entrypoint runs commands;
        a login shell has umask 002 (the images set it in /etc/profile.d, for login shells only)
tier 2  a GPU is visible; only where the engine has the NVIDIA runtime, else skipped with the reason
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from dynamo_container.docker.engine import NVIDIA_RUNTIME, has_nvidia_runtime, runtimes_of
from dynamo_container.model import catalog
from dynamo_container.plan.model import BuildPlan
from dynamo_container.plan.run import plan_run
from dynamo_container.resolve.run import RunRequest

Status = Literal["pass", "fail", "skip"]
BUILD_INFO = "/opt/dynamo/build-info.env"


@dataclass
class Tier:
    number: int
    title: str
    status: Status = "pass"
    seconds: float = 0.0
    details: list[str] = field(default_factory=list)

    def fail(self, detail: str) -> None:
        self.status = "fail"
        self.details.append(detail)


def parse_build_info(text: str) -> dict[str, set[str]]:
    """NAME=value lines (a stage may record a name again) to NAME -> every recorded value."""
    out: dict[str, set[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out.setdefault(key.strip(), set()).add(value)
    return out


def label_mismatches(labels: dict[str, str], plan: BuildPlan) -> list[str]:
    expected = {
        "org.opencontainers.image.revision": plan.version.commit,
        "org.opencontainers.image.version": plan.version.python_version,
        "ai.dynamo.framework": plan.framework,
        "ai.dynamo.cuda-version": plan.cuda,
        "ai.dynamo.target": "runtime",
    }
    return [
        f"label {k} is {labels.get(k)!r}, the plan says {v!r}"
        for k, v in expected.items()
        if labels.get(k) != v
    ]


def build_arg_mismatches(recorded: dict[str, set[str]], plan: BuildPlan) -> list[str]:
    """Planned build args of the final step that the image recorded with another value."""
    final = plan.steps[-1]
    problems = []
    for name, value in final.build_args:
        if name in recorded and value not in recorded[name]:
            problems.append(
                f"build arg {name}: planned {value!r}, the image recorded {sorted(recorded[name])}"
            )
    return problems


class Runner:
    """Runs commands in the image through the `invoke run` planner (non-interactive, no GPUs by default)."""

    def __init__(self, base: RunRequest, image: str) -> None:
        self.base = dataclasses.replace(
            base,
            image=image,
            interactive=False,
            tty=False,
            gpus="",
            runtime="",  # run.sh's --runtime nvidia goes with GPUs only (tier 2 asks for both)
            rm=True,
            name="",
            command=(),
        )

    def argv(self, command: list[str], **overrides: Any) -> tuple[str, ...]:
        return plan_run(dataclasses.replace(self.base, command=tuple(command), **overrides)).argv

    def __call__(self, command: list[str], **overrides: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(self.argv(command, **overrides)), capture_output=True, text=True, check=False, timeout=300
        )


def _tier0(plan: BuildPlan, api: Any, run: Runner, t0: Tier) -> None:
    import docker.errors

    try:
        for step in plan.steps:
            for tag in step.tags:
                api.images.get(tag)
        labels = api.images.get(plan.final_tags[0]).labels or {}
    except docker.errors.ImageNotFound as exc:
        t0.fail(f"missing image: {exc.explanation}")
        return
    for problem in label_mismatches(labels, plan):
        t0.fail(problem)
    info = run(["cat", BUILD_INFO])
    if info.returncode != 0:
        t0.fail(f"cannot read {BUILD_INFO}: {info.stderr.strip()[-300:]}")
        return
    for problem in build_arg_mismatches(parse_build_info(info.stdout), plan):
        t0.fail(problem)


def _tier1(plan: BuildPlan, run: Runner, t1: Tier) -> None:
    modules = ", ".join(catalog.framework(plan.framework).modules)
    imports = run(["python3", "-c", f"import {modules}; print('imported {modules}')"])
    if imports.returncode != 0:
        t1.fail(f"import {modules} failed: {imports.stderr.strip()[-500:]}")
    # the last two words: what the image's profile scripts print comes before them
    whoami = run(["bash", "-lc", "id -u; umask"])
    words = whoami.stdout.split()
    if whoami.returncode != 0 or len(words) < 2:
        t1.fail(f"the entrypoint did not run a login shell: {whoami.stderr.strip()[-300:]}")
        return
    uid, umask = words[-2:]
    if uid == "0":
        t1.fail("the default user is root")
    if umask not in ("0002", "002"):
        t1.fail(f"umask of a login shell is {umask}; /etc/profile.d/00-umask.sh should set 0002")


def _tier2(api: Any, run: Runner, t2: Tier) -> None:
    runtimes = runtimes_of(api.info())
    if not has_nvidia_runtime(runtimes):
        t2.status = "skip"
        t2.details.append(f"the engine has no NVIDIA runtime (runtimes: {', '.join(runtimes)})")
        return
    gpu = run(
        ["nvidia-smi", "-L"],
        gpus="all",
        runtime=NVIDIA_RUNTIME,
        envs=("NVIDIA_DRIVER_CAPABILITIES=compute,utility",),
    )
    if gpu.returncode != 0 or "GPU" not in gpu.stdout:
        t2.fail(f"nvidia-smi -L: {(gpu.stdout + gpu.stderr).strip()[-300:]}")


def _timed(tier: Tier, check: Callable[[Tier], None]) -> Tier:
    started = time.monotonic()
    check(tier)
    tier.seconds = time.monotonic() - started
    return tier


def run_tiers(plan: BuildPlan, api: Any, base: RunRequest) -> list[Tier]:
    """All tiers for the runtime image of `plan`; `api` is a docker-py client of the same engine."""
    run = Runner(base, plan.final_tags[0])
    t0 = _timed(Tier(0, "image, tags, labels, build args"), lambda t: _tier0(plan, api, run, t))
    t1 = Tier(1, "imports, non-root user, entrypoint")
    if t0.status == "fail":
        t1.status = "skip"
        t1.details.append("tier 0 failed")
    else:
        _timed(t1, lambda t: _tier1(plan, run, t))
    t2 = _timed(Tier(2, "GPU visible"), lambda t: _tier2(api, run, t))
    return [t0, t1, t2]
