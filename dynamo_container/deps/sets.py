"""What each framework x CUDA image installs with pip/uv: the input of the dependency-resolution tier.

The images cannot be built here, but what their Python installs ask for can be resolved against
PyPI (`dynamo_container/deps/resolution.py`, `nox -s resolve`). For each row of the matrix this module lists
the install phases of the image, each requirement with the upstream `file:line` it comes from, the
sources that are not PyPI (skipped, with the reason), the stand-ins used instead, and the packages
the image already has at an exact version before the installs run (TRT-LLM's NGC PyTorch copies).

Versions come from the pin ledger (`pins.py`) and the matrix wherever the ledger carries them, so a
ledger change is what a resolution tests; `install_set(variant, ledger)` takes the ledger as a
mapping so a test can change one value. The requirement lists of Dynamo's requirements files and
pyproject files are facts of the upstream snapshot (`pins.SNAPSHOT`), recorded in `install_facts.py`.

Pure data and pure functions: no I/O, no invoke.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from dynamo_container.deps.facts import (
    AI_DYNAMO,
    AI_DYNAMO_DEPS,
    AI_DYNAMO_RUNTIME,
    AI_DYNAMO_RUNTIME_DEPS,
    BENCHMARKS,
    BENCHMARKS_DEPS,
    GIT_REASON,
    GIT_REQUIREMENTS,
    GLIBC_BY_OS,
    GMS,
    GMS_DEPS,
    INSTALL_VLLM,
    KVBM,
    KVBM_DEPS,
    REQUIREMENTS,
    REQUIREMENTS_TEST,
    REQUIREMENTS_TEST_TXT,
    REQUIREMENTS_TXT,
    SGLANG_IMAGE_GLIBC,
    TRTLLM_KNOWN_PINS,
    VLLM_CUDA13_VERSION,
)
from dynamo_container.model import catalog, pins


@dataclass(frozen=True)
class Requirement:
    spec: str  # a PEP 508 requirement, exactly as uv reads it (markers included)
    source: str  # the upstream file:line that installs or declares it
    pin: str = ""  # the ledger entry its version comes from ("" = a fact recorded in this module)


@dataclass(frozen=True)
class Phase:
    """One install step of the image, or one Dynamo wheel's declared dependencies."""

    what: str
    requirements: tuple[Requirement, ...]
    # Installed with `--force-reinstall --no-deps` after everything else: the set never has to fit
    # around them, so only "this version has a wheel for the platform" is checked.
    check_only: bool = False


@dataclass(frozen=True)
class Preinstalled:
    """A package the image holds at an exact version before its installs run (copied in, not resolved)."""

    name: str
    version: str
    source: str
    pin: str


@dataclass(frozen=True)
class Skipped:
    what: str
    source: str
    reason: str


@dataclass(frozen=True)
class StandIn:
    what: str  # what the image really installs
    stand_in: str  # what the resolution uses instead
    why: str


@dataclass(frozen=True)
class InstallSet:
    framework: str
    cuda: str
    python: str
    glibc: str  # the image OS's glibc as a manylinux tag suffix ("2_39")
    phases: tuple[Phase, ...]
    preinstalled: tuple[Preinstalled, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    stand_ins: tuple[StandIn, ...] = ()
    caveats: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return catalog.combination_key(self.framework, self.cuda)

    @property
    def resolved(self) -> tuple[Requirement, ...]:
        """Everything that must fit together in the final environment."""
        return tuple(r for p in self.phases if not p.check_only for r in p.requirements)

    @property
    def checked(self) -> tuple[Requirement, ...]:
        """The --no-deps reinstalls: each must exist for the platform, nothing more."""
        return tuple(r for p in self.phases if p.check_only for r in p.requirements)


def with_requirement(install: InstallSet, requirement: Requirement) -> InstallSet:
    """The same set with one more requirement in a phase of its own (e.g. a deliberately broken pin)."""
    return replace(install, phases=(*install.phases, Phase("added", (requirement,))))


def ledger_values() -> dict[str, str]:
    return {p.name: p.value for p in pins.PINS}


def _listed(path: str, entries: Mapping[int, str]) -> tuple[Requirement, ...]:
    return tuple(Requirement(spec, f"{path}:{line}") for line, spec in entries.items())


def _pinned(ledger: Mapping[str, str], name: str) -> Requirement:
    """A requirement whose text is the ledger value itself (a literal of a RUN line)."""
    source = next(p.source for p in pins.PINS if p.name == name)
    return Requirement(ledger[name], f"container/{source}", name)


def _cuda_major(cuda: str) -> str:
    return cuda.split(".")[0]


def _glibc(variant: catalog.Variant) -> str:
    tag = variant.runtime_tag or variant.build_tag
    for os_name, glibc in GLIBC_BY_OS.items():
        if tag.endswith(os_name):
            return glibc
    return SGLANG_IMAGE_GLIBC


# ----- the parts every image shares: the Dynamo wheels, NIXL and the requirement files --------------------


def _nixl_phase(ledger: Mapping[str, str], cuda: str, source: str) -> Phase:
    ref = ledger["NIXL_REF"]
    wheels = (f"nixl=={ref}", f"nixl-cu{_cuda_major(cuda)}=={ref}")
    return Phase(
        "NIXL wheels (built from source; PyPI's wheels of the same version stand in)",
        tuple(Requirement(spec, source, "NIXL_REF") for spec in wheels),
    )


def _nixl_stand_in(ledger: Mapping[str, str], cuda: str) -> StandIn:
    ref = ledger["NIXL_REF"]
    return StandIn(
        f"NIXL {ref} built from source (nixl-cu{_cuda_major(cuda)} and the nixl meta wheel)",
        f"PyPI's nixl=={ref} and nixl-cu{_cuda_major(cuda)}=={ref}",
        "the same version's published wheels; their metadata is what the built ones declare "
        "(the nixl meta wheel requires nixl-cu12>=0.9.0 on every CUDA version)",
    )


def _dynamo_phases(framework: str, ledger: Mapping[str, str], cuda: str, wheels_at: str) -> tuple[Phase, ...]:
    fw = catalog.framework(framework)
    phases = [
        Phase(
            "ai-dynamo-runtime (declared dependencies)", _listed(AI_DYNAMO_RUNTIME, AI_DYNAMO_RUNTIME_DEPS)
        ),
        Phase("ai-dynamo (declared dependencies)", _listed(AI_DYNAMO, AI_DYNAMO_DEPS)),
        _nixl_phase(ledger, cuda, wheels_at),
    ]
    if fw.gpu_memory_service:
        phases.append(Phase("gpu-memory-service (declared dependencies)", _listed(GMS, GMS_DEPS)))
    if fw.kvbm:
        phases.append(Phase("kvbm (declared dependencies)", _listed(KVBM, KVBM_DEPS)))
    return tuple(phases)


def _common_phases() -> tuple[Phase, ...]:
    return (
        Phase("benchmarks (declared dependencies)", _listed(BENCHMARKS, BENCHMARKS_DEPS)),
        Phase("requirements.txt", _listed(REQUIREMENTS_TXT, REQUIREMENTS)),
        Phase("requirements.test.txt", _listed(REQUIREMENTS_TEST_TXT, REQUIREMENTS_TEST)),
    )


def _wheel_skips(framework: str, wheels_at: str) -> tuple[Skipped, ...]:
    fw = catalog.framework(framework)
    built = "built from source in the image (wheel_builder); its declared dependencies are resolved"
    wheels = ["ai-dynamo-runtime 0.9.0", "ai-dynamo 0.9.0"]
    wheels += ["gpu-memory-service 0.9.0"] if fw.gpu_memory_service else []
    wheels += ["kvbm 0.9.0"] if fw.kvbm else []
    return tuple(Skipped(f"the {w} wheel", wheels_at, built) for w in wheels)


def _git_skips() -> tuple[Skipped, ...]:
    return tuple(Skipped(spec, source, GIT_REASON) for source, spec in GIT_REQUIREMENTS)


# ----- the rows ----------------------------------------------------------------------------------------


def _none(variant: catalog.Variant, ledger: Mapping[str, str]) -> InstallSet:
    wheels_at = "container/Dockerfile:522-525"  # where the runtime stage installs the wheels
    return InstallSet(
        "none",
        variant.cuda,
        variant.python,
        _glibc(variant),
        _dynamo_phases("none", ledger, variant.cuda, wheels_at),
        skipped=_wheel_skips("none", wheels_at),
        stand_ins=(_nixl_stand_in(ledger, variant.cuda),),
        caveats=("no requirements files: the none runtime installs only the Dynamo and NIXL wheels",),
    )


@dataclass(frozen=True)
class _Part:
    """Phases and what was left out or replaced, of one part of an image."""

    phases: tuple[Phase, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    stand_ins: tuple[StandIn, ...] = ()


def _torch_backend(cuda: str) -> str:
    return "cu" + cuda.replace(".", "")  # install_vllm.sh:106


def _vllm_cuda12(ledger: Mapping[str, str]) -> _Part:
    """LMCache (amd64 only, install_vllm.sh:119) and vLLM from PyPI at the ledger's VLLM_REF."""
    lmcache = f"lmcache=={ledger['LMCACHE_REF']} ; platform_machine == 'x86_64'"
    vllm = f"vllm[flashinfer,runai]=={ledger['VLLM_REF']}"
    return _Part(
        (
            Phase("LMCache (amd64 only)", (Requirement(lmcache, f"{INSTALL_VLLM}:122", "LMCACHE_REF"),)),
            Phase("vLLM", (Requirement(vllm, f"{INSTALL_VLLM}:144", "VLLM_REF"),)),
        )
    )


def _vllm_cuda13(backend: str) -> _Part:
    """vLLM's GitHub wheel of the script's fixed version; no LMCache."""
    wheel = f"vllm-{VLLM_CUDA13_VERSION}+{backend}-cp38-abi3-manylinux_2_35_<arch>.whl"
    vllm = Requirement(f"vllm[flashinfer,runai]=={VLLM_CUDA13_VERSION}", f"{INSTALL_VLLM}:150-154")
    return _Part(
        (Phase("vLLM (stand-in for the GitHub wheel)", (vllm,)),),
        (
            Skipped(
                wheel, f"{INSTALL_VLLM}:153", "a GitHub release asset, not PyPI (GitHub is out of reach)"
            ),
            Skipped("LMCache", f"{INSTALL_VLLM}:116-129", "install_vllm.sh installs LMCache on CUDA 12 only"),
        ),
        (StandIn(wheel, f"PyPI's vllm=={VLLM_CUDA13_VERSION}", "the same release's metadata from PyPI"),),
    )


def _flashinfer(ledger: Mapping[str, str], backend: str, cuda_major: str) -> _Part:
    ref = ledger["FLASHINF_REF"]
    cubin_line, jit_line = (145, 146) if cuda_major == "12" else (155, 156)
    cubin = Requirement(f"flashinfer-cubin=={ref}", f"{INSTALL_VLLM}:{cubin_line}", "FLASHINF_REF")
    jit = Skipped(
        f"flashinfer-jit-cache=={ref}",
        f"{INSTALL_VLLM}:{jit_line}",
        f"only on https://flashinfer.ai/whl/{backend} (not PyPI; out of reach)",
    )
    return _Part((Phase("FlashInfer cubin", (cubin,)),), (jit,))


_FROM_VLLM_CHECKOUT = "built from source from the vLLM checkout (GitHub)"


def _vllm(variant: catalog.Variant, ledger: Mapping[str, str]) -> InstallSet:
    major, backend = _cuda_major(variant.cuda), _torch_backend(variant.cuda)
    wheels_at = "container/Dockerfile.vllm:768-771"  # where the runtime stage installs the wheels
    prerequisites = Phase(
        "prerequisites", tuple(Requirement(n, f"{INSTALL_VLLM}:110") for n in ("pip", "cuda-python"))
    )
    engine = _vllm_cuda12(ledger) if major == "12" else _vllm_cuda13(backend)
    flashinfer = _flashinfer(ledger, backend, major)
    torch = StandIn(
        f"torch and its ecosystem from download.pytorch.org/whl/{backend} (--torch-backend={backend})",
        "PyPI's builds of the same versions (PyPI's torch is a CUDA 12.8 build)",
        f"https://download.pytorch.org/whl/{backend} is out of reach",
    )
    return InstallSet(
        "vllm",
        variant.cuda,
        variant.python,
        _glibc(variant),
        (
            prerequisites,
            *engine.phases,
            *flashinfer.phases,
            *_dynamo_phases("vllm", ledger, variant.cuda, wheels_at),
            *_common_phases(),
        ),
        skipped=(
            *engine.skipped,
            *flashinfer.skipped,
            Skipped("DeepGEMM", f"{INSTALL_VLLM}:163-170", _FROM_VLLM_CHECKOUT),
            Skipped("EP kernels (PPLX, DeepEP)", f"{INSTALL_VLLM}:172-175", _FROM_VLLM_CHECKOUT),
            *_wheel_skips("vllm", wheels_at),
            *_git_skips(),
        ),
        stand_ins=(torch, *engine.stand_ins, _nixl_stand_in(ledger, variant.cuda)),
    )


_SGLANG_NVIDIA_PINS = {
    "12": ("nvidia-nccl-cu12", "nvidia-cudnn-cu12", "nvidia-cutlass-dsl (CUDA 12)"),
    "13": ("nvidia-nccl-cu13", "nvidia-cublas", "nvidia-cutlass-dsl (CUDA 13)", "nvidia-cudnn-cu13"),
}


def _sglang(variant: catalog.Variant, ledger: Mapping[str, str]) -> InstallSet:
    wheels_at = "container/Dockerfile.sglang:521-525"  # where the runtime stage installs the wheels
    version = variant.runtime_tag.split("-")[0]  # SGLANG_VERSION="${RUNTIME_IMAGE_TAG%%-*}" (:517)
    sglang = Requirement(
        f"sglang=={version}", "container/Dockerfile.sglang:525,540", "sglang runtime tag (matrix)"
    )
    nvidia = tuple(_pinned(ledger, name) for name in _SGLANG_NVIDIA_PINS[_cuda_major(variant.cuda)])
    phases = (
        Phase("SGLang", (sglang,)),
        *_dynamo_phases("sglang", ledger, variant.cuda, wheels_at),
        *_common_phases(),
        Phase("urllib3 floor", (_pinned(ledger, "urllib3"),)),
        Phase("NVIDIA libraries (--force-reinstall --no-deps)", nvidia, check_only=True),
    )
    image = f"{variant.runtime_image}:{variant.runtime_tag}"
    return InstallSet(
        "sglang",
        variant.cuda,
        variant.python,
        _glibc(variant),
        phases,
        skipped=(
            Skipped(
                f"the packages already in {image}",
                "container/Dockerfile.sglang:465",
                "unknown here (the image cannot be pulled); system pip keeps those that fit the set and "
                "replaces the others, so the set is resolved as if the image had none",
            ),
            *_wheel_skips("sglang", wheels_at),
            *_git_skips(),
        ),
        stand_ins=(_nixl_stand_in(ledger, variant.cuda),),
        caveats=(
            "installed with pip (system site-packages), resolved here with uv: the same satisfiability "
            "question, possibly different picks",
            f"glibc {SGLANG_IMAGE_GLIBC.replace('_', '.')} assumed for {image} (its OS is not known here)",
        ),
    )


_TRTLLM = "container/Dockerfile.trtllm"
# NGC PyTorch 25.12 packages the TRT-LLM framework stage copies into its venv (Dockerfile.trtllm:532-554).
_NGC_COPIES = (
    ("torch", "TORCH_VER"),
    ("torchvision", "TORCHVISION_VER"),
    ("pytorch-triton", "PYTORCH_TRITON_VER"),
    ("torchao", "TORCHAO_VER"),
    ("torchdata", "TORCHDATA_VER"),
    ("torchtitan", "TORCHTITAN_VER"),
    ("torch-tensorrt", "TORCH_TENSORRT_VER"),
    ("flash-attn", "FLASH_ATTN_VER"),
    ("jinja2", "JINJA2_VER"),
    ("sympy", "SYMPY_VER"),
)
NGC_MODEL = (
    "each copied package is an exact-version requirement served by a metadata-only stub wheel (no "
    "dependencies), so every other package's specifier on it is checked against the real NGC version, "
    "local label and pre-release included; `--override` with the nearest public version was not used "
    "because an override replaces every other requirement on the package and would hide the very "
    "conflicts this row exists to find"
)


def _trtllm_wheel_skip(ledger: Mapping[str, str]) -> Skipped:
    spec = ledger["TRTLLM_PIP_WHEEL (planner default)"]
    version = spec.split("==")[-1]
    if version in ledger["TRTLLM_ABI_INCOMPATIBLE_VERSIONS"].split():
        where = f"the wheel inside {ledger['TRTLLM_WHEEL_IMAGE (planner, download mode)']}"
    else:
        where = f"a direct wheel URL on {ledger['TENSORRTLLM_INDEX_URL']}"
    return Skipped(
        f"{spec} from {where}",
        f"{_TRTLLM}:578-603",
        "out of reach; PyPI's tensorrt-llm of that version is a wheel-stub sdist whose PKG-INFO lists "
        "Requires-Dist as dynamic and none at all (uv reads it as a package without dependencies, so it "
        "cannot stand in for the wheel's requirements)",
    )


def _trtllm_phases(ledger: Mapping[str, str], cuda: str, wheels_at: str) -> tuple[Phase, ...]:
    flashinfer = f"flashinfer-python=={ledger['FLASHINFER_PYTHON_VER']}"
    known = tuple(Requirement(spec, source) for source, spec in TRTLLM_KNOWN_PINS)
    return (
        Phase("FlashInfer", (Requirement(flashinfer, f"{_TRTLLM}:556", "FLASHINFER_PYTHON_VER"),)),
        Phase("cuda-python", (_pinned(ledger, "cuda-python"),)),
        Phase("triton beside the TensorRT-LLM wheel", (_pinned(ledger, "triton"),)),
        Phase("TensorRT-LLM's own pins, as Dynamo records them", known),
        *_dynamo_phases("trtllm", ledger, cuda, wheels_at),
        *_common_phases(),
        Phase("CuPy", (_pinned(ledger, "cupy-cuda13x"),)),
    )


def _trtllm_skips(ledger: Mapping[str, str], wheels_at: str) -> tuple[Skipped, ...]:
    return (
        _trtllm_wheel_skip(ledger),
        Skipped(
            "TensorRT (install_tensorrt.sh inside the TensorRT-LLM wheel)",
            f"{_TRTLLM}:604-620",
            "the script ships inside the wheel, which is out of reach",
        ),
        Skipped(
            "--extra-index-url https://download.pytorch.org/whl/cu130",
            f"{_TRTLLM}:853",
            "out of reach; the requirements resolve from PyPI alone",
        ),
        *_wheel_skips("trtllm", wheels_at),
        *_git_skips(),
    )


def _trtllm_stand_ins(ledger: Mapping[str, str], cuda: str) -> tuple[StandIn, ...]:
    ngc = f"NGC PyTorch {ledger['PYTORCH_BASE_IMAGE_TAG']} packages copied into the venv"
    trtllm = f"{ledger['TRTLLM_PIP_WHEEL (planner default)']}'s requirements"
    known = " ".join(spec for _, spec in TRTLLM_KNOWN_PINS)
    return (
        _nixl_stand_in(ledger, cuda),
        StandIn(ngc, "exact-version stub wheels", NGC_MODEL),
        StandIn(trtllm, known, "the only TensorRT-LLM pin the snapshot records (requirements.txt:54-58)"),
    )


def _trtllm(variant: catalog.Variant, ledger: Mapping[str, str]) -> InstallSet:
    wheels_at = f"{_TRTLLM}:821-825"  # where the runtime stage installs the wheels
    ngc = f"{_TRTLLM}:532-554"
    return InstallSet(
        "trtllm",
        variant.cuda,
        variant.python,
        _glibc(variant),
        _trtllm_phases(ledger, variant.cuda, wheels_at),
        preinstalled=tuple(Preinstalled(name, ledger[pin], ngc, pin) for name, pin in _NGC_COPIES),
        skipped=_trtllm_skips(ledger, wheels_at),
        stand_ins=_trtllm_stand_ins(ledger, variant.cuda),
        caveats=(
            "TensorRT-LLM's own requirements (torch, triton, ...) are not known here: see the skipped wheel",
        ),
    )


_BUILDERS = {"none": _none, "vllm": _vllm, "sglang": _sglang, "trtllm": _trtllm}


def install_set(variant: catalog.Variant, ledger: Mapping[str, str] | None = None) -> InstallSet:
    """The install set of one matrix row, built from `ledger` (default: the pin ledger as it is)."""
    return _BUILDERS[variant.framework](variant, ledger_values() if ledger is None else ledger)


def install_sets(ledger: Mapping[str, str] | None = None) -> tuple[InstallSet, ...]:
    return tuple(install_set(v, ledger) for v in catalog.VARIANTS)
