"""`invoke sccache-install` end to end, without internet: a release tree made by the test, served by a
loopback HTTP server (also one behind a login), installed through the real command (needs no Docker
engine)."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import json
import stat
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import invoke

VERSION = "v0.14.0"
ARCH = "aarch64"  # not necessarily this machine's: the fake binary is a shell script anyway
NAME = f"sccache-{VERSION}-{ARCH}-unknown-linux-musl"
FAKE = b"#!/bin/sh\necho 'sccache 0.14.0 (test double)'\n"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # no access log on stderr
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(base URL, sha256 of the tarball, request paths) of a release tree on 127.0.0.1."""
    root = tmp_path / "mirror"
    (root / VERSION).mkdir(parents=True)
    archive = root / VERSION / f"{NAME}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in ((f"{NAME}/sccache", FAKE), (f"{NAME}/LICENSE", b"license\n")):
            info = tarfile.TarInfo(member)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    requests: list[str] = []
    handler = type("Handler", (QuietHandler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}", hashlib.sha256(archive.read_bytes()).hexdigest(), requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def install(base: str, dest: Path, *extra: str, version: str = VERSION) -> tuple[int, str, str]:
    r = invoke(
        "sccache-install",
        "--sccache-base-url",
        base,
        "--sccache-install-dir",
        str(dest),
        "--sccache-version",
        version,
        "--arch",
        ARCH,
        *extra,
        env={"NO_COLOR": "1"},
        timeout=120,
    )
    return r.returncode, r.stdout, r.stderr


def test_install_from_a_loopback_mirror(mirror: tuple[str, str, list[str]], tmp_path: Path) -> None:
    base, digest, requests = mirror
    dest = tmp_path / "bin"
    code, out, err = install(base, dest, "--sha256", digest)
    assert code == 0, out + err
    binary = dest / "sccache"
    assert binary.read_bytes() == FAKE
    assert stat.S_IMODE(binary.stat().st_mode) == 0o755
    assert sorted(p.name for p in dest.iterdir()) == ["sccache"]  # only the binary, no temp file left
    assert f"{base}/{VERSION}/{NAME}.tar.gz" in out and f"{digest} (given)" in out
    assert f"installed {binary}" in out and "SHA-256 verified" in out
    assert requests == [f"/{VERSION}/{NAME}.tar.gz"]

    # again over an existing binary: replaced in place, still nothing else in the folder
    binary.write_text("old\n")
    code, out, err = install(base, dest, "--sha256", digest)
    assert code == 0, out + err
    assert binary.read_bytes() == FAKE and sorted(p.name for p in dest.iterdir()) == ["sccache"]


def test_checksum_mismatch_leaves_nothing_behind(mirror: tuple[str, str, list[str]], tmp_path: Path) -> None:
    base, digest, _ = mirror
    dest = tmp_path / "bin"
    wrong = hashlib.sha256(b"something else").hexdigest()
    code, out, err = install(base, dest, "--sha256", wrong)
    assert code == 1 and "SHA-256 verified" not in out
    assert err.strip() == (
        f"error: checksum mismatch for {base}/{VERSION}/{NAME}.tar.gz: expected {wrong} (given), "
        f"got {digest} (nothing was installed)"
    )
    assert not dest.exists()
    # without --sha256 the pinned checksum of the real release is used: the test tarball fails it too
    code, _, err = install(base, dest)
    assert code == 1 and "(pinned), got " + digest in err
    assert not dest.exists()


def test_missing_release_is_one_line(mirror: tuple[str, str, list[str]], tmp_path: Path) -> None:
    base, digest, requests = mirror
    code, _, err = install(base, tmp_path / "bin", "--sha256", digest, version="v0.99.0")
    assert code == 1
    assert err.startswith(f"error: cannot download {base}/v0.99.0/") and "HTTP 404" in err
    assert len(err.strip().splitlines()) == 1
    assert len(requests) == 1  # a 404 is not retried


LOGIN, PASSWORD = "ci", "Mirr0r-s3cret"


class LoginHandler(QuietHandler):
    """/login/...: needs the Basic login, then redirects to /open/... on `localhost` (another host name)."""

    seen: list[tuple[str, str]]  # (path, Authorization header or "")

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        type(self).seen.append((self.path, auth))
        if self.path.startswith("/login/"):
            expected = "Basic " + base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
            if auth != expected:
                self.send_error(401, "Unauthorized")
                return
            port = self.headers.get("Host", "").rpartition(":")[2]
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/open/{self.path.removeprefix('/login/')}")
            self.end_headers()
            return
        self.path = self.path.removeprefix("/open")
        super().do_GET()


@pytest.fixture
def login_mirror(mirror: tuple[str, str, list[str]], tmp_path: Path) -> Iterator[tuple[int, str, list[Any]]]:
    """(port, sha256, requests seen) of a mirror behind a login, serving the `mirror` fixture's tree."""
    _, digest, _ = mirror
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (LoginHandler,), {"requests": [], "seen": seen})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(tmp_path / "mirror"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), digest, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_mirror_login_is_used_and_never_shown(
    login_mirror: tuple[int, str, list[Any]], tmp_path: Path
) -> None:
    port, digest, seen = login_mirror
    base = f"http://{LOGIN}:{PASSWORD}@127.0.0.1:{port}/login"
    code, out, err = install(base, tmp_path / "bin", "--sha256", digest)
    assert code == 0, out + err
    assert (tmp_path / "bin" / "sccache").read_bytes() == FAKE
    assert PASSWORD not in out + err
    assert f"http://{LOGIN}:****@127.0.0.1:{port}/login/{VERSION}/{NAME}.tar.gz" in out
    [(first, auth), (second, after_redirect)] = seen
    assert first.startswith("/login/") and auth.startswith("Basic ")
    assert second.startswith("/open/") and after_redirect == ""  # the login stays with its host
    # dry run and JSON print the URL masked too
    code, out, err = install(base, tmp_path / "bin", "--sha256", digest, "--dry-run", "--json")
    assert code == 0 and PASSWORD not in out + err
    assert json.loads(out)["url"].startswith(f"http://{LOGIN}:****@127.0.0.1:{port}/login/")


def test_a_wrong_mirror_login_is_one_line_without_the_password(
    login_mirror: tuple[int, str, list[Any]], tmp_path: Path
) -> None:
    port, _, _ = login_mirror
    code, out, err = install(f"http://{LOGIN}:wrong-{PASSWORD}@127.0.0.1:{port}/login", tmp_path / "bin")
    assert code == 1 and PASSWORD not in out + err
    assert err.strip().splitlines() == [
        f"error: cannot download http://{LOGIN}:****@127.0.0.1:{port}/login/{VERSION}/{NAME}.tar.gz: "
        "HTTP 401 Unauthorized (check the network, or point --sccache-base-url (DYNAMO_SCCACHE_BASE_URL) "
        "at a mirror)"
    ]
    assert not (tmp_path / "bin").exists()
