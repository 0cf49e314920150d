"""Image names and tags (naming.py): the one tag scheme build, run and smoke share."""

from __future__ import annotations

import pytest

from dynamo_container.model.naming import (
    Names,
    base_tag,
    efa_tag,
    image_tags,
    latest_image,
    local_dev_tag,
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
        "dynamo:v1-vllm-cuda13.0-dev",
        "dynamo:latest-vllm-cuda13.0",
    ]
    assert base_tag(NAMES, "v1", "sglang", "13.0") == "dynamo-base:v1-sglang-cuda13.0"
    assert base_tag(NAMES, "v1", "vllm", "12.9", "wheel_builder") == "dynamo-base:v1-vllm-wheel-builder"
    named = Names(registry="reg.example:5000/team/", tag="my/img:v1-local-dev", no_tag_latest=True)
    assert image_tags(named, "v1", "vllm", "12.9", "local-dev") == ["my/img:v1-local-dev"]


# build.sh (3b9b3f31c): no target and dev build the dev image, tagged <version>-<fw>-dev and
# latest-<fw>; a custom --tag of a dev or local-dev build goes through the suffix chain.
@pytest.mark.parametrize(
    ("tag", "target", "expected"),
    [
        ("", "", ["dynamo:v1-vllm-dev", "dynamo:latest-vllm"]),
        ("", "dev", ["dynamo:v1-vllm-dev", "dynamo:latest-vllm"]),
        ("", "local-dev", ["dynamo:v1-vllm-local-dev", "dynamo:latest-vllm-local-dev"]),
        ("", "frontend", ["dynamo:v1-vllm-frontend", "dynamo:latest-vllm-frontend"]),
        ("my/img:1", "", ["my/img:1-dev", "dynamo:latest-vllm"]),
        ("my/img:1-runtime", "dev", ["my/img:1-dev", "dynamo:latest-vllm"]),
        ("my/img:1-dev", "local-dev", ["my/img:1-local-dev", "dynamo:latest-vllm-local-dev"]),
        ("my/img:1-local-dev", "dev", ["my/img:1-dev", "dynamo:latest-vllm"]),
        ("my/img:1-dev", "runtime", ["my/img:1-dev", "dynamo:latest-vllm-runtime"]),
        ("my/img", "dev", ["my/img-dev", "dynamo:latest-vllm"]),
    ],
)
def test_dev_tags_follow_the_suffix_chain(tag: str, target: str, expected: list[str]) -> None:
    assert image_tags(Names(tag=tag), "v1", "vllm", "12.9", target) == expected


@pytest.mark.parametrize(
    ("dev", "local_dev"),
    [
        ("dynamo:v1-vllm-dev", "dynamo:v1-vllm-local-dev"),
        ("dynamo:latest-vllm", "dynamo:latest-vllm-local-dev"),
        ("my/img:1-runtime", "my/img:1-local-dev"),
        ("my/img", "my/img:latest-local-dev"),
    ],
)
def test_local_dev_tag_of_a_dev_image(dev: str, local_dev: str) -> None:
    assert local_dev_tag(dev) == local_dev


def test_efa_tags_end_in_aws() -> None:
    assert efa_tag("dynamo:latest-vllm") == "dynamo:latest-vllm-aws"
    assert efa_tag("dynamo:v1-vllm-runtime") == "dynamo:v1-vllm-runtime-aws"
    assert efa_tag("img") == "img:latest-aws"


@pytest.mark.parametrize(
    ("framework", "cuda", "target", "image"),
    [
        ("vllm", "12.9", "runtime", "dynamo:latest-vllm-runtime"),
        ("vllm", "13.0", "runtime", "dynamo:latest-vllm-cuda13.0-runtime"),
        ("sglang", "12.9", "", "dynamo:latest-sglang"),
        ("vllm", "12.9", "local-dev", "dynamo:latest-vllm-local-dev"),
        # run.sh would run dynamo:latest-vllm-dev, which build.sh never tags: the dev image's is latest-vllm
        ("vllm", "12.9", "dev", "dynamo:latest-vllm"),
    ],
)
def test_latest_image_is_what_a_build_tags(framework: str, cuda: str, target: str, image: str) -> None:
    assert latest_image(NAMES, framework, cuda, target) == image
    assert image in image_tags(NAMES, "v1", framework, cuda, target)


def test_suggest_build() -> None:
    assert suggest_build(NAMES, "dynamo:latest-sglang-runtime") == (
        "build it: invoke build --framework sglang --target runtime"
    )
    assert suggest_build(NAMES, "dynamo:latest-vllm-cuda13.0-runtime") == (
        "build it: invoke build --framework vllm --cuda-version 13.0 --target runtime"
    )
    assert suggest_build(NAMES, "dynamo:latest-none") == "build it: invoke build --framework none"
    assert suggest_build(NAMES, "dynamo:latest-vllm-runtime-aws") == (
        "build it: invoke build --framework vllm --target runtime --make-efa"
    )
    efa_dev = suggest_build(NAMES, "dynamo:latest-vllm-aws")
    assert efa_dev == "build it: invoke build --framework vllm --make-efa"
    assert suggest_build(NAMES, "other/img:1").startswith("pull it (docker pull other/img:1)")


@pytest.mark.parametrize(
    ("image", "hint"),
    [
        ("dynamo:latest-vllm-dev", "a dev build (invoke build --framework vllm) tags dynamo:latest-vllm"),
        (
            "dynamo:latest-sglang-cuda13.0-dev",
            "a dev build (invoke build --framework sglang --cuda-version 13.0) tags "
            "dynamo:latest-sglang-cuda13.0",
        ),
        (
            "dynamo:latest-vllm-dev-aws",
            "a dev build (invoke build --framework vllm --make-efa) tags dynamo:latest-vllm-aws",
        ),
    ],
)
def test_a_latest_dev_tag_no_build_makes_names_the_one_it_does(image: str, hint: str) -> None:
    assert suggest_build(NAMES, image) == f"no build tags {image}: {hint}"
    built = image_tags(NAMES, "v1", "vllm", "12.9", "dev")
    assert "dynamo:latest-vllm" in built and "dynamo:latest-vllm-dev" not in built


def test_ref_helpers() -> None:
    assert split_ref("reg:5000/a/b:t") == ("reg:5000/a/b", "t")
    assert split_ref("reg:5000/a/b") == ("reg:5000/a/b", "")
    assert split_ref("a@sha256:00") == ("a", "")
    assert with_suffix("a", "-efa") == "a:latest-efa"
    assert with_suffix("a:1", "-efa") == "a:1-efa"
