"""The table of truth: frameworks x CUDA versions, their images, Dockerfiles, targets and defaults.

Tasks, the planner, the Dockerfile contract test and the nox smoke sessions all read this module;
nothing else lists frameworks, CUDA versions or base images.
"""

from __future__ import annotations

from dataclasses import dataclass

FRAMEWORKS: tuple[str, ...] = ("none", "vllm", "sglang", "trtllm")
DEFAULT_FRAMEWORK = "vllm"
PYTHON_VERSION = "3.12"

# Refs the planner passes as build args (overridable settings).
NIXL_REF = "0.10.1"
NIXL_UCX_REF = "v1.20.x"
NIXL_UCX_EFA_REF = "9d2b88a1f67faf9876f267658bd077b379b8bb76"

# Pins that stay ARG defaults of the Dockerfiles; the contract test keeps those defaults equal to these.
PINS: dict[str, str] = {
    "NATS_VERSION": "v2.10.28",
    "ETCD_VERSION": "v3.5.30",
    "RUST_VERSION": "1.90.0",
    "NIXL_GDRCOPY_REF": "v2.5.2",
    "NIXL_LIBFABRIC_REF": "v2.5.1",
    "FFMPEG_VERSION": "8.1",
    "EFA_VERSION": "1.47.0",
    "FLASHINF_REF": "v0.6.8.post1",
}

VLLM_MAX_JOBS = 10
TRTLLM_PIP_WHEEL = "tensorrt-llm==1.3.0rc16"
TRTLLM_INDEX_URL = "https://pypi.nvidia.com/"

ARCHES: dict[str, str] = {"amd64": "x86_64", "arm64": "aarch64"}  # docker arch -> uname arch
PLATFORMS: dict[str, str] = {"linux/amd64": "amd64", "linux/arm64": "arm64", "linux/arm64/v8": "arm64"}

# Stages of each Dockerfile the planner may target (the contract test checks they exist).
BASE_DOCKERFILE = "Dockerfile"
BASE_STAGES: tuple[str, ...] = ("dynamo_base", "wheel_builder", "base", "runtime", "dev")
FRAMEWORK_STAGES: tuple[str, ...] = ("dynamo_base", "framework", "runtime", "dev")
LOCAL_DEV_DOCKERFILE = "Dockerfile.local_dev"
LOCAL_DEV_STAGE = "local-dev"
EFA_DOCKERFILE = "Dockerfile.aws"
EFA_STAGE = "efa"
# Stages of Dockerfile that come before the framework image: building one of them is a step-1-only plan.
BASE_ONLY_TARGETS: tuple[str, ...] = ("dynamo_base", "wheel_builder", "base")


@dataclass(frozen=True)
class Framework:
    name: str
    dockerfile: str
    default_cuda: str
    kvbm: bool
    gpu_memory_service: bool
    media_nixl: bool
    media_ffmpeg: bool
    # Derived framework args added on arm64 (each skipped when the user passes the same name).
    arm64_args: tuple[tuple[str, str], ...] = ()
    # Python modules a smoke check imports in the runtime image.
    modules: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """Targets `--target` accepts for this framework (besides the empty default)."""
        stages = BASE_STAGES if self.name == "none" else FRAMEWORK_STAGES
        own = tuple(s for s in stages if s not in BASE_ONLY_TARGETS)
        return (*own, LOCAL_DEV_STAGE, *BASE_ONLY_TARGETS)


@dataclass(frozen=True)
class Variant:
    """One valid framework x CUDA combination: a row of the matrix."""

    framework: str
    cuda: str
    build_image: str
    build_tag: str
    runtime_image: str
    runtime_tag: str
    python: str = PYTHON_VERSION
    # Framework-step build args of this row.
    args: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.framework}-cuda{self.cuda}"


FRAMEWORK_TABLE: dict[str, Framework] = {
    "none": Framework("none", BASE_DOCKERFILE, "12.9", False, True, False, False, modules=("dynamo",)),
    "vllm": Framework(
        "vllm", "Dockerfile.vllm", "12.9", True, True, False, False, modules=("dynamo", "vllm")
    ),
    "sglang": Framework(
        "sglang",
        "Dockerfile.sglang",
        "12.9",
        False,
        True,
        False,
        True,
        arm64_args=(("GRACE_BLACKWELL", "true"), ("BUILD_TYPE", "blackwell_aarch64")),
        modules=("dynamo", "sglang"),
    ),
    "trtllm": Framework(
        "trtllm", "Dockerfile.trtllm", "13.1", True, True, False, False, modules=("dynamo", "tensorrt_llm")
    ),
}

_DL_BASE = "nvcr.io/nvidia/cuda-dl-base"
_CUDA = "nvcr.io/nvidia/cuda"
_SGLANG = "lmsysorg/sglang"
_PYTORCH = "nvcr.io/nvidia/pytorch"

VARIANTS: tuple[Variant, ...] = (
    Variant(
        "none", "12.9", _DL_BASE, "25.06-cuda12.9-devel-ubuntu24.04", _CUDA, "12.9.1-runtime-ubuntu24.04"
    ),
    Variant(
        "none", "13.0", _DL_BASE, "25.11-cuda13.0-devel-ubuntu24.04", _CUDA, "13.0.2-runtime-ubuntu24.04"
    ),
    Variant(
        "vllm",
        "12.9",
        _DL_BASE,
        "25.06-cuda12.9-devel-ubuntu24.04",
        _CUDA,
        "12.9.1-runtime-ubuntu24.04",
        args=(("TORCH_BACKEND", "cu129"),),
    ),
    Variant(
        "vllm",
        "13.0",
        _DL_BASE,
        "25.11-cuda13.0-devel-ubuntu24.04",
        _CUDA,
        "13.0.2-runtime-ubuntu24.04",
        args=(("TORCH_BACKEND", "cu130"),),
    ),
    Variant(
        "sglang", "12.9", _DL_BASE, "25.06-cuda12.9-devel-ubuntu24.04", _SGLANG, "v0.5.12.post1-cu129-runtime"
    ),
    Variant(
        "sglang", "13.0", _DL_BASE, "25.11-cuda13.0-devel-ubuntu24.04", _SGLANG, "v0.5.12.post1-cu130-runtime"
    ),
    Variant("trtllm", "13.1", _PYTORCH, "25.12-py3", _DL_BASE, "25.12-cuda13.1-runtime-ubuntu24.04"),
)


def framework(name: str) -> Framework:
    return FRAMEWORK_TABLE[name]


def variants_of(framework_name: str) -> tuple[Variant, ...]:
    return tuple(v for v in VARIANTS if v.framework == framework_name)


def cuda_versions(framework_name: str) -> tuple[str, ...]:
    return tuple(v.cuda for v in variants_of(framework_name))


def find_variant(framework_name: str, cuda: str) -> Variant | None:
    for v in VARIANTS:
        if v.framework == framework_name and v.cuda == cuda:
            return v
    return None


def describe_valid() -> str:
    """'none: 12.9, 13.0; vllm: 12.9, 13.0; ...' for error messages."""
    return "; ".join(f"{fw}: {', '.join(cuda_versions(fw))}" for fw in FRAMEWORKS)
