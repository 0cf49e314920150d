"""Credentials: which names and values are credentials, and hiding them wherever text leaves the tool.

Credentials are never settings. They come from the environment or env files, reach builds only as
BuildKit secrets (id -> env var) and are masked in everything printed, logged, recorded or exported.
Three kinds of text are masked: every known credential value (`remember` collects them for the whole
process), the password of a URL's user info (`https://user:****@host/`), and values in the token
formats of the services a build talks to (`hf_...`, `ghp_...`, `AKIA...`), whatever they are called.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# BuildKit secret id -> the environment variable it is read from.
SECRET_ENV_VARS: dict[str, str] = {
    "github-token": "GITHUB_TOKEN",
    "gitlab-token": "GITLAB_TOKEN",
    "hf-token": "HF_TOKEN",
    "aws-key-id": "AWS_ACCESS_KEY_ID",
    "aws-secret-id": "AWS_SECRET_ACCESS_KEY",
}
MASK = "****"
MIN_LENGTH = 4  # shorter values would mask ordinary words
# A variable only named like a credential (NPM_TOKEN, DEPLOY_KEY) may hold a flag such as `true`:
# its value counts as a credential only from this length on.
INFERRED_MIN_LENGTH = 8
_CREDENTIAL_WORDS = {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS", "APIKEY"}


def looks_like_credential(name: str) -> bool:
    """A variable or argument name that carries a credential (HF_TOKEN, API_KEY, AWS_ACCESS_KEY_ID)."""
    parts = name.upper().replace("-", "_").replace(".", "_").split("_")
    if any(p in _CREDENTIAL_WORDS for p in parts):
        return True
    # KEY as the last word (API_KEY, SSH_KEY) or followed by ID (AWS_ACCESS_KEY_ID); not KEY_PREFIX.
    return any(p == "KEY" and (i == len(parts) - 1 or parts[i + 1] == "ID") for i, p in enumerate(parts))


# Values that are credentials whatever they are called: the token formats of the services a build
# or a model download talks to (Hugging Face, GitHub, GitLab, AWS access keys, OpenAI-style keys).
_CREDENTIAL_VALUE = re.compile(
    r"(?<![A-Za-z0-9])(hf_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"
    r"|glpat-[A-Za-z0-9_-]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16}|sk-[A-Za-z0-9_-]{32,})"
)
# scheme://user:password@ : the password part of a URL's user info (RFC 3986; any scheme). Telling
# one apart (a setting that holds it is refused) reads the strict form; masking reads the password to
# the last @ of the same word, so one holding @ or / is masked whole (a port and path before a later @
# are masked too: the safe side).
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:)(?P<password>[^/?#@\s]+)@")
_URL_LOGIN = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:)\S*@")


def looks_like_credential_value(value: str) -> bool:
    """A value in a known token format (hf_..., ghp_..., glpat-..., AKIA...), wherever it appears."""
    return _CREDENTIAL_VALUE.search(value) is not None


def has_url_password(value: str) -> bool:
    """A URL with a password in its user info (https://user:pass@host/...)."""
    return _URL_PASSWORD.search(value) is not None


def secret_id_of(env_name: str) -> str:
    """The BuildKit secret id read from `env_name` ('' when the tool knows no such secret)."""
    return next((i for i, env in SECRET_ENV_VARS.items() if env == env_name.upper()), "")


def is_secret_variable(name: str) -> bool:
    return name in SECRET_ENV_VARS.values()


def credential_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """The variables among `variables` that hold a credential: name -> value.

    The BuildKit secret variables count from MIN_LENGTH on; any other variable named like a
    credential (NGC_API_KEY, DOCKER_PASSWORD) from INFERRED_MIN_LENGTH on.
    """
    out = {}
    for name, value in variables.items():
        if is_secret_variable(name):
            shortest = MIN_LENGTH
        elif looks_like_credential(name):
            shortest = INFERRED_MIN_LENGTH
        else:
            continue
        if len(value) >= shortest:
            out[name] = value
    return out


def credential_problem(value: str, known: Mapping[str, str]) -> str:
    """Why `value` carries a credential ('' when it does not): `known` maps variable -> value."""
    for name, secret in sorted(known.items(), key=lambda item: -len(item[1])):
        if len(secret) >= MIN_LENGTH and secret in value:
            return f"carries the value of {name}"
    if looks_like_credential_value(value):
        return "holds a value in a token format"
    if has_url_password(value):
        return "holds a URL with a password"
    return ""


# Every credential value this process has seen (its environment, the env files it read).
_known: set[str] = set()


def remember(values: Iterable[str]) -> None:
    """Mask these values wherever text leaves the tool, for the rest of the process."""
    _known.update(v for v in values if len(v) >= MIN_LENGTH)


def _maskable(values: Iterable[str]) -> list[str]:
    return sorted({v for v in values if len(v) >= MIN_LENGTH}, key=len, reverse=True)


def mask_url_logins(text: str) -> str:
    """`text` with the password of every URL's user info shown as ****: https://user:****@host/..."""
    return _URL_LOGIN.sub(lambda m: f"{m['head']}{MASK}@", text)


def mask_text(text: str, values: Iterable[str] = ()) -> str:
    """`text` with every known credential, URL password and token-format value replaced by ****."""
    for value in _maskable([*_known, *values]):
        if value in text:
            text = text.replace(value, MASK)
    text = mask_url_logins(text)
    return _CREDENTIAL_VALUE.sub(MASK, text)


def masker(values: Iterable[str] = ()) -> Callable[[str], str]:
    """A function that masks a line: these values, every remembered one, URL passwords, tokens."""
    extra = tuple(values)

    def mask(line: str) -> str:
        return mask_text(line, extra)

    return mask


def redact(data: Any, values: Iterable[str] = ()) -> Any:
    """The same JSON-able structure with every credential (see mask_text) replaced by ****."""
    mask = masker(values)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return mask(item)
        if isinstance(item, dict):
            return {mask(str(k)) if isinstance(k, str) else k: walk(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    return walk(data)
