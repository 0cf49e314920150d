"""The build args a request derives, as the snapshot's build.sh derives them (in its order).

Common args go to every build of `Dockerfile` and the framework Dockerfiles; framework args to the
framework step only. ENABLE_KVBM and ENABLE_GPU_MEMORY_SERVICE are passed only when on (the
Dockerfiles read an unset one as off), the media switches always.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dynamo_container.model import catalog
from dynamo_container.model.secrets import SECRET_ENV_VARS
from dynamo_container.plan.model import Secret
from dynamo_container.resolve.build import BuildRequest

if TYPE_CHECKING:
    from dynamo_container.resolve.trtllm import TrtllmIntent

Pairs = list[tuple[str, str]]

# build.sh's _is_semver_ref: 1.2.3, v1.2.3, 1.3.0rc1, 1.2.0-rc.1
_SEMVER = re.compile(
    r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-+][0-9A-Za-z.-]+|[A-Za-z][0-9A-Za-z.-]+)?$"
)


def _bool(v: bool) -> str:
    return "true" if v else "false"


def common_args(req: BuildRequest) -> Pairs:
    refs = dict(req.refs)
    args: Pairs = []
    if req.arch != "amd64":  # the Dockerfiles default to amd64, as build.sh relies on
        args += [("ARCH", req.arch), ("ARCH_ALT", catalog.ARCHES[req.arch])]
    args += [
        ("DYNAMO_COMMIT_SHA", req.version.commit),
        ("NIXL_REF", refs["NIXL_REF"]),
        ("NIXL_LIBFABRIC_REF", refs["NIXL_LIBFABRIC_REF"]),
        ("BASE_IMAGE", req.images.base_image),
        ("BASE_IMAGE_TAG", req.images.base_tag),
    ]
    args += [("ENABLE_KVBM", "true")] if req.features.kvbm else []
    args += [("ENABLE_GPU_MEMORY_SERVICE", "true")] if req.features.gpu_memory_service else []
    args += [
        ("ENABLE_MEDIA_NIXL", _bool(req.features.media_nixl)),
        ("ENABLE_MEDIA_FFMPEG", _bool(req.features.media_ffmpeg)),
        ("NIXL_UCX_REF", refs["NIXL_UCX_REF"]),
        ("NIXL_GDRCOPY_REF", refs["NIXL_GDRCOPY_REF"]),
        ("PYTHON_VERSION", req.variant.python),
    ]
    if req.sccache is not None:
        bucket, region = req.sccache
        args += [("USE_SCCACHE", "true"), ("SCCACHE_BUCKET", bucket), ("SCCACHE_REGION", region)]
    # This project's additions: what the images record about themselves, the step-1 deltas.
    args += [
        ("FRAMEWORK", req.framework.name),
        ("DYNAMO_VERSION", req.version.python_version),
        ("MATRIX_CUDA_VERSION", req.variant.cuda),
    ]
    return args + ([("RELEASE_BUILD", "true")] if req.release_build else [])


def framework_args(req: BuildRequest) -> Pairs:
    args: Pairs = []
    if req.images.runtime_image:
        args += [("RUNTIME_IMAGE", req.images.runtime_image), ("RUNTIME_IMAGE_TAG", req.images.runtime_tag)]
    args += list(req.variant.args)
    if req.vllm_max_jobs is not None:
        args.append(("MAX_JOBS", str(req.vllm_max_jobs)))
    if req.arch == "arm64":
        args += list(req.framework.arm64_args)
    if req.trtllm is not None:
        args += trtllm_args(req.trtllm, req.trtllm_nixl_kvcache)
    return args


def github_ref(commit: str) -> str:
    """A TensorRT-LLM version names its git tag with a `v` (1.3.0rc1 -> v1.3.0rc1), as build.sh does."""
    return f"v{commit}" if _SEMVER.match(commit) and not commit.startswith("v") else commit


def trtllm_args(trtllm: TrtllmIntent, nixl_kvcache: bool) -> Pairs:
    """The TensorRT-LLM build args of Dockerfile.trtllm, as build.sh derives them."""
    args = [("HAS_TRTLLM_CONTEXT", "0" if trtllm.mode == "download" else "1")]
    if trtllm.mode == "download":
        version = trtllm.pip_wheel.partition("==")[2].strip()
        if version in catalog.TRTLLM_ABI_INCOMPATIBLE:  # PyPI's wheel does not match NGC PyTorch's ABI
            args.append(("TRTLLM_WHEEL_IMAGE", f"{catalog.TRTLLM_RELEASE_IMAGE}:{version}"))
        else:
            args += [("TENSORRTLLM_PIP_WHEEL", trtllm.pip_wheel), ("TENSORRTLLM_INDEX_URL", trtllm.index_url)]
    args.append(("GITHUB_TRTLLM_COMMIT", github_ref(trtllm.commit)))
    if nixl_kvcache:
        args.append(("TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL", "1"))
    return args


def secrets(req: BuildRequest) -> list[Secret]:
    """The BuildKit secrets of the compiling steps: sccache's AWS keys, and every token that is set."""
    out: list[Secret] = []
    if req.sccache is not None:
        out += [Secret("aws-key-id", "AWS_ACCESS_KEY_ID"), Secret("aws-secret-id", "AWS_SECRET_ACCESS_KEY")]
    for sid in ("github-token", "gitlab-token", "hf-token"):
        if sid in req.secret_ids:
            out.append(Secret(sid, SECRET_ENV_VARS[sid]))
    return out
