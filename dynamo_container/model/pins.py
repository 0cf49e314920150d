"""The pin ledger: every version, image and switch the real Dockerfile family builds with.

The family builds Dynamo at one upstream commit, `SNAPSHOT`. Each `Pin` records its value, where
that commit sets it (`file:line`), how this project carries it (a build arg the planner passes,
an ARG default of a Dockerfile, or a literal in a Dockerfile's text) and, for a deliberate
difference, the snapshot's value and why. `DIFFERENCES` lists the structural differences.

`model/catalog.py` takes its images and framework defaults from here; the contract tests check that the
Dockerfile ARG defaults, the Dockerfile texts and the planner's build args agree with this table;
`container/PINS.md` is generated from it (`python -m dynamo_container.model.pins`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SNAPSHOT = "3b9b3f31c0012eb4dd71bdf095d46847b0d7019f"
SNAPSHOT_DATE = "2026-02-02"
UPSTREAM = "https://github.com/ai-dynamo/dynamo"

# How a pin reaches the images:
#   planner  the planner passes it as --build-arg (the Dockerfiles declare it without a default)
#   default  the ARG default in each of `files`
#   text     the literal `value` appears in each of `files` (a version inside a RUN line)
#   matrix   a framework x CUDA row of catalog.py (images, per-row args)
Carrier = Literal["planner", "default", "text", "matrix"]


@dataclass(frozen=True)
class Pin:
    name: str
    value: str
    source: str  # where the snapshot sets it: container/<file>:<line>
    carrier: Carrier
    files: tuple[str, ...] = ()
    snapshot: str | None = None  # the snapshot's value, when this project differs
    why: str = ""

    @property
    def differs(self) -> bool:
        return self.snapshot is not None and self.snapshot != self.value


_BASE = ("Dockerfile",)
_VLLM = ("Dockerfile.vllm",)
_SGLANG = ("Dockerfile.sglang",)
_TRTLLM = ("Dockerfile.trtllm",)

PINS: tuple[Pin, ...] = (
    # ----- passed by the planner to every build (build.sh's own values) -----------------------------
    Pin("PYTHON_VERSION", "3.12", "build.sh:146", "planner"),
    Pin("NIXL_REF", "0.9.0", "build.sh:148", "planner"),
    Pin(
        "NIXL_UCX_REF",
        "v1.20.0",
        "build.sh:149",
        "planner",
        snapshot="1.20.0",
        why="the ref goes to `git checkout` in the UCX clone (Dockerfile:292), whose release tags carry "
        "a `v`; `1.20.0` names nothing and the build stops. Upstream made the same fix on 2026-02-05.",
    ),
    Pin("NIXL_GDRCOPY_REF", "v2.5.1", "build.sh:150", "planner"),
    Pin("NIXL_LIBFABRIC_REF", "v2.3.0", "build.sh:151", "planner"),
    Pin("EFA_VERSION", "1.45.1", "build.sh:154", "planner"),
    # ----- the shared stages (container/Dockerfile; built once, in step 1) ---------------------------
    Pin(
        "UV_VERSION",
        "0.9.28",
        "Dockerfile:72",
        "default",
        _BASE,
        snapshot="latest",
        why="`ghcr.io/astral-sh/uv:latest` floats, so the same commit builds with a different uv every "
        "week. 0.9.28 was the newest uv when the snapshot was committed (0.9.29 followed 12 hours later).",
    ),
    Pin("NATS_VERSION", "v2.10.28", "Dockerfile:75", "default", _BASE),
    Pin("ETCD_VERSION", "v3.5.21", "Dockerfile:81", "default", _BASE),
    Pin("RUST_VERSION", "1.90.0", "Dockerfile:93", "default", _BASE),
    Pin("RUSTUP_VERSION", "1.28.1", "Dockerfile:99", "default", _BASE),
    Pin("PROTOC_VERSION", "25.3", "Dockerfile:186", "default", _BASE),
    Pin("FFMPEG_VERSION", "7.1", "Dockerfile:241", "default", _BASE),
    Pin("AWS_SDK_CPP_VERSION", "1.11.581", "Dockerfile.vllm:376", "default", _BASE),
    Pin(
        "MANYLINUX_TAG",
        "2026.01.04-1",
        "Dockerfile:113",
        "default",
        _BASE,
        snapshot="latest",
        why="the snapshot's wheel_builder is `FROM quay.io/pypa/manylinux_2_28_${ARCH_ALT}` untagged, a "
        "rolling `latest` that changes the toolchain every few days. 2026.01.04-1 is the newest build "
        "that cibuildwheel 3.3.1 (January 2026) pinned for both architectures before the snapshot.",
    ),
    Pin("CARGO_BUILD_JOBS", "${CARGO_BUILD_JOBS:-16}", "Dockerfile:128", "text", _BASE),
    Pin(
        "SCCACHE_VERSION",
        "v0.14.0",
        "use-sccache.sh:10",
        "text",
        ("use-sccache.sh",),
        snapshot="v0.8.2",
        why="the snapshot downloads sccache without a checksum; this project's use-sccache.sh and "
        "`invoke sccache-install` verify pinned SHA-256s, which it has for v0.14.0. sccache runs only "
        "in builder stages and is in no image.",
    ),
    # ----- vLLM (container/Dockerfile.vllm, container/deps/vllm/install_vllm.sh of the checkout) -----
    Pin("VLLM_REF", "v0.14.1", "Dockerfile.vllm:78", "default", _VLLM),
    Pin("FLASHINF_REF", "v0.5.3", "Dockerfile.vllm:80", "default", _VLLM),
    Pin("DEEPGEMM_REF", "", "Dockerfile.vllm:83", "default", _VLLM),
    Pin("LMCACHE_REF", "0.3.12", "Dockerfile.vllm:84", "default", _VLLM),
    Pin("CUDA_VERSION", "12.9", "Dockerfile.vllm:75", "default", _VLLM),
    Pin("MAX_JOBS", "16", "Dockerfile.vllm:564", "default", _VLLM),
    # ----- SGLang (container/Dockerfile.sglang) --------------------------------------------------------
    Pin("nvidia-nccl-cu12", "nvidia-nccl-cu12==2.28.3", "Dockerfile.sglang:553", "text", _SGLANG),
    Pin("nvidia-cudnn-cu12", "nvidia-cudnn-cu12==9.16.0.29", "Dockerfile.sglang:554", "text", _SGLANG),
    Pin(
        "nvidia-cutlass-dsl (CUDA 12)", "nvidia-cutlass-dsl==4.3.5", "Dockerfile.sglang:555", "text", _SGLANG
    ),
    Pin("nvidia-nccl-cu13", "nvidia-nccl-cu13==2.28.3", "Dockerfile.sglang:559", "text", _SGLANG),
    Pin("nvidia-cublas", "nvidia-cublas==13.1.0.3", "Dockerfile.sglang:560", "text", _SGLANG),
    Pin(
        "nvidia-cutlass-dsl (CUDA 13)", "nvidia-cutlass-dsl==4.3.1", "Dockerfile.sglang:561", "text", _SGLANG
    ),
    Pin("nvidia-cudnn-cu13", "nvidia-cudnn-cu13==9.16.0.29", "Dockerfile.sglang:562", "text", _SGLANG),
    Pin("urllib3", "urllib3>=2.6.3", "Dockerfile.sglang:544", "text", _SGLANG),
    # ----- TensorRT-LLM (container/Dockerfile.trtllm, build.sh's TRT-LLM rules) -----------------------
    Pin("PYTORCH_BASE_IMAGE", "nvcr.io/nvidia/pytorch", "Dockerfile.trtllm:44", "default", _TRTLLM),
    Pin("PYTORCH_BASE_IMAGE_TAG", "25.12-py3", "Dockerfile.trtllm:45", "default", _TRTLLM),
    Pin("HAS_TRTLLM_CONTEXT", "0", "Dockerfile.trtllm:50", "default", _TRTLLM),
    Pin("TENSORRTLLM_PIP_WHEEL", "tensorrt-llm", "Dockerfile.trtllm:51", "default", _TRTLLM),
    Pin("TENSORRTLLM_INDEX_URL", "https://pypi.nvidia.com/", "Dockerfile.trtllm:52", "default", _TRTLLM),
    Pin("TRTLLM_WHEEL_IMAGE", "trtllm_wheel_image_empty", "Dockerfile.trtllm:54", "default", _TRTLLM),
    Pin("FLASHINFER_PYTHON_VER", "0.6.1", "Dockerfile.trtllm:520", "default", _TRTLLM),
    Pin("PYTORCH_TRITON_VER", "3.5.1+gitbfeb0668.nv25.12", "Dockerfile.trtllm:521", "default", _TRTLLM),
    Pin("TORCHAO_VER", "0.15.0+git01374eb5", "Dockerfile.trtllm:522", "default", _TRTLLM),
    Pin("TORCHDATA_VER", "0.11.0", "Dockerfile.trtllm:523", "default", _TRTLLM),
    Pin("TORCHTITAN_VER", "0.2.0", "Dockerfile.trtllm:524", "default", _TRTLLM),
    Pin("TORCH_VER", "2.10.0a0+b4e4ee81d3.nv25.12", "Dockerfile.trtllm:525", "default", _TRTLLM),
    Pin("TORCH_TENSORRT_VER", "2.10.0a0", "Dockerfile.trtllm:526", "default", _TRTLLM),
    Pin("TORCHVISION_VER", "0.25.0a0+ca221243", "Dockerfile.trtllm:527", "default", _TRTLLM),
    Pin("JINJA2_VER", "3.1.6", "Dockerfile.trtllm:528", "default", _TRTLLM),
    Pin("SYMPY_VER", "1.14.0", "Dockerfile.trtllm:529", "default", _TRTLLM),
    Pin("FLASH_ATTN_VER", "2.7.4.post1+25.12", "Dockerfile.trtllm:530", "default", _TRTLLM),
    Pin("cuda-python", "cuda-python==13.0.2", "Dockerfile.trtllm:567", "text", _TRTLLM),
    Pin("triton", "triton==3.5.1", "Dockerfile.trtllm:582", "text", _TRTLLM),
    Pin("alpine", "alpine:3.20", "Dockerfile.trtllm:83", "text", _TRTLLM),
    Pin("cupy-cuda13x", "cupy-cuda13x", "Dockerfile.trtllm:856", "text", _TRTLLM),
    Pin("TRTLLM_PIP_WHEEL (planner default)", "tensorrt-llm==1.3.0rc1", "build.sh:116", "planner"),
    Pin("TRTLLM_ABI_INCOMPATIBLE_VERSIONS", "1.3.0rc1", "build.sh:120", "planner"),
    Pin(
        "TRTLLM_WHEEL_IMAGE (planner, download mode)",
        "nvcr.io/nvidia/tensorrt-llm/release:1.3.0rc1",
        "build.sh:818",
        "planner",
    ),
    Pin("GITHUB_TRTLLM_COMMIT", "v1.3.0rc1", "build.sh:884", "planner"),
    # ----- development images ---------------------------------------------------------------------------
    Pin(
        "nsight-systems",
        "nsight-systems-2025.5.1",
        "dev/Dockerfile.dev:173",
        "text",
        ("Dockerfile", "Dockerfile.vllm", "Dockerfile.sglang", "Dockerfile.trtllm"),
    ),
)

# ----- images of the framework x CUDA rows (catalog.py reads these) -------------------------------------
DL_BASE = "nvcr.io/nvidia/cuda-dl-base"
CUDA_IMAGE = "nvcr.io/nvidia/cuda"
SGLANG_IMAGE = "lmsysorg/sglang"
PYTORCH_IMAGE = "nvcr.io/nvidia/pytorch"


@dataclass(frozen=True)
class RowPins:
    """The images and per-row args of one framework x CUDA row, with where build.sh sets them."""

    framework: str
    cuda: str
    build_image: str
    build_tag: str
    runtime_image: str  # "" for framework none: its runtime is built on the devel base
    runtime_tag: str
    cuda_arg: str  # CUDA_VERSION passed to step 2 ("" = none passed)
    source: str


ROWS: tuple[RowPins, ...] = (
    RowPins("none", "12.8", DL_BASE, "25.01-cuda12.8-devel-ubuntu24.04", "", "", "", "build.sh:135-136"),
    RowPins(
        "vllm",
        "12.9",
        DL_BASE,
        "25.06-cuda12.9-devel-ubuntu24.04",
        CUDA_IMAGE,
        "12.9.1-runtime-ubuntu24.04",
        "12.9",
        "build.sh:124,129; Dockerfile.vllm:73-75",
    ),
    RowPins(
        "vllm",
        "13.0",
        DL_BASE,
        "25.11-cuda13.0-devel-ubuntu24.04",
        CUDA_IMAGE,
        "13.0.2-runtime-ubuntu24.04",
        "13.0",
        "build.sh:130,133,448-452",
    ),
    RowPins(
        "sglang",
        "12.9",
        DL_BASE,
        "25.06-cuda12.9-devel-ubuntu24.04",
        SGLANG_IMAGE,
        "v0.5.8-runtime",
        "12.9.1",
        "build.sh:139-142; Dockerfile.sglang:44-45",
    ),
    RowPins(
        "sglang",
        "13.0",
        DL_BASE,
        "25.11-cuda13.0-devel-ubuntu24.04",
        SGLANG_IMAGE,
        "v0.5.8-cu130-runtime",
        "13.0.1",
        "build.sh:141,143-144,457-462",
    ),
    RowPins(
        "trtllm",
        "13.1",
        PYTORCH_IMAGE,
        "25.12-py3",
        DL_BASE,
        "25.12-cuda13.1-runtime-ubuntu24.04",
        "",
        "build.sh:76-77; Dockerfile.trtllm:46-47",
    ),
)


@dataclass(frozen=True)
class Switches:
    """Which optional parts build.sh turns on for a framework (only `true` is passed for the first two)."""

    kvbm: bool
    gpu_memory_service: bool
    media: bool  # ENABLE_MEDIA_NIXL and ENABLE_MEDIA_FFMPEG, always passed


SWITCHES: dict[str, Switches] = {
    "none": Switches(kvbm=False, gpu_memory_service=False, media=False),
    "vllm": Switches(kvbm=True, gpu_memory_service=True, media=True),
    "sglang": Switches(kvbm=False, gpu_memory_service=True, media=True),
    "trtllm": Switches(kvbm=True, gpu_memory_service=False, media=True),
}
SWITCH_SOURCE = "build.sh:892-939"


@dataclass(frozen=True)
class Difference:
    what: str
    why: str


# Structural and content differences of the family from the snapshot (besides the pins above).
DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "Two steps: `Dockerfile --target base` builds dynamo_base and wheel_builder once per framework "
        "and CUDA version; the framework Dockerfile builds FROM that image (DYNAMO_BASE_IMAGE) and unpacks "
        "the wheel_builder outputs (kept under /opt/dynamo/wheel_builder) into its own wheel_builder "
        "stage. Upstream repeats both stages in every framework file.",
        "the build planner and its recorded build.sh scenarios share this two-step graph; the framework "
        "stages read the same paths as upstream's.",
    ),
    Difference(
        "The media switches are honoured, as upstream does from commit ac0206293 (2026-02-10, 8 days after "
        "the snapshot): with ENABLE_MEDIA_FFMPEG=true wheel_builder builds FFmpeg 7.1 and the runtime "
        "images get its libraries in /usr/local/lib, headers in /usr/local/include, .pc files in "
        "/usr/lib/pkgconfig and the source in /usr/local/src/ffmpeg; ai-dynamo-runtime gets the features "
        "`dynamo-llm/media-nixl media-ffmpeg`. The NIXL libraries go to /opt/nvidia/nvda_nixl (lib64 "
        "copied to lib/<arch>-linux-gnu) in the none, vLLM and TensorRT-LLM images; the SGLang image has "
        "no NIXL libraries of its own and gets media-nixl with NIXL from its wheel, as ac0206293's. An "
        "ENABLE_MEDIA_* left unset (a hand build) means off.",
        "at the snapshot upstream's framework files declare ENABLE_MEDIA_* only globally, so their "
        "wheel_builder never sees build.sh's `true`: no FFmpeg, no features (snapshot G1); ac0206293 "
        "re-declares them. `--disable-media-nixl --disable-media-ffmpeg` reproduces the snapshot's wheels.",
    ),
    Difference(
        "The build arg FRAMEWORK reaches step 1 too; it selects vLLM's extra dnf packages and AWS SDK C++ "
        "and the kvbm auditwheel exclusions (`lib*.so*` for framework none only), which upstream keeps in "
        "separate files.",
        "one shared step-1 Dockerfile carries what differed between upstream's four copies.",
    ),
    Difference(
        "Helper scripts come from the named build context `tooling` (this project's container/ folder); "
        "sccache statistics, git credentials and the build record use this project's scripts.",
        "the main context is an unmodified Dynamo checkout; its own container/use-sccache.sh (v0.8.2, no "
        "checksum) is not used.",
    ),
    Difference(
        "Secrets are read from BuildKit secret files (`--mount=type=secret,id=...`) instead of `env=`.",
        "`env=` needs the dockerfile 1.10 frontend; the family uses the engine's built-in frontend (no "
        "`# syntax=` line, which would pull a frontend image).",
    ),
    Difference(
        "The vLLM runtime copies the framework venv with one COPY instead of seven.",
        "upstream's split uses `COPY --exclude` (dockerfile 1.10-labs); the content is the same.",
    ),
    Difference(
        "Images carry OCI labels (revision, version, framework, CUDA row, target) and "
        "/opt/dynamo/build-info.env with the non-secret build args.",
        "the smoke checks compare a built image with its plan.",
    ),
    Difference(
        "local-dev is container/Dockerfile.local_dev (FROM DEV_BASE), a separate step after the dev image; "
        "a host UID or GID of 0 maps `dynamo` onto uid 0 / keeps group 0.",
        "the seed's layout; upstream's usermod/groupadd fail for a root host user (CI runners).",
    ),
    Difference(
        "Dockerfile.aws shares one `efa` stage between runtime-aws and dev-aws; a local-dev image gets "
        "runtime-aws (upstream's build.sh: dev-aws).",
        "the same two images without repeating the install; upstream's dev-aws would run the EFA installer "
        "as the local-dev user and leave the image as root.",
    ),
    Difference(
        "The frontend stage of container/Dockerfile sets SHELL to bash with pipefail.",
        "its install RUN pipes find into head; upstream's runs in /bin/sh without pipefail.",
    ),
    Difference(
        "The vLLM and TensorRT-LLM runtimes copy FFmpeg as root.",
        "upstream copies it after `USER dynamo`, which cannot write to /usr/local; the `; true` hid it "
        "because upstream built no FFmpeg (ac0206293 still copies it as `dynamo`). With the media "
        "switches honoured the copy must succeed.",
    ),
    Difference(
        "Multi-line RUNs are `set -eux` heredocs: a failing command stops the step where upstream's `;` "
        "chains and `|| true` carried on (e.g. a failed editable install in dev).",
        "a broken step should fail the build that made it, not the first user of the image.",
    ),
    Difference(
        "The SGLang dev image's uv is the step-1 uv (UV_VERSION), not `ghcr.io/astral-sh/uv:latest`.",
        "the same floating tag as UV_VERSION's.",
    ),
    Difference(
        "TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL=1 (off by default) sets TRTLLM_USE_NIXL_KVCACHE=1 in the "
        "TensorRT-LLM runtime.",
        "an addition (--trtllm-use-nixl-kvcache-experimental): the snapshot's build.sh has no such option, "
        "only a variable TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL=0 (build.sh:109) that nothing reads.",
    ),
    Difference(
        "container/Dockerfile.docs, the snapshot's documentation-site image, is not carried.",
        "it builds the docs website from ubuntu:24.04, no Dynamo image; build.sh never builds it and no "
        "task of this project does.",
    ),
    Difference(
        "Framework none has one row, CUDA 12.8 (its base image's CUDA).",
        "build.sh pins none to cuda-dl-base 25.01-cuda12.8 and has no CUDA 13 override for it.",
    ),
)


def by_name() -> dict[str, Pin]:
    return {p.name: p for p in PINS}


def value(name: str) -> str:
    return by_name()[name].value


def ledger_markdown() -> str:
    """The text of container/PINS.md."""
    out = [
        "# Pin ledger (generated by `python -m dynamo_container.model.pins`; do not edit)",
        "",
        f"The real Dockerfile family builds Dynamo at upstream commit `{SNAPSHOT[:9]}` ({SNAPSHOT_DATE}).",
        "`source` is where that commit sets the value (`container/<file>:<line>`); `carried by` is how this",
        "project passes it: a build arg of the planner, an ARG default, a literal in a Dockerfile, or a",
        "row of the framework matrix. The contract tests check every row against the Dockerfiles and the",
        "planner.",
        "",
        "| pin | value | source | carried by | snapshot, if different | why |",
        "|---|---|---|---|---|---|",
    ]
    for p in PINS:
        carried = p.carrier + (f" ({', '.join(p.files)})" if p.files else "")
        snap = f"`{p.snapshot}`" if p.differs else ""
        out.append(f"| {p.name} | `{p.value or '(empty)'}` | {p.source} | {carried} | {snap} | {p.why} |")
    out += [
        "",
        "## Images of the framework x CUDA rows",
        "",
        "| framework | CUDA | build base | runtime base | CUDA_VERSION arg | source |",
        "|---|---|---|---|---|---|",
    ]
    for r in ROWS:
        runtime = (
            f"`{r.runtime_image}:{r.runtime_tag}`"
            if r.runtime_image
            else "the build base (`runtime` FROM it)"
        )
        out.append(
            f"| {r.framework} | {r.cuda} | `{r.build_image}:{r.build_tag}` | {runtime} | "
            f"{r.cuda_arg or '(not passed)'} | {r.source} |"
        )
    out += [
        "",
        f"## Switches ({SWITCH_SOURCE})",
        "",
        "| framework | ENABLE_KVBM | ENABLE_GPU_MEMORY_SERVICE | ENABLE_MEDIA_NIXL, ENABLE_MEDIA_FFMPEG |",
        "|---|---|---|---|",
    ]
    for fw, sw in SWITCHES.items():
        out.append(f"| {fw} | {_on(sw.kvbm)} | {_on(sw.gpu_memory_service)} | {str(sw.media).lower()} |")
    out += ["", "## Other deliberate differences", ""]
    for d in DIFFERENCES:
        out.append(f"- {d.what} Why: {d.why}")
    return "\n".join(out) + "\n"


def _on(flag: bool) -> str:
    """ENABLE_KVBM and ENABLE_GPU_MEMORY_SERVICE are passed only when true, as build.sh does."""
    return "true" if flag else "false (not passed)"


if __name__ == "__main__":
    print(ledger_markdown(), end="")
