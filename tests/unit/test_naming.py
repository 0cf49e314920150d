"""Image names and tags (naming.py): the one tag scheme build, run and smoke share."""

from __future__ import annotations

import pytest

from dynamo_container.naming import (
    Names,
    base_tag,
    image_tags,
    latest_image,
    names_registry,
    split_ref,
    suggest_build,
    with_suffix,
)

NAMES = Names()


def test_refs() -> None:
    assert split_ref("reg:5000/img:tag") == ("reg:5000/img", "tag")
    assert split_ref("reg:5000/img") == ("reg:5000/img", "")
    assert split_ref("img@sha256:abc") == ("img", "")
    assert with_suffix("img", "-efa") == "img:latest-efa" and with_suffix("a:1", "-efa") == "a:1-efa"
    assert names_registry("reg.example/x") and names_registry("localhost/x") and names_registry("h:5000/x")
    assert not names_registry("team/x") and not names_registry("x")


def test_framework_tags_carry_the_target_and_a_non_default_cuda() -> None:
    assert image_tags(NAMES, "v1", "vllm", "12.9", "runtime") == [
        "dynamo:v1-vllm-runtime",
        "dynamo:latest-vllm-runtime",
    ]
    assert image_tags(NAMES, "v1", "vllm", "13.0", "") == [
        "dynamo:v1-vllm-cuda13.0",
        "dynamo:latest-vllm-cuda13.0",
    ]
    assert base_tag(NAMES, "v1", "sglang", "13.0") == "dynamo-base:v1-sglang-cuda13.0"
    assert base_tag(NAMES, "v1", "vllm", "12.9", "wheel_builder") == "dynamo-base:v1-vllm-wheel-builder"
    named = Names(registry="reg.example:5000/team/", tag="my/img:v1-local-dev", no_tag_latest=True)
    assert image_tags(named, "v1", "vllm", "12.9", "local-dev") == ["my/img:v1"]


@pytest.mark.parametrize(
    ("framework", "cuda", "target", "image"),
    [
        ("vllm", "12.9", "runtime", "dynamo:latest-vllm-runtime"),
        ("vllm", "13.0", "runtime", "dynamo:latest-vllm-cuda13.0-runtime"),
        ("sglang", "12.9", "", "dynamo:latest-sglang"),
        ("vllm", "12.9", "local-dev", "dynamo:latest-vllm-local-dev"),
    ],
)
def test_latest_image_is_what_a_build_tags(framework: str, cuda: str, target: str, image: str) -> None:
    assert latest_image(NAMES, framework, cuda, target) == image
    if target != "local-dev":
        assert image in image_tags(NAMES, "v1", framework, cuda, target)


def test_suggest_build() -> None:
    assert suggest_build(NAMES, "dynamo:latest-sglang-runtime") == (
        "build it: invoke build --framework sglang --target runtime"
    )
    assert suggest_build(NAMES, "dynamo:latest-vllm-cuda13.0-runtime") == (
        "build it: invoke build --framework vllm --cuda-version 13.0 --target runtime"
    )
    assert suggest_build(NAMES, "dynamo:latest-none") == "build it: invoke build --framework none"
    assert suggest_build(NAMES, "other/img:1").startswith("pull it (docker pull other/img:1)")


def test_ref_helpers() -> None:
    assert split_ref("reg:5000/a/b:t") == ("reg:5000/a/b", "t")
    assert split_ref("reg:5000/a/b") == ("reg:5000/a/b", "")
    assert split_ref("a@sha256:00") == ("a", "")
    assert with_suffix("a", "-efa") == "a:latest-efa"
    assert with_suffix("a:1", "-efa") == "a:1-efa"
