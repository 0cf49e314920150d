"""Facts of the upstream snapshot (`pins.SNAPSHOT`) that the dependency-resolution tier reads.

The requirement lists of Dynamo's requirements files and pyproject files, by `line: requirement`,
and the few versions the pin ledger does not carry, each with the upstream line it comes from.
Pure data: `install_sets.py` turns it into the install phases of each image.
"""

from __future__ import annotations

REQUIREMENTS_TXT = "container/deps/requirements.txt"
REQUIREMENTS_TEST_TXT = "container/deps/requirements.test.txt"
AI_DYNAMO = "pyproject.toml"
AI_DYNAMO_RUNTIME = "lib/bindings/python/pyproject.toml"
KVBM = "lib/bindings/kvbm/pyproject.toml"
GMS = "lib/gpu_memory_service/pyproject.toml"
BENCHMARKS = "benchmarks/pyproject.toml"
INSTALL_VLLM = "container/deps/vllm/install_vllm.sh"

# The Dynamo wheels are built from source in the image (wheel_builder), so what is resolved is the
# dependency list each pyproject declares (line: requirement).
AI_DYNAMO_RUNTIME_DEPS = {29: "pydantic>=2.10.6,<=2.13", 30: "uvloop>=0.21.0"}
AI_DYNAMO_DEPS = {
    # 16: ai-dynamo-runtime==0.9.0 is the wheel built beside it: satisfied by construction.
    17: "transformers>=4.56.0",
    18: "pytest>=8.3.4",
    19: "types-psutil>=7.0.0.20250218",
    20: "kubernetes>=32.0.1,<33.0.0",
    21: "fastapi>=0.115.0",
    22: "distro",
    24: "filelock",
    25: "typer",
    26: "click<8.2.0",
    27: "setuptools",
    28: "prometheus_client>=0.23.1,<1.0",
}
KVBM_DEPS = {29: "nixl[cu12]==0.9.0", 30: "pydantic>=2.0"}
GMS_DEPS = {19: "msgspec>=0.18.0", 20: "uvloop>=0.21.0"}
BENCHMARKS_DEPS = {
    # 43 aiconfigurator and 44 aiperf are git URLs: see GIT_REQUIREMENTS.
    45: "matplotlib",
    46: "networkx",
    47: "numpy",
    48: "pandas",
    49: "pydantic>=2",
    50: "tabulate",
    51: "types-tabulate",
    53: "transformers>=4.56.0",
    54: "pytest-mypy",
}
REQUIREMENTS = {
    14: "accelerate",
    16: "aiofiles",
    18: "av==15.0.0",
    19: "fastapi==0.120.1",
    20: "filterpy==1.4.5",
    21: "ftfy==6.3.1",
    22: "genai-perf==0.0.15",
    23: "grpcio-tools<=1.76.0",
    24: "httpx==0.28.1",
    25: "kr8s==0.20.13",
    26: "kubernetes==32.0.1",
    27: "kubernetes_asyncio<=32.1.1",
    28: "matplotlib==3.10.7",
    29: "msgpack==1.1.2",
    30: "msgspec==0.19.0",
    31: "mypy==1.18.2",
    32: "nvidia-ml-py<=13.580.65",
    33: "opentelemetry-api<=1.38.0",
    34: "opentelemetry-exporter-otlp<=1.38.0",
    35: "opentelemetry-sdk<=1.38.0",
    36: "pip<=25.0.1",
    37: "pmdarima==2.1.1",
    38: "pre-commit==4.5.0",
    39: "prometheus-api-client==0.6.0",
    40: "prometheus_client==0.23.1",
    41: "prophet==1.2.1",
    42: "protobuf>=5.29.5,<7.0.0",
    43: "pydantic>=2.11.4,<2.13",
    44: "pyright==1.1.407",
    45: "PyYAML==6.0.3",
    46: "scikit-learn==1.7.2",
    47: "scipy<1.14.0",
    48: "sentencepiece==0.2.1",
    51: "sniffio==1.3.1",
    52: "tensorboard>=2.19.0,<2.21.0",
    53: "tensorboardX==2.6.2.2",
    59: "transformers>=4.56.0",
    60: "types-aiofiles==25.1.0.20251011",
    61: "types-PyYAML==6.0.12.20250915",
    62: "uvicorn==0.38.0",
}
REQUIREMENTS_TEST = {
    12: "boto3==1.42.4",
    13: "boto3-stubs[s3]==1.42.9",
    15: "datasets==4.4.1",
    17: "nats-py==2.12.0",
    18: "psutil<=7.0.0",
    19: "pyright==1.1.407",
    20: "pytest==8.4.2",
    21: "pytest-asyncio==1.3.0",
    22: "pytest-benchmark==5.2.3",
    23: "pytest-codeblocks==0.17.0",
    24: "pytest-cov==7.0.0",
    25: "pytest-forked==1.6.0",
    26: "pytest-httpserver==1.1.3",
    27: "pytest-md-report==0.7.0",
    28: "pytest-mypy==1.0.1",
    29: "pytest-order==1.3.0",
    30: "pytest-timeout==2.4.0",
    31: "pytest-xdist==3.8.0",
    33: "tritonclient[grpc]<=2.62.0",
    35: "types-PyYAML==6.0.12.20250915",
    36: "types-requests==2.32.4.20250913",
}
GIT_REQUIREMENTS = (
    (
        f"{REQUIREMENTS_TXT}:15",
        "aiconfigurator[webapp] @ git+https://github.com/ai-dynamo/aiconfigurator.git@03d44c3c",
    ),
    (f"{REQUIREMENTS_TXT}:17", "aiperf @ git+https://github.com/ai-dynamo/aiperf.git@54cd6dc8"),
    (
        f"{BENCHMARKS}:43",
        "aiconfigurator[webapp] @ git+https://github.com/ai-dynamo/aiconfigurator.git@release/0.6.0",
    ),
    (f"{BENCHMARKS}:44", "aiperf @ git+https://github.com/ai-dynamo/aiperf.git@54cd6dc8"),
)
GIT_REASON = "a git URL (GitHub is out of reach here, and it is not a PyPI package)"

# Not in the ledger: install_vllm.sh:14 fixes the CUDA 13 vLLM wheel's version (VLLM_VER); the
# script's --vllm-ref does not reach that path (snapshot fact G4).
VLLM_CUDA13_VERSION = "0.14.1"
# Not in the ledger: what Dynamo itself records of TensorRT-LLM 1.3.0rc1's own pins
# (requirements.txt:56, "TensorRT-LLM 1.3.0rc1: ==4.57.1").
TRTLLM_KNOWN_PINS = ((f"{REQUIREMENTS_TXT}:56", "transformers==4.57.1"),)

# glibc of the OS each image's Python runs on, as a manylinux tag: a wheel tagged for a newer glibc
# would not install there, one for an older glibc does.
GLIBC_BY_OS = {"ubuntu24.04": "2_39", "ubuntu22.04": "2_35"}
# Not in the ledger: lmsysorg/sglang's tags do not name the OS. The last SGLang Dockerfile read here
# (v0.5.5) builds on nvidia/cuda:*-ubuntu22.04, so glibc 2.35 is assumed for its images.
SGLANG_IMAGE_GLIBC = "2_35"
