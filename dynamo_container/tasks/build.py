"""`invoke build`, the stage tasks `base`, `wheel`, `framework`, `runtime`, `invoke plan` and `invoke efa`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.plan.model import BuildPlan
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, JSON, Extra, SettingsTask, settings_task

if TYPE_CHECKING:  # the pipeline is imported when a task runs (invoke --list loads every task module)
    from dynamo_container.pipeline import Build

STAGE_TASKS = {
    "base": ("base", "Build the Dynamo base image (container/Dockerfile, stage base) for a framework."),
    "wheel": ("wheel_builder", "Build the wheel_builder stage (NIXL, UCX and the Dynamo wheels)."),
    "framework": ("framework", "Build the base image, then the framework stage of the framework image."),
    "runtime": ("runtime", "Build the base image, then the runtime image of the framework."),
}
BAKE = Extra(
    "bake",
    "Also write the plan as a docker buildx bake JSON file to this path (- prints it; an existing file "
    "is replaced only if it is a bake file).",
)
EXPLAIN = Extra(
    "explain",
    "Say for every build step whether a build now would run it and why (a dry run: it asks the engine "
    "for image IDs and hashes the build context; nothing runs or is written).",
    bool,
    False,
)
# A stage task builds up to its stage: the local-dev layer's settings do not apply, nor (before the
# runtime image) the EFA layer.
LOCAL_DEV_SETTINGS = ("dev_image", "uid", "gid")
EFA_SETTINGS = (
    "image",
    "efa_version",
    "platform",
    "build_args",
    "container_dir",
    "context",
    "build_network",
    "log_dir",
    "dry_run",
    "progress",
)


def _show_or_run(job: Build, *, json: bool) -> None:
    from dynamo_container import pipeline

    run = job.run
    if run.executor == "bake" and (json or run.dry_run):  # what would run: the one bake
        bake = pipeline.bake_run(job)
        if json:
            console.print_json(bake.to_json())
            return
        if job.note:
            console.warn(job.note)
        console.print_plan(bake)
        return
    if json:
        console.print_json(job.plan.to_json())
        return
    if job.note:
        console.warn(job.note)
    if run.dry_run:
        if isinstance(job.plan, BuildPlan):  # (the matrix module stays unloaded for one build)
            console.print_plan(job.plan)
        else:
            console.print_matrix_plan(job.plan)
        return
    pipeline.build(job)


def run_build(cfg: Config, *, json: bool = False, explain: bool = False) -> None:
    from dynamo_container import pipeline

    if json and not (cfg.s.dry_run or explain):
        raise ConfigError("--json prints the plan of a dry run", "add --dry-run")
    job = pipeline.build_plan(cfg)
    if explain:
        _explain(pipeline.explain(job), json=json)
        return
    _show_or_run(job, json=json)


def _explain(steps: list[dict[str, object]], *, json: bool) -> None:
    if json:
        console.print_json({"steps": steps})
        return
    matrix = len({s["combination"] for s in steps}) > 1
    for s in steps:
        where = f"{s['combination']} " if matrix else ""
        verdict = "would run" if s["runs"] else "up to date"
        print(f"{where}step {s['index']}/{s['total']} {s['step']}: {verdict}: {s['why']}")
    print("Explain is a dry run: nothing was run or written.")


def run_efa(cfg: Config, *, json: bool = False) -> None:
    from dynamo_container import pipeline

    if json and not cfg.s.dry_run:
        raise ConfigError("--json prints the plan of a dry run", "add --dry-run")
    plan, run = pipeline.efa_plan(cfg)
    if json:
        console.print_json(plan.to_json())
    elif cfg.s.dry_run:
        console.print_plan(plan)
    else:
        pipeline.execute_efa(plan, run)


def run_plan(cfg: Config, *, json: bool = False, bake: str | None = None) -> None:
    """`invoke plan`: the plan(s) of a build invocation, as text, JSON or a bake file; nothing runs."""
    from dynamo_container import pipeline
    from dynamo_container.plan.bake import STDOUT, bake_text, to_bake, write_bake
    from dynamo_container.plan.matrix import MatrixPlan

    cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, dry_run=True))
    job = pipeline.build_plan(cfg)
    mplan, note = MatrixPlan.of(job.plan), job.note
    if bake == STDOUT and json:
        raise ConfigError("--bake - and --json both print to standard output", "choose one of them")
    if bake:
        from dynamo_container.plan.bake import network_warnings

        for w in network_warnings(mplan):
            console.warn(w)
        data = to_bake(mplan)
        if bake == STDOUT:
            print(bake_text(data), end="")
            return
        write_bake(Path(bake), bake_text(data))
        if not json:
            print(f"bake file: {bake} ({len(data['target'])} targets; docker buildx bake -f {bake} --print)")
    if json:
        console.print_json(mplan.to_json())
    elif not bake:
        if note:
            console.warn(note)
        console.print_matrix_plan(mplan)


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(root, "build", ("build", "engine"), extras=(ENV_FILE, JSON, EXPLAIN))
    def build(c: Context, cfg: Config, json: bool = False, explain: bool = False) -> None:
        """Build Dynamo images: base image, framework image to --target, then local-dev / EFA layers."""
        run_build(cfg, json=json, explain=explain)

    @settings_task(root, "efa", ("engine",), include=EFA_SETTINGS, extras=(ENV_FILE, JSON))
    def efa(c: Context, cfg: Config, json: bool = False) -> None:
        """Add the AWS EFA layer to an existing runtime, dev or local-dev image."""
        run_efa(cfg, json=json)

    @settings_task(
        root, "plan", ("build", "engine"), exclude=("dry_run", "progress"), extras=(ENV_FILE, JSON, BAKE)
    )
    def plan(c: Context, cfg: Config, json: bool = False, bake: str | None = None) -> None:
        """Print the plan of a build (several frameworks and CUDA versions allowed) or write it for bake."""
        run_plan(cfg, json=json, bake=bake)

    out = [build, efa, plan]
    for task_name, (target, doc) in STAGE_TASKS.items():

        def body(c: Context, cfg: Config, json: bool = False) -> Any:
            run_build(cfg, json=json)

        body.__doc__ = doc
        out.append(
            settings_task(
                root,
                task_name,
                ("build", "engine"),
                exclude=("target", *LOCAL_DEV_SETTINGS, *(() if target == "runtime" else ("make_efa",))),
                extras=(ENV_FILE, JSON),
                fixed={"target": target},
            )(body)
        )
    return out
