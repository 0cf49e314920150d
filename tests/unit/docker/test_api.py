"""The light Engine API client, against a real HTTP server on a unix socket made by the test."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from dynamo_container.docker.api import light_api


class _Engine(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/v1.41/_ping":
            self._send(200, b"OK")
        elif self.path == "/v1.41/images/reg.example%3A5000%2Fdyn%3A1/json":
            self._send(200, json.dumps({"Id": "sha256:abc", "Size": 42}).encode())
        else:
            self._send(404, b'{"message": "No such image"}')

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def engine_socket(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "engine.sock"
    server = _UnixServer(str(path), _Engine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"unix://{path}"
    finally:
        server.shutdown()
        server.server_close()


def test_ping_and_inspect_over_a_unix_socket(engine_socket: str) -> None:
    api = light_api(engine_socket)
    assert api is not None
    api.ping()
    assert api.image("reg.example:5000/dyn:1") == {"Id": "sha256:abc", "Size": 42}
    assert api.image("absent:1") is None


def test_unreachable_engine_raises(tmp_path: Path) -> None:
    api = light_api(f"unix://{tmp_path}/none.sock")
    assert api is not None
    with pytest.raises(OSError):
        api.ping()


def test_tls_and_ssh_engines_are_left_to_docker_py(monkeypatch: pytest.MonkeyPatch) -> None:
    assert light_api("ssh://user@host") is None
    assert light_api("tcp://127.0.0.1:2375") is not None
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    assert light_api("tcp://127.0.0.1:2376") is None
