"""sccache on the host: install the pinned release binary, and read its statistics.

Install: the musl release tarball of mozilla/sccache for x86_64 or aarch64, checked against a
SHA-256 pinned in `CHECKSUMS` (or given with --sha256: a version without a pinned checksum is
refused, verification is never skipped), then only its `sccache` member written to a temporary
file in the target folder, made executable and renamed into place.

Statistics: `sccache --show-stats --stats-format=json` summed over every language category the
JSON has (C/C++, Rust, CUDA, CUDA device code, PTX, CUBIN, ...), the same sums and the same
rounding as `container/use-sccache.sh show-stats` prints inside builds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import matrix
from .errors import ConfigError, DynamoError

# --------------------------------------------------------------------------------------------------
# install

# The architecture word of the release asset names is uname's (matrix.ARCHES maps docker's to it).
RELEASE_ARCHES = tuple(matrix.ARCHES.values())

# SHA-256 of sccache-<version>-<arch>-unknown-linux-musl.tar.gz, per (version, arch): the one
# table of pinned checksums. container/use-sccache.sh installs the same version (a unit test keeps
# the defaults equal). v0.14.0: the checksums of the mozilla/sccache release assets as quoted,
# identically, by independent public install scripts (x86_64 by several, aarch64 by three); they
# could not be compared with the release's own .sha256 files from here (no access to GitHub).
# Moving the pin: add the new version's rows from its release .sha256 files.
CHECKSUMS: dict[tuple[str, str], str] = {
    ("v0.14.0", "x86_64"): "8424b38cda4ecce616a1557d81328f3d7c96503a171eab79942fad618b42af44",
    ("v0.14.0", "aarch64"): "62a6c942c47c93333bc0174704800cef7edfa0416d08e1356c1d3e39f0b462f2",
}

DOWNLOAD_TIMEOUT = 60.0  # seconds per attempt (connect and each read)
DOWNLOAD_ATTEMPTS = 4
RETRY_DELAY = 2.0  # seconds, doubled after each failed attempt
_CHUNK = 1 << 16
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([.-][0-9A-Za-z.]+)?$")


def normalize_arch(arch: str) -> str:
    """x86_64 / amd64 -> x86_64, aarch64 / arm64 -> aarch64; anything else is refused."""
    docker_arch = matrix.normalize_arch(arch)
    if docker_arch is None:
        raise ConfigError(
            f"sccache has no Linux release for architecture {arch!r}",
            "use --arch x86_64, aarch64, amd64 or arm64",
        )
    return matrix.ARCHES[docker_arch]


def host_arch() -> str:
    return normalize_arch(platform.machine())


def normalize_version(version: str) -> str:
    """'0.14.0' or 'v0.14.0' -> 'v0.14.0' (the release tag)."""
    text = version.strip()
    if not _VERSION.match(text):
        raise ConfigError(f"--sccache-version {version!r} is not a release version", "e.g. v0.14.0")
    return text if text.startswith("v") else f"v{text}"


def asset_name(version: str, arch: str) -> str:
    """The release tarball's stem, which is also the folder inside it."""
    return f"sccache-{normalize_version(version)}-{normalize_arch(arch)}-unknown-linux-musl"


def asset_url(base_url: str, version: str, arch: str) -> str:
    base = base_url.strip().rstrip("/")
    if not re.match(r"^(https?|file)://", base):
        raise ConfigError(
            f"--sccache-base-url {base_url!r} is not an http(s):// or file:// URL",
            "e.g. https://github.com/mozilla/sccache/releases/download",
        )
    return f"{base}/{normalize_version(version)}/{asset_name(version, arch)}.tar.gz"


def expected_sha256(version: str, arch: str, given: str = "") -> tuple[str, str]:
    """The checksum to verify against and where it comes from; refused when there is none."""
    if given.strip():
        value = given.strip().lower()
        if not _SHA256.match(value):
            raise ConfigError(f"--sha256 {given!r} is not a SHA-256", "64 hexadecimal digits")
        return value, "given"
    key = (normalize_version(version), normalize_arch(arch))
    if key in CHECKSUMS:
        return CHECKSUMS[key], "pinned"
    raise ConfigError(
        f"no pinned SHA-256 for sccache {key[0]} ({key[1]})",
        f"pass --sha256 with the checksum the release publishes in {asset_name(*key)}.tar.gz.sha256, "
        f"or use a pinned version: " + ", ".join(sorted({v for v, _ in CHECKSUMS})),
    )


@dataclass(frozen=True)
class InstallPlan:
    version: str
    arch: str
    url: str
    sha256: str
    sha256_source: str  # "pinned" or "given"
    member: str  # path of the binary inside the tarball
    destination: Path

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("version", self.version),
            ("architecture", self.arch),
            ("url", self.url),
            ("sha256", f"{self.sha256} ({self.sha256_source})"),
            ("destination", str(self.destination)),
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "arch": self.arch,
            "url": self.url,
            "sha256": self.sha256,
            "sha256_source": self.sha256_source,
            "destination": str(self.destination),
        }


def plan_install(
    *, version: str, arch: str, base_url: str, install_dir: str, sha256: str = ""
) -> InstallPlan:
    """Everything an install will do, checked before anything is downloaded (pure)."""
    v = normalize_version(version)
    a = normalize_arch(arch) if arch.strip() else host_arch()
    digest, source = expected_sha256(v, a, sha256)
    if not install_dir.strip():
        raise ConfigError("--sccache-install-dir is empty", "e.g. /usr/local/bin")
    name = asset_name(v, a)
    return InstallPlan(
        version=v,
        arch=a,
        url=asset_url(base_url, v, a),
        sha256=digest,
        sha256_source=source,
        member=f"{name}/sccache",
        destination=Path(install_dir).expanduser() / "sccache",
    )


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code in (408, 429)
    return isinstance(exc, (urllib.error.URLError, OSError, TimeoutError))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def download(
    url: str,
    out: BinaryIO,
    *,
    timeout: float = DOWNLOAD_TIMEOUT,
    attempts: int = DOWNLOAD_ATTEMPTS,
    delay: float = RETRY_DELAY,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, int]:
    """Stream `url` into `out`; return its SHA-256 and size. Retries network and 5xx errors."""
    last: BaseException | None = None
    attempt = 0
    for attempt in range(1, max(attempts, 1) + 1):
        out.seek(0)
        out.truncate()
        digest = hashlib.sha256()
        size = 0
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "dynamo-container"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                while chunk := response.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            out.flush()
            return digest.hexdigest(), size
        except Exception as exc:
            last = exc
            if not _retryable(exc) or attempt >= attempts or url.startswith("file:"):
                break
            sleep(delay * 2 ** (attempt - 1))
    assert last is not None
    tries = f" after {attempt} attempts" if attempt > 1 else ""
    raise DynamoError(
        f"cannot download {url}: {_reason(last)}{tries}",
        "check the network, or point --sccache-base-url (DYNAMO_SCCACHE_BASE_URL) at a mirror",
    )


def _member(tar: tarfile.TarFile, wanted: str) -> tarfile.TarInfo:
    """The sccache binary: the expected path, else the one regular file named sccache."""
    members = tar.getmembers()
    exact = [m for m in members if m.name.removeprefix("./") == wanted]
    found = exact or [m for m in members if Path(m.name).name == "sccache"]
    if len(found) != 1 or not found[0].isfile():
        raise DynamoError(
            f"the release tarball has no regular file {wanted}",
            "is --sccache-base-url serving sccache release tarballs?",
        )
    return found[0]


def install_from_tarball(archive: Path, member: str, destination: Path) -> None:
    """Write `member` of the tarball to `destination` atomically (temp file in its folder, rename)."""
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DynamoError(
            f"cannot create {folder}: {exc.strerror}", "pass a writable --sccache-install-dir"
        ) from None
    with tarfile.open(archive, "r:gz") as tar:
        info = _member(tar, member)
        source = tar.extractfile(info)
        if source is None:  # pragma: no cover - isfile() members always have data
            raise DynamoError(f"cannot read {member} from the release tarball")
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".sccache-", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise DynamoError(
                f"cannot write to {folder}: {exc.strerror}",
                "run as root, or pass a writable --sccache-install-dir (e.g. ~/.local/bin)",
            ) from None
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, source:
                shutil.copyfileobj(source, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            tmp.chmod(0o755)
            os.replace(tmp, destination)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise


@dataclass(frozen=True)
class InstallResult:
    plan: InstallPlan
    size: int
    version_output: str  # `sccache --version`, or "" when it was not run


def install(plan: InstallPlan, **download_options: Any) -> InstallResult:
    """Download, verify, extract the binary and install it. Nothing is written on a mismatch."""
    with tempfile.TemporaryDirectory(prefix="sccache-download-") as tmp:
        archive = Path(tmp) / f"{asset_name(plan.version, plan.arch)}.tar.gz"
        with archive.open("wb") as out:
            digest, size = download(plan.url, out, **download_options)
        if digest != plan.sha256:
            raise DynamoError(
                f"checksum mismatch for {plan.url}: expected {plan.sha256} ({plan.sha256_source}), "
                f"got {digest}",
                "nothing was installed",
            )
        try:
            install_from_tarball(archive, plan.member, plan.destination)
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            raise DynamoError(f"cannot read the release tarball: {exc}", "nothing was installed") from None
    version_output = ""
    if plan.arch == _host_arch_or_none():
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            run = subprocess.run(
                [str(plan.destination), "--version"], capture_output=True, text=True, timeout=30
            )
            version_output = run.stdout.strip()
    return InstallResult(plan, size, version_output)


def _host_arch_or_none() -> str | None:
    docker_arch = matrix.normalize_arch(platform.machine())
    return matrix.ARCHES[docker_arch] if docker_arch else None


# --------------------------------------------------------------------------------------------------
# statistics


@dataclass(frozen=True)
class LanguageStats:
    hits: int
    misses: int

    @property
    def hit_rate(self) -> float:
        return hit_rate_hundredths(self.hits, self.misses) / 100

    @property
    def rate_text(self) -> str:
        return format_rate(self.hits, self.misses)


@dataclass(frozen=True)
class Stats:
    """Cache hits and misses per language category, and their sums over every category."""

    languages: Mapping[str, LanguageStats]
    version: str = ""
    cache_location: str = ""
    compile_requests: int | None = None

    @property
    def hits(self) -> int:
        return sum(s.hits for s in self.languages.values())

    @property
    def misses(self) -> int:
        return sum(s.misses for s in self.languages.values())

    @property
    def hit_rate(self) -> float:
        return hit_rate_hundredths(self.hits, self.misses) / 100

    @property
    def rate_text(self) -> str:
        return format_rate(self.hits, self.misses)

    def summary_line(self, step: str) -> str:
        """The SCCACHE_SUMMARY line of `use-sccache.sh show-stats` for the same statistics."""
        return (
            f"SCCACHE_SUMMARY step={step.replace(' ', '_')} hits={self.hits} misses={self.misses} "
            f"hit_rate={self.rate_text}%"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": self.hit_rate,
            "languages": {
                name: {"hits": s.hits, "misses": s.misses, "hit_rate": s.hit_rate}
                for name, s in self.languages.items()
            },
            "compile_requests": self.compile_requests,
            "version": self.version,
            "cache_location": self.cache_location,
        }


def hit_rate_hundredths(hits: int, misses: int) -> int:
    """Hit rate in hundredths of a percent, rounded half up with integers (0 without requests).

    use-sccache.sh computes the same expression in Python and in jq, so all three agree digit
    for digit (floats would round 3.125 % to 3.12 in one and 3.13 in another).
    """
    total = hits + misses
    return (20000 * hits + total) // (2 * total) if total else 0


def format_rate(hits: int, misses: int) -> str:
    whole, frac = divmod(hit_rate_hundredths(hits, misses), 100)
    return f"{whole}.{frac:02d}"


def _counts(stats: Mapping[str, Any], key: str, where: str) -> dict[str, int]:
    value = stats.get(key) or {}
    counts = value.get("counts") if isinstance(value, Mapping) else None
    if counts is None:
        counts = {}
    if not isinstance(counts, Mapping):
        raise ConfigError(f"{where}: stats.{key}.counts is not an object")
    out: dict[str, int] = {}
    for lang, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ConfigError(f"{where}: stats.{key}.counts[{lang!r}] is not a count: {n!r}")
        out[str(lang)] = n
    return out


def parse_stats(text: str, where: str = "sccache statistics") -> Stats:
    """Parse `sccache --show-stats --stats-format=json` output."""
    hint = "save them with: sccache --show-stats --stats-format=json > stats.json"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        first = text.strip().splitlines()[0][:60] if text.strip() else ""
        what = f"(starts {first!r})" if first else "(empty)"
        raise ConfigError(f"{where} is not JSON {what}: {exc.msg}", hint) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("stats"), Mapping):
        raise ConfigError(f"{where} has no 'stats' object; is it sccache JSON statistics?", hint)
    stats = data["stats"]
    hits = _counts(stats, "cache_hits", where)
    misses = _counts(stats, "cache_misses", where)
    languages = {
        lang: LanguageStats(hits.get(lang, 0), misses.get(lang, 0)) for lang in sorted({*hits, *misses})
    }
    requests = stats.get("compile_requests")
    return Stats(
        languages=languages,
        version=str(data.get("version") or ""),
        cache_location=str(data.get("cache_location") or ""),
        compile_requests=requests if isinstance(requests, int) else None,
    )


def find_sccache(install_dir: str) -> str | None:
    """sccache on PATH, else in the install folder."""
    found = shutil.which("sccache")
    if found:
        return found
    candidate = Path(install_dir).expanduser() / "sccache"
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def query_server(binary: str, timeout: float = 60) -> str:
    """The running server's statistics as JSON text (sccache starts a server if none runs)."""
    try:
        run = subprocess.run(
            [binary, "--show-stats", "--stats-format=json"], capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DynamoError(f"cannot run {binary} --show-stats: {exc}") from None
    if run.returncode != 0:
        lines = (run.stderr or run.stdout).strip().splitlines()
        last = lines[-1] if lines else f"exit code {run.returncode}"
        raise DynamoError(
            f"{binary} --show-stats failed: {last}",
            "is SCCACHE_SERVER_PORT the port of the server you mean? Or read saved stats with --file",
        )
    return run.stdout
