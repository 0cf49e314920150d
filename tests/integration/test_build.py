"""Real builds of the stand-in family through `invoke build`, inspected with docker-py."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.model import catalog
from tests.helpers import PROJECT
from tests.integration.conftest import INVOKE, STANDIN_ENV, Names, build_info, invoke, standin_build

CACHED = re.compile(r"Step (\d+)/(\d+) \S+ done in [0-9.]+s \((\d+)/(\d+) cached\)")


def build(names: Names, *args: str, env: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """Plan (dry run, JSON) then build for real; returns the plan and the build's output."""
    flags = ["--env-file", STANDIN_ENV, *args]
    planned = invoke("build", *flags, "--dry-run", "--json", env={**names.env(), **(env or {})})
    assert planned.returncode == 0, planned.stderr
    result = invoke("build", *flags, env={**names.env(), **(env or {})})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return json.loads(planned.stdout), result.stdout + result.stderr


def run_in(client: Any, image: str, *cmd: str) -> str:
    return client.containers.run(image, list(cmd), remove=True, network_mode="none").decode().strip()


@pytest.mark.parametrize("framework", catalog.FRAMEWORKS)
def test_every_framework_builds_its_runtime_image(names: Names, docker_client: Any, framework: str) -> None:
    plan, output = build(names, "--framework", framework, "--target", "runtime")
    for step in plan["steps"]:
        for tag in step["tags"]:
            docker_client.images.get(tag)  # every planned tag exists
    final = plan["steps"][-1]
    image = docker_client.images.get(final["tags"][0])
    labels = image.labels
    assert labels["org.opencontainers.image.revision"] == plan["commit"]
    assert labels["org.opencontainers.image.version"] == plan["python_version"]
    assert (labels["ai.dynamo.framework"], labels["ai.dynamo.target"]) == (framework, "runtime")
    assert labels["ai.dynamo.cuda-version"] == plan["cuda_version"]
    info = build_info(docker_client, final["tags"][0])
    assert info["STAGE"] == ["runtime"]
    recorded = [k for k in final["build_args"] if k in info]
    assert {"DYNAMO_COMMIT_SHA", "MATRIX_CUDA_VERSION", "BASE_IMAGE", "FRAMEWORK"} <= set(recorded)
    for key in recorded:
        assert final["build_args"][key] in info[key], key
    config = image.attrs["Config"]
    assert config["Entrypoint"] == ["/opt/nvidia/nvidia_entrypoint.sh"] and config["User"] == "dynamo"
    modules = ", ".join(catalog.framework(framework).modules)
    ids = f"import os, {modules}; print(os.getuid(), os.getgid())"
    assert run_in(docker_client, final["tags"][0], "python3", "-c", ids) == "1000 0"
    # umask 002 for login shells only (/etc/profile.d/00-umask.sh), as the real images
    assert run_in(docker_client, final["tags"][0], "bash", "-lc", "umask") == "0002"
    # with the media switches on (every framework but none), FFmpeg reaches the runtime image
    ffmpeg = run_in(
        docker_client, final["tags"][0], "sh", "-c", "ls /usr/local/lib/libav*.so 2>/dev/null || true"
    )
    assert bool(ffmpeg) == catalog.framework(framework).media, ffmpeg
    assert "Summary" in output and final["tags"][0] in output


def test_dev_and_local_dev_with_the_requested_ids(names: Names, docker_client: Any) -> None:
    plan, _ = build(names, "--framework", "vllm", "--target", "local-dev", "--uid", "4242", "--gid", "4343")
    dev_tag, local_tag = plan["steps"][1]["tags"][0], plan["steps"][2]["tags"][0]
    assert local_tag == dev_tag.removesuffix("-dev") + "-local-dev"  # build.sh's suffix chain
    assert docker_client.images.get(dev_tag).labels["ai.dynamo.target"] == "dev"
    assert run_in(docker_client, local_tag, "sh", "-c", "id -u; id -g; id -un") == "4242\n4343\ndynamo"


def test_second_build_is_fully_cached(names: Names) -> None:
    build(names, "--framework", "sglang", "--target", "runtime")
    _, output = build(names, "--framework", "sglang", "--target", "runtime", "--force")  # docker runs
    steps = CACHED.findall(output)
    assert len(steps) == 2
    for _, _, cached, total in steps:
        assert int(total) > 0 and cached == total, output
    _, output = build(names, "--framework", "sglang", "--target", "runtime")  # nothing changed: skipped
    assert output.count(" up to date: nothing changed since it built ") == 2 and not CACHED.findall(output)


def family_with(tmp_path: Path, dockerfile: str, stage: str, instruction: str) -> Path:
    """A copy of the stand-in family with `instruction` added at the start of `stage`."""
    family = tmp_path / "family"
    shutil.copytree(PROJECT / "tests/fixtures/container", family)
    path = family / dockerfile
    text = path.read_text()
    head, sep, rest = text.partition(f" AS {stage}\n")
    assert sep, f"no stage {stage} in {dockerfile}"
    path.write_text(head + sep + instruction + "\n" + rest)
    return family


def test_a_failing_run_names_step_stage_and_instruction(names: Names, tmp_path: Path) -> None:
    family = family_with(tmp_path, "Dockerfile.vllm", "runtime", "RUN echo about to fail && exit 3")
    logs = tmp_path / "logs"
    env = {**names.env(), "DYNAMO_CONTAINER_DIR": str(family), "DYNAMO_LOG_DIR": str(logs)}
    r = invoke("build", "--env-file", STANDIN_ENV, "--framework", "vllm", "--target", "runtime", env=env)
    assert r.returncode == 1  # docker's own exit code for a failed build
    assert "error: step 2/2 (framework: vllm image" in r.stderr
    assert "stage runtime, instruction RUN echo about to fail && exit 3" in r.stderr
    assert "Dockerfile.vllm:" in r.stderr
    log = logs / "vllm-cuda12.9" / "framework.log"  # each combination logs into a folder of its own
    assert f"last lines of {log}" in r.stderr
    assert "about to fail" in log.read_text()
    assert "Traceback" not in r.stderr
    # the failure has a receipt of its own; a good build's receipt would stay where it was
    assert (logs / "receipts" / "vllm-cuda12.9-runtime.failed.json").is_file()
    assert not (logs / "receipts" / "vllm-cuda12.9-runtime.json").exists()


def test_push_lands_in_the_registry_and_pulls_back(names: Names, docker_client: Any, registry: str) -> None:
    ref = f"127.0.0.1:5000/{names.image}:pushed"
    names.extra.append(f"127.0.0.1:5000/{names.image}")
    plan, _ = build(names, "--framework", "none", "--target", "runtime", "--tag", ref, "--push")
    assert [s["argv"][-1] for s in plan["steps"] if s["name"] == "push"] == [ref]
    docker_client.images.remove(ref, force=True)
    pulled = docker_client.images.pull(f"127.0.0.1:5000/{names.image}", tag="pushed")
    assert pulled.labels["ai.dynamo.framework"] == "none"


def test_ctrl_c_stops_the_build_and_exits_130(names: Names, tmp_path: Path, docker_client: Any) -> None:
    family = family_with(tmp_path, "Dockerfile.vllm", "runtime", f"RUN echo slow-{names.token} && sleep 120")
    env = {**names.env(), "DYNAMO_CONTAINER_DIR": str(family), "DYNAMO_LOG_DIR": str(tmp_path / "logs")}
    import os

    proc = subprocess.Popen(
        [INVOKE, "build", "--env-file", STANDIN_ENV, "--framework", "vllm", "--target", "runtime"],
        cwd=PROJECT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if f"slow-{names.token}" in line and "#" in line and "0." in line:
            break
        assert time.monotonic() < deadline, "the slow step never started"
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted: step 2/2 (framework) was stopped" in err
    left = subprocess.run(["pgrep", "-f", f"dyntest-{names.token}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "a docker process of the build is still running"
    assert not [c for c in docker_client.containers.list() if names.token in str(c.attrs)]
    with pytest.raises(Exception):  # noqa: B017 - docker-py's ImageNotFound
        docker_client.images.get(f"{names.image}:latest-vllm-runtime")


def test_unreachable_engine_is_one_line_before_any_step() -> None:
    # vllm: the stand-in profile's --runtime-image warns for framework none, which builds on its base
    r = standin_build(
        "vllm",
        "runtime",
        env={"DOCKER_HOST": "tcp://127.0.0.1:9"},
    )
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "error: cannot reach the Docker engine at tcp://127.0.0.1:9 "
        "(start one with scripts/engine-up, or point DOCKER_HOST at a running engine)"
    ]
    assert "Step 1/" not in r.stdout


def test_named_builder_and_legacy_frontend(names: Names, docker_client: Any) -> None:
    plan, _ = build(names, "--framework", "none", "--target", "runtime", "--builder", "default")
    assert plan["steps"][0]["argv"][3:6] == ["--builder", "default", "--load"]
    legacy, _ = build(names, "--framework", "none", "--target", "dev", env={"DYNAMO_BUILD_FRONTEND": "build"})
    assert legacy["steps"][0]["argv"][:2] == ["docker", "build"]
    # build.sh: the latest tag of the dev image is latest-<framework>
    assert docker_client.images.get(f"{names.image}:latest-none").labels["ai.dynamo.target"] == "dev"
    r = invoke(
        "build", "--env-file", STANDIN_ENV, "--builder", "no-such-builder", "--dry-run", env=names.env()
    )
    assert r.returncode == 1 and "no buildx builder named no-such-builder" in r.stderr


def test_inline_cache_travels_with_the_pushed_image(names: Names, docker_client: Any, registry: str) -> None:
    import urllib.request

    names.extra.append(f"127.0.0.1:5000/{names.image}")
    build(
        names,
        "--framework",
        "none",
        "--target",
        "runtime",
        "--registry",
        "127.0.0.1:5000",
        "--cache-to",
        "type=inline",
        "--push",
    )
    # BuildKit's inline cache lives in the image config in the registry, where --cache-from finds it
    accept = {"Accept": "application/vnd.docker.distribution.manifest.v2+json"}
    base = f"http://127.0.0.1:5000/v2/{names.image}"
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/manifests/latest-none-runtime", headers=accept)
    ) as r:
        digest = json.load(r)["config"]["digest"]
    with urllib.request.urlopen(f"{base}/blobs/{digest}") as r:
        config = json.load(r)
    assert "moby.buildkit.cache.v0" in config
    # and a build that reads it back says so
    _, output = build(
        names,
        "--framework",
        "none",
        "--target",
        "runtime",
        "--registry",
        "127.0.0.1:5000",
        "--cache-from",
        f"type=registry,ref=127.0.0.1:5000/{names.image}:latest-none-runtime",
    )
    assert "importing cache manifest from 127.0.0.1:5000/" in output


@pytest.mark.parametrize("framework", catalog.FRAMEWORKS)
def test_every_target_of_every_framework_builds(names: Names, docker_client: Any, framework: str) -> None:
    # base, dev, local-dev and the EFA layer in one pipeline
    plan, _ = build(names, "--framework", framework, "--target", "local-dev", "--make-efa", "--uid", "2345")
    assert [s["name"] for s in plan["steps"]][-2:] == ["local-dev", "efa"]
    # the EFA layer of a local-dev image returns to the (remapped) dynamo user, as on a runtime image
    assert plan["steps"][-1]["target"] == "runtime-aws"
    efa = plan["steps"][-1]["tags"][0]
    labels = docker_client.images.get(efa).labels
    assert labels["ai.dynamo.target"] == "runtime-aws" and labels["ai.dynamo.framework"] == framework
    assert run_in(docker_client, efa, "sh", "-c", "cat /opt/amazon/efa/VERSION; id -u") == (
        f"{catalog.EFA_VERSION}\n2345"
    )
    stages = build_info(docker_client, efa)["STAGE"]
    assert stages[-3:] == ["dev", "local-dev", "runtime-aws"], stages
    targets = ["framework"] if "framework" in catalog.framework(framework).stages else []
    if framework == "vllm":
        targets += list(catalog.BASE_ONLY_TARGETS)
    for target in targets:
        plan, _ = build(names, "--framework", framework, "--target", target)
        assert plan["steps"][-1]["target"] == target
        for tag in plan["steps"][-1]["tags"]:
            docker_client.images.get(tag)
