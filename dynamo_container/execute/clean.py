"""`invoke clean`: what the tool made and no longer needs, found and (unless a dry run) removed.

- dangling images of its builds: untagged images carrying the labels only this tool's Dockerfile
  families set (`ai.dynamo.target` with `org.opencontainers.image.revision`; upstream's files set
  none), so an image another tool built is never a candidate;
- crash reports older than a week (`$TMPDIR/dynamo-container-crashes/`);
- stale locks: the `.lock` files earlier versions left in log folders, when no build holds them,
  and half-written record files (`.<name>.<pid>.<thread>.tmp`) whose process is gone;
- key records (`<log dir>/keys/<key>.json`) of images the engine no longer has.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dynamo_container.buildkeys.store import MAX_RECORD_BYTES, RECORD_SCHEMA, unsealed
from dynamo_container.errors import EngineError
from dynamo_container.execute.logfolders import LEGACY_LOCK

OUR_LABELS = ("ai.dynamo.target", "org.opencontainers.image.revision")
CRASH_FOLDER = "dynamo-container-crashes"
CRASH_MAX_AGE = 7 * 24 * 3600.0
_PARTIAL = re.compile(r"^\..+\.(\d+)\.\d+\.tmp$")
_IMAGE_ID = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Item:
    kind: str  # image, crash file, lock, partial file, key record
    what: str  # an image ID or a path
    bytes: int


@dataclass
class Found:
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be removed

    def of(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]


def _docker(docker: str, *args: str) -> str:
    try:
        out = subprocess.run([docker, *args], capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"cannot run {docker}: {exc}", "check DYNAMO_DOCKER_CLI") from None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        raise EngineError(f"{docker} {args[0]} {args[1]} failed: {last}", "is the engine running?")
    return out.stdout


def dangling_images(docker: str) -> list[Item]:
    """Untagged images that carry every label of this tool's families."""
    filters = [arg for label in OUR_LABELS for arg in ("--filter", f"label={label}")]
    listed = _docker(docker, "image", "ls", "--quiet", "--no-trunc", "--filter", "dangling=true", *filters)
    ids = sorted({line.strip() for line in listed.splitlines() if _IMAGE_ID.fullmatch(line.strip())})
    if not ids:
        return []
    shown = _docker(docker, "image", "inspect", "--format", "{{json .}}", "--", *ids)
    items = []
    for line in shown.splitlines():
        data = json.loads(line)
        labels = (data.get("Config") or {}).get("Labels") or {}
        if data.get("RepoTags") or not all(label in labels for label in OUR_LABELS):
            continue  # tagged since it was listed, or not ours after all: never touched
        items.append(Item("image", str(data["Id"]), int(data.get("Size") or 0)))
    return items


def crash_files(now: float, folder: Path | None = None) -> list[Item]:
    folder = folder or Path(tempfile.gettempdir()) / CRASH_FOLDER
    items = []
    for path in sorted(folder.glob("crash-*.txt")):
        with contextlib.suppress(OSError):
            st = path.stat()
            if now - st.st_mtime > CRASH_MAX_AGE:
                items.append(Item("crash file", str(path), st.st_size))
    return items


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_is_free(path: Path) -> bool:
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a build holds it
    finally:
        os.close(fd)
    return True


def stale_files(log_dir: Path) -> list[Item]:
    """Unheld lock files of earlier versions, and partial files of processes that are gone."""
    items: list[Item] = []
    if not log_dir.is_dir():
        return items
    for path in sorted(log_dir.rglob(LEGACY_LOCK)):
        if path.is_file() and _lock_is_free(path):
            items.append(Item("lock", str(path), path.stat().st_size))
    for path in sorted(log_dir.rglob(".*.tmp")):
        match = _PARTIAL.fullmatch(path.name)
        if match and path.is_file() and not _pid_alive(int(match.group(1))):
            items.append(Item("partial file", str(path), path.stat().st_size))
    return items


def key_records(log_dir: Path, present: Callable[[Sequence[str]], set[str]]) -> list[Item]:
    """Key records whose image the engine no longer has (`present`: which of these IDs it has)."""
    records: dict[Path, str] = {}
    for path in sorted((log_dir / "keys").glob("*.json")):
        with contextlib.suppress(OSError):
            raw = path.read_bytes()
            body = unsealed(raw, RECORD_SCHEMA) if len(raw) <= MAX_RECORD_BYTES else None
            image = body.get("image") if body else None
            if isinstance(image, str) and _IMAGE_ID.fullmatch(image):
                records[path] = image  # records this version did not write are left alone
    if not records:
        return []
    have = present(sorted(set(records.values())))
    return [Item("key record", str(p), p.stat().st_size) for p, image in records.items() if image not in have]


def images_present(docker: str) -> Callable[[Sequence[str]], set[str]]:
    def present(ids: Sequence[str]) -> set[str]:
        listed = _docker(docker, "image", "ls", "--all", "--quiet", "--no-trunc")
        have = {line.strip() for line in listed.splitlines()}
        return {image for image in ids if image in have}

    return present


def find(docker: str, log_dir: Path, now: float | None = None) -> Found:
    now = time.time() if now is None else now
    found = Found()
    found.items += dangling_images(docker)
    found.items += crash_files(now)
    found.items += stale_files(log_dir)
    found.items += key_records(log_dir, images_present(docker))
    return found


def remove(found: Found, docker: str) -> Found:
    """Remove every item found; what could not be removed is a problem, and stays out of the result."""
    done = Found()
    for item in found.items:
        try:
            if item.kind == "image":
                _docker(docker, "image", "rm", "--", item.what)
            else:
                Path(item.what).unlink()
        except (OSError, EngineError) as exc:
            done.problems.append(f"{item.kind} {item.what}: {exc}")
            continue
        done.items.append(item)
    return done
