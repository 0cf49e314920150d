"""How a run stops on a signal: SIGTERM is handled exactly as Ctrl-C is, with its own line and exit code.

Python turns SIGINT into KeyboardInterrupt, and every place that runs docker already answers it: the
step runner stops the docker child (started in a session of its own, so no signal reaches it but
ours), closes the step log, the plan writes the failed record and the log-folder lock is released
last. SIGTERM (CI cancelling a job, `kill`, `docker stop` of a CI container, systemd) would instead
end the process on the spot and leave all of that undone. `terminate_as_interrupt` raises
`Terminated`, a KeyboardInterrupt, in the main thread, so the same paths run; `stop_of` tells the two
apart where the line, the exit code, the log's last line and the record's status are made.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from dynamo_container.errors import Interrupted


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread; a KeyboardInterrupt so every Ctrl-C cleanup runs for it too."""


@dataclass(frozen=True)
class Stop:
    """What a stop by one signal looks like to the user, in the log and in the record."""

    signum: signal.Signals
    word: str  # the first words of the error line and the record's status
    log_line: str  # the last line of the log of a step it stopped
    exit_code: int  # 128 + the signal's number, as a shell reports a process ended by it


CTRL_C = Stop(signal.SIGINT, "interrupted", "stopped: interrupted by the user (Ctrl-C)", 130)
SIGTERM = Stop(signal.SIGTERM, "terminated by SIGTERM", "stopped: the tool received SIGTERM", 143)


def stop_of(exc: BaseException) -> Stop:
    """The stop a KeyboardInterrupt stands for: SIGTERM when `terminate_as_interrupt` raised it."""
    return SIGTERM if isinstance(exc, Terminated) else CTRL_C


class Stopped(Interrupted):
    """A run stopped by a signal: one line, exit 130 for Ctrl-C and 143 for SIGTERM."""

    def __init__(self, stop: Stop, what: str = "") -> None:
        super().__init__(f"{stop.word}: {what}" if what else stop.word)
        self.stop = stop
        self.exit_code = stop.exit_code


def stopped(exc: BaseException, what: str) -> Stopped:
    """The error that ends a run `exc` stopped, saying `what` was stopped."""
    return Stopped(stop_of(exc), what)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises `Terminated` in the main thread; the old handler is restored after.

    Only the first SIGTERM raises: a supervisor may repeat it, and a second exception would cut short
    the cleanup the first one started (stopping docker, the record, the lock). A `Terminated` nothing
    inside turned into its own line leaves the block as `Stopped`: one line, exit 143.
    Outside the main thread (where Python cannot set handlers) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except Terminated:
        raise Stopped(SIGTERM) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


HELD = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def held_signals() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a child process starts; one that came meanwhile is re-sent after.

    Raised inside `subprocess.Popen`, the exception would lose the process Popen had just started: a
    build or a container left running with nothing to stop it. Re-sent once the process is known,
    it reaches the handler it would have reached (so the caller's `except KeyboardInterrupt` can
    stop the process). Blocking the signals instead would pass the block on to docker. Main thread
    only, where Python runs signal handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in HELD}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:
            signal.raise_signal(pending[0])
