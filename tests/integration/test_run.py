"""`invoke run` on a real engine with a stand-in runtime image."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECT
from tests.integration.conftest import STANDIN_ENV, Names, invoke, remove_images


@pytest.fixture(scope="module")
def image(docker_client: Any) -> Iterator[str]:
    """A stand-in runtime image (framework none), built once for this module and removed after."""
    token = uuid.uuid4().hex[:8]
    names = Names(token, f"dyntest-{token}", f"dyntest-{token}-base")
    r = invoke(
        "build", "--env-file", STANDIN_ENV, "--framework", "none", "--target", "runtime", env=names.env()
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    try:
        yield f"{names.image}:latest-none-runtime"
    finally:
        remove_images(docker_client, [names.image, names.base])


def run(image: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    kwargs = {"cwd": cwd} if cwd else {}
    return invoke("run", "--env-file", STANDIN_ENV, "--image", image, *args, env=env, **kwargs)


def test_command_output_and_exit_code_propagate(image: str) -> None:
    r = run(image, "--", "sh", "-c", "echo 'hello from inside'; exit 7")
    assert r.returncode == 7
    assert "hello from inside" in r.stdout
    assert r.stderr.startswith("docker run \\")  # the command is echoed before it runs


def test_env_variable_is_visible(image: str) -> None:
    r = run(image, "-e", "GREETING=hi there", "--", "sh", "-c", 'echo "[$GREETING]"')
    assert r.returncode == 0 and "[hi there]" in r.stdout


def test_secret_passes_by_name_from_an_env_file(image: str, tmp_path: Path) -> None:
    secret = f"hf_{uuid.uuid4().hex}"
    env_file = tmp_path / "s.env"
    env_file.write_text((PROJECT / STANDIN_ENV).read_text() + f"HF_TOKEN={secret}\n")
    r = invoke(
        "run",
        "--env-file",
        str(env_file),
        "--image",
        image,
        "-e",
        "HF_TOKEN",
        "--",
        "sh",
        "-c",
        'printf %s "$HF_TOKEN" | sha256sum',
    )
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(secret.encode()).hexdigest() in r.stdout  # the container got the value
    assert "-e HF_TOKEN" in r.stderr and secret not in r.stdout + r.stderr  # by name only


def test_user_host_writes_files_the_host_user_owns(image: str, tmp_path: Path) -> None:
    out = tmp_path / "ws"
    out.mkdir()
    out.chmod(0o777)
    r = run(image, "-v", f"{out}:/out", "--user", "host", "--", "sh", "-c", "touch /out/by-host; id -u")
    assert r.returncode == 0, r.stderr
    assert (out / "by-host").stat().st_uid == os.getuid()
    r = run(image, "-v", f"{out}:/out", "--", "touch", "/out/by-image-user")
    assert r.returncode == 0, r.stderr
    assert (out / "by-image-user").stat().st_uid == 1000  # without --user: the image's dynamo user


def test_rm_leaves_no_container_and_no_rm_keeps_it(image: str, docker_client: Any) -> None:
    name = f"dyntest-run-{uuid.uuid4().hex[:8]}"
    assert run(image, "--name", name, "--", "true").returncode == 0
    assert docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}) == []
    try:
        assert run(image, "--name", name, "--no-rm", "--", "true").returncode == 0
        assert len(docker_client.containers.list(all=True, filters={"name": f"^/{name}$"})) == 1
        r = run(image, "--name", name, "--", "true")
        assert r.returncode == 1
        assert r.stderr.strip() == (
            f"error: container name {name} is already in use "
            f"(remove it (docker rm -f {name}) or pick another --name)"
        )
    finally:
        for c in docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}):
            c.remove(force=True)


def test_missing_image_suggests_the_build(docker_client: Any) -> None:
    r = invoke(
        "run",
        "--framework",
        "sglang",
        "--target",
        "runtime",
        "--image-name",
        "dyntest-absent",
        "--gpus",
        "none",
    )
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "error: image dyntest-absent:latest-sglang-runtime is not present on this engine "
        "(build it: invoke build --framework sglang --target runtime)"
    )


def test_gpus_without_nvidia_runtime(image: str, docker_client: Any) -> None:
    if "nvidia" in docker_client.info().get("Runtimes", {}):
        pytest.skip("this engine has the NVIDIA runtime")
    r = run(image, "--gpus", "all", "--", "true")
    assert r.returncode == 1
    assert "--gpus all needs the NVIDIA container runtime" in r.stderr and "--gpus none" in r.stderr


def test_ulimits_the_engine_cannot_grant(image: str) -> None:
    from dynamo_container.docker.engine import local_engine_limits

    limits = local_engine_limits("unix:///var/run/docker.sock")
    if limits.get("memlock", -1) == -1:
        pytest.skip("this engine may grant unlimited locked memory")
    r = run(image, "--ulimit", "memlock=-1", "--", "true")
    assert r.returncode == 1
    assert r.stderr.startswith(
        f"error: this engine cannot grant --ulimit memlock=-1 (the engine's hard limit is "
        f"{limits['memlock']})"
    )


def test_ctrl_c_stops_and_removes_the_container(image: str, docker_client: Any) -> None:
    import signal
    import subprocess
    import time

    from tests.integration.conftest import INVOKE

    name = f"dyntest-run-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    argv = [INVOKE, "run", "--env-file", STANDIN_ENV, "--image", image, "--gpus", "none", "--name", name]
    proc = subprocess.Popen(
        [*argv, "--", "sleep", "300"], cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not docker_client.containers.list(filters={"name": f"^/{name}$"}):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)  # to invoke alone, as a supervisor would; not its process group
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert b"interrupted: the container exited" in err
        assert docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        for c in docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}):
            c.remove(force=True)
