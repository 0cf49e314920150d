"""What upstream's build.sh made of each framework x CUDA row at the snapshot (3b9b3f31c): test data.

For every ARG the snapshot's Dockerfile of that framework declares, its effective value: what
build.sh passes (`container/build.sh:580-975`), else the Dockerfile's default, else "" (declared
without a default and not passed). Host-dependent values are symbolic: `<sha>` is the commit,
`<uid>`/`<gid>` the caller's ids. Facts read from upstream (the snapshot facts table of the steering
repository has the same facts).

`NOT_CARRIED` are ARGs of the snapshot this project's family does not declare, each with the
ledger entry (container/PINS.md) that says why.
"""

from __future__ import annotations

# Declared by every snapshot Dockerfile (global block, `container/Dockerfile:24-57` and copies).
_COMMON = {
    "PYTHON_VERSION": "3.12",  # build.sh:962
    "CARGO_BUILD_JOBS": "",  # never passed; wheel_builder's ENV defaults it to 16 (Dockerfile:128)
    "ARCH": "amd64",  # Dockerfile:45
    "ARCH_ALT": "x86_64",  # Dockerfile:46
    "USE_SCCACHE": "",
    "SCCACHE_BUCKET": "",
    "SCCACHE_REGION": "",
    "NIXL_UCX_REF": "1.20.0",  # build.sh:943
    "NIXL_REF": "0.9.0",  # build.sh:604
    "NIXL_GDRCOPY_REF": "v2.5.1",  # build.sh:948
    "NIXL_LIBFABRIC_REF": "v2.3.0",  # build.sh:606
    "DYNAMO_COMMIT_SHA": "<sha>",  # build.sh:590
    "FFMPEG_VERSION": "7.1",  # Dockerfile:241
}
_MEDIA_ON = {"ENABLE_MEDIA_NIXL": "true", "ENABLE_MEDIA_FFMPEG": "true"}  # build.sh:917-939

VLLM = {
    **_COMMON,
    **_MEDIA_ON,
    "BASE_IMAGE": "nvcr.io/nvidia/cuda-dl-base",
    "BASE_IMAGE_TAG": "25.06-cuda12.9-devel-ubuntu24.04",
    "ENABLE_KVBM": "true",  # build.sh:892-901
    "ENABLE_GPU_MEMORY_SERVICE": "true",  # build.sh:906-915
    "RUNTIME_IMAGE": "nvcr.io/nvidia/cuda",  # Dockerfile.vllm:73
    "RUNTIME_IMAGE_TAG": "12.9.1-runtime-ubuntu24.04",  # Dockerfile.vllm:74
    "CUDA_VERSION": "12.9",  # Dockerfile.vllm:75
    "VLLM_REF": "v0.14.1",
    "FLASHINF_REF": "v0.5.3",
    "DEEPGEMM_REF": "",
    "LMCACHE_REF": "0.3.12",
    "MAX_JOBS": "16",  # Dockerfile.vllm:564
    "AWS_SDK_CPP_VERSION": "1.11.581",  # Dockerfile.vllm:376
    "VLLM_GIT_URL": "",
}
VLLM_CU13 = {
    **VLLM,
    "BASE_IMAGE_TAG": "25.11-cuda13.0-devel-ubuntu24.04",  # build.sh:448-452
    "RUNTIME_IMAGE_TAG": "13.0.2-runtime-ubuntu24.04",
    "CUDA_VERSION": "13.0",  # build.sh:200 (the --cuda-version as typed)
}
SGLANG = {
    **_COMMON,
    **_MEDIA_ON,
    "BASE_IMAGE": "nvcr.io/nvidia/cuda-dl-base",
    "BASE_IMAGE_TAG": "25.06-cuda12.9-devel-ubuntu24.04",
    "ENABLE_KVBM": "",  # not forced for SGLang, not passed
    "ENABLE_GPU_MEMORY_SERVICE": "true",
    "RUNTIME_IMAGE": "lmsysorg/sglang",  # Dockerfile.sglang:44
    "RUNTIME_IMAGE_TAG": "v0.5.8-runtime",  # Dockerfile.sglang:45
}
SGLANG_CU13 = {
    **SGLANG,
    "BASE_IMAGE_TAG": "25.11-cuda13.0-devel-ubuntu24.04",  # build.sh:457-462
    "RUNTIME_IMAGE_TAG": "v0.5.8-cu130-runtime",
}
TRTLLM = {
    **_COMMON,
    **_MEDIA_ON,
    "BASE_IMAGE": "nvcr.io/nvidia/pytorch",  # build.sh:76-77
    "BASE_IMAGE_TAG": "25.12-py3",
    "ENABLE_KVBM": "true",
    "ENABLE_GPU_MEMORY_SERVICE": "",  # not forced for TRT-LLM, not passed
    "PYTORCH_BASE_IMAGE": "nvcr.io/nvidia/pytorch",
    "PYTORCH_BASE_IMAGE_TAG": "25.12-py3",
    "RUNTIME_IMAGE": "nvcr.io/nvidia/cuda-dl-base",
    "RUNTIME_IMAGE_TAG": "25.12-cuda13.1-runtime-ubuntu24.04",
    "HAS_TRTLLM_CONTEXT": "0",  # build.sh:819
    "TENSORRTLLM_PIP_WHEEL": "tensorrt-llm",  # Dockerfile.trtllm:51 (not passed: the release image is used)
    "TENSORRTLLM_INDEX_URL": "https://pypi.nvidia.com/",
    "GITHUB_TRTLLM_COMMIT": "v1.3.0rc1",  # build.sh:884
    "TRTLLM_WHEEL_IMAGE": "nvcr.io/nvidia/tensorrt-llm/release:1.3.0rc1",  # build.sh:818-820
    "FLASHINFER_PYTHON_VER": "0.6.1",
    "PYTORCH_TRITON_VER": "3.5.1+gitbfeb0668.nv25.12",
    "TORCHAO_VER": "0.15.0+git01374eb5",
    "TORCHDATA_VER": "0.11.0",
    "TORCHTITAN_VER": "0.2.0",
    "TORCH_VER": "2.10.0a0+b4e4ee81d3.nv25.12",
    "TORCH_TENSORRT_VER": "2.10.0a0",
    "TORCHVISION_VER": "0.25.0a0+ca221243",
    "JINJA2_VER": "3.1.6",
    "SYMPY_VER": "1.14.0",
    "FLASH_ATTN_VER": "2.7.4.post1+25.12",
}
NONE = {
    **_COMMON,
    "BASE_IMAGE": "nvcr.io/nvidia/cuda-dl-base",
    "BASE_IMAGE_TAG": "25.01-cuda12.8-devel-ubuntu24.04",  # build.sh:135-136
    "ENABLE_KVBM": "",
    "ENABLE_GPU_MEMORY_SERVICE": "",
    "ENABLE_MEDIA_NIXL": "false",
    "ENABLE_MEDIA_FFMPEG": "false",
}

ROWS: dict[tuple[str, str], dict[str, str]] = {
    ("none", "12.8"): NONE,
    ("vllm", "12.9"): VLLM,
    ("vllm", "13.0"): VLLM_CU13,
    ("sglang", "12.9"): SGLANG,
    ("sglang", "13.0"): SGLANG_CU13,
    ("trtllm", "13.1"): TRTLLM,
}

# Added by build.sh for the dev and local-dev targets (dev/Dockerfile.dev is appended; build.sh:1010-1028).
DEV_TARGET = {"FRAMEWORK": "<framework>", "WORKSPACE_DIR": "/workspace"}
LOCAL_DEV_TARGET = {"USER_UID": "<uid>", "USER_GID": "<gid>"}

# Snapshot ARGs the family does not declare, and the ledger entry that explains it.
NOT_CARRIED = {
    "RUSTARCH": "computed inside the rustup RUN from ARCH_ALT (not an input: upstream derives it too)",
    "SITE_PACKAGES": "only fed the seven-layer venv COPY (Other deliberate differences: one COPY)",
}

# The snapshot's values this project changes on purpose (each a ledger pin with its reason).
FIXED = {"NIXL_UCX_REF": "v1.20.0"}
