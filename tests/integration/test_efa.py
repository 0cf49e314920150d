"""`invoke efa` on a real stand-in image (stand-in Dockerfile.aws)."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import STANDIN_ENV, Names, build_info, invoke


def test_efa_layer_on_an_existing_runtime_image(names: Names, docker_client: Any) -> None:
    built = invoke(
        "build", "--env-file", STANDIN_ENV, "--framework", "vllm", "--target", "runtime", env=names.env()
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr
    image = f"{names.image}:latest-vllm-runtime"
    r = invoke("efa", "--env-file", STANDIN_ENV, "--image", image, "--efa-version", "9.9.9", env=names.env())
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    efa = docker_client.images.get(f"{image}-aws")
    assert efa.labels["ai.dynamo.target"] == "runtime-aws"
    assert efa.labels["ai.dynamo.framework"] == "vllm"  # the labels of the image below stay
    config = efa.attrs["Config"]
    assert config["User"] == "dynamo" and config["Entrypoint"] == ["/opt/nvidia/nvidia_entrypoint.sh"]
    assert "EFA_VERSION=9.9.9" in config["Env"]
    out = docker_client.containers.run(
        f"{image}-aws", ["sh", "-c", "cat /opt/amazon/efa/VERSION; id -un"], remove=True, network_mode="none"
    )
    assert out.decode().split() == ["9.9.9", "dynamo"]
    info = build_info(docker_client, f"{image}-aws")
    assert info["STAGE"] == ["runtime", "runtime-aws"]
    assert info["BASE_IMAGE"][-1] == image and info["EFA_VERSION"] == ["9.9.9"]


def test_efa_refuses_a_missing_image(names: Names) -> None:
    r = invoke(
        "efa", "--env-file", STANDIN_ENV, "--image", f"{names.image}:latest-sglang-dev", env=names.env()
    )
    assert r.returncode == 1
    assert r.stderr.strip() == (
        f"error: image {names.image}:latest-sglang-dev is not present on this engine "
        f"(no build tags {names.image}:latest-sglang-dev: a dev build (invoke build --framework sglang) "
        f"tags {names.image}:latest-sglang)"
    )
