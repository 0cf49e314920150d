"""Extra Docker engines for the scale-out tests: scripts/engine-b-up beside the main engine, always stopped.

Each engine has its own socket, data root and containerd, no iptables, masquerading or forwarding;
`engines` starts them, loads the stand-in base image into each from the main engine (`docker save |
docker load`, never a rebuild) and runs scripts/engine-b-down for each when the tests end, also
when they fail or the start of one of them did.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.helpers import PROJECT

UP, DOWN = PROJECT / "scripts/engine-b-up", PROJECT / "scripts/engine-b-down"


@dataclass(frozen=True)
class Engine:
    name: str
    host: str  # unix:///run/dynamo-engine-<name>/docker.sock

    def docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "-H", self.host, *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs a second engine for the scale-out tests: {reason}", pytrace=False)
    pytest.skip(reason)


def _start(name: str, *flags: str) -> Engine:
    r = subprocess.run([str(UP), "--name", name, *flags], capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        raise RuntimeError(f"scripts/engine-b-up --name {name} failed:\n{r.stderr[-2000:]}")
    host = r.stdout.strip().splitlines()[-1].removeprefix("DOCKER_HOST=")
    return Engine(name, host)


def _load_base(engine: Engine, image: str) -> None:
    save = subprocess.Popen(
        ["docker", "-H", "unix:///var/run/docker.sock", "save", image], stdout=subprocess.PIPE
    )
    load = subprocess.run(
        ["docker", "-H", engine.host, "load", "-q"],
        stdin=save.stdout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    save.wait(timeout=60)
    if save.returncode != 0 or load.returncode != 0:
        raise RuntimeError(f"could not load {image} into engine {engine.name}: {load.stderr}")


@contextmanager
def engines(specs: dict[str, tuple[str, ...]], base_image: str) -> Iterator[dict[str, Engine]]:
    """role -> a fresh engine started with those engine-b-up flags; every one stopped at the end."""
    if os.geteuid() != 0:
        _unavailable("a second dockerd needs root")
    if shutil.which("dockerd") is None:
        _unavailable("no dockerd on PATH; run scripts/engine-up")
    token = uuid.uuid4().hex[:6]
    started: list[str] = []
    try:
        out: dict[str, Engine] = {}
        for i, (role, flags) in enumerate(specs.items()):
            name = f"t{i}{token}"
            started.append(name)
            out[role] = _start(name, *flags)
            _load_base(out[role], base_image)
        yield out
    finally:
        for name in started:
            subprocess.run(
                [str(DOWN), "--name", name], capture_output=True, text=True, timeout=180, check=False
            )
