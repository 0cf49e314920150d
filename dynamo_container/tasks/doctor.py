"""`invoke doctor`: check this machine for building and running Dynamo images."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.errors import DynamoError
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, JSON, SettingsTask, settings_task

if TYPE_CHECKING:
    from dynamo_container.checks.verdicts import Check

# Settings the checks read besides the engine group (docker CLI, build frontend, builder).
DOCTOR_SETTINGS = (
    "framework",
    "cuda_version",
    "platform",
    "container_dir",
    "context",
    "context_warn_mb",
    "version",
    "commit_sha",
    "cache_to",
    "ulimits",
)


def print_checks(checks: Sequence[Check]) -> None:
    from dynamo_container.checks.doctor import counts

    rows = [(c.name, c.status, c.detail, c.fix) for c in checks]
    console.print_table("dynamo-container doctor", ("check", "status", "detail", "fix"), rows)
    n = counts(checks)
    print(f"{n['pass']} passed, {n['warn']} warnings, {n['fail']} failed")


def doctor_run(cfg: Config, *, json: bool = False) -> None:
    from dynamo_container import pipeline
    from dynamo_container.checks.doctor import gather, run_checks, to_json
    from dynamo_container.resolve.doctor import resolve_doctor

    req = resolve_doctor(cfg)
    checks = run_checks(
        req, gather(req, lambda: pipeline.build_plan(cfg.with_overrides(dry_run=True)).plan.steps)
    )
    if json:
        console.print_json(to_json(req, checks))
    else:
        print_checks(checks)
    sys.stdout.flush()
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        raise DynamoError(f"doctor: {len(failed)} check(s) failed: {', '.join(failed)}")


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(root, "doctor", ("engine",), include=DOCTOR_SETTINGS, extras=(ENV_FILE, JSON))
    def doctor(c: Context, cfg: Config, json: bool = False) -> None:
        """Check the docker CLI, engine, BuildKit, builder, GPU runtime, disk, git, ulimits and context."""
        doctor_run(cfg, json=json)

    return [doctor]
