"""Printing plans and commands: copy-pasteable, one flag per line, dim on a terminal.

Kept free of rich so that a dry run stays fast (tables.py loads it for a ruled table); ANSI styling
only when the stream is a terminal, NO_COLOR is not set and TERM is not dumb.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from dynamo_container.plan.matrix import MatrixPlan
    from dynamo_container.plan.model import StepsPlan

DIM, BOLD, YELLOW, RED, RESET = "\033[2m", "\033[1m", "\033[33m", "\033[31m", "\033[0m"


def program() -> str:
    """How the user ran the tool: the console script, or invoke in this repository."""
    return "dynamo-container" if sys.argv and Path(sys.argv[0]).name == "dynamo-container" else "invoke"


def command(words: str) -> str:
    """A command of this tool to type, as the user runs it: `run --image x` -> `invoke run --image x`."""
    return f"{program()} {words}"


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def style(text: str, code: str, stream: TextIO) -> str:
    return f"{code}{text}{RESET}" if use_color(stream) else text


def _prefix_len(argv: Sequence[str]) -> int:
    """Words of the command before its first option: 'docker buildx build', 'docker push'."""
    n = 0
    for word in argv:
        if word.startswith("-"):
            break
        n += 1
    return n


# Options of `docker build` / `docker buildx build` / `docker run` that take a separate value word.
VALUE_FLAGS = frozenset(
    (
        "--file",
        "-f",
        "--target",
        "--platform",
        "--network",
        "--build-arg",
        "--secret",
        "--build-context",
        "--cache-from",
        "--cache-to",
        "--tag",
        "-t",
        "--builder",
        "--progress",
        "--metadata-file",
        "--output",
        "-o",
        "--name",
        "--gpus",
        "--runtime",
        "--shm-size",
        "--ulimit",
        "-e",
        "--env",
        "--env-file",
        "-v",
        "--volume",
        "--mount",
        "-p",
        "--publish",
        "-w",
        "--workdir",
        "--entrypoint",
        "--user",
        "-u",
        "--ipc",
        "--cap-add",
        "--cap-drop",
        "--device",
        "--label",
        "--pid",
        "--security-opt",
        "--group-add",
    )
)


def format_command(argv: Sequence[str], env: Iterable[tuple[str, str]] = ()) -> str:
    """A shell command, one flag (with its value) per line, joined by backslash continuations."""
    words = list(argv)
    if not words or Path(words[0]).name != "docker":  # other programs: one line, as a shell shows it
        return " ".join([*(f"{k}={shlex.quote(v)}" for k, v in env), shlex.join(words)])
    head_n = _prefix_len(words)
    first = " ".join([f"{k}={shlex.quote(v)}" for k, v in env] + [shlex.quote(w) for w in words[:head_n]])
    lines: list[str] = []
    i = head_n
    while i < len(words):
        word = words[i]
        if word in VALUE_FLAGS and i + 1 < len(words):
            lines.append(f"{shlex.quote(word)} {shlex.quote(words[i + 1])}")
            i += 2
        elif word.startswith("-") and word != "--":
            lines.append(shlex.quote(word))
            i += 1
        else:  # `--`, the first positional (image or build context) and everything after, on one line
            lines.append(" ".join(shlex.quote(w) for w in words[i:]))
            break
    return " \\\n    ".join([first, *lines])


def print_command(
    argv: Sequence[str], env: Iterable[tuple[str, str]] = (), stream: TextIO | None = None
) -> None:
    stream = stream or sys.stdout
    print(style(format_command(argv, env), DIM, stream), file=stream, flush=True)


def print_summary(rows: Iterable[tuple[str, str]], stream: TextIO, title: str = "Configuration") -> None:
    rows = list(rows)
    width = max((len(k) for k, _ in rows), default=0)
    print(style(title, BOLD, stream), file=stream)
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}", file=stream)


def warn(message: str, stream: TextIO | None = None) -> None:
    stream = stream or sys.stderr
    print(style(f"warning: {message}", YELLOW, stream), file=stream)


SKIP_NOTE = (
    "A build step whose inputs are unchanged since it built the image the engine still has under its "
    "tags is skipped as up to date (--force runs every step)."
)


def print_plan(plan: StepsPlan, stream: TextIO | None = None, *, dry_run: bool = True) -> None:
    """Configuration summary, then each step's command exactly as it would run."""
    stream = stream or sys.stdout
    for w in plan.warnings:
        warn(w)
    print_summary(plan.summary, stream)
    total = len(plan.steps)
    for i, step in enumerate(plan.steps, 1):
        print(file=stream)
        print(style(f"Step {i}/{total}: {step.title}", BOLD, stream), file=stream)
        print_command(step.argv, step.env, stream)
    if dry_run:
        print(file=stream)
        print("Dry run: nothing was run or written.", file=stream)
        if any(step.kind == "build" for step in plan.steps):
            print(SKIP_NOTE, file=stream)
        if plan.run_hint:
            print(f"After a build, run it with: {command(plan.run_hint)}", file=stream)


def print_json(data: object, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    json.dump(data, stream, indent=2)
    stream.write("\n")


def print_matrix_plan(mplan: MatrixPlan, stream: TextIO | None = None) -> None:
    """Every combination's plan of a matrix build, then the dry-run line."""
    stream = stream or sys.stdout
    for w in mplan.warnings:
        warn(w)
    for plan in mplan.plans:
        print(style(f"== {plan.key} ==", BOLD, stream), file=stream)
        print_plan(plan, stream, dry_run=False)
        print(file=stream)
    print("Dry run: nothing was run or written.", file=stream)
    print(SKIP_NOTE, file=stream)


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    stream: TextIO | None = None,
) -> None:
    """A table whose cells are never cut (tables.py): ruled on a colour terminal, aligned text elsewhere."""
    from dynamo_container.report import tables

    stream = stream or sys.stdout
    tables.print_table(title, columns, [list(r) for r in rows], stream, use_color(stream))
