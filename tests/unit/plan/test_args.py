"""plan/args.py: the build args a request derives, in build.sh's order, and the compiling steps' secrets."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.model import catalog
from dynamo_container.plan.args import common_args, framework_args, github_ref, secrets, trtllm_args
from dynamo_container.resolve.trtllm import TrtllmIntent
from tests.helpers import request


def names(pairs: list[tuple[str, str]]) -> list[str]:
    return [k for k, _ in pairs]


def test_common_args_follow_build_sh_order_and_leave_off_switches_unset(repo: Path) -> None:
    # vllm turns KVBM and the GPU memory service on by default
    args = common_args(request(repo, enable_kvbm=False, enable_gpu_memory_service=False))
    assert names(args)[:5] == [
        "DYNAMO_COMMIT_SHA",
        "NIXL_REF",
        "NIXL_LIBFABRIC_REF",
        "BASE_IMAGE",
        "BASE_IMAGE_TAG",
    ]
    assert "ARCH" not in names(args)  # the Dockerfiles default to amd64
    assert "ENABLE_KVBM" not in names(args) and "ENABLE_GPU_MEMORY_SERVICE" not in names(args)
    assert dict(args)["ENABLE_MEDIA_NIXL"] in ("true", "false")  # the media switches always go
    assert names(args)[-3:] == ["FRAMEWORK", "DYNAMO_VERSION", "MATRIX_CUDA_VERSION"]


def test_arm64_and_switched_on_features_add_their_args(repo: Path) -> None:
    args = dict(common_args(request(repo, framework="sglang", platform="linux/arm64", enable_kvbm=True)))
    assert (args["ARCH"], args["ARCH_ALT"]) == ("arm64", "aarch64")
    assert args["ENABLE_KVBM"] == "true"


def test_sccache_args_name_bucket_and_region_but_never_keys(repo: Path) -> None:
    req = request(repo, use_sccache=True, sccache_bucket="my-bucket", sccache_region="eu-west-1")
    args = dict(common_args(req))
    assert (args["USE_SCCACHE"], args["SCCACHE_BUCKET"], args["SCCACHE_REGION"]) == (
        "true",
        "my-bucket",
        "eu-west-1",
    )
    assert not any("AWS" in k for k in args)
    assert [s.id for s in secrets(req)] == ["aws-key-id", "aws-secret-id"]


def test_token_secrets_only_for_variables_that_are_set(repo: Path) -> None:
    assert secrets(request(repo)) == []
    req = request(repo, environ={"HF_TOKEN": "hf_x" + "y" * 30})
    assert [(s.id, s.env) for s in secrets(req)] == [("hf-token", "HF_TOKEN")]


def test_framework_args_carry_the_variant_and_max_jobs(repo: Path) -> None:
    req = request(repo, vllm_max_jobs="3")
    args = framework_args(req)
    assert ("MAX_JOBS", "3") in args
    assert set(req.variant.args) <= set(args)


def test_github_ref_prefixes_a_v_only_to_versions() -> None:
    assert github_ref("1.3.0rc1") == "v1.3.0rc1"
    assert github_ref("1.2.0-rc.1") == "v1.2.0-rc.1"
    assert github_ref("v1.2.3") == "v1.2.3"
    assert (
        github_ref("31116825b39f4e6a6a1e127001f5204b73d1dc32") == "31116825b39f4e6a6a1e127001f5204b73d1dc32"
    )
    assert github_ref("01.2.3") == "01.2.3"  # a leading zero is no version


def _download(pip_wheel: str) -> TrtllmIntent:
    return TrtllmIntent("download", "1.3.0rc1", pip_wheel=pip_wheel, index_url="https://x/simple")


def test_trtllm_download_args_and_the_experimental_switch() -> None:
    args = trtllm_args(_download("tensorrt-llm==9.9.9"), nixl_kvcache=True)
    assert args[0] == ("HAS_TRTLLM_CONTEXT", "0")
    assert ("TENSORRTLLM_PIP_WHEEL", "tensorrt-llm==9.9.9") in args
    assert ("GITHUB_TRTLLM_COMMIT", "v1.3.0rc1") in args
    assert args[-1] == ("TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL", "1")
    assert "TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL" not in dict(
        trtllm_args(_download("x==1"), nixl_kvcache=False)
    )


def test_an_abi_incompatible_release_comes_from_the_release_image_instead() -> None:
    version = sorted(catalog.TRTLLM_ABI_INCOMPATIBLE)[0]
    args = dict(trtllm_args(_download(f"tensorrt-llm=={version}"), nixl_kvcache=False))
    assert args["TRTLLM_WHEEL_IMAGE"] == f"{catalog.TRTLLM_RELEASE_IMAGE}:{version}"
    assert "TENSORRTLLM_PIP_WHEEL" not in args


def test_a_wheel_in_the_context_says_so() -> None:
    args = trtllm_args(TrtllmIntent("install", "abc1234", wheel_dir="/w"), nixl_kvcache=False)
    assert args == [("HAS_TRTLLM_CONTEXT", "1"), ("GITHUB_TRTLLM_COMMIT", "abc1234")]
