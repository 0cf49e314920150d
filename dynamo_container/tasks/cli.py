"""Invoke glue: task flags generated from the settings declaration, errors turned into one line.

A task here only parses flags into a `Config`, calls the library and prints or executes.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.parser.argument import Argument
from invoke.tasks import Task

from dynamo_container.config import Config, load_config
from dynamo_container.errors import DynamoError
from dynamo_container.execute.signals import stop_of, terminate_as_interrupt
from dynamo_container.model.secrets import credential_variables, mask_text, remember
from dynamo_container.report import console
from dynamo_container.report.guard import PIPE_STATUS, guarded
from dynamo_container.settings import Group, SettingSpec, by_name, in_groups


@dataclass(frozen=True)
class Extra:
    """A task flag that is not a setting (e.g. --json, --env-file)."""

    name: str
    help: str
    kind: type = str
    default: Any = None
    short: str | None = None

    def argument(self) -> Argument:
        names = [self.name.replace("_", "-")] + ([self.short] if self.short else [])
        return _argument(names, kind=self.kind, default=self.default, help=self.help)


ENV_FILE = Extra("env_file", "Config env file, between .env.local and the environment in precedence.")
JSON = Extra("json", "Print machine-readable JSON instead of text.", bool, False)


class CheapArgument(Argument):
    """An invoke Argument that copies cheaply.

    invoke deep-copies every task's arguments each time it parses a command line (twice per run);
    with a few hundred generated flags that alone took ~60 ms. All fields are immutable except the
    list value of repeatable flags, which is copied.
    """

    def __repr__(self) -> str:  # invoke prints it in "Flag ... needed value and was not given one!"
        name = self.names[0]
        return f"--{name}" if len(name) > 1 else f"-{name}"

    def __deepcopy__(self, memo: dict[int, Any]) -> CheapArgument:
        new = copy.copy(self)
        if isinstance(self._value, list):
            new._value = list(self._value)
        return new


CRASH_EXIT = 70  # EX_SOFTWARE: an internal error, told apart from a refused value (1)
CRASH_FILES_KEPT = 10  # older crash reports are removed when a new one is written


def crash_report(task: str, exc: BaseException) -> str:
    """One line for an unexpected exception; its traceback goes to a file (credentials masked)."""
    import tempfile
    import time
    import traceback

    text = mask_text("".join(traceback.format_exception(exc)))
    folder = Path(tempfile.gettempdir()) / "dynamo-container-crashes"
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        path.write_text(f"{console.program()} {task}\n{text}", encoding="utf-8")
        where = f"the traceback is in {path}"
        for old in sorted(folder.glob("crash-*.txt"), key=lambda p: p.stat().st_mtime)[:-CRASH_FILES_KEPT]:
            old.unlink(missing_ok=True)
    except OSError:
        where = "the traceback could not be saved"
    summary = mask_text(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    return f"error: internal error in {console.program()} {task}: {summary} ({where}; please report it)"


def last_resort(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
    """`sys.excepthook` of the entry points: what escapes invoke itself (a broken invoke configuration
    file such as ~/.invoke.yaml is read before any task runs) ends as one line, never a traceback."""
    import sys

    if issubclass(kind, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return
    mark = getattr(exc, "problem_mark", None)  # invoke's YAML parser: the file, line and column
    if mark is not None:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f"{mark.name}, line {mark.line + 1}"
        print(
            mask_text(f"error: {where}: {problem} (fix or remove that invoke configuration file)"),
            file=sys.stderr,
        )
        return
    print(crash_report("(starting)", exc.with_traceback(tb)), file=sys.stderr)


def _attr(flag: str) -> str:
    return flag.replace("-", "_")


def _argument(names: list[str], **kw: Any) -> Argument:
    """An invoke Argument whose parsed value is keyed by the flag's name with underscores.

    (invoke's help lookup requires the attribute name to be the flag name with underscores.)
    """
    attr = _attr(names[0])
    return CheapArgument(names=names, attr_name=attr if attr != names[0] else None, **kw)


def _arguments(spec: SettingSpec, help_for_task: str = "") -> list[Argument]:
    names = [spec.flag] + ([spec.alias] if spec.alias else []) + ([spec.short] if spec.short else [])
    help_text = (help_for_task or spec.help) + f" [env {spec.env_key}]"
    if spec.kind in ("bool", "optbool"):
        args = [_argument(names, kind=bool, default=None, help=help_text)]
        if spec.negative_flag:
            args.append(
                _argument(
                    [spec.negative_flag],
                    kind=bool,
                    default=None,
                    help=f"Turn off: {spec.help[0].lower()}{spec.help[1:]}",
                )
            )
        return args
    if spec.kind == "list":
        return [_argument(names, kind=list, default=[], help=help_text)]
    return [_argument(names, kind=str, default=None, help=help_text)]


class SettingsTask(Task[Any]):
    """An invoke Task whose flags come from settings groups plus a few extras."""

    def __init__(
        self,
        body: Callable[..., Any],
        *,
        name: str,
        specs: Sequence[SettingSpec],
        extras: Sequence[Extra] = (),
        help_texts: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(body, name=name, positional=[])
        self._specs = tuple(specs)
        self._extras = tuple(extras)
        self._help = dict(help_texts or {})

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        args: list[Argument] = [e.argument() for e in self._extras]
        for spec in self._specs:
            args += _arguments(spec, self._help.get(spec.name, ""))
        return args


def flags_given(specs: Iterable[SettingSpec], parsed: dict[str, Any]) -> dict[str, Any]:
    """Setting values the user gave on the command line (None / [] mean 'not given')."""
    given: dict[str, Any] = {}
    for spec in specs:
        value = parsed.get(_attr(spec.flag))
        off = parsed.get(_attr(spec.negative_flag)) if spec.negative_flag else None
        if value and off:
            raise DynamoError(f"--{spec.flag} and --{spec.negative_flag} contradict each other")
        if off:
            given[spec.name] = False
        elif value is not None and value != []:
            given[spec.name] = value
    return given


def project_config(tool_root: Path | None, env_file: str | None, flags: Mapping[str, Any]) -> Config:
    """The configuration of a command run in the current folder.

    Inside a Dynamo checkout (the git top level around the current folder, see locate.py) that
    checkout is the project: its .env and .env.local are read and it is the context unless a layer
    names another. Elsewhere the project is this tool's repository (`invoke` there; its .env, and no
    default context), or nothing at all (the installed console script: no env file but --env-file).
    """
    from dynamo_container.buildcontext.locate import find_checkout

    cwd = Path.cwd()
    checkout = find_checkout(cwd)
    return load_config(
        checkout or tool_root or cwd,
        env_file=env_file,
        environ=os.environ,
        flags=flags,
        cwd=cwd,
        default_context="." if checkout else None,
        project_env=bool(checkout or tool_root),
    )


def settings_task(
    root: Path | None,
    name: str,
    groups: Sequence[Group],
    *,
    exclude: Sequence[str] = (),
    include: Sequence[str] = (),
    extras: Sequence[Extra] = (ENV_FILE,),
    fixed: dict[str, Any] | None = None,
    help_texts: Mapping[str, str] | None = None,
    takes_command: bool = False,
) -> Callable[[Callable[..., Any]], SettingsTask]:
    """Decorator: `body(c, cfg, **extras)` becomes a task with a flag per setting of `groups`.

    `help_texts` replaces the declared help of a setting where this task uses it differently;
    `takes_command`: the task reads a command after `--` (every other task refuses one).
    """
    specs = [s for s in in_groups(*groups) if s.name not in exclude and s.cli]
    specs += [by_name()[n] for n in include]
    has_dry_run = any(spec.name == "dry_run" for spec in specs)

    def config_of(c: Context, parsed: dict[str, Any]) -> Config:
        given = flags_given(specs, parsed)
        if c.config.run.dry:  # invoke's own --dry: this tool's dry run, where the task has one
            if not has_dry_run:
                raise DynamoError(f"invoke --dry: {name} has no dry run", f"leave out --dry: invoke {name}")
            given["dry_run"] = True
        if c.remainder and not takes_command:
            raise DynamoError(f"{name} takes no command after --: {c.remainder!r}", "leave out the -- part")
        given.update(fixed or {})
        return project_config(root, parsed.get("env_file"), given)

    def wrap(body: Callable[..., Any]) -> SettingsTask:
        def run(c: Context, **parsed: Any) -> Any:
            remember(credential_variables(os.environ).values())
            with guarded() as (out, _):
                result = _run_body(c, parsed)
            if out.broken:  # the reader went away: end as a shell tool would, quietly
                raise Exit(code=PIPE_STATUS)
            return result

        def _run_body(c: Context, parsed: dict[str, Any]) -> Any:
            try:
                with terminate_as_interrupt():  # SIGTERM takes Ctrl-C's cleanup paths
                    cfg = config_of(c, parsed)
                    remember(cfg.credentials.values())
                    extra_values = {
                        e.name: parsed.get(_attr(e.name), e.default) for e in extras if e is not ENV_FILE
                    }
                    return body(c, cfg, **extra_values)
            except DynamoError as exc:
                raise Exit(mask_text(f"error: {exc}") if exc.message else None, code=exc.exit_code) from None
            except KeyboardInterrupt as exc:
                stop = stop_of(exc)
                raise Exit(stop.word, code=stop.exit_code) from None
            except Exception as exc:  # the last resort: a bug reaches the user as one line, never a traceback
                raise Exit(crash_report(name, exc), code=CRASH_EXIT) from None

        run.__doc__ = body.__doc__
        return SettingsTask(run, name=name, specs=specs, extras=extras, help_texts=help_texts)

    return wrap
