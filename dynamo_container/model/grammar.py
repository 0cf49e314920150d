"""The grammars of values the tool hands to other programs, checked whole before anything runs.

Each function returns what is wrong with a value ('' when nothing is): the caller names where the
value came from. Every pattern is matched with `fullmatch` over ASCII classes (`[0-9]`, never `\\d`
or `str.isdigit()`, which accept '²' and '١'), and every number is checked against the range the
receiving program takes, so a value that passes here is what it looks like. No value that passes
can be read as an option: none may start with '-'.
"""

from __future__ import annotations

import ipaddress
import re

_NUMBER = re.compile(r"[0-9]+")
MAX_ID = 2**32 - 2  # Linux uid_t/gid_t; 2**32 - 1 is the "no id" value (-1)
INT64_MAX = 2**63 - 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # docker's names: containers, networks, runtimes
_USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")  # a name from the image's /etc/passwd


def number_problem(text: str, low: int, high: int) -> str:
    if not _NUMBER.fullmatch(text):
        return "expected a whole number in ASCII digits 0-9"
    if not low <= int(text) <= high:
        return f"out of range ({low} to {high})"
    return ""


def id_problem(text: str) -> str:
    """A numeric user or group id."""
    return number_problem(text, 0, MAX_ID)


def user_problem(text: str) -> str:
    """docker run --user: NAME|UID[:NAME|GID]."""
    parts = text.split(":")
    if len(parts) > 2:
        return "use UID, UID:GID, NAME or NAME:GROUP"
    for part in parts:
        if _NUMBER.fullmatch(part):
            if id_problem(part):
                return f"{part} is {id_problem(part)}"
        elif not _USER_NAME.fullmatch(part):
            return f"{part!r} is neither a numeric id nor a user name"
    return ""


# docker's units.RAMInBytes: a decimal number, an optional space, a binary unit b/k/m/g/t/p
_SIZE = re.compile(
    r"(?P<number>[0-9]+(?:\.[0-9]+)?)(?: ?(?P<unit>[kKmMgGtTpP]?)(?:[iI]?[bB]|(?<=[kKmMgGtTpP])))?"
)
_UNIT_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def size_bytes(text: str) -> int | None:
    """A size as docker reads it (10G, 512m, 1.5g), in bytes; None when it is not one."""
    m = _SIZE.fullmatch(text)
    if not m:
        return None
    return int(float(m["number"]) * 1024 ** _UNIT_POWER[(m["unit"] or "").lower()])


def size_problem(text: str) -> str:
    size = size_bytes(text)
    if size is None:
        return "expected a number with an optional unit b, k, m, g, t or p"
    if not 0 < size <= INT64_MAX:
        return "out of range (above 0, below 8 EiB)"
    return ""


# docker run --ulimit types (the Linux rlimits docker knows)
ULIMIT_TYPES = frozenset(
    [
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    ]
)
# -1 means unlimited, which the kernel refuses for these (nofile is capped by fs.nr_open)
_NO_UNLIMITED = frozenset({"nofile"})


def ulimit_problem(kind: str, value: str) -> str:
    """One TYPE=SOFT[:HARD] limit of docker run --ulimit."""
    if kind not in ULIMIT_TYPES:
        return f"unknown type {kind!r} (one of: {', '.join(sorted(ULIMIT_TYPES))})"
    numbers = value.split(":")
    if len(numbers) > 2:
        return "SOFT and HARD are whole numbers (-1: unlimited)"
    for n in numbers:
        if n == "-1":
            if kind in _NO_UNLIMITED:
                return f"{kind} cannot be unlimited (-1); give a number"
        elif number_problem(n, 0, INT64_MAX):
            return f"{n!r}: SOFT and HARD are whole numbers from 0 (or -1: unlimited)"
    soft, hard = int(numbers[0]), int(numbers[-1])
    if hard != -1 and (soft == -1 or soft > hard):
        return f"the soft limit {soft} is above the hard limit {hard}"
    return ""


_PORTS = re.compile(r"(?P<first>[0-9]+)(?:-(?P<last>[0-9]+))?")


def _port_range_problem(text: str, *, allow_zero: bool) -> str:
    m = _PORTS.fullmatch(text)
    if not m:
        return f"{text!r} is not a port or a range of ports"
    first, last = int(m["first"]), int(m["last"] or m["first"])
    if not (0 if allow_zero else 1) <= first <= last <= 65535:
        return f"{text!r} is out of range (1 to 65535, first <= last)"
    return ""


def _split_ip(spec: str) -> tuple[str, str]:
    """'[::1]:80:80' -> ('::1', '80:80'); '127.0.0.1:80:80' -> ('127.0.0.1', '80:80'); else ('', spec)."""
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]:")
        return (host, rest) if sep else ("[", spec)
    parts = spec.split(":")
    if len(parts) == 3:
        return parts[0], ":".join(parts[1:])
    return "", spec


def port_problem(spec: str) -> str:
    """docker run -p: [IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], ports or ranges of ports."""
    body, _, proto = spec.partition("/")
    if proto and proto not in ("tcp", "udp", "sctp"):
        return f"protocol {proto!r} is not tcp, udp or sctp"
    ip, ports = _split_ip(body)
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            return f"{ip!r} is not an IP address"
    pieces = ports.split(":")
    if len(pieces) > 2:
        return "use [IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]"
    if len(pieces) == 2 and pieces[0]:
        problem = _port_range_problem(pieces[0], allow_zero=True)
        if problem:
            return problem
    return _port_range_problem(pieces[-1], allow_zero=False)


VOLUME_OPTIONS = frozenset(
    [
        "ro",
        "rw",
        "z",
        "Z",
        "shared",
        "rshared",
        "slave",
        "rslave",
        "private",
        "rprivate",
        "nocopy",
        "consistent",
        "cached",
        "delegated",
    ]
)
_VOLUME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]+")


def volume_problem(spec: str) -> str:
    """docker run -v: SOURCE:DEST[:OPTIONS], SOURCE a host path or a named volume, DEST absolute."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        return "not SRC:DST[:OPTIONS]"
    src, dest = parts[0], parts[1]
    if CONTROL.search(spec):
        return "holds a control character"
    if not src.startswith(("/", ".", "~")) and not _VOLUME_NAME.fullmatch(src):
        return f"{src!r} is neither a host path nor a volume name"
    problem = path_problem(dest)
    if problem:
        return f"the destination {dest!r} is {problem}"
    options = parts[2].split(",") if len(parts) == 3 else []
    unknown = [o for o in options if o not in VOLUME_OPTIONS]
    if unknown:
        return f"unknown option {unknown[0]!r} (one of: {', '.join(sorted(VOLUME_OPTIONS))})"
    return ""


# C0 and C1 control characters (a NUL, a newline, an escape): no value handed on ever holds one.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def path_problem(path: str) -> str:
    """A path inside a container: absolute, without control characters (a newline, a NUL)."""
    if CONTROL.search(path):
        return "holds a control character"
    return "" if path.startswith("/") else "not an absolute path"


_SPECIAL_NETWORKS = ("host", "none", "bridge", "default")


def network_problem(name: str) -> str:
    """docker's --network: host, none, bridge, default, container:NAME or a network's name."""
    if name in _SPECIAL_NETWORKS:
        return ""
    kind, sep, other = name.partition(":")
    if sep and kind == "container" and _NAME.fullmatch(other):
        return ""
    return "" if not sep and _NAME.fullmatch(name) else "not a network name"


def name_problem(name: str) -> str:
    """A docker object name (container, runtime, buildx builder): letters, digits, _ . - ."""
    return "" if _NAME.fullmatch(name) else "use letters, digits, _ . - (starting with a letter or digit)"


CACHE_TYPES = frozenset({"registry", "local", "inline", "gha", "s3", "azblob"})
_CACHE_KEY = re.compile(r"[a-z][a-z0-9_-]*")


def cache_problem(spec: str) -> str:
    """A BuildKit --cache-from/--cache-to: type=T,key=value,... (or, to read, a bare image reference)."""
    if CONTROL.search(spec) or " " in spec:
        return "holds a space or a control character"
    if "=" not in spec:
        from dynamo_container.model.references import reference_problem

        problem = reference_problem(spec)
        return f"neither type=...,key=value nor an image reference ({problem})" if problem else ""
    fields = dict(item.partition("=")[::2] for item in spec.split(","))
    bad = [k for k in fields if not _CACHE_KEY.fullmatch(k)]
    if bad:
        return f"{bad[0]!r} is not a key (type=T,key=value,...)"
    kind = fields.get("type", "")
    if kind not in CACHE_TYPES:
        return f"type {kind!r} is not one of {', '.join(sorted(CACHE_TYPES))}"
    starts_with_dash = [v for v in fields.values() if v.startswith("-")]
    return f"{starts_with_dash[0]!r} cannot start with -" if starts_with_dash else ""


_HEX = re.compile(r"[0-9a-f]{4,64}")
# git check-ref-format: no control character, space, ~ ^ : ? * [ \, no '..', '@{', '//'; a component
# may not start with '.' or end with '.lock'; the whole may not end with '/' or '.', nor be '@'.
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def hex_problem(text: str) -> str:
    return "" if _HEX.fullmatch(text) else "not a hex commit id (4 to 64 of 0-9a-f)"


def git_ref_problem(ref: str) -> str:
    """A commit id, tag or branch name as git takes it (never an option)."""
    if ref.startswith("-"):
        return "cannot start with -"
    if _HEX.fullmatch(ref):
        return ""
    if not ref.isascii():  # git takes other characters; no ref of the projects built here has them
        return "use ASCII letters, digits and . _ / -"
    bad = _REF_FORBIDDEN.search(ref)
    if bad:
        return f"{bad.group()!r} is not allowed in a git ref"
    if ref == "@" or ref.endswith(("/", ".")) or ref.startswith("/"):
        return "not a git ref name"
    if any(part.startswith(".") or part.endswith(".lock") or not part for part in ref.split("/")):
        return "not a git ref name (a part starts with . or ends with .lock)"
    return ""


_URL = re.compile(r"(?P<scheme>https?|ftps?|ssh|git|file)://(?P<rest>[^\s]*)")
_SCP = re.compile(r"(?:[A-Za-z0-9_.-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?P<path>[^\s]+)")


def git_url_problem(url: str) -> str:
    """A repository git may fetch: http(s)://, ssh://, git://, file:// URLs, [user@]host:path, /path.

    Refused: other transports (ext::, fd:: run commands), anything that starts with '-'.
    """
    if url.startswith("-"):
        return "cannot start with -"
    if "::" in url.split("/", 1)[0]:
        return "a git transport helper (ext::, fd::) is not a repository URL"
    m = _URL.fullmatch(url)
    if m:
        host = m["rest"].split("/", 1)[0]
        return "" if m["scheme"] == "file" or host else "the URL has no host"
    if "://" in url:  # git hands other schemes to a git-remote-<scheme> helper program
        return f"the scheme {url.split('://', 1)[0]!r} is not one git fetches itself"
    if url.startswith("/") and not any(c.isspace() for c in url):
        return ""
    m = _SCP.fullmatch(url)
    if m and not m["path"].startswith("-"):
        return ""
    return "use an https://, ssh://, git:// or file:// URL, user@host:path, or an absolute path"


_URL_ANY = re.compile(r"(?:https?|file)://[^\s]+")


def url_problem(url: str) -> str:
    """A URL a downloader (pip, curl) takes: http(s):// or file://, no spaces."""
    return "" if _URL_ANY.fullmatch(url) else "use an http://, https:// or file:// URL"


_PIP_SPEC = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[A-Za-z0-9,._-]+\])?(?:(?:==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!-]+)?"
)


def pip_spec_problem(spec: str) -> str:
    """One requirement pip installs (name[extras]==version), never an option or a second argument."""
    return "" if _PIP_SPEC.fullmatch(spec) else "use NAME==VERSION (e.g. tensorrt-llm==1.3.0rc1)"


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def word_problem(text: str) -> str:
    """A version or other single word passed into a build: letters, digits, . _ + - (not first)."""
    return (
        "" if _WORD.fullmatch(text) else "use letters, digits and . _ + - (starting with a letter or digit)"
    )


_CUDA_ARCHS = re.compile(r"(?:all|native|[0-9]+(?:-real|-virtual)?(?:;[0-9]+(?:-real|-virtual)?)*)")


def cuda_archs_problem(text: str) -> str:
    """CUDA architectures as CMake takes them: '90-real;100-real', all or native."""
    return "" if _CUDA_ARCHS.fullmatch(text) else "use a ;-list like '90-real;100-real', or all"


# S3 and S3-compatible stores differ in their bucket and region rules; what every one shares is the
# shape of a docker object name (letters, digits, _ . -, no space, no option): name_problem.
bucket_problem = region_problem = name_problem
