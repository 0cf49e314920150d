"""Secrets never reach an image; a TCP engine on loopback works; named build contexts reach the build."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import tarfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECT
from tests.integration.conftest import (
    STANDIN_ENV,
    Names,
    build_info,
    invoke,
    standin_build,
    trtllm_wheel_dir,
)


def image_blobs(image: Any) -> Iterator[tuple[str, bytes]]:
    """(name, content) of every file of `docker save` of `image`, and of every file in its layers."""
    raw = b"".join(image.save(named=True))
    with tarfile.open(fileobj=io.BytesIO(raw)) as outer:
        for member in outer.getmembers():
            data = outer.extractfile(member) if member.isfile() else None
            if data is None:
                continue
            blob = data.read()
            yield member.name, blob
            if blob[:262][257:262] == b"ustar" or member.name.endswith((".tar", "layer.tar")):
                with tarfile.open(fileobj=io.BytesIO(blob)) as layer:
                    for f in layer.getmembers():
                        content = layer.extractfile(f) if f.isfile() else None
                        if content is not None:
                            yield f"{member.name}:{f.name}", content.read()


def test_a_secret_is_readable_in_its_run_and_nowhere_else(
    names: Names, docker_client: Any, tmp_path: Path
) -> None:
    """github-token reaches the wheel_builder RUNs of step 1 and the vLLM install of step 2, hf-token
    the vLLM install (the RUNs that mount them in the real family); neither value is anywhere else."""
    secrets = {"HF_TOKEN": f"hf_{uuid.uuid4().hex}", "GITHUB_TOKEN": f"ghp_{uuid.uuid4().hex}"}
    logs = tmp_path / "logs"
    env = {**names.env(), **secrets, "DYNAMO_LOG_DIR": str(logs)}
    args = ["build", "--env-file", STANDIN_ENV, "--framework", "vllm", "--target", "runtime", "--no-cache"]
    dry = invoke(*args, "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    steps = json.loads(dry.stdout)["steps"]
    for step in steps:
        flat = " ".join(step["argv"])
        for sid, var in (("hf-token", "HF_TOKEN"), ("github-token", "GITHUB_TOKEN")):
            assert f"--secret id={sid},env={var}" in flat, flat
    r = invoke(*args, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    # the RUNs that mount them saw them
    assert r.stdout.count(f"github-token: present ({len(secrets['GITHUB_TOKEN'])} bytes)") == 3
    assert r.stdout.count(f"hf-token: present ({len(secrets['HF_TOKEN'])} bytes)") == 1
    # ... and they are nowhere else: output, logs, receipts, labels, history, layers (both images)
    for secret in secrets.values():
        assert secret not in dry.stdout + dry.stderr + r.stdout + r.stderr
        for log in (p for p in logs.rglob("*") if p.is_file()):  # step logs and the receipt
            assert secret not in log.read_text(), log
    for tag in (step["tags"][0] for step in steps):
        image = docker_client.images.get(tag)
        history = subprocess.run(
            ["docker", "history", "--no-trunc", tag], capture_output=True, text=True, check=True
        )
        blobs = list(image_blobs(image))
        for secret in secrets.values():
            assert secret not in json.dumps(image.attrs) and secret not in history.stdout, tag
            for name, blob in blobs:
                assert secret.encode() not in blob, f"{tag} {name}"
    info = build_info(docker_client, steps[-1]["tags"][0])
    assert not [k for k in info if "SECRET" in k or "TOKEN" in k], info


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):  # the other direction may have closed it
                s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def tcp_engine(docker_client: Any) -> Iterator[str]:
    """tcp://127.0.0.1:PORT forwarding to the local engine's unix socket (a real TCP engine endpoint)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect("/var/run/docker.sock")
            threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{port}"
    finally:
        stop.set()
        server.close()


def test_build_on_a_tcp_engine(names: Names, docker_client: Any, tcp_engine: str) -> None:
    r = standin_build(
        "none",
        "runtime",
        env={**names.env(), "DOCKER_HOST": tcp_engine},
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert (
        docker_client.images.get(f"{names.image}:latest-none-runtime").labels["ai.dynamo.target"] == "runtime"
    )
    assert "108." in r.stdout or " MB" in r.stdout  # the summary's size came from the same engine over TCP


def test_trtllm_wheel_context_is_installed(names: Names, docker_client: Any, tmp_path: Path) -> None:
    wheels = trtllm_wheel_dir(tmp_path / "wheels", "1.1.0+wheeldir", "0123abcd")
    r = standin_build(
        "trtllm",
        "runtime",
        "--tensorrtllm-pip-wheel-dir",
        str(wheels),
        env=names.env(),
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    tag = f"{names.image}:latest-trtllm-runtime"
    version = (
        docker_client.containers.run(
            tag,
            ["python3", "-c", "import tensorrt_llm; print(tensorrt_llm.__version__)"],
            remove=True,
            network_mode="none",
        )
        .decode()
        .strip()
    )
    assert version == "1.1.0+wheeldir"
    info = build_info(docker_client, tag)
    assert info["GITHUB_TRTLLM_COMMIT"] == ["0123abcd"] and info["HAS_TRTLLM_CONTEXT"] == ["1"]


def test_user_build_context_reaches_the_build(names: Names, docker_client: Any, tmp_path: Path) -> None:
    family = tmp_path / "family"
    import shutil

    shutil.copytree(PROJECT / "tests/fixtures/container", family)
    dockerfile = family / "Dockerfile"
    text = dockerfile.read_text().replace(
        " AS runtime\n", " AS runtime\nCOPY --from=extra marker.txt /opt/dynamo/marker.txt\n", 1
    )
    dockerfile.write_text(text)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "marker.txt").write_text(names.token)
    r = standin_build(
        "none",
        "runtime",
        "--build-context",
        f"extra={extra}",
        env={**names.env(), "DYNAMO_CONTAINER_DIR": str(family)},
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    out = docker_client.containers.run(
        f"{names.image}:latest-none-runtime",
        ["cat", "/opt/dynamo/marker.txt"],
        remove=True,
        network_mode="none",
    ).decode()
    assert out == names.token
