"""Matrix builds on a real engine: two stand-in frameworks in parallel, one forced to fail; receipts; bake."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from dynamo_container.model import catalog
from tests.integration.conftest import STANDIN_CHECKOUT, STANDIN_ENV, Names, invoke, standin_build
from tests.integration.test_build import family_with


def test_one_failing_combination_does_not_hide_the_other(
    names: Names, docker_client: Any, tmp_path: Path
) -> None:
    family = family_with(tmp_path, "Dockerfile.sglang", "runtime", "RUN echo sglang-breaks && exit 5")
    logs = tmp_path / "logs"
    env = {**names.env(), "DYNAMO_CONTAINER_DIR": str(family), "DYNAMO_LOG_DIR": str(logs)}
    r = standin_build(
        "vllm,sglang",
        "runtime",
        "--jobs",
        "2",
        env=env,
    )
    assert r.returncode == 1, r.stdout[-3000:]
    assert "matrix: 2 combinations, 2 at a time" in r.stdout
    summary = r.stdout.split("Matrix summary", 1)[1]
    rows = {line.split()[0]: line for line in summary.splitlines()[2:] if line.strip()}
    assert rows["vllm-cuda12.9"].split()[1] == "built"
    assert " failed at step framework " in rows["sglang-cuda12.9"]
    assert r.stderr.strip() == "error: 1 of 2 combinations failed: sglang-cuda12.9"
    docker_client.images.get(f"{names.image}:latest-vllm-runtime")
    assert "sglang-breaks" in (logs / "sglang-cuda12.9" / "framework.log").read_text()
    ok = json.loads((logs / "receipts" / "vllm-cuda12.9-runtime.json").read_text())
    bad = json.loads((logs / "receipts" / "sglang-cuda12.9-runtime.failed.json").read_text())
    assert ok["status"] == "built" and bad["status"] == "failed at step framework"
    tag = f"{names.image}:latest-vllm-runtime"
    assert ok["images"][tag] == docker_client.images.get(tag).id  # from BuildKit's metadata file
    assert [s["name"] for s in ok["steps"]] == ["base", "framework"]
    assert ok["base_images"] == {
        "dynamo-standin-base:bookworm": docker_client.images.get("dynamo-standin-base:bookworm").id
    }
    diff = invoke(
        "receipts",
        "--diff",
        "vllm-cuda12.9-runtime",
        "--diff",
        "sglang-cuda12.9-runtime.failed",
        "--json",
        env={"DYNAMO_LOG_DIR": str(logs)},
    )
    lines = json.loads(diff.stdout)["differences"]
    assert "framework: vllm -> sglang" in lines and "status: built -> failed at step framework" in lines


def test_single_build_writes_a_receipt(names: Names, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    env = {**names.env(), "DYNAMO_LOG_DIR": str(logs), "HF_TOKEN": "hf_receipt_secret_value"}
    r = invoke("build", "--env-file", STANDIN_ENV, "--framework", "none", "--target", "runtime", env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    path = logs / "receipts" / f"none-cuda{catalog.framework('none').default_cuda}-runtime.json"
    assert f"receipt: {path}" in r.stdout
    text = path.read_text()
    receipt = json.loads(text)
    assert receipt["status"] == "built" and receipt["commit"] and receipt["dirty"] in (True, False)
    assert receipt["plan"]["steps"][0]["secrets"] == ["hf-token"] and "hf_receipt_secret_value" not in text
    assert receipt["steps"][0]["total"] > 0


def test_bake_file_is_accepted_by_buildx(tmp_path: Path, docker_client: Any) -> None:
    bake = tmp_path / "dynamo.bake.json"
    r = invoke(
        "plan",
        "--framework",
        "vllm,sglang,trtllm",
        "--cuda-version",
        "all",
        "--target",
        "local-dev",
        "--make-efa",
        "--bake",
        str(bake),
        "--context",  # the real family's plan of the stand-in checkout (none is found around PROJECT)
        str(STANDIN_CHECKOUT),
    )
    assert r.returncode == 0, r.stderr
    printed = subprocess.run(
        ["docker", "buildx", "bake", "-f", str(bake), "--print"], capture_output=True, text=True, check=False
    )
    assert printed.returncode == 0, printed.stderr
    data = json.loads(printed.stdout)
    assert len(data["target"]) == 5 * 4  # base, framework, local-dev, efa per combination
    assert data["target"]["sglang-cuda13_0-framework"]["target"] == "dev"
