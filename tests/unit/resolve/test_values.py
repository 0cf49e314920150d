"""resolve/values.py: single values checked once, each refusal naming where the value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.resolve import values
from tests.helpers import config


def test_origin_names_the_flag_the_file_line_or_the_environment(repo: Path) -> None:
    assert values.origin(config(repo), "target") == "--target"
    assert values.origin(config(repo, target="runtime"), "target") == "--target"
    assert values.origin(config(repo, {"DYNAMO_TARGET": "dev"}), "target") == "DYNAMO_TARGET (environment)"
    (repo / "ci.env").write_text("\nDYNAMO_TARGET=dev\n")
    assert values.origin(config(repo, env_file="ci.env"), "target") == "DYNAMO_TARGET (ci.env:2)"


def test_one_framework_and_its_default_cuda(repo: Path) -> None:
    fw = values.framework(config(repo, framework=" SGLang "))
    assert fw.name == "sglang" and values.variant(config(repo), fw).cuda == fw.default_cuda
    with pytest.raises(ConfigError, match="names several frameworks; this task takes one"):
        values.framework(config(repo, framework="vllm,sglang"))
    with pytest.raises(ConfigError, match=r"CUDA 11\.8 is not available for vllm"):
        values.variant(config(repo, cuda_version="11.8"), catalog.framework("vllm"))


def test_a_matrix_is_a_list_or_all_of_frameworks_or_cuda_versions(repo: Path) -> None:
    assert not values.is_matrix(config(repo, framework="vllm", cuda_version="12.9"))
    assert values.is_matrix(config(repo, framework="all"))
    assert values.is_matrix(config(repo, cuda_version="12.9,13.0"))


def test_one_platform_or_a_list_each_arch_once(repo: Path) -> None:
    assert values.platform(config(repo, platform="linux/arm64")) == "arm64"
    with pytest.raises(ConfigError, match="names 2 platforms; this takes one platform"):
        values.platform(config(repo, platform="linux/amd64,linux/arm64"))
    both = values.platforms(config(repo, platform="linux/arm64, linux/amd64"))
    assert both == [("linux/arm64", "arm64"), ("linux/amd64", "amd64")]  # in the order asked for
    with pytest.raises(ConfigError, match="names arm64 twice"):
        values.platforms(config(repo, platform="linux/arm64,linux/arm64/v8"))


def test_arch_names_take_every_spelling(repo: Path) -> None:
    assert (
        values.arch_name("x86_64", "--arch") == "amd64" and values.arch_name("aarch64", "--arch") == "arm64"
    )
    with pytest.raises(ConfigError, match="--arch 'ppc64le' is not an architecture"):
        values.arch_name("ppc64le", "--arch")


def test_a_target_belongs_to_its_framework(repo: Path) -> None:
    assert values.target(config(repo, target="runtime"), catalog.framework("vllm")) == "runtime"
    with pytest.raises(ConfigError, match="unknown target 'nope' for vllm"):
        values.target(config(repo, target="nope"), catalog.framework("vllm"))
    with pytest.raises(ConfigError, match="frontend is an image of framework none"):
        values.target(config(repo, target="frontend"), catalog.framework("vllm"))


def test_ids_default_to_the_hosts_and_versions_must_fit_a_tag(repo: Path) -> None:
    assert values.numeric_id(config(repo), "uid", 4242) == "4242"
    assert values.numeric_id(config(repo, uid="7", target="local-dev"), "uid", 4242) == "7"
    assert values.version_text(config(repo, version="0.9.0")) == "0.9.0"
    with pytest.raises(ConfigError, match="cannot be part of an image tag"):
        values.version_text(config(repo, version="0.9 beta"))


def test_image_names_come_from_the_name_registry_and_tag_settings(repo: Path) -> None:
    names = values.image_names(config(repo, image_name="dyn", registry="reg:5000/ns", tag="t:1"))
    assert (names.image_name, names.registry, names.tag) == ("dyn", "reg:5000/ns", "t:1")
