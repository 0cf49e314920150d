"""The status board of a matrix build on a terminal: one line per combination, redrawn in place.

Each line says where its combination is (queued, step k of n and the instruction BuildKit works
on, up to date, built, failed, stopped) and for how long; the threads of the matrix build update
their own line, rich's Live redraws the board a few times a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dynamo_container.report.views import clock


@dataclass
class Row:
    key: str
    steps: int
    state: str = "queued"
    detail: str = ""
    started: float | None = None
    ended: float | None = None

    def elapsed(self, now: float) -> str:
        if self.started is None:
            return "-"
        return clock((self.ended or now) - self.started)


class Board:
    """Every combination's line; thread-safe."""

    def __init__(self, combinations: Sequence[tuple[str, int]]) -> None:
        self.rows = {key: Row(key, steps) for key, steps in combinations}
        self.lock = threading.Lock()
        self.width = max((len(key) for key in self.rows), default=0)

    def step(self, key: str, index: int, name: str) -> None:
        with self.lock:
            row = self.rows[key]
            row.started = row.started or time.monotonic()
            row.state, row.detail = f"step {index} of {row.steps} ({name})", ""

    def detail(self, key: str, text: str) -> None:
        with self.lock:
            self.rows[key].detail = " ".join(text.split())

    def finish(self, key: str, state: str, detail: str = "") -> None:
        with self.lock:
            row = self.rows[key]
            row.state, row.detail, row.ended = state, detail, time.monotonic()

    def lines(self, now: float | None = None) -> list[str]:
        now = time.monotonic() if now is None else now
        with self.lock:
            rows = list(self.rows.values())
        done = sum(1 for r in rows if r.ended is not None)
        out = [f"matrix: {done} of {len(rows)} combinations finished"]
        for r in rows:
            line = f"  {r.key:<{self.width}}  {r.state:<26} {r.elapsed(now):>7}"
            out.append(f"{line}  {r.detail}" if r.detail else line)
        return out

    def __rich__(self) -> Any:
        from rich.text import Text

        return Text("\n".join(self.lines()), no_wrap=True, overflow="ellipsis")


class BoardDisplay:
    """One combination's step on the board: BuildKit's current instruction becomes its line's detail."""

    def __init__(self, board: Board, key: str) -> None:
        self.board, self.key = board, key

    def line(self, text: str) -> None:
        pass  # the step's log keeps every line; the board shows where each combination is

    def status(self, text: str) -> None:
        self.board.detail(self.key, text)
