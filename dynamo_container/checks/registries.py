"""The registries a build pulls from: which images its steps' FROM lines name, whether each registry
answers, and whether the docker CLI (which BuildKit asks) has credentials for it. For `invoke doctor`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dynamo_container.model.naming import registry_of
from dynamo_container.plan.model import Step

if TYPE_CHECKING:
    from dynamo_container.checks.verdicts import Check

PROBE_SECONDS = 5.0


def pulled_images(steps: Iterable[Step]) -> list[str]:
    """Every image the steps' targets start FROM or copy from (the stages they need, through FROM,
    COPY --from and RUN --mount=from) that no earlier step builds."""
    from dynamo_container.buildcontext.dockerfiles import load
    from dynamo_container.buildkeys.keys import image_refs

    built: set[str] = set()
    out: dict[str, None] = {}
    for step in steps:
        if step.dockerfile:
            for ref in image_refs(load(Path(step.dockerfile)), step) or []:
                if ref not in built and "$" not in ref:
                    out.setdefault(ref if ":" in ref.rpartition("/")[2] else f"{ref}:latest", None)
        built.update(step.tags)
    return [ref for ref in out if ref not in built]


@dataclass(frozen=True)
class Registry:
    host: str
    images: tuple[str, ...]  # the images to pull from it (none of them on the engine yet)
    problem: str  # "" when it answers, else why not
    credentials: str  # where the docker CLI's credentials for it are, "" for none


def probe(host: str, timeout: float = PROBE_SECONDS) -> str:
    """'' when the registry's API answers at all (401 included: it wants a login), else why not."""
    import urllib.error
    import urllib.request

    api = "registry-1.docker.io" if host == "docker.io" else host
    local = api.startswith(("localhost", "127.")) or api.startswith("[::1]")
    url = f"{'http' if local else 'https'}://{api}/v2/"
    try:
        urllib.request.urlopen(url, timeout=timeout).close()
    except urllib.error.HTTPError:
        return ""  # it answered
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason).splitlines()[0][:200] or type(exc).__name__
    return ""


def credentials(host: str, environ: Mapping[str, str] | None = None) -> str:
    """Where the docker CLI would find a login for `host` (config.json auths, a helper, a store)."""
    environ = os.environ if environ is None else environ
    folder = Path(environ.get("DOCKER_CONFIG") or Path(environ.get("HOME", "~")).expanduser() / ".docker")
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(config, dict):
        return ""
    keys = {host, f"https://{host}", f"https://{host}/v1/", "https://index.docker.io/v1/"}
    keys = keys if host == "docker.io" else keys - {"https://index.docker.io/v1/"}
    helpers = config.get("credHelpers") or {}
    if isinstance(helpers, dict) and host in helpers:
        return f"credential helper {helpers[host]}"
    auths = config.get("auths") or {}
    if isinstance(auths, dict) and keys & set(auths):
        store = config.get("credsStore")
        return f"credential store {store}" if store else f"a login in {folder / 'config.json'}"
    return ""


def registries(
    images: Sequence[str],
    present: Callable[[Sequence[str]], set[str]],
    ask: Callable[[str], str] = probe,
    creds: Callable[[str], str] = credentials,
) -> tuple[Registry, ...]:
    """The registries of the images the engine does not have yet, each asked once."""
    have = present(images)
    missing = [image for image in images if image not in have]
    hosts: dict[str, list[str]] = {}
    for image in missing:
        hosts.setdefault(registry_of(image), []).append(image)
    return tuple(Registry(host, tuple(refs), ask(host), creds(host)) for host, refs in hosts.items())


def check_registries(
    found: Sequence[Registry] | None, error: Exception | None = None, *, reachable: bool = True
) -> Check:
    """Every registry the selected rows pull from answers; which ones the CLI has a login for."""
    from dynamo_container.checks.verdicts import Check, _not_checked

    name = "registries"
    if not reachable:  # the engine's own images decide what still needs a pull
        return _not_checked(name)
    if error is not None or found is None:
        return Check(name, "warn", f"not checked: {error}", "fix the configuration first (invoke config)")
    if not found:
        return Check(name, "pass", "every image the build starts from is on the engine already")
    down = [r for r in found if r.problem]
    if down:
        detail = "; ".join(f"{r.host} does not answer ({r.problem}), needed for {r.images[0]}" for r in down)
        return Check(
            name,
            "fail",
            detail,
            "a mirror through --base-image/--runtime-image (and their -tag flags), or the stand-in "
            "profile (--env-file tests/fixtures/stand-in.env in the tool's repository)",
        )
    shown = ", ".join(f"{r.host} ({r.credentials or 'no login: anonymous pulls'})" for r in found)
    return Check(name, "pass", f"{len(found)} registries answer: {shown}")
