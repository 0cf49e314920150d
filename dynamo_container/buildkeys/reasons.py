"""Why a build step runs: what changed since the step last built its image.

A build key (keys.py) is one hash; it says *that* an input changed, not which. So after a step
builds, `<log dir>/keys/steps/<step>.json` keeps the inputs its key was made of: the command line,
the environment and CLI settings that are keyed, the frontend, the Dockerfile's hash, the image ID
of every base image, and a digest per file of the build context and of each named context. The
next time the step cannot be skipped, its inputs now are compared with those, and the reason names
the first kinds that differ: the Dockerfile, a base image, which context files, a build arg or
setting, the docker tools. Like the key records, the file is a hint: one that is missing,
malformed or written by another version just means "no earlier build recorded".

A step is known by its log file (`<framework>-cuda<version>/<step>.log`), its Dockerfile and
target, so a version bump (new tags) is still the same step, with a changed build arg.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from dynamo_container.buildkeys.store import Warnings, sealed, unsealed, why, write_whole
from dynamo_container.plan.model import BuildPlan, Step

SCHEMA = "dynamo-container step inputs 1"
MAX_BYTES = 64 << 20  # a digest per context file: ~100 bytes each
SHOWN = 3  # names listed before "and N more"

FIRST = "first build of this step (no earlier build recorded)"
FORCED = "--force"


def step_id(step: Step) -> str:
    text = "\0".join((step.log or step.name, step.dockerfile or "", step.target or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def some(names: Sequence[str]) -> str:
    """'a, b, c' or 'a, b, c and 4 more'."""
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def changed_keys(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))


def _options(argv: Sequence[str], flag: str) -> dict[str, str]:
    """NAME -> VALUE of every `flag NAME=VALUE` of a command line."""
    out: dict[str, str] = {}
    for word, value in itertools.pairwise(argv):
        if word == flag:
            name, _, rest = value.partition("=")
            out[name] = rest
    return out


def command_change(before: Sequence[str], now: Sequence[str]) -> str:
    if list(before) == list(now):
        return ""
    args = changed_keys(_options(before, "--build-arg"), _options(now, "--build-arg"))
    if args:
        return f"build arg {some(args)} changed"
    if _options(before, "--tag") != _options(now, "--tag"):
        return "its image tags changed"
    return "the docker command changed"


def context_change(label: str, before: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    files = changed_keys(before, now)
    if not files:
        return ""
    added = [f for f in files if f not in before]
    removed = [f for f in files if f not in now]
    edited = [f for f in files if f in before and f in now]
    parts = [f"{some(edited)} changed" if edited else ""]
    parts += [f"{some(added)} added" if added else "", f"{some(removed)} removed" if removed else ""]
    return f"{label}: " + "; ".join(p for p in parts if p)


def what_changed(before: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    """The inputs that differ, in a person's words ('' when none does)."""
    reasons = [command_change(before.get("command", []), now.get("command", []))]
    if before.get("dockerfile") != now.get("dockerfile"):
        reasons.append(f"{Path(now.get('dockerfile_path', 'the Dockerfile')).name} changed")
    images = changed_keys(before.get("images", {}), now.get("images", {}))
    reasons += [f"base image {ref} is another image now" for ref in images]
    reasons.append(context_change("build context files", before.get("files", {}), now.get("files", {})))
    named_before, named_now = before.get("named", {}), now.get("named", {})
    for name in changed_keys(named_before, named_now):
        old, new = named_before.get(name), named_now.get(name)
        if isinstance(old, dict) and isinstance(new, dict):
            reasons.append(context_change(f"build context {name}", old, new))
        else:
            reasons.append(f"build context {name} changed")
    variables = changed_keys(before.get("variables", {}), now.get("variables", {}))
    reasons.append(f"setting {some(variables)} changed" if variables else "")
    if before.get("cli") != now.get("cli"):
        reasons.append("the docker CLI's context, proxies or current builder changed")
    if before.get("frontend") != now.get("frontend"):
        reasons.append("the docker CLI, buildx or the engine version changed")
    return "; ".join(r for r in reasons if r)


def not_keyed(why_not: str) -> str:
    """The reason of a step that always runs (keys.not_keyable and friends)."""
    if why_not == "--no-cache given":
        return "--no-cache"
    return f"it cannot be skipped: {why_not}"


class StepHistory:
    """The inputs each step last built its image from, one sealed file per step."""

    def __init__(self, folder: Path, warnings: Warnings) -> None:
        self.folder, self.warnings = folder, warnings

    def path(self, step: Step) -> Path:
        return self.folder / f"{step_id(step)}.json"

    def last(self, step: Step) -> dict[str, Any] | None:
        try:
            with open(self.path(step), "rb") as f:
                raw = f.read(MAX_BYTES + 1)
        except OSError:  # absent or unreadable: no earlier build to compare with
            return None
        body = unsealed(raw, SCHEMA) if len(raw) <= MAX_BYTES else None
        inputs = body.get("inputs") if body else None
        return inputs if isinstance(inputs, dict) else None

    def reason(self, step: Step, inputs: Mapping[str, Any], recorded: bool) -> str:
        """Why the step runs although it could be keyed."""
        if recorded:  # the key is the one that built it: the engine lost the image or a tag moved
            return "the engine no longer has the image it built under every one of its tags"
        before = self.last(step)
        if before is None:
            return FIRST
        return what_changed(before, inputs) or "an input of its build key changed"

    def write(self, step: Step, key: str, inputs: Mapping[str, Any]) -> None:
        body = {"schema": SCHEMA, "step": step.name, "key": key, "inputs": dict(inputs)}
        try:
            write_whole(self.path(step), sealed(body))
        except OSError as exc:
            self.warnings.once(
                "history",
                f"what step {step.name} was built from not saved ({why(exc, self.folder)}): the next "
                "build that runs it cannot say what changed",
            )


class _Verdict(Protocol):  # keys.Verdict, read only
    @property
    def key(self) -> str: ...
    @property
    def image(self) -> str: ...
    @property
    def reason(self) -> str: ...


class _Keys(Protocol):
    """What explaining needs of keys.BuildKeys (which imports this module)."""

    force: bool

    def up_to_date(self, step: Step) -> _Verdict: ...


def explain_steps(plans: Sequence[BuildPlan], keys: _Keys) -> list[dict[str, Any]]:
    """For every build step of `plans`, whether a build now would run it and why (`--explain`)."""
    out: list[dict[str, Any]] = []
    for p in plans:
        feeder = ""  # an earlier step that runs and whose image this one starts from
        for index, step in enumerate(p.steps, 1):
            verdict = keys.up_to_date(step)
            runs, why = not verdict.image, verdict.reason
            if feeder and not verdict.key and not keys.force:
                why = f"step {feeder} runs first and builds the image it starts from"
            elif verdict.image and feeder:
                runs = True
                why = (
                    f"step {feeder} runs first and this step starts from its image (skipped after all "
                    f"if that makes the same image: {verdict.reason})"
                )
            out.append(
                {
                    "combination": p.key,
                    "step": step.name,
                    "index": index,
                    "total": len(p.steps),
                    "runs": runs,
                    "why": why,
                    "tags": list(step.tags),
                }
            )
            feeder = step.name if runs and step.feeds_next else ("" if runs else feeder)
    return out
