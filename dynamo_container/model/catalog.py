"""The table of truth: frameworks x CUDA versions, their images, Dockerfiles, stages and defaults.

Tasks, the planner, the Dockerfile contract tests and the nox sessions read this module; nothing
else lists frameworks, CUDA versions or base images. Versions and images come from the pin ledger
(`pins.py`), which says where the upstream snapshot sets each of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynamo_container.model import pins

FRAMEWORKS: tuple[str, ...] = ("none", "vllm", "sglang", "trtllm")
DEFAULT_FRAMEWORK = "vllm"
PYTHON_VERSION = pins.value("PYTHON_VERSION")

# Refs the planner passes as build args (overridable settings).
NIXL_REF = pins.value("NIXL_REF")
NIXL_UCX_REF = pins.value("NIXL_UCX_REF")
NIXL_GDRCOPY_REF = pins.value("NIXL_GDRCOPY_REF")
NIXL_LIBFABRIC_REF = pins.value("NIXL_LIBFABRIC_REF")
EFA_VERSION = pins.value("EFA_VERSION")

# TensorRT-LLM: the default pip spec, and the versions whose PyPI wheels do not match NGC PyTorch's
# ABI, which are installed from the wheel inside NVIDIA's TensorRT-LLM release image instead.
TRTLLM_PIP_WHEEL = pins.value("TRTLLM_PIP_WHEEL (planner default)")
TRTLLM_INDEX_URL = pins.value("TENSORRTLLM_INDEX_URL")
TRTLLM_ABI_INCOMPATIBLE = tuple(pins.value("TRTLLM_ABI_INCOMPATIBLE_VERSIONS").split())
TRTLLM_RELEASE_IMAGE = "nvcr.io/nvidia/tensorrt-llm/release"

ARCHES: dict[str, str] = {"amd64": "x86_64", "arm64": "aarch64"}  # docker arch -> uname arch
PLATFORMS: dict[str, str] = {"linux/amd64": "amd64", "linux/arm64": "arm64", "linux/arm64/v8": "arm64"}


def arch_of_platform(platform: str) -> str | None:
    """linux/arm64 -> arm64; None for a platform the images are not built for."""
    return PLATFORMS.get(platform.strip().lower())


def normalize_arch(name: str) -> str | None:
    """amd64 or arm64 from either spelling (docker's amd64/arm64 or uname's x86_64/aarch64)."""
    lowered = name.strip().lower()
    aliases = {**{a: a for a in ARCHES}, **{alt: a for a, alt in ARCHES.items()}}
    return aliases.get(lowered)


BASE_DOCKERFILE = "Dockerfile"
LOCAL_DEV_DOCKERFILE = "Dockerfile.local_dev"
LOCAL_DEV_STAGE = "local-dev"
EFA_DOCKERFILE = "Dockerfile.aws"
EFA_STAGES: tuple[str, ...] = ("efa", "runtime-aws", "dev-aws")
# The frontend image (framework none) and the EPP image its build makes first with the checkout's
# Makefile (build.sh: make -C <checkout>/deploy/inference-gateway/epp all DYNAMO_DIR=<checkout>).
FRONTEND_STAGE = "frontend"
FRONTEND_FRAMEWORK = "none"
EPP_MAKE_DIR = "deploy/inference-gateway/epp"
EPP_IMAGE_REPO = "dynamo/dynamo-epp"
# Named build contexts every build gets: the Dockerfile family's own folder (helper scripts).
TOOLING_CONTEXT = "tooling"
# Stages of Dockerfile that come before the framework image: building one of them is a step-1-only plan.
BASE_ONLY_TARGETS: tuple[str, ...] = ("dynamo_base", "wheel_builder", "base")
# Stages that only feed others; never a --target.
HELPER_STAGES: tuple[str, ...] = (
    "uv",
    "epp",
    "dynamo_tools",
    "trtllm_wheel_image_empty",
    "pytorch_base",
    "trtllm_wheel_image",
)


@dataclass(frozen=True)
class Framework:
    name: str
    dockerfile: str
    stages: tuple[str, ...]  # the stages of `dockerfile`, in order (the contract test checks them)
    default_cuda: str
    kvbm: bool
    gpu_memory_service: bool
    media: bool
    # Derived framework args added on arm64 (each skipped when the user passes the same name).
    arm64_args: tuple[tuple[str, str], ...] = ()
    # Python modules a smoke check imports in the runtime image.
    modules: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """Targets `--target` accepts for this framework (besides the empty default)."""
        own = tuple(s for s in self.stages if s not in BASE_ONLY_TARGETS and s not in HELPER_STAGES)
        return (*own, LOCAL_DEV_STAGE, *BASE_ONLY_TARGETS)


def combination_key(framework: str, cuda: str) -> str:
    """The name of one framework x CUDA combination: `vllm-cuda12.9` (log folders, matrix output,
    plan --json, cache entries, bake targets; receipts through `build_name`)."""
    return f"{framework}-cuda{cuda}"


def build_name(framework: str, cuda: str, target: str) -> str:
    """The name of one combination's build of one target: `vllm-cuda12.9-runtime` (its receipt).

    The combination's own name first, so a receipt reads as the log folder and the matrix line of
    the same build; the dev build (no --target) is `-dev`.
    """
    return f"{combination_key(framework, cuda)}-{target or 'dev'}"


@dataclass(frozen=True)
class Variant:
    """One valid framework x CUDA combination: a row of the matrix."""

    framework: str
    cuda: str
    build_image: str
    build_tag: str
    runtime_image: str  # "" when the runtime stage builds on the build base (framework none)
    runtime_tag: str
    python: str = PYTHON_VERSION
    # Framework-step build args of this row.
    args: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return combination_key(self.framework, self.cuda)


def _framework(name: str, dockerfile: str, stages: tuple[str, ...], **kw: object) -> Framework:
    sw = pins.SWITCHES[name]
    default_cuda = next(r.cuda for r in pins.ROWS if r.framework == name)
    return Framework(
        name,
        dockerfile,
        stages,
        default_cuda,
        sw.kvbm,
        sw.gpu_memory_service,
        sw.media,
        **kw,  # type: ignore[arg-type]
    )


FRAMEWORK_TABLE: dict[str, Framework] = {
    "none": _framework(
        "none",
        BASE_DOCKERFILE,
        ("uv", "dynamo_base", "wheel_builder", "base", "runtime", "dynamo_tools", "dev", "epp", "frontend"),
        modules=("dynamo",),
    ),
    "vllm": _framework(
        "vllm",
        "Dockerfile.vllm",
        ("dynamo_base", "wheel_builder", "framework", "runtime", "dynamo_tools", "dev"),
        modules=("dynamo", "vllm"),
    ),
    "sglang": _framework(
        "sglang",
        "Dockerfile.sglang",
        ("dynamo_base", "wheel_builder", "runtime", "dynamo_tools", "dev"),
        arm64_args=(("GRACE_BLACKWELL", "true"), ("BUILD_TYPE", "blackwell_aarch64")),
        modules=("dynamo", "sglang"),
    ),
    "trtllm": _framework(
        "trtllm",
        "Dockerfile.trtllm",
        (
            "trtllm_wheel_image_empty",
            "pytorch_base",
            "trtllm_wheel_image",
            "dynamo_base",
            "wheel_builder",
            "framework",
            "runtime",
            "dynamo_tools",
            "dev",
        ),
        modules=("dynamo", "tensorrt_llm"),
    ),
}

VARIANTS: tuple[Variant, ...] = tuple(
    Variant(
        r.framework,
        r.cuda,
        r.build_image,
        r.build_tag,
        r.runtime_image,
        r.runtime_tag,
        args=(("CUDA_VERSION", r.cuda_arg),) if r.cuda_arg else (),
    )
    for r in pins.ROWS
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
    """'none: 12.8; vllm: 12.9, 13.0; ...' for error messages."""
    return "; ".join(f"{fw}: {', '.join(cuda_versions(fw))}" for fw in FRAMEWORKS)


# ----- derived defaults: what an empty setting stands for ------------------------------------------
# One table that resolve applies and `invoke config` shows (a setting left empty, or `auto` for the
# feature switches, takes the value of the configured framework and CUDA row).


def feature_defaults(fw: Framework) -> dict[str, bool]:
    """The feature switches (`auto` when unset) of a build of `fw`, by setting name."""
    return {
        "enable_kvbm": fw.kvbm,
        "enable_gpu_memory_service": fw.gpu_memory_service,
        "enable_media_nixl": fw.media,
        "enable_media_ffmpeg": fw.media,
    }


def image_defaults(variant: Variant) -> dict[str, str]:
    """The base images of one row (runtime_image '' for framework none: it builds on the build base)."""
    return {
        "base_image": variant.build_image,
        "base_image_tag": variant.build_tag,
        "runtime_image": variant.runtime_image,
        "runtime_image_tag": variant.runtime_tag,
    }


def derived_defaults(fw: Framework, variant: Variant | None) -> dict[str, bool | str]:
    """Every setting whose empty value stands for a value of `fw` (and its CUDA row, when valid)."""
    out: dict[str, bool | str] = {**feature_defaults(fw), "cuda_version": fw.default_cuda}
    if fw.name == "vllm":
        out["vllm_max_jobs"] = pins.value("MAX_JOBS")  # the Dockerfile's own: no MAX_JOBS arg is passed
    if fw.name == "trtllm":
        out["tensorrtllm_pip_wheel"] = TRTLLM_PIP_WHEEL
        out["tensorrtllm_index_url"] = TRTLLM_INDEX_URL
    if variant is not None:
        out |= image_defaults(variant)
    return out
