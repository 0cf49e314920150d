"""`invoke config`: every setting, its value and where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from invoke.context import Context

from dynamo_container.config import Config, format_value
from dynamo_container.config import env_example as example_text
from dynamo_container.model import catalog
from dynamo_container.model.secrets import SECRET_ENV_VARS
from dynamo_container.report import console
from dynamo_container.settings import specs
from dynamo_container.tasks.cli import ENV_FILE, JSON, Extra, SettingsTask, settings_task

ENV_EXAMPLE = Extra(
    "env_example", "Print the text of .env.example (every setting with its default).", bool, False
)


def derived_defaults(cfg: Config) -> dict[str, str]:
    """What an empty or 'auto' setting resolves to for the configured framework (for display)."""
    s = cfg.s
    name = s.framework.strip().lower()
    if name not in catalog.FRAMEWORKS:
        return {}
    fw = catalog.framework(name)
    variant = catalog.find_variant(fw.name, s.cuda_version.strip() or fw.default_cuda)
    return {k: format_value(v) for k, v in catalog.derived_defaults(fw, variant).items()}


def config_rows(cfg: Config) -> list[dict[str, Any]]:
    derived = derived_defaults(cfg)
    rows = []
    for spec in specs():
        value = getattr(cfg.s, spec.name)
        shown = format_value(value)
        source = cfg.source(spec.name)
        if (value in ("", None)) and spec.name in derived:
            shown = derived[spec.name]
            source += f" (matrix: {cfg.s.framework})"
        elif spec.name == "context" and not value:
            shown = f"(none: {cfg.cwd} is not in a Dynamo checkout)"
        rows.append({"key": spec.env_key, "value": shown, "source": source, "raw": value})
    for sid, env in SECRET_ENV_VARS.items():
        present = env in cfg.secrets
        rows.append(
            {
                "key": env,
                "value": "(set, hidden)" if present else "(not set)",
                "source": f"secret id={sid}" if present else "",
                "raw": None,
            }
        )
    return rows


def show_config(cfg: Config, *, json: bool) -> None:
    rows = config_rows(cfg)
    if json:
        console.print_json(
            {
                "env_files": list(cfg.env_files),
                "project": str(cfg.root),
                "settings": {r["key"]: {"value": r["value"], "source": r["source"]} for r in rows},
                "warnings": list(cfg.warnings),
            }
        )
        return
    for w in cfg.warnings:
        console.warn(w)
    table = [(r["key"], r["value"], r["source"]) for r in rows]
    console.print_table("dynamo-container settings", ("setting", "value", "source"), table)
    print(f"env files read: {', '.join(cfg.env_files) or 'none'}")
    print(f"project folder: {cfg.root} (.env, .env.local and relative defaults)")


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(root, "config", ("build", "engine"), extras=(ENV_FILE, JSON, ENV_EXAMPLE))
    def config(c: Context, cfg: Config, json: bool = False, env_example: bool = False) -> None:
        """Show every setting, its value and where it came from (defaults, env files, environment, flags)."""
        if env_example:
            print(example_text())
            return
        show_config(cfg, json=json)

    return [config]
