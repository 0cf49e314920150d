"""Real file-system faults for tests: a small tmpfs to fill (a full disk) or a read-only one.

Mounting needs root; without it the test is skipped with the reason. The mount is always undone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def tmpfs(folder: Path, size: str = "16k", *, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` (made if missing) for the duration of the block."""
    if os.geteuid() != 0:
        pytest.skip("a full or read-only disk is simulated with a tmpfs, which only root may mount")
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs on {folder}: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, check=False)


def fill(folder: Path, leave: int = 0) -> None:
    """Write a filler file in `folder` until its disk is full (or only `leave` bytes are left)."""
    st = os.statvfs(folder)
    goal = max(st.f_bavail * st.f_frsize - leave, 0)
    fd = os.open(folder / ".filler", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    written = 0
    try:
        while not leave or written < goal:
            try:
                written += os.write(fd, b"\0" * min(4096, goal - written if leave else 4096))
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    finally:
        os.close(fd)
