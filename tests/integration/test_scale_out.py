"""Two engines, one registry cache: what one CI runner built, an empty second one reuses.

Engine "a" keeps its images in containerd, so its built-in BuildKit exports a registry cache (the
main engine's docker driver exports only inline cache, and it is not ours to reconfigure), and has a
bridge network of its own (bake 0.13 has no network key: its RUN steps use the bridge); engine "b"
is a plain, empty engine that only reads. Both are extra engines of scripts/engine-b-up on this
machine, stopped and removed after the module, and reach the registry on 127.0.0.1:5000.
"""

from __future__ import annotations

import json
import random
import re
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import STANDIN_BASE, standin_build
from tests.integration.engines import Engine, engines

pytestmark = pytest.mark.usefixtures("docker_client", "registry")


@pytest.fixture(scope="module")
def pair(docker_client: Any) -> Iterator[dict[str, Engine]]:
    subnet = f"10.231.{random.randrange(250)}.1/24"  # a bridge of its own (engine-up: 10.231.255)
    with engines({"a": ("--containerd-store", "--bridge", subnet), "b": ()}, STANDIN_BASE) as started:
        yield started


def _receipt(logs: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((logs / "receipts" / "vllm-cuda12.9-runtime.json").read_text())
    return data


def _tags(repo: str) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:5000/v2/{repo}/tags/list", timeout=10) as r:
        tags: list[str] = json.load(r)["tags"]
    return tags


def test_an_empty_engine_reuses_the_registry_cache_of_another(
    pair: dict[str, Engine], tmp_path: Path
) -> None:
    ns = f"dyntest-{uuid.uuid4().hex[:8]}"
    cache = f"127.0.0.1:5000/{ns}/cache"
    names = ["--registry", f"127.0.0.1:5000/{ns}"]
    a, b = pair["a"], pair["b"]
    assert b.docker("buildx", "du").stdout.strip().splitlines()[-1].split()[-1] in ("0B", "0")  # empty
    first = standin_build(
        "vllm",
        "runtime",
        *names,
        "--cache-to",
        f"type=registry,ref={cache},mode=max",
        "--log-dir",
        str(tmp_path / "a"),
        env={"DOCKER_HOST": a.host},
    )
    assert first.returncode == 0, first.stderr[-3000:]
    # each step exported to its own tag of the one cache repository
    assert sorted(_tags(f"{ns}/cache")) == [
        "cache-vllm-cuda12.9-base",
        "cache-vllm-cuda12.9-framework-runtime",
    ]
    cold = {s["name"]: (s["cached"], s["total"]) for s in _receipt(tmp_path / "a")["steps"]}
    assert all(cached < total for cached, total in cold.values()), cold  # engine a built them

    second = standin_build(
        "vllm",
        "runtime",
        *names,
        "--cache-from",
        f"type=registry,ref={cache}",
        "--log-dir",
        str(tmp_path / "b"),
        env={"DOCKER_HOST": b.host},
    )
    assert second.returncode == 0, second.stderr[-3000:]
    warm = {s["name"]: (s["cached"], s["total"]) for s in _receipt(tmp_path / "b")["steps"]}
    # BuildKit on engine b counted every step CACHED, from the cache engine a exported
    assert set(warm) == {"base", "framework"} and all(c == t and t > 10 for c, t in warm.values()), warm
    for step, tag in (("base", "base"), ("framework", "framework-runtime")):
        log = (tmp_path / "b" / "vllm-cuda12.9" / f"{step}.log").read_text()
        assert f"importing cache manifest from {cache}:cache-vllm-cuda12.9-{tag}" in log


def test_images_pushed_by_one_engine_run_on_the_other(pair: dict[str, Engine], tmp_path: Path) -> None:
    ns = f"dyntest-{uuid.uuid4().hex[:8]}"
    a, b = pair["a"], pair["b"]
    built = standin_build(
        "vllm",
        "runtime",
        "--registry",
        f"127.0.0.1:5000/{ns}",
        "--push",
        "--log-dir",
        str(tmp_path / "a"),
        env={"DOCKER_HOST": a.host},
    )
    assert built.returncode == 0, built.stderr[-3000:]
    tags = _receipt(tmp_path / "a")["steps"][-1]["tags"]
    assert tags and all(t.startswith(f"127.0.0.1:5000/{ns}/") for t in tags)
    assert b.docker("image", "inspect", tags[0]).returncode != 0  # not on engine b yet
    pulled = b.docker("pull", "-q", tags[0])
    assert pulled.returncode == 0, pulled.stderr
    ran = b.docker(
        "run", "--rm", "--network", "none", "--entrypoint", "cat", tags[0], "/opt/dynamo/build-info.env"
    )
    assert ran.returncode == 0 and "FRAMEWORK=vllm" in ran.stdout, ran.stderr


def test_another_engines_built_in_builder_is_refused_before_anything_runs(
    pair: dict[str, Engine], tmp_path: Path
) -> None:
    # buildx 0.13 cannot --builder another engine's docker driver; the tool says how to build there
    config = tmp_path / "docker-config"  # a CLI configuration of our own: the machine's is left alone
    config.mkdir()
    a, b = pair["a"], pair["b"]
    env = {"DOCKER_CONFIG": str(config), "DOCKER_HOST": b.host}
    made = a.docker("--config", str(config), "context", "create", "engine-a", "--docker", f"host={a.host}")
    assert made.returncode == 0, made.stderr
    r = standin_build(
        "vllm",
        "runtime",
        "--builder",
        "engine-a",
        "--registry",
        "127.0.0.1:5000/dyntest-x",
        "--push",
        env=env,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"builder engine-a is the built-in BuildKit of another engine ({a.host})" in r.stderr
    assert f"set DOCKER_HOST={a.host}" in r.stderr
    assert "docker buildx build" not in r.stdout  # nothing ran


def test_the_exported_bake_file_builds_with_its_step_caches(pair: dict[str, Engine], tmp_path: Path) -> None:
    from tests.integration.conftest import STANDIN_ENV, invoke

    ns = f"dyntest-{uuid.uuid4().hex[:8]}"
    cache, bake = f"127.0.0.1:5000/{ns}/cache", tmp_path / "dynamo.bake.json"
    a = pair["a"]
    flags = ["--env-file", STANDIN_ENV, "--framework", "vllm,sglang", "--target", "runtime"]
    flags += ["--registry", f"127.0.0.1:5000/{ns}", "--cache-to", f"type=registry,ref={cache},mode=max"]
    made = invoke("plan", *flags, "--bake", str(bake), env={"DOCKER_HOST": a.host})
    assert made.returncode == 0, made.stderr
    targets = json.loads(bake.read_text())["target"]
    assert (
        targets["vllm-cuda12_9-framework"]["contexts"][targets["vllm-cuda12_9-base"]["tags"][0]]
        == "target:vllm-cuda12_9-base"
    )
    built = a.docker("buildx", "bake", "-f", str(bake), "--progress=plain")
    assert built.returncode == 0, built.stderr[-3000:]
    # every final tag is in engine a, every target exported its own cache tag
    finals = [
        t for name in ("vllm-cuda12_9-framework", "sglang-cuda12_9-framework") for t in targets[name]["tags"]
    ]
    assert all(a.docker("image", "inspect", t).returncode == 0 for t in finals)
    assert sorted(_tags(f"{ns}/cache")) == sorted(
        f"cache-{fw}-cuda12.9-{step}" for fw in ("vllm", "sglang") for step in ("base", "framework-runtime")
    )


def test_the_bake_executor_builds_a_matrix_in_one_solve(pair: dict[str, Engine], tmp_path: Path) -> None:
    ns = f"dyntest-{uuid.uuid4().hex[:8]}"
    a = pair["a"]
    from tests.integration.conftest import STANDIN_ENV, invoke

    flags = ["--env-file", STANDIN_ENV, "--framework", "vllm,sglang", "--target", "runtime"]
    flags += ["--executor", "bake", "--log-dir", str(tmp_path / "logs"), "--registry", f"127.0.0.1:5000/{ns}"]
    r = invoke("build", *flags, env={"DOCKER_HOST": a.host})
    assert r.returncode == 0, r.stderr[-3000:]
    assert "docker buildx bake" in r.stdout
    assert re.search(r"^Step 1/1 \S+ done in [0-9.]+s", r.stdout, re.MULTILINE), r.stdout[-3000:]
    written = json.loads((tmp_path / "logs" / "dynamo.bake.json").read_text())
    finals = [
        t for g in ("vllm-cuda12_9", "sglang-cuda12_9") for t in written["target"][f"{g}-framework"]["tags"]
    ]
    assert len(finals) == 4 and all(a.docker("image", "inspect", t).returncode == 0 for t in finals)
    assert "no network key" in r.stderr  # the stand-in profile's --network host does not travel


def test_the_bake_executor_is_refused_on_an_engine_without_a_bridge(
    pair: dict[str, Engine], tmp_path: Path
) -> None:
    from tests.integration.conftest import STANDIN_ENV, invoke

    logs = tmp_path / "logs"
    flags = ["--env-file", STANDIN_ENV, "--framework", "vllm", "--target", "runtime", "--executor", "bake"]
    r = invoke("build", *flags, "--log-dir", str(logs), env={"DOCKER_HOST": pair["b"].host})
    assert r.returncode == 1 and "the engine has no bridge network" in r.stderr, r.stderr
    assert not (logs / "dynamo.bake.json").exists() and "docker buildx bake" not in r.stdout
