"""`invoke smoke`: tiered checks of a built runtime image (the nox smoke sessions call it after a build)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from invoke.context import Context

from dynamo_container.buildcontext.locate import real_family
from dynamo_container.config import Config
from dynamo_container.errors import DynamoError
from dynamo_container.report import console
from dynamo_container.settings import in_groups
from dynamo_container.tasks.cli import ENV_FILE, JSON, SettingsTask, settings_task

SYMBOL = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}
# Build settings that do not change what a runtime build tags or records (the checks compare the
# image's tags, labels and recorded build args with the plan those settings make).
NOT_FOR_SMOKE = (
    "builder",
    "build_frontend",
    "efa_version",
    "trtllm_src_dir",
    "trtllm_cuda_archs",
    "target",
    "dry_run",
    "push",
    "no_cache",
    "force",
    "cache_from",
    "cache_to",
    "jobs",
    "context_warn_mb",
    "build_network",
    "log_dir",
    "make_efa",
    "build_contexts",
    "dev_image",
    "uid",
    "gid",
)
# `invoke run` settings the checks' containers honour (the others are set by the checks).
RUN_SETTINGS = ("network", "ulimits", "shm_size", "runtime", "cuda_device_order", "driver_capabilities")
SMOKE_HELP = {
    "framework": "Framework of the image to check: none, vllm, sglang or trtllm (one).",
    "cuda_version": "CUDA version of the image to check (one matrix row). Empty: the default.",
}


def smoke(cfg: Config, *, json: bool = False) -> None:
    from dynamo_container import pipeline
    from dynamo_container.checks.smoke import run_tiers
    from dynamo_container.plan.model import BuildPlan
    from dynamo_container.resolve.run import resolve_run

    cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, target="runtime", dry_run=True))
    job = pipeline.build_plan(cfg)
    plan = job.plan
    if not isinstance(plan, BuildPlan):
        raise DynamoError("invoke smoke checks one framework and CUDA version", "e.g. --framework vllm")
    engine = pipeline.engine(job.run)
    engine.ping()
    family = cfg.path(cfg.s.container_dir).resolve()
    profile = "real" if family == real_family().resolve() else f"stand-in ({cfg.s.container_dir})"
    base = resolve_run(cfg.with_overrides(image=plan.final_tags[0]), [], pipeline.host(), {})
    tiers = run_tiers(plan, engine.client(), base)
    if json:
        tiers_json = [dataclasses.asdict(t) for t in tiers]
        console.print_json({"image": plan.final_tags[0], "profile": profile, "tiers": tiers_json})
    else:
        print(f"smoke: {plan.final_tags[0]} ({plan.framework}, CUDA {plan.cuda}, {profile} profile)")
        for t in tiers:
            print(f"  tier {t.number} {t.title}: {SYMBOL[t.status]} in {t.seconds:.1f}s")
            for d in t.details:
                print(f"      {d}")
        sys.stdout.flush()
    failed = [t for t in tiers if t.status == "fail"]
    if failed:
        raise DynamoError(f"smoke checks failed in tier {', '.join(str(t.number) for t in failed)}")


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(
        root,
        "smoke",
        ("engine",),
        include=(*(s.name for s in in_groups("build") if s.name not in NOT_FOR_SMOKE), *RUN_SETTINGS),
        extras=(ENV_FILE, JSON),
        help_texts=SMOKE_HELP,
    )
    def smoke_task(c: Context, cfg: Config, json: bool = False) -> None:
        """Check a built runtime image in tiers: tags/labels/build args, imports/user/entrypoint, GPU."""
        smoke(cfg, json=json)

    return [smoke_task]
