"""The files of the build keys under `<log dir>/keys/`: what each key built, and a cache of file hashes.

Both only save work; neither is trusted as a fact. A file that is missing, unreadable, malformed,
hand-edited or written by another version is ignored (one warning; the step runs and the file is
written again), and a folder that cannot be written (a full disk, a read-only or foreign folder,
a file where the folder should be) leaves the step unrecorded with one warning per run. The build
goes on either way. Each file carries a checksum of its own content, so an edit that is still
valid JSON is noticed too, and each is written whole or not at all (a temporary file beside it,
renamed over it; removed again when writing fails).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dynamo_container.report import console

RECORD_SCHEMA = "dynamo-container key record 2"
CACHE_SCHEMA = "dynamo-container file hashes 2"
CACHE_NAME = "file-hashes.json"
LEGACY_CACHE = "stat-cache.json"  # the unsealed cache of earlier versions, removed on the next save
RACY_SECONDS = 2.0  # a file changed this recently may change again within the same timestamp tick
MAX_RECORD_BYTES = 1 << 20  # a record is a few hundred bytes; anything near this is not ours
MAX_CACHE_BYTES = 256 << 20  # ~1.5 million files
_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")  # fullmatch: a hand-edited "...\n" is no ID
_SHA256 = re.compile(r"[0-9a-f]{64}")


class Warnings:
    """One warning per kind of fault and run (the threads of a matrix build share it)."""

    def __init__(self, warn: Callable[[str], None] | None = None) -> None:
        self._warn = warn or console.warn
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def once(self, kind: str, message: str) -> None:
        with self._lock:
            if kind in self._seen:
                return
            self._seen.add(kind)
        self._warn(message)


def why(exc: OSError, folder: Path) -> str:
    """What went wrong writing under `folder`, in the words a user acts on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full" if exc.errno == errno.ENOSPC else "the disk quota is used up"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) or (folder.exists() and not folder.is_dir()):
        return f"{folder} or a folder above it is a file"
    return exc.strerror or type(exc).__name__


def write_whole(path: Path, text: str) -> None:
    """`text` into `path` whole or not at all; OSError when it cannot be written (nothing left behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(partial, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


def _check(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def sealed(body: dict[str, Any]) -> str:
    """`body` as JSON with a checksum of itself (`check`)."""
    return json.dumps({**body, "check": _check(body)}, sort_keys=True)


def unsealed(raw: bytes, schema: str) -> dict[str, Any] | None:
    """The body of a sealed file of this schema; None for anything else (never an exception)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, numbers too long, nested too deeply
        return None
    if not isinstance(data, dict) or data.get("schema") != schema:
        return None
    body = {k: v for k, v in data.items() if k != "check"}
    try:
        return body if data.get("check") == _check(body) else None
    except (ValueError, RecursionError):
        return None


def _read(path: Path, limit: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(limit + 1)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _valid_entry(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 5
        and all(_is_count(v) for v in value[:4])
        and isinstance(value[4], str)
        and _SHA256.fullmatch(value[4]) is not None
    )


class StatCache:
    """sha256 of file contents by (path, size, mtime, ctime, inode), kept between runs in one file.

    An entry is used only for the exact stamp it was made for, and made only for a file whose last
    change (mtime or ctime) is over RACY_SECONDS old when it is hashed: a file written again within
    the same timestamp tick keeps its stamp, so a younger file is hashed every time. ctime is in the
    stamp because no program can set it back: a rewrite that restores the size and the mtime (cp -p,
    tar, touch -r) still changes it.
    """

    def __init__(self, path: Path, warnings: Warnings | None = None) -> None:
        self.path, self.lock, self.changed = path, threading.Lock(), False
        self.warnings = warnings or Warnings()
        self.entries: dict[str, list[Any]] = self._load()

    def _load(self) -> dict[str, list[Any]]:
        try:
            raw = _read(self.path, MAX_CACHE_BYTES)
        except OSError:  # absent or unreadable: hashed again; saving it says why it cannot be written
            return {}
        body = unsealed(raw, CACHE_SCHEMA) if len(raw) <= MAX_CACHE_BYTES else None
        entries = body.get("entries") if body else None
        if isinstance(entries, dict) and all(_valid_entry(v) for v in entries.values()):
            return entries
        self.warnings.once(
            "cache",
            f"{self.path} is not a file-hash cache this version wrote: ignored "
            "(the build context is hashed again and the file rewritten)",
        )
        self.changed = True
        return {}

    def digest(self, path: str, st: os.stat_result) -> str:
        """The sha256 of the file at `path`, whose stat `st` was taken before this call reads it."""
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        with self.lock:
            hit = self.entries.get(path)
        if hit and hit[:4] == stamp:
            return str(hit[4])
        sha = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                sha.update(chunk)
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_SECONDS * 1e9:
            with self.lock:
                self.entries[path], self.changed = [*stamp, sha.hexdigest()], True
        return sha.hexdigest()

    def save(self) -> None:
        """Write the cache whole; a folder that cannot be written is one warning, never an error."""
        with self.lock:
            if not self.changed:
                return
            text = sealed({"schema": CACHE_SCHEMA, "entries": self.entries})
        try:
            write_whole(self.path, text)
        except OSError as exc:
            self.warnings.once(
                "write",
                f"file hashes of the build keys not saved: cannot write {self.path}: "
                f"{why(exc, self.path.parent)} (the build is not affected; the next one hashes its "
                "context again)",
            )
            return
        with contextlib.suppress(OSError):
            (self.path.parent / LEGACY_CACHE).unlink(missing_ok=True)
        self.changed = False


class KeyStore:
    """`<key>.json`: the image ID a step built under that key, sealed with a checksum."""

    def __init__(self, folder: Path, warnings: Warnings | None = None) -> None:
        self.folder = folder
        self.warnings = warnings or Warnings()

    def image(self, key: str) -> str | None:
        """The image ID recorded under `key`; None when there is no record this version wrote."""
        path = self.folder / f"{key}.json"
        try:
            raw = _read(path, MAX_RECORD_BYTES)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self.warnings.once("read", f"cannot read {path}: {exc.strerror} (ignored: the step runs)")
            return None
        body = unsealed(raw, RECORD_SCHEMA) if len(raw) <= MAX_RECORD_BYTES else None
        image = body.get("image") if body and body.get("key") == key else None
        if isinstance(image, str) and _IMAGE_ID.fullmatch(image):
            return image
        self.warnings.once(
            f"record {key}",
            f"{path} is not a key record this version wrote: ignored (the step runs and is recorded again)",
        )
        return None

    def write(self, key: str, step: str, tags: Sequence[str], image: str) -> bool:
        """Record what `key` built; False (with one warning per run) when it cannot be written."""
        if not (_SHA256.fullmatch(key) and _IMAGE_ID.fullmatch(image)):
            return False
        body = {
            "schema": RECORD_SCHEMA,
            "key": key,
            "image": image,
            "step": step,
            "tags": list(tags),
            "at": time.time(),
        }
        try:
            write_whole(self.folder / f"{key}.json", sealed(body))
        except OSError as exc:
            self.warnings.once(
                "write",
                f"build keys not recorded: cannot write {self.folder}: {why(exc, self.folder)} "
                "(the build goes on; its steps run again next time: free space or fix that folder, "
                "or set DYNAMO_LOG_DIR to another one)",
            )
            return False
        return True
