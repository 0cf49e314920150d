"""sccache on the host: install the pinned release binary (its statistics: sccache_stats.py).

The musl release tarball of mozilla/sccache for x86_64 or aarch64, checked against a SHA-256
pinned in `CHECKSUMS` (or given with --sha256: a version without a pinned checksum is refused,
verification is never skipped), then only its `sccache` member written to a temporary file in the
target folder, made executable and renamed into place. A folder that cannot be written or a disk
that fills is one line naming the folder, and nothing is left behind: no temporary file, and the
binary already there untouched.

A mirror URL may carry a login (`https://user:TOKEN@host/...`): it is sent as HTTP Basic
authentication, never on to where a redirect points, and every URL this module prints or reports
shows its password as `****`.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import gzip
import hashlib
import os
import platform
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from dynamo_container.buildkeys.store import why
from dynamo_container.errors import ConfigError, DynamoError
from dynamo_container.model import catalog
from dynamo_container.model.secrets import MASK, mask_url_logins

# --------------------------------------------------------------------------------------------------
# install

# The architecture word of the release asset names is uname's (catalog.ARCHES maps docker's to it).
RELEASE_ARCHES = tuple(catalog.ARCHES.values())

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
_SHA256 = re.compile(r"[0-9a-f]{64}")
_VERSION = re.compile(r"v?[0-9]+\.[0-9]+\.[0-9]+(?:[.-][0-9A-Za-z.]+)?")  # fullmatch, ASCII


def mask_url_password(text: str, url: str = "") -> str:
    """`text` with the password of every URL's user info shown as ****: https://user:****@host/...

    With `url`, its password is masked wherever else it appears too (an error of the URL library
    may quote it without the URL around it).
    """
    password = urllib.parse.urlsplit(url).netloc.rpartition("@")[0].partition(":")[2] if url else ""
    for value in sorted({password, urllib.parse.unquote(password)}, key=len, reverse=True):
        if len(value) >= 4:  # shorter ones would mask ordinary words
            text = text.replace(value, MASK)
    return mask_url_logins(text)


def _fs_error(what: str, exc: OSError, folder: Path) -> str:
    """`cannot <what>: <why>`, a folder in the way named as one (os.replace onto it)."""
    if exc.errno == errno.EISDIR:
        return f"cannot {what}: a folder is in its place"
    return f"cannot {what}: {why(exc, folder)}"


def normalize_arch(arch: str) -> str:
    """x86_64 / amd64 -> x86_64, aarch64 / arm64 -> aarch64; anything else is refused."""
    docker_arch = catalog.normalize_arch(arch)
    if docker_arch is None:
        raise ConfigError(
            f"sccache has no Linux release for architecture {arch!r}",
            "use --arch x86_64, aarch64, amd64 or arm64",
        )
    return catalog.ARCHES[docker_arch]


def host_arch() -> str:
    return normalize_arch(platform.machine())


def normalize_version(version: str) -> str:
    """'0.14.0' or 'v0.14.0' -> 'v0.14.0' (the release tag)."""
    text = version.strip()
    if not _VERSION.fullmatch(text):
        raise ConfigError(f"--sccache-version {version!r} is not a release version", "e.g. v0.14.0")
    return text if text.startswith("v") else f"v{text}"


def asset_name(version: str, arch: str) -> str:
    """The release tarball's stem, which is also the folder inside it."""
    return f"sccache-{normalize_version(version)}-{normalize_arch(arch)}-unknown-linux-musl"


def asset_url(base_url: str, version: str, arch: str) -> str:
    base = base_url.strip().rstrip("/")
    if not re.match(r"^(https?|file)://", base):
        raise ConfigError(
            f"--sccache-base-url {mask_url_password(repr(base_url))} is not an http(s):// or file:// URL",
            "e.g. https://github.com/mozilla/sccache/releases/download",
        )
    return f"{base}/{normalize_version(version)}/{asset_name(version, arch)}.tar.gz"


def expected_sha256(version: str, arch: str, given: str = "") -> tuple[str, str]:
    """The checksum to verify against and where it comes from; refused when there is none."""
    if given.strip():
        value = given.strip().lower()
        if not _SHA256.fullmatch(value):
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
    url: str = field(repr=False)  # may carry a login: printed only through `shown_url`
    sha256: str
    sha256_source: str  # "pinned" or "given"
    member: str  # path of the binary inside the tarball
    destination: Path

    @property
    def shown_url(self) -> str:
        return mask_url_password(self.url)

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("version", self.version),
            ("architecture", self.arch),
            ("url", self.shown_url),
            ("sha256", f"{self.sha256} ({self.sha256_source})"),
            ("destination", str(self.destination)),
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "arch": self.arch,
            "url": self.shown_url,
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


def request_for(url: str) -> urllib.request.Request:
    """A GET of `url`; the login of its user info, if any, as a Basic Authorization header.

    urllib would take `user:pass@host` for a host and port. The header is an unredirected one: a
    redirect (a mirror handing off to object storage) never carries the login to another host.
    """
    parts = urllib.parse.urlsplit(url)
    user, at, host = parts.netloc.rpartition("@")
    if not at or parts.scheme not in ("http", "https"):
        return urllib.request.Request(url, headers={"User-Agent": "dynamo-container"})
    request = urllib.request.Request(
        urllib.parse.urlunsplit(parts._replace(netloc=host)), headers={"User-Agent": "dynamo-container"}
    )
    name, _, password = user.partition(":")
    login = f"{urllib.parse.unquote(name)}:{urllib.parse.unquote(password)}".encode()
    request.add_unredirected_header("Authorization", "Basic " + base64.b64encode(login).decode())
    return request


class _SaveError(Exception):
    """Writing the download failed here, not on the network: never retried."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _save(out: BinaryIO, chunk: bytes) -> None:
    try:
        out.write(chunk)
    except OSError as exc:
        raise _SaveError(exc) from None


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
        digest = hashlib.sha256()
        size = 0
        try:
            out.seek(0)
            out.truncate()
            with urllib.request.urlopen(request_for(url), timeout=timeout) as response:
                while chunk := response.read(_CHUNK):
                    digest.update(chunk)
                    _save(out, chunk)
                    size += len(chunk)
            _save(out, b"")
            out.flush()
            return digest.hexdigest(), size
        except _SaveError as exc:
            name = getattr(out, "name", None)
            folder = Path(name).parent if isinstance(name, str) and name else Path(tempfile.gettempdir())
            raise _save_failed(folder, exc.error) from None
        except Exception as exc:
            last = exc
            if not _retryable(exc) or attempt >= attempts or url.startswith("file:"):
                break
            sleep(delay * 2 ** (attempt - 1))
    assert last is not None
    tries = f" after {attempt} attempts" if attempt > 1 else ""
    raise DynamoError(
        mask_url_password(f"cannot download {url}: {_reason(last)}{tries}", url),
        "check the network, or point --sccache-base-url (DYNAMO_SCCACHE_BASE_URL) at a mirror",
    )


def _save_failed(folder: Path, exc: OSError) -> DynamoError:
    return DynamoError(
        _fs_error(f"save the download in {folder}", exc, folder),
        "nothing was installed; free space there or point TMPDIR at another folder",
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


WRITABLE_HINT = "pass a writable --sccache-install-dir (e.g. ~/.local/bin), or run as root"


def install_from_tarball(archive: Path, member: str, destination: Path) -> None:
    """Write `member` of the tarball to `destination` atomically (temp file in its folder, rename).

    Any failure leaves no temporary file and whatever was at `destination` untouched.
    """
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DynamoError(_fs_error(f"create {folder}", exc, folder), WRITABLE_HINT) from None
    with tarfile.open(archive, "r:gz") as tar:
        info = _member(tar, member)
        source = tar.extractfile(info)
        if source is None:  # pragma: no cover - isfile() members always have data
            raise DynamoError(f"cannot read {member} from the release tarball")
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".sccache-", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise DynamoError(_fs_error(f"write to {folder}", exc, folder), WRITABLE_HINT) from None
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, source:
                shutil.copyfileobj(source, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())  # a full disk shows here at the latest, before the rename
            tmp.chmod(0o755)
            os.replace(tmp, destination)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
                raise DynamoError(
                    _fs_error(f"install {destination}", exc, folder),
                    f"nothing was installed; {WRITABLE_HINT}",
                ) from None
            raise


@dataclass(frozen=True)
class InstallResult:
    plan: InstallPlan
    size: int
    version_output: str  # `sccache --version`, or "" when it was not run


def install(plan: InstallPlan, **download_options: Any) -> InstallResult:
    """Download, verify, extract the binary and install it. Nothing is written on a mismatch."""
    try:
        scratch = tempfile.TemporaryDirectory(prefix="sccache-download-", ignore_cleanup_errors=True)
    except OSError as exc:
        where = Path(tempfile.gettempdir())
        raise DynamoError(
            _fs_error(f"make a folder for the download in {where}", exc, where),
            "free space there or point TMPDIR at another folder",
        ) from None
    with scratch as tmp:
        archive = Path(tmp) / f"{asset_name(plan.version, plan.arch)}.tar.gz"
        try:
            with archive.open("wb") as out:
                digest, size = download(plan.url, out, **download_options)
        except OSError as exc:  # opening or closing the file (the download's own writes say so)
            raise _save_failed(archive.parent, exc) from None
        if digest != plan.sha256:
            raise DynamoError(
                f"checksum mismatch for {plan.shown_url}: expected {plan.sha256} ({plan.sha256_source}), "
                f"got {digest}",
                "nothing was installed",
            )
        try:
            install_from_tarball(archive, plan.member, plan.destination)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
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
    docker_arch = catalog.normalize_arch(platform.machine())
    return catalog.ARCHES[docker_arch] if docker_arch else None
