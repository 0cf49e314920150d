"""Build keys: skip a build step whose inputs are unchanged since it built an image the engine still has.

BuildKit re-solves every step of a cached rebuild: it loads the Dockerfile, transfers and checksums
the context, computes every cache key and exports the image again. A step's **key** is a hash of
everything that determines its result:

- the command line (target, platform, build args, contexts, tags, network, secret ids; not values),
- the frontend (buildx or build, builder, driver, the CLI and plugin binaries, the engine version),
- the Dockerfile's bytes,
- the image ID of every image the target's stages start FROM or copy from, as the engine resolves it,
- the main context as BuildKit sends it (its ignore rules; paths, modes, contents) and every named
  context (the paths the Dockerfile reads from it; all of it when a path has a wildcard).

After a step builds, `<log dir>/keys/<key>.json` records the image ID it made. A later step with
the same key is **up to date** when the engine has that image ID under every tag the step would
set. Anything that cannot be keyed (an image not present locally, an unreadable context file, a
remote context, `--no-cache`, `--pull`, a push, a named builder, a cache export) runs as before.
File contents are hashed once per (size, mtime, inode); a file changed within the last seconds is
hashed again every time (its mtime may not have ticked yet).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .context import Matcher, ignore_file, kept_entries
from .dockerfiles import Dockerfile, Stage, load
from .engine import Engine, buildx_plugin
from .errors import DynamoError
from .plan.model import Step

SCHEMA = "dynamo-container build key 1"
RACY_SECONDS = 2.0  # a file modified this recently may change again within the same mtime tick
_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+])?(?P<word>[^}]*)\}|(?P<bare>[A-Za-z_]\w*))"
)
_NOT_KEYABLE_FLAGS = ("--no-cache", "--pull", "--push", "--cache-to", "--builder", "--output", "-o")


def not_keyable(step: Step) -> str:
    """Why a step always runs ('' when it may be keyed): only image builds into the engine are keyed."""
    if step.kind != "build":
        return f"a {step.kind} step"
    if not (step.tags and step.dockerfile):
        return "it builds no tagged image from a Dockerfile"
    flag = next((f for f in _NOT_KEYABLE_FLAGS if f in step.argv), "")
    return f"{flag} given" if flag else ""


def expand(text: str, values: Mapping[str, str]) -> str | None:
    """Dockerfile variable expansion ($X, ${X}, ${X:-d}, ${X:+a}); None for a form it cannot know."""
    unknown = False

    def one(m: re.Match[str]) -> str:
        nonlocal unknown
        name = m["braced"] or m["bare"]
        value = values.get(name, "")
        op = m["op"] or ""
        if op in (":-", "-"):
            return value if (value or (op == "-" and name in values)) else m["word"]
        if op in (":+", "+"):
            return m["word"] if (value or (op == "+" and name in values)) else ""
        if m["braced"] and m["word"]:
            unknown = True
        return value

    out = _VAR.sub(one, text)
    return None if unknown else out


def _stage_refs(stage: Stage) -> list[str]:
    """What a stage reads besides its own instructions: its base and every --from."""
    refs = [stage.base]
    for ins in stage.instructions:
        refs += [v for v in (ins.flag("from"),) if v]
        refs += [opts["from"] for opts in ins.mounts() if opts.get("from")]
    return refs


def needed_stages(df: Dockerfile, target: str) -> list[Stage]:
    """The target stage and every stage it builds on or copies from."""
    by_name = {s.name: s for s in df.stages} | {str(s.index): s for s in df.stages}
    todo, seen = [target or df.stages[-1].name], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        todo += _stage_refs(by_name[name])
    return [s for s in df.stages if s.name in seen or str(s.index) in seen]


def image_refs(df: Dockerfile, step: Step) -> list[str] | None:
    """Every image the step's target starts from or copies from (None: one cannot be known)."""
    values = {k: (v or "") for k, v in df.global_args.items() if v is not None} | dict(step.build_args)
    stages = {s.name for s in df.stages} | {str(s.index) for s in df.stages}
    named = {name for name, _ in step.contexts}
    refs: list[str] = []
    for stage in needed_stages(df, step.target or ""):
        for raw in _stage_refs(stage):
            ref = expand(raw, values)
            if ref is None:
                return None
            if ref and ref not in stages and ref not in named and ref != "scratch" and ref not in refs:
                refs.append(ref)
    return refs


class StatCache:
    """sha256 of file contents by (path, size, mtime, inode), kept between runs in one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path, self.lock, self.changed = path, threading.Lock(), False
        try:
            self.entries: dict[str, list[Any]] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def digest(self, path: str, st: os.stat_result) -> str:
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        with self.lock:
            hit = self.entries.get(path)
        if hit and hit[:3] == stamp:
            return str(hit[3])
        sha = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                sha.update(chunk)
        if time.time() - st.st_mtime > RACY_SECONDS:
            with self.lock:
                self.entries[path], self.changed = [*stamp, sha.hexdigest()], True
        return sha.hexdigest()

    def save(self) -> None:
        if not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(self.entries), encoding="utf-8")
        partial.replace(self.path)


def tree_digest(root: Path, matcher: Matcher, cache: StatCache) -> str | None:
    """Paths, modes, contents and link targets of what a context sends; None when unreadable."""
    sha = hashlib.sha256()
    unreadable: list[str] = []
    try:
        for rel, entry, _ in kept_entries(root, matcher, unreadable):
            st = entry.stat(follow_symlinks=False)
            kind = stat.S_IFMT(st.st_mode)
            if stat.S_ISREG(st.st_mode):
                detail = cache.digest(entry.path, st)
            elif stat.S_ISLNK(st.st_mode):
                detail = os.readlink(entry.path)
            else:
                detail = ""
            sha.update(f"{rel}\0{kind}\0{stat.S_IMODE(st.st_mode):o}\0{detail}\n".encode())
    except OSError:
        return None
    return None if unreadable else sha.hexdigest()


@dataclass(frozen=True)
class Verdict:
    key: str  # "" when the step cannot be keyed
    image: str = ""  # the image ID when the step is up to date
    why: str = ""  # why it cannot be keyed


class BuildKeys:
    """Keys and up-to-date checks of the steps of one run (several matrix threads may share it)."""

    def __init__(self, engine: Engine, log_dir: Path, frontend_id: str) -> None:
        self.engine, self.frontend_id = engine, frontend_id
        self.folder = log_dir / "keys"
        self.cache = StatCache(log_dir / "keys" / "stat-cache.json")

    def key(self, step: Step) -> Verdict:
        why = not_keyable(step)
        if why:
            return Verdict("", why=why)
        parts = self._inputs(step)
        if isinstance(parts, str):
            return Verdict("", why=parts)
        text = json.dumps([SCHEMA, self.frontend_id, list(step.argv), *parts], sort_keys=True)
        return Verdict(hashlib.sha256(text.encode()).hexdigest())

    def _inputs(self, step: Step) -> list[Any] | str:
        dockerfile = Path(step.dockerfile or "")
        try:
            df = load(dockerfile)
        except DynamoError as exc:  # the build itself will say what is wrong with it
            return exc.message
        refs = image_refs(df, step)
        if refs is None:
            return "a FROM that cannot be expanded"
        found = self.engine.image_ids(refs)
        missing = [r for r, image in found.items() if image is None]
        if missing:
            return f"{missing[0]} is not on the engine"
        context = Path(step.context or ".")
        main = tree_digest(
            context, Matcher.for_context(context, ignore_file(dockerfile, context)), self.cache
        )
        named = self._named_contexts(step, df)
        if main is None or isinstance(named, str):
            return named if isinstance(named, str) else "an unreadable file in the build context"
        return [hashlib.sha256(dockerfile.read_bytes()).hexdigest(), found, main, named]

    def _named_contexts(self, step: Step, df: Dockerfile) -> dict[str, Any] | str:
        out: dict[str, Any] = {}
        for name, value in step.contexts:
            if value.startswith("docker-image://"):
                digest: Any = next(
                    iter(self.engine.image_ids([value.removeprefix("docker-image://")]).values())
                )
            elif "://" in value:
                return f"build context {name} is remote"
            else:
                digest = self._paths_read(
                    Path(value), [src.path for src in df.sources() if src.context == name]
                )
            if digest is None:
                return f"build context {name} cannot be read"
            out[name] = digest
        return out

    def _paths_read(self, root: Path, paths: list[str]) -> dict[str, str | None] | None:
        """Digests of what the Dockerfile reads from a local named context (all of it when unsure)."""
        if not paths or any(set(p) & set("*?[$") or p.strip("./") == "" for p in paths):
            return {".": tree_digest(root, Matcher(()), self.cache)}
        out: dict[str, str | None] = {}
        for rel in sorted(set(paths)):
            path = root / rel
            if path.is_dir():
                out[rel] = tree_digest(path, Matcher(()), self.cache)
            elif path.is_file():
                out[rel] = f"{path.stat().st_mode:o}:{self.cache.digest(str(path), path.stat())}"
            else:
                out[rel] = "missing"
        return None if None in out.values() else out

    def up_to_date(self, step: Step) -> Verdict:
        """The key, and the image ID when the engine still has what this key built under every tag."""
        verdict = self.key(step)
        if not verdict.key:
            return verdict
        try:
            record = json.loads((self.folder / f"{verdict.key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return verdict
        image = record.get("image") if isinstance(record, dict) else None
        if image and all(found == image for found in self.engine.image_ids(list(step.tags)).values()):
            return Verdict(verdict.key, str(image))
        return verdict

    def record(self, step: Step, key: str, image: str | None) -> None:
        """What a successful step built under this key (its image ID)."""
        if not (key and image):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"image": image, "step": step.name, "tags": list(step.tags), "at": time.time()}
        partial = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        partial.write_text(json.dumps(record), encoding="utf-8")
        partial.replace(self.folder / f"{key}.json")

    def save(self) -> None:
        self.cache.save()


def frontend_identity(docker: str, buildx: bool, builder: str, driver: str, engine_version: str) -> str:
    """What about the build tools decides a result: the frontend, its binaries, the engine version."""
    stamps = []
    for binary in (shutil.which(docker), buildx_plugin() if buildx else None):
        if binary:
            st = os.stat(binary)
            stamps.append(f"{binary}:{st.st_size}:{st.st_mtime_ns}")
    return json.dumps([buildx, builder, driver, engine_version, stamps])
