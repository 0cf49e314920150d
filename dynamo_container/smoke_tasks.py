"""`invoke smoke`: tiered checks of a built runtime image (the nox smoke sessions call it after a build)."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from invoke.context import Context

from . import render
from .cli import ENV_FILE, JSON, SettingsTask, settings_task
from .config import Config
from .errors import DynamoError

SYMBOL = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


def smoke(cfg: Config, *, json: bool = False) -> None:
    from .build_tasks import make_plan
    from .engine import client, preflight
    from .run_plan import HostInfo
    from .smoke import run_tiers

    cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, target="runtime", dry_run=True))
    plan, _ = make_plan(cfg)
    preflight(cfg)
    family = cfg.path(cfg.s.container_dir).resolve()
    profile = "real" if family == (cfg.root / "container").resolve() else f"stand-in ({cfg.s.container_dir})"
    tiers = run_tiers(cfg, plan, client(cfg), HostInfo(os.getuid(), os.getgid()))
    if json:
        render.print_json(
            {
                "image": plan.final_tags[0],
                "profile": profile,
                "tiers": [dataclasses.asdict(t) for t in tiers],
            }
        )
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


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(
        root,
        "smoke",
        ("build", "engine", "run"),
        exclude=("target", "image", "dry_run"),
        extras=(ENV_FILE, JSON),
    )
    def smoke_task(c: Context, cfg: Config, json: bool = False) -> None:
        """Check a built runtime image in tiers: tags/labels/build args, imports/user/entrypoint, GPU."""
        smoke(cfg, json=json)

    return [smoke_task]
