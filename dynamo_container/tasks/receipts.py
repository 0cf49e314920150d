"""`invoke receipts`: list the build receipts, or explain what differs between two builds."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context

from .. import render
from ..config import Config
from ..errors import ConfigError
from .cli import ENV_FILE, JSON, Extra, SettingsTask, settings_task

DIFF = Extra(
    "diff",
    "A receipt to compare (name like vllm-12.9-runtime, or a path); give it twice: --diff A --diff B, "
    "or --diff A,B.",
    list,
    [],
)


def receipts(cfg: Config, *, diff: list[str], json: bool) -> None:
    from ..receipts import diff_receipts, list_receipts, load_receipt, receipts_dir

    names = [n for item in diff for n in item.split(",") if n.strip()]
    if names:
        if len(names) != 2:
            raise ConfigError(f"--diff compares two receipts, got {len(names)}", "--diff A --diff B")
        a, b = (load_receipt(cfg.path(cfg.s.log_dir), n.strip()) for n in names)
        lines = diff_receipts(a, b)
        if json:
            render.print_json({"a": names[0], "b": names[1], "differences": lines})
            return
        print(f"A = {names[0]}, B = {names[1]}")
        for line in lines or ["no differences"]:
            print(f"  {line}")
        return
    rows, warnings = list_receipts(cfg.path(cfg.s.log_dir))
    for warning in warnings:
        render.warn(warning)
    folder = receipts_dir(cfg.path(cfg.s.log_dir))
    if json:
        render.print_json(rows)
        return
    if not rows:
        print(f"no receipts yet in {folder} (every real invoke build writes one)")
    for r in rows:
        print(f"{r['name']:<28} {r['status']:<24} {r['version']:<28} {r['started']}  {r['seconds']}s")


def tasks(root: Path) -> list[SettingsTask]:
    @settings_task(root, "receipts", (), include=("log_dir",), extras=(ENV_FILE, JSON, DIFF))
    def receipts_task(c: Context, cfg: Config, json: bool = False, diff: list[str] | None = None) -> None:
        """List build receipts, or explain what differs between two builds (--diff A --diff B)."""
        receipts(cfg, diff=diff or [], json=json)

    return [receipts_task]
