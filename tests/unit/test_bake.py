"""A plan as a docker buildx bake file: targets chained through named contexts."""

from __future__ import annotations

import json
from pathlib import Path

from dynamo_container.bake import to_bake
from tests.helpers import PROJECT, mplan


def test_bake_file_links_the_chain(repo: Path) -> None:
    m = mplan(repo, framework="vllm,none", target="local-dev", make_efa=True, cache_to=("type=inline",))
    bake = to_bake(m, cache_to=("type=inline",))
    targets = bake["target"]
    assert bake["group"]["default"]["targets"] == ["vllm-cuda12_9-efa", "none-cuda12_8-efa"]
    fw = targets["vllm-cuda12_9-framework"]
    base_tag = m.plans[0].steps[0].tags[0]
    tooling = {"tooling": str(PROJECT / "container")}
    assert fw["contexts"] == {**tooling, base_tag: "target:vllm-cuda12_9-base"}
    assert fw["args"]["DYNAMO_BASE_IMAGE"] == base_tag and fw["cache-to"] == ["type=inline"]
    assert "cache-to" not in targets["vllm-cuda12_9-local-dev"]
    dev_tag = m.plans[0].steps[1].tags[0]
    assert targets["vllm-cuda12_9-local-dev"]["contexts"] == {
        **tooling,
        dev_tag: "target:vllm-cuda12_9-framework",
    }
    assert "none-cuda12_8-base" not in targets  # framework none has no base step
    json.dumps(bake)
