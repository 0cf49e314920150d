"""Docker's image reference grammar: what it accepts (every image the matrix names) and refuses."""

from __future__ import annotations

import pytest

from dynamo_container.model import catalog
from dynamo_container.model.references import (
    reference_problem,
    registry_problem,
    repository_problem,
    tag_problem,
)


@pytest.mark.parametrize(
    "ref",
    [
        "dynamo",
        "dynamo:latest-vllm-cuda13.0-runtime",
        "nvcr.io/nvidia/cuda-dl-base:25.01-cuda12.8-devel-ubuntu24.04",
        "lmsysorg/sglang:v0.5.8-cu130",
        "localhost/dynamo:1",
        "localhost:5000/team/dynamo:1",
        "127.0.0.1:5000/dyntest-1a2b3c4d:latest-none-runtime",
        "REG.example.com:443/a__b/c-d.e/f---g:Tag_1.x",
        "dynamo@sha256:" + "a" * 64,
        "reg.example/dynamo:1@sha256:" + "0" * 64,
    ],
)
def test_valid_references(ref: str) -> None:
    assert reference_problem(ref) == ""


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("UPPER/case:x", "repository names are lowercase"),
        ("dyn:bad tag", "a tag is"),
        ("dyn:-x", "a tag is"),
        ("dyn:" + "x" * 129, "a tag is"),
        ("dyn::x", "is not a name part"),
        ("a//b", "is not a name part"),
        ("a_", "is not a name part"),
        ("-a", "is not a name part"),
        ("reg.example:port/a", "is not a host[:port]"),
        ("dyn@sha256:short", "is not a digest"),
        ("", "empty name"),
        ("a/" * 130 + "b", "longer than 255"),
    ],
)
def test_invalid_references(ref: str, problem: str) -> None:
    assert problem in reference_problem(ref)


def test_registries_tags_and_repositories() -> None:
    assert registry_problem("registry.example:5000/team") == ""
    assert registry_problem("127.0.0.1:5000") == "" and registry_problem("myteam") == ""
    assert "must be lowercase" in registry_problem("Team")
    assert "is not a host" in registry_problem("http://reg.example")
    assert tag_problem("25.01-cuda12.8-devel-ubuntu24.04") == "" and tag_problem("") == "empty tag"
    assert repository_problem("dynamo-base") == "" and "lowercase" in repository_problem("Dynamo")


def test_every_image_the_matrix_names_is_valid() -> None:
    for v in catalog.VARIANTS:
        for repo, tag in ((v.build_image, v.build_tag), (v.runtime_image, v.runtime_tag)):
            if repo:
                assert reference_problem(f"{repo}:{tag}") == "", v.key
