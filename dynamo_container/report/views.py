"""How a running build shows itself: `--progress auto|tty|plain|quiet` (DYNAMO_PROGRESS), as buildx's.

- `tty`: a live view redrawn in place. A single build shows, per step, the current BuildKit stage
  and instruction, the elapsed time, cached/total so far and the step's last output lines; a
  matrix build shows a status board, one line per combination (board.py).
- `plain`: every output line, prefixed with the step (and combination) and the elapsed seconds,
  for CI logs and pipes.
- `quiet`: only each step's result, the summary and errors.
- `auto`: `tty` on a terminal that can show it, else `plain`.

A live view needs a terminal that moves its cursor and may be sent escape codes: not a pipe,
not `TERM=dumb`, not `NO_COLOR` (which here means no escape code at all). Asked for where it
cannot work, `tty` falls back to `plain` and says why once.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from typing import Any, Protocol, TextIO

MODES = ("auto", "tty", "plain", "quiet")
TAIL = 6  # output lines a live step shows under its status line
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Display(Protocol):
    def line(self, text: str) -> None: ...

    def status(self, text: str) -> None: ...


def no_live_view(stream: TextIO) -> str:
    """Why `stream` cannot show a live view ('' when it can)."""
    if not stream.isatty():
        return "the output is not a terminal"
    if os.environ.get("TERM") == "dumb":
        return "TERM is dumb"
    if "NO_COLOR" in os.environ:
        return "NO_COLOR is set"
    return ""


def choose(mode: str, stream: TextIO) -> tuple[str, str]:
    """The mode to use (`tty`, `plain` or `quiet`) for `--progress mode`, and a note when it falls back."""
    if mode == "quiet" or mode == "plain":
        return mode, ""
    why = no_live_view(stream)
    if mode == "auto":
        return ("plain" if why or os.environ.get("CI") else "tty"), ""
    if why:
        return "plain", f"--progress tty needs a terminal that shows it ({why}): plain lines instead"
    return "tty", ""


class PlainDisplay:
    """One prefixed line per output line: readable in CI logs and pipes (thread-safe)."""

    _lock = threading.Lock()

    def __init__(self, prefix: str, started: float, stream: TextIO) -> None:
        self.prefix, self.started, self.stream = prefix, started, stream

    def line(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        with self._lock:
            print(f"[{self.prefix} {elapsed:5.0f}s] {text}", file=self.stream, flush=True)

    def status(self, text: str) -> None:
        pass


class QuietDisplay:
    """Shows nothing while a step runs: its log keeps every line, its result line says how it ended."""

    def line(self, text: str) -> None:
        pass

    def status(self, text: str) -> None:
        pass


def clock(seconds: float) -> str:
    """Elapsed time as a person reads it: 42s, 3m05s, 1h02m."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class LiveStep:
    """The live view of one running step: a status line and the step's last output lines.

    Rendered by rich's Live at each refresh, so the elapsed time moves while BuildKit is silent.
    """

    def __init__(self, title: str, started: float) -> None:
        self.title, self.started = title, started
        self.current = "starting"
        self.tail: deque[str] = deque(maxlen=TAIL)
        self.lock = threading.Lock()

    def line(self, text: str) -> None:
        with self.lock:
            self.tail.append(text)

    def status(self, text: str) -> None:
        with self.lock:
            self.current = text

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.text import Text

        with self.lock:
            current, tail = self.current, list(self.tail)
        elapsed = time.monotonic() - self.started
        frame = SPINNER[int(elapsed * 8) % len(SPINNER)]
        head = f"{frame} {self.title} · {clock(elapsed)} · {' '.join(current.split())}"
        lines = [Text(head, overflow="ellipsis", no_wrap=True)]
        lines += [Text(line, style="dim", overflow="ellipsis", no_wrap=True) for line in tail]
        return Group(*lines)


class LiveRegion:
    """`with LiveRegion(renderable, stream)`: `renderable` redrawn in place until the block ends."""

    def __init__(self, renderable: Any, stream: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.live import Live

        console = Console(file=stream or sys.stdout)
        self._live = Live(renderable, console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> LiveRegion:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()
