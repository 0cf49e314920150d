"""`invoke receipts`: list the build receipts, or explain what differs between two builds."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, JSON, Extra, SettingsTask, settings_task

DIFF = Extra(
    "diff",
    "A receipt to compare (name like vllm-cuda12.9-runtime, or a path); give it twice: --diff A --diff B, "
    "or --diff A,B.",
    list,
    [],
)


def shown(value: object) -> str:
    """A value from a receipt file as one printable line: control characters (a hand-edited file's
    newlines, terminal escapes) are written as escapes instead of acting on the terminal."""
    text = str(value)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def receipts(cfg: Config, *, diff: list[str], json: bool) -> None:
    from dynamo_container.execute.receipts import list_receipts, receipts_dir

    names = [n.strip() for item in diff for n in item.split(",") if n.strip()]
    if names:
        _diff(cfg, names, json)
        return
    rows, warnings = list_receipts(cfg.path(cfg.s.log_dir))
    for warning in warnings:
        console.warn(shown(warning))
    folder = receipts_dir(cfg.path(cfg.s.log_dir))
    if json:
        console.print_json(rows)
        return
    if not rows:
        print(f"no receipts yet in {folder} (every real invoke build writes one)")
    for r in rows:
        name, status, version, started = (shown(r[k]) for k in ("name", "status", "version", "started"))
        print(f"{name:<28} {status:<24} {version:<28} {started}  {r['seconds']}s")


def _diff(cfg: Config, names: list[str], json: bool) -> None:
    """What differs between two receipts; a field a hand edit broke is named (file and field) and left out."""
    from dynamo_container.execute.receipts import diff_receipts, load_receipt

    if len(names) != 2:
        raise ConfigError(f"--diff compares two receipts, got {len(names)}", "--diff A --diff B")
    (a, problems_a), (b, problems_b) = (load_receipt(cfg.path(cfg.s.log_dir), n) for n in names)
    for problem in problems_a + problems_b:
        console.warn(shown(problem))
    lines = diff_receipts(a, b)
    if json:
        console.print_json({"a": names[0], "b": names[1], "differences": lines})
        return
    print(f"A = {shown(names[0])}, B = {shown(names[1])}")
    for line in lines or ["no differences"]:
        print(f"  {shown(line)}")


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(root, "receipts", (), include=("log_dir",), extras=(ENV_FILE, JSON, DIFF))
    def receipts_task(c: Context, cfg: Config, json: bool = False, diff: list[str] | None = None) -> None:
        """List build receipts, or explain what differs between two builds (--diff A --diff B)."""
        receipts(cfg, diff=diff or [], json=json)

    return [receipts_task]
