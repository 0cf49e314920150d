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

- the environment and CLI settings that change BuildKit's result (SOURCE_DATE_EPOCH, DOCKER_*,
  BUILDX_*, BUILDKIT_*, the current context and builder; environment.py says which and why), never a
  credential's value.

After a step builds, `<log dir>/keys/<key>.json` records the image ID it made, but only when its
inputs did not change while it built: the key is computed again after the build, and every file
read for it (the Dockerfile, the ignore files, each file and folder of the contexts) must still
have the stamp (size, mtime, ctime, inode, mode) it had before the build. Comparing stamps, not
only contents, also catches a file changed and changed back while BuildKit read it, and a file
changed within the same timestamp tick is caught by its content: the stat cache never keeps the
hash of a file that young (keystore.StatCache). A change is one warning and no record, so the next
build runs the step again.

A later step with the same key is **up to date** when the engine has the recorded image ID under
every tag the step would set. Anything that cannot be keyed (an image not present locally, an
unreadable context file, a remote context, `--no-cache`, `--pull`, a push, a named builder, a
cache export) runs as before. The key files are hints, never trusted blindly (store.py): a
malformed one is ignored, one that cannot be written leaves the step unrecorded; one warning each.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynamo_container.buildcontext.context import IGNORE_FILE, Matcher, ignore_file, kept_entries
from dynamo_container.buildcontext.dockerfiles import Dockerfile, Stage, load
from dynamo_container.buildkeys.environment import key_environment
from dynamo_container.buildkeys.reasons import FORCED, StepHistory, not_keyed
from dynamo_container.buildkeys.store import CACHE_NAME, KeyStore, StatCache, Warnings
from dynamo_container.docker.engine import Engine, buildx_plugin
from dynamo_container.errors import DynamoError
from dynamo_container.model.secrets import mask_text
from dynamo_container.plan.model import Step

SCHEMA = "dynamo-container build key 2"
Stamp = tuple[int, ...]
Stamps = dict[str, "Stamp | None"]  # path -> its stamp before it was read (None: absent)
Inputs = dict[str, Any]  # what a key was made of, kept to say what changed (reasons.py)
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


def stamp(st: os.stat_result) -> Stamp:
    """What changes whenever a file is written, replaced, renamed over or its mode changed."""
    return (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def stamp_of(path: Path) -> Stamp | None:
    try:
        return stamp(os.lstat(path))
    except OSError:
        return None


def tree_digest(
    root: Path,
    matcher: Matcher,
    cache: StatCache,
    stamps: Stamps | None = None,
    files: dict[str, str] | None = None,
) -> str | None:
    """Paths, modes, contents and link targets of what a context sends; None when unreadable.

    With `stamps`, the stamp of the root and of every entry sent, taken before it is read; with
    `files`, each entry's own line of the digest (reasons.py names the files that changed).
    """
    sha = hashlib.sha256()
    unreadable: list[str] = []
    seen: Stamps = {str(root): stamp_of(root)}
    try:
        for rel, entry, _ in kept_entries(root, matcher, unreadable):
            st = entry.stat(follow_symlinks=False)
            seen[entry.path] = stamp(st)
            kind = stat.S_IFMT(st.st_mode)
            if stat.S_ISREG(st.st_mode):
                detail = cache.digest(entry.path, st)
            elif stat.S_ISLNK(st.st_mode):
                detail = os.readlink(entry.path)
            else:
                detail = ""
            sha.update(f"{rel}\0{kind}\0{stat.S_IMODE(st.st_mode):o}\0{detail}\n".encode())
            if files is not None:
                files[rel] = f"{kind}:{stat.S_IMODE(st.st_mode):o}:{detail}"
    except OSError:
        return None
    finally:
        if stamps is not None:
            stamps.update(seen)
    return None if unreadable else sha.hexdigest()


@dataclass(frozen=True)
class Verdict:
    key: str  # "" when the step cannot be keyed
    image: str = ""  # the image ID when the step is up to date
    why: str = ""  # why it cannot be keyed
    reason: str = ""  # why it runs (reasons.py), or which image it keeps


class BuildKeys:
    """Keys and up-to-date checks of the steps of one run (several matrix threads may share it).

    `up_to_date(step)` before a step runs, `record(step, key, image)` after it built: the record is
    written only when the key computed again after the build is the same and nothing it read has
    changed since (see the module's docstring). `environ` is the docker CLI's environment (default:
    this process's, read at each key); `warn` prints one line (default: console.warn).
    """

    def __init__(
        self,
        engine: Engine,
        log_dir: Path,
        frontend_id: str,
        environ: Mapping[str, str] | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.engine, self.frontend_id, self.environ = engine, frontend_id, environ
        self.folder = log_dir / "keys"
        self.warnings = Warnings(warn)
        self.store = KeyStore(self.folder, self.warnings)
        self.cache = StatCache(self.folder / CACHE_NAME, self.warnings)
        self.history = StepHistory(self.folder / "steps", self.warnings)
        self.force = False  # --force: every step runs, nothing is recorded
        self._before: dict[str, tuple[Stamps, Inputs]] = {}  # key -> what it read, until record
        self._lock = threading.Lock()

    def key(self, step: Step) -> Verdict:
        return self._compute(step)[0]

    def _compute(self, step: Step) -> tuple[Verdict, Stamps, Inputs]:
        """The step's key (or why it has none), the stamp of everything read for it, its inputs."""
        why = not_keyable(step)
        if why:
            return Verdict("", why=why, reason=not_keyed(why)), {}, {}
        stamps: Stamps = {}
        files: dict[str, str] = {}
        try:
            parts = self._inputs(step, stamps, files)
        except OSError:  # a file went away or became unreadable between listing and reading it
            parts = "an unreadable file among its inputs"
        if isinstance(parts, str):
            return Verdict("", why=parts, reason=not_keyed(parts)), stamps, {}
        environ = os.environ if self.environ is None else self.environ
        env = key_environment(environ, step.env)
        text = json.dumps([SCHEMA, self.frontend_id, list(step.argv), env, *parts], sort_keys=True)
        dockerfile, images, _, named = parts
        inputs: Inputs = {
            "command": [mask_text(word) for word in step.argv],
            "frontend": self.frontend_id,
            **env,
            "dockerfile": dockerfile,
            "dockerfile_path": step.dockerfile,
            "images": images,
            "files": files,
            "named": named,
        }
        return Verdict(hashlib.sha256(text.encode()).hexdigest()), stamps, inputs

    def _inputs(self, step: Step, stamps: Stamps, files: dict[str, str]) -> list[Any] | str:
        dockerfile = Path(step.dockerfile or "")
        context = Path(step.context or ".")
        ignore_files = (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / IGNORE_FILE)
        for path in (dockerfile, *ignore_files):
            stamps[str(path)] = stamp_of(path)  # before they are read: a change while read shows
        try:
            df = load(dockerfile)
            matcher = Matcher.for_context(context, ignore_file(dockerfile, context))
        except DynamoError as exc:  # the build itself will say what is wrong with it
            return exc.message
        refs = image_refs(df, step)
        if refs is None:
            return "a FROM that cannot be expanded"
        found = self.engine.image_ids(refs)
        missing = [r for r, image in found.items() if image is None]
        if missing:
            return f"{missing[0]} is not on the engine"
        main = tree_digest(context, matcher, self.cache, stamps, files)
        named = self._named_contexts(step, df, stamps)
        if main is None or isinstance(named, str):
            return named if isinstance(named, str) else "an unreadable file in the build context"
        return [hashlib.sha256(dockerfile.read_bytes()).hexdigest(), found, main, named]

    def _named_contexts(self, step: Step, df: Dockerfile, stamps: Stamps) -> dict[str, Any] | str:
        out: dict[str, Any] = {}
        for name, value in step.contexts:
            if value.startswith("docker-image://"):
                digest: Any = next(
                    iter(self.engine.image_ids([value.removeprefix("docker-image://")]).values())
                )
            elif "://" in value:
                return f"build context {name} is remote"
            else:
                read = [src.path for src in df.sources() if src.context == name]
                digest = self._paths_read(Path(value), read, stamps)
            if digest is None:
                return f"build context {name} cannot be read"
            out[name] = digest
        return out

    def _paths_read(self, root: Path, paths: list[str], stamps: Stamps) -> dict[str, str | None] | None:
        """Digests of what the Dockerfile reads from a local named context (all of it when unsure)."""
        if not paths or any(set(p) & set("*?[$") or p.strip("./") == "" for p in paths):
            return {".": tree_digest(root, Matcher(()), self.cache, stamps)}
        out: dict[str, str | None] = {}
        for rel in sorted(set(paths)):
            path = root / rel
            stamps[str(path)] = stamp_of(path)
            if path.is_dir():
                out[rel] = tree_digest(path, Matcher(()), self.cache, stamps)
            elif path.is_file():
                st = path.stat()
                out[rel] = f"{st.st_mode:o}:{self.cache.digest(str(path), st)}"
            else:
                out[rel] = "missing"
        return None if None in out.values() else out

    def up_to_date(self, step: Step) -> Verdict:
        """The key, and the image ID when the engine still has what this key built under every tag.

        Either way with its reason: the image it keeps, or why the step runs (reasons.py).
        """
        if self.force:
            return Verdict("", why="--force given", reason=FORCED)
        verdict, stamps, inputs = self._compute(step)
        if not verdict.key:
            return verdict
        image = self.store.image(verdict.key)
        if image and all(found == image for found in self.engine.image_ids(list(step.tags)).values()):
            return Verdict(verdict.key, image, reason=f"kept {image} (build key {verdict.key[:12]})")
        with self._lock:
            self._before[verdict.key] = (stamps, inputs)
        return Verdict(verdict.key, reason=self.history.reason(step, inputs, recorded=bool(image)))

    def record(self, step: Step, key: str, image: str | None) -> bool:
        """Record what a successful step built under `key`, if nothing it read changed meanwhile."""
        with self._lock:
            before_and_inputs = self._before.pop(key, None)
        if not (key and image) or before_and_inputs is None:
            return False
        before, inputs = before_and_inputs
        try:
            after, stamps, _ = self._compute(step)
        except Exception:  # the engine can fail in several unrelated types; not recording is safe
            return False
        changed = first_change(before, stamps) or ("one of its inputs" if after.key != key else "")
        if changed:
            self.warnings.once(
                f"changed {key}",
                f"{changed} changed while step {step.name} built: its image may hold the old or the "
                "new version; not recorded as up to date (the next build runs the step again)",
            )
            return False
        if not self.store.write(key, step.name, step.tags, image):
            return False
        self.history.write(step, key, inputs)
        return True

    def save(self) -> None:
        self.cache.save()


def first_change(before: Stamps, after: Stamps) -> str:
    """The first path whose stamp differs between two readings ('' when none does).

    A file rather than its folder, which changes with it when an editor saves by renaming.
    """
    changed = [p for p in sorted(before.keys() | after.keys()) if before.get(p, ()) != after.get(p, ())]
    inner = [p for p in changed if not any(q.startswith(p.rstrip("/") + "/") for q in changed)]
    return inner[0] if inner else ""


def frontend_identity(docker: str, buildx: bool, builder: str, driver: str, engine_version: str) -> str:
    """What about the build tools decides a result: the frontend, its binaries, the engine version."""
    stamps = []
    for binary in (shutil.which(docker), buildx_plugin() if buildx else None):
        if binary:
            st = os.stat(binary)
            stamps.append(f"{binary}:{st.st_size}:{st.st_mtime_ns}")
    return json.dumps([buildx, builder, driver, engine_version, stamps])
