"""`invoke context`: what the build context sends to the engine after .dockerignore."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from invoke.context import Context

from . import render
from .cli import ENV_FILE, JSON, SettingsTask, settings_task
from .config import Config

if TYPE_CHECKING:
    from .context import ContextReport


def print_report(report: ContextReport, limit: int) -> None:

    import sys

    from .context import size_warning
    from .render import human_size

    out = sys.stdout
    ignore = f"{report.ignore_file} ({report.patterns} patterns)" if report.ignore_file else "none"
    render.print_summary(
        [
            ("context", str(report.root)),
            ("ignore file", ignore),
            ("size", f"{human_size(report.bytes)} ({report.bytes} bytes)"),
            ("files", str(report.files)),
            ("warn above", f"{limit} MB (DYNAMO_CONTEXT_WARN_MB)"),
            ("measured in", f"{report.seconds * 1000:.1f} ms"),
        ],
        out,
        title="Build context (after .dockerignore)",
    )
    if report.largest:
        print(file=out)
        render.print_summary(
            [(d.path, f"{human_size(d.bytes):>9}  {d.files:>6} files") for d in report.largest],
            out,
            title="Largest directories",
        )
    for path in report.unreadable:
        render.warn(f"cannot read {path} (BuildKit will fail on it unless .dockerignore excludes it)")
    warning = size_warning(report, limit)
    if warning:
        render.warn(warning)


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(root, "context", (), include=("context", "context_warn_mb"), extras=(ENV_FILE, JSON))
    def context(c: Context, cfg: Config, json: bool = False) -> None:
        """Measure the build context as BuildKit sends it: size, files, largest directories."""
        from .context import limit_mb, measure, size_warning

        report = measure(cfg.path(cfg.s.context))
        limit = limit_mb(cfg.s.context_warn_mb)
        if json:
            render.print_json(
                {**report.to_json(), "warn_mb": limit, "over": bool(size_warning(report, limit))}
            )
            return
        print_report(report, limit)

    return [context]
