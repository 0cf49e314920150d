"""plan/summary.py: the configuration summary printed before a build, one row per fact."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.plan.model import Secret
from dynamo_container.plan.summary import summary
from tests.helpers import request


def rows(repo: Path, secrets: tuple[Secret, ...] = (), **flags: object) -> dict[str, str]:
    return dict(summary(request(repo, **flags), secrets, ("dynamo:a", "dynamo:b")))


def test_a_default_build_names_framework_platform_images_and_the_final_tags(repo: Path) -> None:
    r = rows(repo, framework="sglang")
    assert r["framework"].startswith("sglang (CUDA ")
    assert r["platform"] == "linux/amd64 (amd64/x86_64)"
    assert r["target"] == "dev (no tag suffix)"
    assert r["sccache"] == "off"
    assert r["image"] == "dynamo:a  dynamo:b"
    assert "cache" not in r and "secrets" not in r and "tensorrt-llm" not in r


def test_cache_secrets_and_sccache_get_rows_when_asked_for(repo: Path) -> None:
    r = rows(
        repo,
        (Secret("hf-token", "HF_TOKEN"),),
        cache_from="type=local,src=/c",
        no_cache=True,
        use_sccache=True,
        sccache_bucket="b",
        sccache_region="r",
    )
    assert r["cache"] == "from=['type=local,src=/c'] to=[] no-cache"
    assert r["secrets"] == "hf-token"
    assert r["sccache"] == "s3://b (r)"


def test_features_list_every_switch_and_efa(repo: Path) -> None:
    r = rows(repo, framework="sglang", target="runtime", enable_kvbm=True, make_efa=True)
    assert r["features"].startswith("kvbm=true gpu-memory-service=")
    assert r["features"].endswith(" efa")
    assert r["target"] == "runtime"
