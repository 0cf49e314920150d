"""A plan as a `docker buildx bake` JSON file: targets, groups, args, tags, contexts, secrets.

Teams on bake get our matrix and defaults: `docker buildx bake -f dynamo.bake.json --load vllm-cuda12_9`.
A step that builds FROM an earlier step's image gets that image as a named context `target:<name>`,
so bake builds the whole chain in one graph.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from dynamo_container.errors import ConfigError
from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.matrix import MatrixPlan
from dynamo_container.plan.model import Step, TaskPlan

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def target_name(*parts: str) -> str:
    return _UNSAFE.sub("_", "-".join(parts))


def _target(step: Step, links: dict[str, str]) -> dict[str, Any]:
    t: dict[str, Any] = {
        "context": step.context,
        "dockerfile": step.dockerfile,
        "target": step.target,
        "args": dict(step.build_args),
        "tags": list(step.tags),
        "platforms": [step.platform] if step.platform else [],
    }
    contexts = dict(step.contexts)
    for image, target in links.items():  # FROM <image> of an earlier step: build it in the same graph
        contexts[image] = f"target:{target}"
    if contexts:
        t["contexts"] = contexts
    if step.secrets:
        t["secret"] = [s.flag for s in step.secrets]
    # the step's own cache entries, as its argv has them (plan/cache.py)
    cache = {"cache-from": list(step.cache_from), "cache-to": list(step.cache_to), "no-cache": step.no_cache}
    t.update({k: v for k, v in cache.items() if v})
    return t


def to_bake(mplan: MatrixPlan) -> dict[str, Any]:
    targets: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    finals = []
    for plan in mplan.plans:
        built: dict[str, str] = {}  # image tag -> bake target that builds it
        members = []
        for step in plan.steps:
            if step.kind != "build":
                continue
            links = {ref: built[ref] for _, ref in step.build_args if ref in built}
            name = target_name(plan.key, step.name)
            targets[name] = _target(step, links)
            for tag in step.tags:
                built[tag] = name
            members.append(name)
        groups[target_name(plan.key)] = {"targets": members[-1:]}
        finals += members[-1:]
    groups["default"] = {"targets": finals}
    return {"group": groups, "target": targets}


BAKE_FILE = "dynamo.bake.json"  # where --executor bake writes the plan's bake file, in the log folder
NO_NETWORK_KEY = (
    "bake 0.13 files have no network key: --network {network} is not in the bake file, and its RUN "
    "steps use the builder's default network (the docker driver: the engine's bridge; an engine "
    "started with --bridge=none fails with 'network bridge not found')"
)


def network_warnings(mplan: MatrixPlan) -> list[str]:
    networks = {s.argv[s.argv.index("--network") + 1] for s in mplan.steps if "--network" in s.argv}
    return [NO_NETWORK_KEY.format(network=n) for n in sorted(networks)]


def bake_run_plan(mplan: MatrixPlan, frontend: Frontend, log_root: Path) -> TaskPlan:
    """--executor bake: the whole plan as one `docker buildx bake` of its bake file, then its pushes."""
    if not frontend.buildx:
        raise ConfigError("--executor bake needs the buildx plugin", "use --executor steps")
    path = log_root / BAKE_FILE
    finals = tuple(t for plan in mplan.plans for t in plan.final_tags)
    builder = ("--builder", frontend.builder) if frontend.builder else ()
    # --load: every target into the engine, as the steps executor's `docker buildx build --load`
    argv = (frontend.docker, "buildx", "bake", *builder, "--file", str(path), "--progress=plain", "--load")
    targets = sum(1 for s in mplan.steps if s.kind == "build")
    title = f"docker buildx bake: {targets} targets of {len(mplan.plans)} combinations in one solve"
    step = Step("bake", title, (*argv, "--", "default"), tags=finals, log=str(log_root / "bake" / "bake.log"))
    pushes = tuple(s for s in mplan.steps if s.kind == "push")
    summary = (
        ("executor", "bake (docker buildx bake)"),
        ("bake file", f"{path} (written before the build)"),
        ("combinations", ", ".join(p.key for p in mplan.plans)),
    )
    warnings = (*mplan.warnings, *(w for p in mplan.plans for w in p.warnings), *network_warnings(mplan))
    hint = mplan.plans[0].run_hint if len(mplan.plans) == 1 else ""
    return TaskPlan((step, *pushes), summary, finals, tuple(dict.fromkeys(warnings)), hint)


# The top-level keys of a bake JSON file: a file with others is not a bake file.
BAKE_KEYS = frozenset({"group", "target", "variable", "function"})
STDOUT = "-"


def bake_text(data: dict[str, Any]) -> str:
    """The file's text; every credential value masked, although none reaches a plan (the safe side)."""
    import json

    from dynamo_container.model.secrets import redact

    return json.dumps(redact(data), indent=2) + "\n"


def write_bake(path: Path, text: str) -> None:
    """Write a bake file whole (a temporary file renamed over it), replacing only an earlier bake file.

    An existing file that is not a bake file (another tool's JSON, a Dockerfile, a typo) is refused,
    never overwritten.
    """
    if path.is_dir():
        raise ConfigError(f"--bake {path}: is a folder", "name a file, e.g. --bake dynamo.bake.json")
    if path.exists() and not _is_bake_file(path):
        raise ConfigError(
            f"--bake {path}: the file exists and is not a bake file; it is left as it is",
            "remove it or name another file (--bake - prints the file)",
        )
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        problem = f"--bake {path}: cannot write it ({exc.strerror})"
        raise ConfigError(problem, "name a writable file") from None


def _is_bake_file(path: Path) -> bool:
    import json

    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and bool(data) and set(data) <= BAKE_KEYS
