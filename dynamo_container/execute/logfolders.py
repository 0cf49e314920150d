"""Log folders and step logs: one build per folder at a time, and what a full disk or a removed folder does.

A build holds each of its log folders with flock(2) on the folder's own descriptor, so holding one
leaves no file behind and the lock goes with the process whatever ends it. A step log is written
line by line (a stopped or killed run leaves every line it had) and says, once, why it can no longer
be written: the disk is full, or the log or its folder was removed (the lock went with the folder, so
another build could now take the same combination). The executor stops the step on either.
"""

from __future__ import annotations

import errno
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dynamo_container.errors import ConfigError

LEGACY_LOCK = ".lock"  # the lock file of earlier versions, one per folder, never removed
CHECK_SECONDS = 1.0  # how often a running step checks that its log and its folder are still there

_held: dict[Path, int] = {}  # folder -> its descriptor, flocked by this process
_held_lock = threading.Lock()


def _same_file(path: Path, fd: int) -> bool:
    """Whether `path` still names the file or folder open as `fd` (not removed, not replaced)."""
    try:
        opened, named = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return opened.st_nlink > 0 and (opened.st_dev, opened.st_ino) == (named.st_dev, named.st_ino)


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file or folder `path` names now (None: nothing)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def folder_removed(folder: Path) -> bool:
    """True when a log folder this process holds was removed or replaced since it was taken."""
    with _held_lock:
        fd = _held.get(folder)
    return fd is not None and not _same_file(folder, fd)


@dataclass(frozen=True)
class LogProblem:
    """Why a step log stopped being written, and what to do about it."""

    text: str
    hint: str


class StepLog:
    """A step's log file, line-buffered; `problem` says why it stopped being written (None while it is)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: LogProblem | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8", errors="replace", buffering=1)
        self._folder = _identity(path.parent)

    def write(self, line: str) -> None:
        if self.problem is not None:
            return
        try:
            self._file.write(line + "\n")
        except OSError as exc:
            self.problem = unwritable(self.path, exc)

    def check(self) -> LogProblem | None:
        """The problem, after checking that the log and its folder are still where they were."""
        if self.problem is not None:
            return self.problem
        folder, keep = self.path.parent, "leave the log folder alone while a build runs"
        if folder_removed(folder) or _identity(folder) != self._folder:
            self.problem = LogProblem(f"the log folder {folder} was removed during the build", keep)
        elif not _same_file(self.path, self._file.fileno()):
            self.problem = LogProblem(f"the step log {self.path} was removed during the build", keep)
        return self.problem

    def close(self) -> None:
        try:
            self._file.close()  # flushes; on a full disk the last lines fail here
        except OSError as exc:
            self.problem = self.problem or unwritable(self.path, exc)


def unwritable(path: Path, exc: OSError) -> LogProblem:
    """A step log that cannot be written: the reason, and room or another folder as the way out."""
    reason = exc.strerror or type(exc).__name__
    room = "free space there" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "make it writable"
    return LogProblem(
        f"the step log {path} could not be written ({reason})", f"{room}, or point --log-dir elsewhere"
    )


def first_missing(folder: Path) -> Path | None:
    """The highest folder of `folder`'s ancestry (itself included) that does not exist yet."""
    missing = None
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing = path
    return missing


def remove_if_empty(folder: Path, top: Path) -> None:
    """Take back `folder` and its parents up to `top` (folders this process made) while they are empty."""
    for path in (folder, *folder.parents):
        try:
            path.rmdir()  # only empty folders go
        except OSError:
            return
        if path == top:
            return


def _open_folder(folder: Path, where: str) -> int:
    """The folder, created and checked writable (a file that vanishes on close), open for its lock."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(
            f"{where} {folder}: cannot write build logs there ({exc.strerror})",
            "point --log-dir at a writable folder",
        ) from None


def _lock(folder: Path, fd: int) -> None:
    """Hold the folder, or refuse: another build (of this version or an earlier one) writes there."""
    import fcntl

    busy = ConfigError(f"another build is writing its logs to {folder}", "wait for it")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise busy from None
    legacy = folder / LEGACY_LOCK
    try:
        old = os.open(legacy, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return  # none left by an earlier version
    try:
        fcntl.flock(old, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise busy from None
    else:
        legacy.unlink(missing_ok=True)  # nobody holds it: a leftover
    finally:
        os.close(old)


@contextmanager
def log_folders(folders: Iterable[Path], where: str) -> Iterator[None]:
    """Hold each build's log folder for the length of the build: created, writable, and ours alone.

    Two builds of the same combination at once would overwrite each other's logs; the second is
    refused before its first step instead. Folders this made stay only if something was logged in
    them; they are taken back before the locks go, so the locks are the last thing released.
    """
    held: list[tuple[Path, int]] = []
    created: list[tuple[Path, Path]] = []
    try:
        for folder in sorted(set(folders)):
            top = first_missing(folder)
            fd = _open_folder(folder, where)
            if top is not None:
                created.append((folder, top))
            try:
                _lock(folder, fd)
            except ConfigError:
                os.close(fd)
                raise
            held.append((folder, fd))
            with _held_lock:
                _held[folder] = fd
        yield
    finally:
        for folder, top in created:
            remove_if_empty(folder, top)
        for folder, fd in held:
            with _held_lock:
                _held.pop(folder, None)
            os.close(fd)
