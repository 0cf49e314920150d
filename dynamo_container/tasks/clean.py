"""`invoke clean`: remove what the tool made and no longer needs, with a summary of what it freed."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.errors import DynamoError
from dynamo_container.model.units import human_size
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, JSON, SettingsTask, settings_task

KINDS = ("image", "crash file", "lock", "partial file", "key record")


def summary(found: object, *, dry_run: bool) -> str:
    from dynamo_container.execute.clean import Found

    assert isinstance(found, Found)
    parts = []
    for kind in KINDS:
        items = found.of(kind)
        if items:
            size = human_size(sum(item.bytes for item in items))
            plural = "s" if len(items) != 1 else ""
            note = ", shared layers free less" if kind == "image" else ""
            parts.append(f"{len(items)} {kind}{plural} ({size}{note})")
    verb = "would free" if dry_run else "freed"
    return f"{verb}: {', '.join(parts)}" if parts else "nothing to clean"


def clean(cfg: Config, *, json: bool) -> None:
    from dynamo_container.execute.clean import find, remove

    docker, log_dir = cfg.s.docker_cli, cfg.path(cfg.s.log_dir)
    found = find(docker, log_dir)
    done = found if cfg.s.dry_run else remove(found, docker)
    line = summary(done, dry_run=cfg.s.dry_run)
    if json:
        items = [{"kind": i.kind, "what": i.what, "bytes": i.bytes} for i in done.items]
        console.print_json({"dry_run": cfg.s.dry_run, "items": items, "problems": done.problems})
    else:
        for item in done.items:
            print(f"{'would remove' if cfg.s.dry_run else 'removed'} {item.kind} {item.what}")
        print(line)
    if done.problems:
        for problem in done.problems:
            console.warn(f"not removed: {problem}")
        raise DynamoError(f"{len(done.problems)} of {len(found.items)} items could not be removed")


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(root, "clean", ("engine",), include=("log_dir", "dry_run"), extras=(ENV_FILE, JSON))
    def clean_task(c: Context, cfg: Config, json: bool = False) -> None:
        """Remove dangling images of this tool's builds (by their labels), crash reports older than a week,
        stale lock and partial files and key records of images that are gone; --dry-run lists them."""
        clean(cfg, json=json)

    return [clean_task]
