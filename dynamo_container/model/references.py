"""Docker's image reference grammar (distribution/reference), to refuse a bad name before docker does.

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] path ( "/" path )*        (255 characters at most)
    domain     := host [ ":" port ]                         (only when the first part has "." or ":",
                                                             or is "localhost")
    path       := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}

Each check returns what is wrong in a few words, or "" for a valid value.
"""

from __future__ import annotations

import re

_HOST_PART = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = re.compile(rf"{_HOST_PART}(?:\.{_HOST_PART})*(?::[0-9]+)?")
_PATH = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}")
MAX_NAME = 255


def is_registry_host(first: str) -> bool:
    """Is the first part of an image reference its registry host (docker's rule: '.', ':' or localhost)?"""
    return "." in first or ":" in first or first == "localhost"


def tag_problem(tag: str) -> str:
    if not tag:
        return "empty tag"
    if not _TAG.fullmatch(tag):
        return "a tag is letters, digits, _ . - (128 at most), not starting with . or -"
    return ""


def registry_problem(registry: str) -> str:
    """A registry host with an optional port and namespace path: `reg.example:5000/team`."""
    value = registry.strip().rstrip("/")
    domain, _, namespace = value.partition("/")
    if not domain:
        return "empty registry"
    if not is_registry_host(domain):  # no host: a namespace on the default registry (docker.io/<namespace>)
        domain, namespace = "", value
    elif not _DOMAIN.fullmatch(domain):
        return f"{domain!r} is not a host[:port]"
    bad = [p for p in namespace.split("/") if namespace and not _PATH.fullmatch(p)]
    return f"namespace part {bad[0]!r} must be lowercase letters, digits and . _ -" if bad else ""


def repository_problem(name: str) -> str:
    """A repository name without tag: `dynamo`, `team/dynamo`, `reg:5000/team/dynamo`."""
    if not name:
        return "empty name"
    if len(name) > MAX_NAME:
        return f"longer than {MAX_NAME} characters"
    parts = name.split("/")
    if len(parts) > 1 and is_registry_host(parts[0]):
        if not _DOMAIN.fullmatch(parts[0]):
            return f"{parts[0]!r} is not a host[:port]"
        parts = parts[1:]
    for part in parts:
        if not _PATH.fullmatch(part):
            if part.lower() != part and _PATH.fullmatch(part.lower()):
                return "repository names are lowercase"
            return f"{part!r} is not a name part (lowercase letters, digits, and . _ - between them)"
    return ""


def reference_problem(ref: str) -> str:
    """A full image reference: repository, optional tag, optional digest."""
    rest, _, digest = ref.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        return f"{digest!r} is not a digest (algorithm:hex)"
    slash, colon = rest.rfind("/"), rest.rfind(":")
    name, tag = (rest[:colon], rest[colon + 1 :]) if colon > slash else (rest, None)
    problem = repository_problem(name)
    if not problem and tag is not None:
        problem = tag_problem(tag)
    return problem
