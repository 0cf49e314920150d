"""The part of a build step's environment that decides what BuildKit makes, for its build key.

The docker CLI runs a step with this process's environment plus the step's own variables
(`Step.env`, e.g. DOCKER_BUILDKIT=1). A build key holds, of that environment:

- `SOURCE_DATE_EPOCH`: buildx passes it to the build as the build arg of that name, and BuildKit
  stamps the image's timestamps with it, so it changes the image ID;
- every `DOCKER_*`, `BUILDX_*` and `BUILDKIT_*` variable except the few that only change how
  progress is shown (`DISPLAY_ONLY`). They choose the engine and how the CLI reaches it
  (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_TLS_*, DOCKER_API_VERSION), the builder (BUILDX_BUILDER,
  BUILDX_CONFIG), the classic builder or BuildKit (DOCKER_BUILDKIT), the platform
  (DOCKER_DEFAULT_PLATFORM), what the image carries (BUILDX_GIT_* labels,
  BUILDX_NO_DEFAULT_ATTESTATIONS), what the metadata file we read the image ID from holds
  (BUILDX_METADATA_*), whether the result is loaded (BUILDX_NO_DEFAULT_LOAD), experimental
  features. A variable of these families this list does not know is kept too: a needless
  rebuild costs one cached BuildKit run, a wrong skip leaves a wrong image;
- what those variables default to: the docker config folder (DOCKER_CONFIG, else ~/.docker),
  its current context and proxy settings (buildx turns `proxies` into build args), and buildx's
  current builder (`docker buildx use`).

Left out, and why:

- proxies in the environment (HTTP_PROXY, NO_PROXY, ...): how the CLI reaches the engine; they
  never reach the build (buildx's proxy build args come from config.json, which is in the key);
- everything else (HOME, PATH, TMPDIR, LANG): the CLI's own business. PATH decides which docker
  and buildx binaries run, which the frontend identity already holds (see `frontend_identity`).

No credential enters a key, not even hashed (a key names its record file, and an unsalted hash of
a short secret can be guessed back): a variable named like a credential (DOCKER_PASSWORD,
DOCKER_AUTH_CONFIG, ..._TOKEN) counts only as set or unset, and every other value is masked as
printed text is (known credential values, URL passwords, token formats). A credential decides
whether a pull or push is allowed, not what the image holds; BuildKit keeps secret values out of
its own cache keys for the same reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dynamo_container.model.secrets import looks_like_credential, mask_text

PREFIXES = ("DOCKER_", "BUILDX_", "BUILDKIT_")
NAMED = ("SOURCE_DATE_EPOCH",)
# How progress looks, never what is built (the plan passes --progress=plain itself).
DISPLAY_ONLY = frozenset(
    {
        "BUILDKIT_PROGRESS",
        "BUILDKIT_COLORS",
        "BUILDKIT_TTY_LOG_LINES",
        "BUILDX_NO_COLOR",
        "DOCKER_CLI_HINTS",
        "DOCKER_HIDE_LEGACY_COMMANDS",
    }
)
# Words that make a variable of these families a credential holder besides secrets.py's
# (DOCKER_AUTH_CONFIG holds registry logins as JSON).
_MORE_CREDENTIAL_WORDS = frozenset({"AUTH", "PASS", "PASSPHRASE", "KEY"})
SET = "(set)"
UNREADABLE = "(unreadable)"


def is_credential_name(name: str) -> bool:
    parts = name.upper().split("_")
    return looks_like_credential(name) or any(p in _MORE_CREDENTIAL_WORDS for p in parts)


def keyed_variables(environ: Mapping[str, str], step_env: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """NAME -> what the key holds of its value, for the variables that change BuildKit's result."""
    env = {**environ, **dict(step_env)}  # the step's own variables win, as in the child's environment
    out: dict[str, str] = {}
    for name in sorted(env):
        if name in DISPLAY_ONLY or not (name in NAMED or name.startswith(PREFIXES)):
            continue
        out[name] = SET if is_credential_name(name) else mask_text(env[name])
    return out


def _json_file(path: Path) -> Any:
    """The JSON in `path`; None when absent, UNREADABLE when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError):
        return UNREADABLE


def cli_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The docker config folder, its current context and proxies, buildx's current builder.

    Only these fields are read: config.json also holds registry logins, which never enter a key.
    """
    home = environ.get("HOME") or os.path.expanduser("~")
    folder = Path(environ.get("DOCKER_CONFIG") or Path(home) / ".docker")
    config = _json_file(folder / "config.json")
    if isinstance(config, dict):
        context: Any = config.get("currentContext", "")
        proxies: Any = config.get("proxies", {})
    else:
        context = proxies = config  # None or UNREADABLE
    buildx = Path(environ.get("BUILDX_CONFIG") or folder / "buildx")
    current = _json_file(buildx / "current")
    if isinstance(current, dict):
        current = {k: current.get(k) for k in ("Key", "Name", "Global")}
    return {
        "config": str(folder),
        "context": _masked(context),
        "proxies": _masked(proxies),
        "builder": _masked(current),
    }


def _masked(value: Any) -> Any:
    """`value` as canonical JSON text with every credential masked (a proxy URL's password, a token)."""
    if value is None:
        return None
    try:
        return mask_text(json.dumps(value, sort_keys=True))
    except (TypeError, ValueError, RecursionError):  # a hand-made file nested too deeply
        return UNREADABLE


def key_environment(environ: Mapping[str, str], step_env: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """What a build key holds of the environment and the CLI's settings (no credential value)."""
    return {"variables": keyed_variables(environ, step_env), "cli": cli_settings(environ)}
