"""The build resolve layer: every value checked once, with one line naming it and what to type instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.model.frontend import Frontend
from tests.helpers import request, wheel_dir


def test_unknown_target_lists_the_valid_ones(repo: Path) -> None:
    with pytest.raises(ConfigError) as err:
        request(repo, target="prod")
    assert "unknown target 'prod' for vllm" in str(err.value) and "runtime, dev" in str(err.value)
    with pytest.raises(ConfigError, match="unknown target 'framework' for none"):
        request(repo, framework="none", target="framework")


def test_dev_image_conflicts(repo: Path) -> None:
    with pytest.raises(ConfigError, match="--base-image cannot be used with --dev-image"):
        request(repo, dev_image="d:1", base_image="x")
    with pytest.raises(ConfigError, match="--target cannot be used with --dev-image"):
        request(repo, dev_image="d:1", target="runtime")
    with pytest.raises(ConfigError, match="already a local-dev image"):
        request(repo, dev_image="dynamo:latest-vllm-local-dev")


def test_dev_image_with_base_image_from_an_env_file_is_a_warning(repo: Path) -> None:
    (repo / ".env").write_text("DYNAMO_BASE_IMAGE=my/base\n")
    p = request(repo, dev_image="d:1")
    assert p.dev_image == "d:1" and p.local_dev
    assert any("DYNAMO_BASE_IMAGE (.env:1) is ignored with --dev-image" in w for w in p.warnings)


def test_unsupported_cuda_lists_valid_combinations(repo: Path) -> None:
    with pytest.raises(ConfigError) as err:
        request(repo, framework="trtllm", cuda_version="12.9")
    text = str(err.value)
    assert "CUDA 12.9 is not available for trtllm" in text
    assert "vllm: 12.9, 13.0" in text and "trtllm: 13.1" in text


def test_unknown_framework(repo: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown framework 'foo'.*none, vllm, sglang, trtllm"):
        request(repo, framework="foo")


@pytest.mark.parametrize(
    ("platform", "message"),
    [
        ("linux/amd64,linux/arm64", "names 2 platforms"),
        ("linux/ppc64le", "unsupported platform 'linux/ppc64le'"),
    ],
)
def test_bad_platforms(repo: Path, platform: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        request(repo, platform=platform)


def test_make_efa_needs_an_image(repo: Path) -> None:
    with pytest.raises(ConfigError, match="--make-efa adds a layer"):
        request(repo, target="base", make_efa=True)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"sccache_bucket": "b"}, "--sccache-region is required with --use-sccache"),
        ({"sccache_region": "r"}, "--sccache-bucket is required with --use-sccache"),
    ],
)
def test_sccache_needs_bucket_and_region(repo: Path, flags: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        request(repo, use_sccache=True, **flags)


def test_sccache_warnings(repo: Path) -> None:
    assert any("ignored without --use-sccache" in w for w in request(repo, sccache_bucket="b").warnings)
    p = request(repo, use_sccache=True, sccache_bucket="b", sccache_region="r")
    assert any("without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in w for w in p.warnings)


@pytest.mark.parametrize(
    "arg",
    ["GITHUB_TOKEN=x", "hf_token=y", "MY_API_KEY=z", "AWS_ACCESS_KEY_ID=a", "DB_PASSWORD=p", "SOME_SECRET=s"],
)
def test_secret_gate_refuses_credential_build_args(repo: Path, arg: str) -> None:
    with pytest.raises(ConfigError, match="looks like a credential"):
        request(repo, build_args=(arg,))


def test_secret_gate_refuses_a_secret_value(repo: Path) -> None:
    with pytest.raises(ConfigError, match="carries the value of HF_TOKEN") as err:
        request(repo, {"HF_TOKEN": "hf_abcdef"}, build_args=("NOTE=hf_abcdef",))
    assert "hf_abcdef" not in str(err.value)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"tensorrtllm_index_url": "https://x"}, "--tensorrtllm-index-url needs --tensorrtllm-pip-wheel"),
        (
            {"tensorrtllm_pip_wheel": "t==1", "tensorrtllm_git_url": "https://g"},
            "cannot tell how to get TensorRT-LLM",
        ),
        (
            {"tensorrtllm_pip_wheel": "t==1", "tensorrtllm_pip_wheel_dir": "/tmp"},
            "cannot tell how to get TensorRT-LLM",
        ),
        ({"tensorrtllm_git_url": "https://g"}, "--tensorrtllm-git-url needs --tensorrtllm-commit"),
        ({"tensorrtllm_pip_wheel_dir": "missing"}, "no such folder"),
    ],
)
def test_trtllm_intent_errors(repo: Path, flags: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        request(repo, framework="trtllm", **flags)


@pytest.mark.parametrize(
    ("wheels", "commit_txt", "message"),
    [
        (0, "amd64_1", "must hold exactly one .whl \\(found: none\\)"),
        (2, "amd64_1", "must hold exactly one .whl \\(found: tensorrt_llm-1.3.0rc0"),
        (1, "arm64_1", "built for arm64, this build is for amd64"),
        (1, "garbage", "expected <arch>_<commit>"),
        (1, None, "no commit.txt"),
    ],
)
def test_trtllm_wheel_dir_errors(repo: Path, wheels: int, commit_txt: str | None, message: str) -> None:
    d = wheel_dir(repo, wheels=wheels, commit_txt=commit_txt)
    with pytest.raises(ConfigError, match=message):
        request(repo, framework="trtllm", tensorrtllm_pip_wheel_dir=str(d))


def test_trtllm_flags_are_ignored_for_other_frameworks(repo: Path) -> None:
    p = request(repo, framework="vllm", tensorrtllm_pip_wheel="x==1")
    assert any("--tensorrtllm-* options are ignored for framework vllm" in w for w in p.warnings)
    assert p.trtllm is None


def test_remote_builder_needs_a_registry(repo: Path) -> None:
    remote = Frontend(
        "docker", buildx=True, builder="farm", shares_image_store=False, driver="docker-container"
    )
    with pytest.raises(
        ConfigError, match=r"builder farm \(docker-container driver\) cannot read local images"
    ):
        request(repo, frontend=remote, target="runtime")
    # a base-only build feeds nothing: it can load locally
    assert request(repo, frontend=remote, target="base").base_only


@pytest.mark.parametrize("variant", catalog.VARIANTS, ids=lambda v: v.key)
def test_invoke_config_shows_the_defaults_a_build_resolves(repo: Path, variant: catalog.Variant) -> None:
    """One table of derived defaults (catalog.derived_defaults): `invoke config` shows what resolve uses."""
    from dynamo_container.tasks.config import config_rows
    from tests.helpers import PROJECT, config

    flags = {"framework": variant.framework, "cuda_version": variant.cuda, "target": "runtime"}
    cfg = config(repo, container_dir=str(PROJECT / "container"), **flags)
    shown = {r["key"]: r for r in config_rows(cfg)}
    req = request(repo, **flags)
    resolved = {
        "DYNAMO_BASE_IMAGE": req.images.base_image,
        "DYNAMO_BASE_IMAGE_TAG": req.images.base_tag,
        "DYNAMO_RUNTIME_IMAGE": req.images.runtime_image,
        "DYNAMO_RUNTIME_IMAGE_TAG": req.images.runtime_tag,
        "DYNAMO_ENABLE_KVBM": "true" if req.features.kvbm else "false",
        "DYNAMO_ENABLE_GPU_MEMORY_SERVICE": "true" if req.features.gpu_memory_service else "false",
        "DYNAMO_ENABLE_MEDIA_NIXL": "true" if req.features.media_nixl else "false",
        "DYNAMO_ENABLE_MEDIA_FFMPEG": "true" if req.features.media_ffmpeg else "false",
    }
    assert {k: shown[k]["value"] for k in resolved} == resolved
    assert all(shown[k]["source"] == f"default (matrix: {variant.framework})" for k in resolved)
    assert req.variant == variant and req.images.base_image  # every row has a build base


def test_build_tags_and_the_run_image_derive_from_one_set_of_image_names(repo: Path) -> None:
    """resolve.values.image_names: --image-name, --base-image-name, --registry, --tag in one place."""
    from dynamo_container.resolve import values
    from dynamo_container.resolve.run import default_image
    from tests.helpers import PROJECT, config

    flags = {"image_name": "team/dyn", "base_image_name": "team/dyn-base", "registry": "reg.example:5000"}
    cfg = config(repo, container_dir=str(PROJECT / "container"), target="runtime", **flags)
    names = values.image_names(cfg)
    assert request(repo, target="runtime", **flags).names == names
    assert names.image_repo == "reg.example:5000/team/dyn"
    assert names.base_repo == "reg.example:5000/team/dyn-base"
    assert default_image(cfg) == "reg.example:5000/team/dyn:latest-vllm-runtime"
