"""Tables that read everywhere: ruled on a colour terminal, aligned plain text otherwise, never a cut cell.

Tags, image IDs and setting values are what people copy, so no cell is ever shortened:

- on a terminal with colour, a rich table whose cells fold;
- in a pipe, a CI log, under `NO_COLOR` or `TERM=dumb`: a header row and aligned columns, one line
  per row, with no escape code at all (a cell's own line breaks become spaces);
- wherever the columns cannot fit the width (a narrow terminal, a small `COLUMNS`): one
  `column: value` block per row, which any width shows whole.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from typing import TextIO

MIN_COLUMN = 12  # a folded column narrower than this shows a word per line: blocks read better
GAP = "  "


def terminal_width(stream: TextIO) -> int | None:
    """The width to fit: `COLUMNS` when set (as rich and coreutils read it), else the terminal's."""
    raw = os.environ.get("COLUMNS", "")
    if raw.isascii() and raw.isdigit() and int(raw) > 0:
        return int(raw)
    if not stream.isatty():
        return None
    return shutil.get_terminal_size((80, 24)).columns


def _flat(cell: str) -> str:
    return " ".join(cell.split("\n"))


def aligned(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A header row and one line per row, each column as wide as its widest cell."""
    table = [list(columns), *([_flat(c) for c in row] for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    return [GAP.join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]


def blocks(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """One `column: value` block per row, rows apart by an empty line; a multi-line cell indented."""
    width = max((len(c) for c in columns), default=0)
    out: list[str] = []
    for n, row in enumerate(rows):
        if n:
            out.append("")
        for name, cell in zip(columns, row, strict=True):
            first, *more = cell.split("\n") or [""]
            out.append(f"{name + ':':<{width + 1}} {first}".rstrip())
            out += [f"{'':<{width + 1}} {line}" for line in more]
    return out


def fits(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> bool:
    """Whether a ruled table of these columns fits `width` without folding a column to a sliver."""
    needed = 1
    for i, name in enumerate(columns):
        longest = max([len(name), *(len(line) for row in rows for line in row[i].split("\n"))])
        needed += min(longest, MIN_COLUMN) + 3  # the cell's padding and its rule
    return width >= needed


def plain_lines(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], width: int | None
) -> list[str]:
    """The table without a terminal: the title, then aligned columns, or blocks when they cannot fit."""
    lines = aligned(columns, rows)
    if width is not None and max(len(line) for line in lines) > width:
        return [title, *blocks(columns, rows)]
    return [title, *lines]


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], stream: TextIO, color: bool
) -> None:
    width = terminal_width(stream)
    if not color or width is None or not fits(columns, rows, width):
        for line in plain_lines(title, columns, rows, width if color or stream.isatty() else None):
            print(line, file=stream)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(file=stream, width=width).print(table)
