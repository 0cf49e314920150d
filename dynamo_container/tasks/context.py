"""`invoke context`: what the build context sends to the engine, and what the Dockerfiles miss in it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, JSON, SettingsTask, settings_task

if TYPE_CHECKING:
    from dynamo_container.buildcontext.context import ContextReport
    from dynamo_container.buildcontext.sources import Missing


def print_report(report: ContextReport, limit: int) -> None:

    import sys

    from dynamo_container.buildcontext.context import size_warning
    from dynamo_container.model.units import human_size

    out = sys.stdout
    ignore = f"{report.ignore_file} ({report.patterns} patterns)" if report.ignore_file else "none"
    console.print_summary(
        [
            ("context", str(report.root)),
            ("ignore file", ignore),
            ("size", f"{human_size(report.bytes)} ({report.bytes} bytes)"),
            ("files", str(report.files)),
            ("warn above", f"{limit} MB (DYNAMO_CONTEXT_WARN_MB)"),
            ("measured in", f"{report.seconds * 1000:.1f} ms"),
        ],
        out,
        title="Build context (after the ignore file)",
    )
    if report.largest:
        print(file=out)
        console.print_summary(
            [(d.path, f"{human_size(d.bytes):>9}  {d.files:>6} files") for d in report.largest],
            out,
            title="Largest directories",
        )
    for path in report.unreadable:
        console.warn(f"cannot read {path} (BuildKit will fail on it unless the ignore file excludes it)")
    warning = size_warning(report, limit)
    if warning:
        console.warn(warning)


def print_missing(problems: list[Missing], context: Path) -> None:
    from dynamo_container.buildcontext.sources import summary

    if not problems:
        print(f"\nEvery path the Dockerfiles read is in {context}.")
        return
    message, hint = summary(problems, context)
    console.warn(f"{message} ({hint})")
    for problem in problems:
        print(f"  {problem}")


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(
        root,
        "context",
        (),
        include=("context", "context_warn_mb", "framework", "container_dir"),
        extras=(ENV_FILE, JSON),
    )
    def context(c: Context, cfg: Config, json: bool = False) -> None:
        """Measure the build context as BuildKit sends it, and name the paths the Dockerfiles miss in it."""
        from dynamo_container.buildcontext.context import limit_mb, measure, size_warning
        from dynamo_container.buildcontext.sources import check_family
        from dynamo_container.resolve.execution import context_ignore_file

        folder = cfg.checkout()
        report = measure(folder, context_ignore_file(cfg))
        problems = check_family(cfg.path(cfg.s.container_dir), folder)
        limit = limit_mb(cfg.s.context_warn_mb)
        if json:
            over = bool(size_warning(report, limit))
            console.print_json(
                {**report.to_json(), "warn_mb": limit, "over": over, "missing": [str(p) for p in problems]}
            )
            return
        print_report(report, limit)
        print_missing(problems, folder)

    return [context]
