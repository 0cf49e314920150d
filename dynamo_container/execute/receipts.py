"""Build receipts: what each real build made, from what, how long it took, and what differs between two.

`<log dir>/receipts/<framework>-cuda<cuda>-<target>.json` (`catalog.build_name`) holds the image IDs
and tags, the git commit and dirty flag, the plan (secret values redacted), the IDs of the base
images, and per-step durations and cache statistics.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dynamo_container.buildcontext.git import git_dirty
from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.model.secrets import redact
from dynamo_container.report import console

if TYPE_CHECKING:
    from dynamo_container.docker.engine import Engine
    from dynamo_container.execute.runner import StepResult
    from dynamo_container.plan.model import BuildPlan, StepsPlan

SCHEMA = 1


def receipts_dir(log_dir: Path) -> Path:
    return log_dir / "receipts"


def make_receipt(
    plan: BuildPlan,
    results: Sequence[StepResult],
    *,
    status: str,
    image_ids: Mapping[str, str | None],
    base_ids: Mapping[str, str | None],
    started: float,
    dirty: bool | None,
    secrets: Iterable[str],
) -> dict[str, Any]:
    steps = []
    for r in results:
        steps.append(
            {
                "name": r.step.name,
                "title": r.step.title,
                "seconds": round(r.seconds, 3),
                "returncode": r.returncode,
                "cached": r.progress.cached,
                "total": r.progress.total,
                "tags": list(r.step.tags),
                "key": r.key,
                "up_to_date": r.up_to_date,
                "reason": r.reason,
            }
        )
    return {
        "schema": SCHEMA,
        "framework": plan.framework,
        "cuda_version": plan.cuda,
        "target": plan.target or "dev",
        "status": status,
        "version": plan.version.version,
        "commit": plan.version.commit,
        "dirty": dirty,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(sum(r.seconds for r in results), 3),
        "images": dict(image_ids),
        "base_images": dict(base_ids),
        "steps": steps,
        "plan": redact(plan.to_json(), secrets),
    }


def base_image_refs(plan: StepsPlan) -> list[str]:
    """The external images a plan builds FROM: BASE_IMAGE:BASE_IMAGE_TAG, RUNTIME_IMAGE:RUNTIME_IMAGE_TAG."""
    refs: list[str] = []
    for step in plan.steps:
        args = dict(step.build_args)
        for repo, tag in (("BASE_IMAGE", "BASE_IMAGE_TAG"), ("RUNTIME_IMAGE", "RUNTIME_IMAGE_TAG")):
            if repo in args and tag in args:
                ref = f"{args[repo]}:{args[tag]}"
                if ref not in refs:
                    refs.append(ref)
    return refs


FAILED_SUFFIX = ".failed"
MAX_RECEIPT_BYTES = 16 * 1024 * 1024  # far above any receipt a build writes; a bigger file is not one
LISTED = ("status", "version", "started", "seconds")  # what `invoke receipts` shows of each
UNREADABLE = "remove it, or compare another receipt; the next build of that combination writes a new one"


def write_receipt(log_dir: Path, receipt: Mapping[str, Any]) -> Path:
    """<name>.json for a built image; a failure goes to <name>.failed.json and keeps the last good one.

    Written to a temporary file and renamed, so a receipt is never half-written; when the write fails
    (a full disk) the temporary file goes and the receipt that was there stays as it was.
    """
    folder = receipts_dir(log_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = catalog.build_name(receipt["framework"], receipt["cuda_version"], receipt["target"])
    path = folder / f"{name}{'' if receipt['status'] == 'built' else FAILED_SUFFIX}.json"
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(json.dumps(receipt, indent=2) + "\n", encoding="utf-8")
        partial.replace(path)
    except BaseException:  # also Ctrl-C halfway: no torn temporary file is left behind
        partial.unlink(missing_ok=True)
        raise
    return path


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer too large for a float cannot be shown as seconds
        return False


def _is_ids(value: object) -> bool:
    return isinstance(value, dict) and all(v is None or isinstance(v, str) for v in value.values())


def _is_runs(value: object) -> bool:
    """The per-step records: a name, and numbers for the time and the cache statistics."""
    return isinstance(value, list) and all(
        isinstance(r, dict)
        and _is_text(r.get("name"))
        and all(_is_number(r.get(k)) for k in ("seconds", "cached", "total"))
        for r in value
    )


def _is_plan(value: object) -> bool:
    """The recorded plan: its steps, each with a name and build args of NAME -> text."""
    steps = value.get("steps") if isinstance(value, dict) else None
    return isinstance(steps, list) and all(
        isinstance(s, dict)
        and _is_text(s.get("name"))
        and isinstance(s.get("build_args", {}), dict)
        and all(_is_text(v) for v in s.get("build_args", {}).values())
        for s in steps
    )


# Every field a reader of receipts uses, with what it must be; a hand-edited field that is not is
# left out (and said), so listing and --diff go on with the rest.
FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    **{k: (_is_text, "text") for k in ("framework", "cuda_version", "target", "status", "version")},
    **{k: (_is_text, "text") for k in ("commit", "started")},
    "dirty": (lambda v: v is None or isinstance(v, bool), "true, false or null"),
    "seconds": (_is_number, "a number"),
    "images": (_is_ids, "an object of tags and image IDs"),
    "base_images": (_is_ids, "an object of images and image IDs"),
    "steps": (_is_runs, "a list of steps with name, seconds, cached and total"),
    "plan": (_is_plan, "a plan whose steps have a name and text build args"),
}


def read_receipt(path: Path) -> tuple[dict[str, Any], list[str]]:
    """A receipt file checked field by field: the fields that are usable, and a line per field that is not.

    A file that is not a receipt at all (not a regular file, too large, not UTF-8 JSON, nested
    beyond reason, not an object) is a ConfigError naming it.
    """
    try:
        if not path.is_file():
            raise ValueError("not a regular file")
        if path.stat().st_size > MAX_RECEIPT_BYTES:
            raise ValueError(f"larger than {MAX_RECEIPT_BYTES // 1024 // 1024} MB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
        raise ConfigError(
            f"{path} is not a readable receipt ({reason.splitlines()[0]})", UNREADABLE
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a readable receipt (not a JSON object)", UNREADABLE)
    problems = []
    for key, (check, kind) in FIELDS.items():
        if key in data and not check(data[key]):
            del data[key]
            problems.append(f"{path}: {key} is not {kind}; left out")
    return data, problems


def list_receipts(log_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per readable receipt (name, status, version, started, seconds), and a warning per other."""
    rows, warnings = [], []
    for path in sorted(receipts_dir(log_dir).glob("*.json")):
        try:
            data, _ = read_receipt(path)
        except ConfigError as exc:
            warnings.append(f"{path} skipped: {exc.message.removeprefix(f'{path} is ')}")
            continue
        missing = [k for k in LISTED if k not in data]
        if missing:
            warnings.append(f"{path} skipped: not a readable receipt (no usable {', '.join(missing)})")
            continue
        rows.append({"name": path.stem, **{k: data[k] for k in LISTED}})
    return rows, warnings


def load_receipt(log_dir: Path, name: str) -> tuple[dict[str, Any], list[str]]:
    """A receipt by path or by name (vllm-cuda12.9-runtime) in the receipts folder (read_receipt checks)."""
    candidates = [Path(name), receipts_dir(log_dir) / name, receipts_dir(log_dir) / f"{name}.json"]
    for path in candidates:
        if path.exists() and not path.is_dir():
            return read_receipt(path)
    known = ", ".join(sorted(p.stem for p in receipts_dir(log_dir).glob("*.json"))) or "none yet"
    raise ConfigError(f"no receipt {name!r}", f"receipts in {receipts_dir(log_dir)}: {known}")


def _dict_diff(label: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            out.append(f"{label} {key}: only in A ({a[key]})")
        elif key not in a:
            out.append(f"{label} {key}: only in B ({b[key]})")
        elif a[key] != b[key]:
            out.append(f"{label} {key}: {a[key]} -> {b[key]}")
    return out


def diff_receipts(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """What differs between two builds, most telling first: inputs, then results, then timings."""
    lines: list[str] = []
    for key in ("framework", "cuda_version", "target", "version", "commit", "dirty", "status"):
        if a.get(key) != b.get(key):
            lines.append(f"{key}: {a.get(key)} -> {b.get(key)}")
    lines += _dict_diff("base image", a.get("base_images", {}), b.get("base_images", {}))
    steps_a = {s["name"]: s for s in a.get("plan", {}).get("steps", [])}
    steps_b = {s["name"]: s for s in b.get("plan", {}).get("steps", [])}
    for name in [*steps_a, *(n for n in steps_b if n not in steps_a)]:
        if name not in steps_b:
            lines.append(f"step {name}: only in A")
            continue
        if name not in steps_a:
            lines.append(f"step {name}: only in B")
            continue
        sa, sb = steps_a[name], steps_b[name]
        lines += _dict_diff(f"step {name} build arg", sa.get("build_args", {}), sb.get("build_args", {}))
        for field in ("dockerfile", "target", "platform", "secrets", "contexts"):
            if sa.get(field) != sb.get(field):
                lines.append(f"step {name} {field}: {sa.get(field)} -> {sb.get(field)}")
    ids_a, ids_b = a.get("images", {}), b.get("images", {})
    if sorted(ids_a.values(), key=str) != sorted(ids_b.values(), key=str):
        lines += _dict_diff("image", ids_a, ids_b)
    runs_a = {s["name"]: s for s in a.get("steps", [])}
    runs_b = {s["name"]: s for s in b.get("steps", [])}
    for name in runs_a.keys() & runs_b.keys():
        ra, rb = runs_a[name], runs_b[name]
        if (ra["cached"], ra["total"]) != (rb["cached"], rb["total"]):
            lines.append(
                f"step {name} cache: {ra['cached']}/{ra['total']} -> {rb['cached']}/{rb['total']} cached"
            )
        lines.append(f"step {name} time: {ra['seconds']:.1f}s -> {rb['seconds']:.1f}s")
    return lines


def built_image_ids(results: Sequence[StepResult]) -> dict[str, str | None]:
    """Tag -> image ID from BuildKit's metadata file of each step that ran and succeeded."""
    from dynamo_container.execute.runner import metadata_image_id

    ids: dict[str, str | None] = {}
    for result in results:
        image = metadata_image_id(result.step) if result.ok and not result.up_to_date else None
        if image is not None:
            ids |= {tag: image for tag in result.step.tags}
    return ids


def receipt_writer(
    plan: BuildPlan,
    engine: Engine,
    log_dir: Path,
    secrets: Mapping[str, str],
    context: Path,
    *,
    quiet: bool = False,
) -> Callable[[list[StepResult], str], None]:
    """The executor's on_finish: a receipt of this build under <log dir>/receipts/."""
    started = time.time()

    def write(results: list[StepResult], status: str) -> None:
        built = built_image_ids(results)
        others = [t for r in results for t in r.step.tags if r.step.kind == "build" and t not in built]
        try:
            built |= engine.image_ids(others)
            bases = engine.image_ids(base_image_refs(plan))
        except Exception:  # the receipt still records the plan and timings without an engine
            bases = {}
        receipt = make_receipt(
            plan,
            results,
            status=status,
            image_ids=built,
            base_ids=bases,
            started=started,
            dirty=git_dirty(context),
            secrets=secrets.values(),
        )
        try:
            path = write_receipt(log_dir, receipt)
        except OSError as exc:  # the build itself is done: a receipt that cannot be written is a warning
            console.warn(
                f"no receipt of this build written under {receipts_dir(log_dir)} "
                f"({exc.strerror or type(exc).__name__}); the receipts there stay as they were"
            )
            return
        if not quiet:
            print(f"receipt: {path}")

    return write
