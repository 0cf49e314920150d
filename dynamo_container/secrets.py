"""Credentials: which names are credentials, and hiding their values wherever text leaves the tool.

Credentials are never settings. They come from the environment or env files, reach builds only as
BuildKit secrets (id -> env var) and are masked in everything printed, logged or recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
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


def looks_like_credential_value(value: str) -> bool:
    """A value in a known token format (hf_..., ghp_..., glpat-..., AKIA...), wherever it appears."""
    return _CREDENTIAL_VALUE.search(value) is not None


def secret_id_of(env_name: str) -> str:
    """The BuildKit secret id read from `env_name` ('' when the tool knows no such secret)."""
    return next((i for i, env in SECRET_ENV_VARS.items() if env == env_name.upper()), "")


def _maskable(values: Iterable[str]) -> list[str]:
    return sorted((v for v in values if len(v) >= MIN_LENGTH), key=len, reverse=True)


def masker(values: Iterable[str]) -> Callable[[str], str]:
    """A function that replaces every secret value in a line with ****."""
    secrets = _maskable(values)

    def mask(line: str) -> str:
        for value in secrets:
            if value in line:
                line = line.replace(value, MASK)
        return line

    return mask


def redact(data: Any, values: Iterable[str]) -> Any:
    """The same JSON-able structure with every secret value replaced by ****."""
    text = json.dumps(data)
    for value in _maskable(values):
        text = text.replace(json.dumps(value)[1:-1], MASK)
    return json.loads(text)
