"""Text leaving the process: every line masked, a closed pipe ended quietly, any encoding written.

`guarded()` puts a `GuardedStream` in front of stdout and stderr for the length of a command. Each
complete line (and whatever is pending at a flush, as a live display flushes) is masked by
`secrets.mask_text` before it reaches the real stream; characters the stream's encoding lacks become
`?` instead of an exception; a reader that went away (`invoke config | head -1`) turns the stream
into a sink: the command goes on (a build still finishes), and `broken` tells the caller to end
with the pipe's status, 141, as a shell tool killed by SIGPIPE would.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from dynamo_container.model.secrets import mask_text

PIPE_STATUS = 141  # 128 + SIGPIPE


class GuardedStream:
    """A text stream that masks credentials, survives a closed pipe and never fails to encode."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self.pending = ""
        self.broken = False

    def write(self, text: str) -> int:
        self.pending += text
        if "\n" in self.pending:
            done, _, self.pending = self.pending.rpartition("\n")
            self._emit(done + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending:
            text, self.pending = self.pending, ""
            self._emit(text)
        self._call(self.inner.flush)

    def _emit(self, text: str) -> None:
        text = mask_text(text)
        encoding = getattr(self.inner, "encoding", None) or "utf-8"
        try:
            text.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            text = text.encode(encoding, errors="replace").decode(encoding, errors="replace")
        self._call(self.inner.write, text)

    def _call(self, method: Any, *args: Any) -> None:
        if self.broken:
            return
        try:
            method(*args)
        except BrokenPipeError:
            self._close_quietly()
        except ValueError:  # the stream was closed under us: nothing more can be shown
            self.broken = True

    def _close_quietly(self) -> None:
        """Point the descriptor at /dev/null so Python's own flush at exit finds nothing to fail on."""
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.inner.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def isatty(self) -> bool:
        return not self.broken and self.inner.isatty()

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, errors, ...: the real stream's
        return getattr(self.inner, name)


@contextmanager
def guarded() -> Iterator[tuple[GuardedStream, GuardedStream]]:
    """stdout and stderr guarded for the block (already guarded streams are kept as they are)."""
    old_out, old_err = sys.stdout, sys.stderr
    out = old_out if isinstance(old_out, GuardedStream) else GuardedStream(old_out)
    err = old_err if isinstance(old_err, GuardedStream) else GuardedStream(old_err)
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        out.flush()
        err.flush()
        sys.stdout, sys.stderr = old_out, old_err


def install() -> None:
    """Guard stdout and stderr for the rest of the process (the command-line entry points, before
    invoke prints its own `--list` or `--help`), and end with the pipe status if a reader went away."""
    if not isinstance(sys.stdout, GuardedStream):
        sys.stdout = GuardedStream(sys.stdout)
    if not isinstance(sys.stderr, GuardedStream):
        sys.stderr = GuardedStream(sys.stderr)
    atexit.register(_end_as_a_closed_pipe)


def _end_as_a_closed_pipe() -> None:
    out = sys.stdout
    if isinstance(out, GuardedStream):
        out.flush()
        if out.broken:  # as a shell tool killed by SIGPIPE ends; nothing is left to write anyway
            os._exit(PIPE_STATUS)
