"""Every configuration key of the tool, declared once.

Each field of `Settings` is one setting: its Python type, its built-in default and its help text.
From this one declaration come the env-file key (`DYNAMO_<NAME>`), the task flag(s), the help
text of every flag, `.env.example` and the `invoke config` table.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from dynamo_container.model import catalog, pins

PREFIX = "DYNAMO_"

Kind = Literal["str", "bool", "optbool", "int", "list"]
Group = Literal["build", "run", "engine", "sccache"]


def _setting(
    default: Any,
    help: str,
    *,
    group: Group = "build",
    flag: str | None = None,
    negative_flag: str | None = None,
    short: str | None = None,
    alias: str | None = None,
    choices: tuple[str, ...] = (),
    cli: bool = True,
    path: bool = False,
) -> Any:
    """Declare one setting. `flag` replaces the derived `--name`; `negative_flag` adds a flag for False.

    `path`: the value is a path on this machine (for a list, each item holds one, see config.py): a
    relative one is taken from the folder of the env file that sets it, or from the current folder for
    a flag or the environment.
    """
    meta = {
        "help": help,
        "group": group,
        "flag": flag,
        "negative_flag": negative_flag,
        "short": short,
        "alias": alias,
        "choices": choices,
        "cli": cli,
        "path": path,
    }
    return field(default=default, metadata=meta)


# eq/repr are not generated: nothing compares or prints a whole Settings, and with 84 fields
# generating them is a measurable part of every command's start-up.
@dataclass(frozen=True, eq=False, repr=False)
class Settings:
    # ----- what to build -------------------------------------------------------------------------
    framework: str = _setting(
        catalog.DEFAULT_FRAMEWORK,
        "Inference framework of the image: none, vllm, sglang or trtllm (any case); a comma list or all "
        "builds a matrix.",
    )
    target: str = _setting(
        "",
        "Stage to build: runtime, dev, local-dev, or an intermediate stage (framework, base, wheel_builder, "
        "dynamo_base). Empty: dev, as build.sh (tags dynamo:<version>-<framework>-dev and "
        "dynamo:latest-<framework>).",
    )
    cuda_version: str = _setting(
        "",
        "CUDA version (a row of the framework matrix, e.g. 12.9 or 13.0), a comma list, or all. Empty: the "
        "framework's default.",
    )
    platform: str = _setting(
        "linux/amd64",
        "Target platform: linux/amd64 or linux/arm64; a comma list (linux/amd64,linux/arm64) builds each "
        "and joins them in a manifest list in the registry (needs --push and --registry).",
    )
    base_image: str = _setting(
        "", "Build (devel) base image of the dynamo_base stage. Empty: from the framework matrix."
    )
    base_image_tag: str = _setting("", "Tag of the build base image. Empty: from the framework matrix.")
    runtime_image: str = _setting("", "Base image of the runtime stage. Empty: from the framework matrix.")
    runtime_image_tag: str = _setting("", "Tag of the runtime base image. Empty: from the framework matrix.")
    build_args: tuple[str, ...] = _setting(
        (),
        "Extra docker build argument NAME=VALUE, or NAME for the environment's value as docker takes it "
        "(repeatable; wins over a derived argument of the same name). Never a credential: tokens travel "
        "as BuildKit secrets.",
        flag="build-arg",
    )
    tag: str = _setting(
        "",
        "Image reference of the final image instead of dynamo:<version>-<framework>-<target>; for dev and "
        "local-dev, its -runtime, -local-dev or -dev is dropped and -dev or -local-dev added (build.sh).",
    )
    no_tag_latest: bool = _setting(False, "Do not add the dynamo:latest-<framework>[-<target>] tag.")
    cache_from: tuple[str, ...] = _setting(
        (),
        "BuildKit --cache-from source, e.g. type=registry,ref=R: each step reads "
        "R:cache-<combination>-<step> "
        "(repeatable; a ref with a tag is read as it is).",
    )
    cache_to: tuple[str, ...] = _setting(
        (),
        "BuildKit --cache-to destination, e.g. type=registry,ref=R,mode=max: each step exports to "
        "R:cache-<combination>-<step> (repeatable; type=inline as it is).",
    )
    no_cache: bool = _setting(False, "Build without using the build cache.")
    force: bool = _setting(
        False,
        "Run every build step, also one that is up to date (its inputs unchanged since it built the image "
        "the engine still has under its tags).",
    )
    build_contexts: tuple[str, ...] = _setting(
        (),
        "Extra named build context NAME=PATH (repeatable).",
        flag="build-context",
        path=True,
    )
    push: bool = _setting(False, "Push the built image tags (their references name the registry).")
    no_load: bool = _setting(
        False,
        "Leave the final image in the build cache instead of loading it into the engine (buildx only; "
        "the images later steps build on are still loaded).",
    )
    dry_run: bool = _setting(False, "Print the plan and every docker command; run and write nothing.")
    release_build: bool = _setting(
        False, "Release build: HEAD must carry an exact version tag; passes RELEASE_BUILD=true."
    )
    enable_kvbm: bool | None = _setting(
        None,
        "Build the KV block manager (default: on for vllm and trtllm, off otherwise).",
        negative_flag="disable-kvbm",
    )
    enable_gpu_memory_service: bool | None = _setting(
        None,
        "Build the GPU memory service (default: on for vllm and sglang, off otherwise).",
        negative_flag="disable-gpu-memory-service",
    )
    enable_media_nixl: bool | None = _setting(
        None,
        "Build ai-dynamo-runtime with the media-nixl feature (default: on for vllm, sglang and trtllm).",
        negative_flag="disable-media-nixl",
    )
    enable_media_ffmpeg: bool | None = _setting(
        None,
        "Build FFmpeg and the media-ffmpeg feature (default: on for vllm, sglang and trtllm).",
        negative_flag="disable-media-ffmpeg",
    )
    make_efa: bool = _setting(
        False,
        "Add the AWS EFA layer (the AWS EFA installer's libfabric) on top: each tag of the image below "
        "with -aws (stage runtime-aws for runtime and local-dev, dev-aws otherwise).",
    )
    use_sccache: bool = _setting(
        False, "Compile through sccache with an S3 bucket (needs --sccache-bucket and --sccache-region)."
    )
    sccache_bucket: str = _setting("", "S3 bucket of the sccache cache.")
    sccache_region: str = _setting("", "AWS region of the sccache bucket.")
    vllm_max_jobs: int | None = _setting(
        None,
        f"Parallel compile jobs of the vLLM build (MAX_JOBS; vllm only; default "
        f"{pins.value('MAX_JOBS')}, the Dockerfile's).",
    )
    dev_image: str = _setting(
        "",
        "Build only a local-dev image on top of this existing dev image (its tag's -dev replaced by "
        "-local-dev).",
    )
    uid: str = _setting("", "UID of the dynamo user in a local-dev image (default: yours).")
    gid: str = _setting("", "GID of the dynamo user in a local-dev image (default: yours).")
    tensorrtllm_pip_wheel: str = _setting(
        "", f"TRT-LLM pip spec to install (download mode; default {catalog.TRTLLM_PIP_WHEEL})."
    )
    tensorrtllm_index_url: str = _setting(
        "", f"Package index of --tensorrtllm-pip-wheel (default {catalog.TRTLLM_INDEX_URL})."
    )
    tensorrtllm_pip_wheel_dir: str = _setting(
        "",
        "Folder holding one TRT-LLM wheel and commit.txt (<arch>_<commit>) to install; with "
        "--tensorrtllm-git-url, where the built wheel goes.",
        path=True,
    )
    tensorrtllm_commit: str = _setting(
        "", "TRT-LLM commit, tag or branch (build mode; overrides commit.txt)."
    )
    tensorrtllm_git_url: str = _setting("", "TRT-LLM git URL: build the wheel from source first.")
    trtllm_src_dir: str = _setting(
        "/tmp/TensorRT-LLM",
        "Where the TensorRT-LLM source is fetched to build a wheel (reused between builds).",
        path=True,
    )
    trtllm_cuda_archs: str = _setting(
        "", "CUDA architectures of a TRT-LLM wheel build, e.g. '90-real;100-real'. Empty: TRT-LLM's default."
    )
    trtllm_use_nixl_kvcache_experimental: bool = _setting(
        False, "Build TRT-LLM with the experimental NIXL KV-cache transfer."
    )
    version: str = _setting("", "Image version instead of the one derived from git tags (e.g. 0.7.0).")
    commit_sha: str = _setting("", "Commit recorded in DYNAMO_COMMIT_SHA instead of git's HEAD.")
    nixl_ref: str = _setting(catalog.NIXL_REF, "NIXL git ref built into the images.")
    nixl_ucx_ref: str = _setting(catalog.NIXL_UCX_REF, "UCX git ref built for NIXL.")
    nixl_gdrcopy_ref: str = _setting(catalog.NIXL_GDRCOPY_REF, "gdrcopy git ref built for UCX and NIXL.")
    nixl_libfabric_ref: str = _setting(catalog.NIXL_LIBFABRIC_REF, "libfabric git ref built for NIXL.")
    efa_version: str = _setting(catalog.EFA_VERSION, "AWS EFA installer version of the EFA layer.")
    registry: str = _setting(
        "",
        "Registry (and namespace) in front of the image names, e.g. registry.example:5000/team.",
    )
    image_name: str = _setting("dynamo", "Repository name of the framework images.")
    base_image_name: str = _setting("dynamo-base", "Repository name of the step-1 base images.")
    container_dir: str = _setting(
        "",
        "Folder of the Dockerfile family (tests use a stand-in). Empty: the real family, container/ of "
        "this tool's repository or its copy inside the installed package.",
        path=True,
    )
    context: str = _setting(
        "",
        "The Dynamo checkout to build (the build context), e.g. ../dynamo. Empty: the git checkout around "
        "the current folder, when it is a Dynamo checkout.",
        path=True,
    )
    build_network: str = _setting("", "Network of RUN steps (--network), e.g. host. Empty: docker's default.")
    log_dir: str = _setting(
        "build-logs",
        "Folder of the per-step build logs, receipts and build keys (a relative default is in the Dynamo "
        "checkout around the current folder, or this tool's repository).",
        path=True,
    )
    jobs: int | None = _setting(
        None,
        "Combinations a matrix build runs at once (default: CPUs, at most one per ~2 GB of free memory).",
    )
    executor: str = _setting(
        "steps",
        "How a build runs: steps (each docker buildx build in order, combinations --jobs at a time, "
        "up-to-date steps skipped, receipts) or bake (the plan's bake file in one docker buildx bake: "
        "one BuildKit solve for every target, shared stages built once; no receipts).",
        choices=("steps", "bake"),
    )
    progress: str = _setting(
        "auto",
        "How a real build shows itself: tty (a live view; a status board for a matrix build), plain "
        "(prefixed log lines, for CI), quiet (only step results, the summary and errors), or auto (tty "
        "on a terminal that can show it, else plain).",
        choices=("auto", "tty", "plain", "quiet"),
    )
    context_warn_mb: int | None = _setting(
        500,
        "Warn before a build when the build context (after its ignore file) is larger than this many MB.",
    )
    # ----- invoke sccache-install / sccache-stats ---------------------------------------------------
    sccache_version: str = _setting(
        "v0.14.0",
        "sccache release that invoke sccache-install installs (the one container/use-sccache.sh installs).",
        group="sccache",
    )
    sccache_install_dir: str = _setting(
        "/usr/local/bin",
        "Folder invoke sccache-install puts the sccache binary in.",
        group="sccache",
        path=True,
    )
    sccache_base_url: str = _setting(
        "https://github.com/mozilla/sccache/releases/download",
        "Where the release tarballs are: <url>/<version>/sccache-<version>-<arch>-unknown-linux-musl.tar.gz "
        "(http(s):// or file://; point it at a mirror when offline).",
        group="sccache",
    )
    sccache_sha256: str = _setting(
        "",
        "SHA-256 of the release tarball for the architecture installed. Empty: the pinned checksum of the "
        "version (a version without one is refused).",
        group="sccache",
        flag="sha256",
    )
    # ----- invoke run --------------------------------------------------------------------------------
    image: str = _setting(
        "",
        "Image to run. Empty: dynamo:latest-<framework>[-<target>] from --framework/--target.",
        group="run",
    )
    name: str = _setting("", "Container name.", group="run")
    gpus: str = _setting(
        "all", "GPUs for the container: all, a count, a device list (0,1 or GPU UUIDs), or none.", group="run"
    )
    hf_cache: str = _setting(
        "",
        "Host folder of the Hugging Face cache mounted into the container, or none. Empty: $HF_HOME, or "
        "<context>/container/.cache/huggingface with --mount-workspace, as run.sh. (--hf-home: run.sh's "
        "spelling.)",
        group="run",
        alias="hf-home",
        path=True,
    )
    volumes: tuple[str, ...] = _setting(
        (),
        "Extra volume SRC:DST[:OPTS] (repeatable); SRC must exist.",
        group="run",
        flag="volume",
        short="v",
        path=True,
    )
    envs: tuple[str, ...] = _setting(
        (),
        "Container environment NAME=VALUE, or NAME to pass your value by name (repeatable; credentials only "
        "by name).",
        group="run",
        flag="env",
        short="e",
    )
    ports: tuple[str, ...] = _setting(
        (), "Published port HOST:CONTAINER (repeatable).", group="run", flag="port", short="p"
    )
    entrypoint: str = _setting("", "Override the image's entrypoint.", group="run")
    privileged: bool | None = _setting(
        None,
        "Run privileged (default: not, also with --mount-workspace, as run.sh).",
        group="run",
        negative_flag="no-privileged",
    )
    rm: bool = _setting(True, "Remove the container when it exits.", group="run", negative_flag="no-rm")
    interactive: bool = _setting(
        False, "Keep stdin open (-i; -it for an interactive terminal).", group="run", short="i"
    )
    tty: bool | None = _setting(
        None,
        "Allocate a terminal (-t; -it for an interactive terminal). Default: none, also with "
        "--mount-workspace (as run.sh).",
        group="run",
        short="t",
        negative_flag="no-tty",
    )
    mount_workspace: bool = _setting(
        False,
        "Mount the Dynamo checkout (--context) at /workspace, /tmp and /mnt and the HF cache, pass "
        "HF_TOKEN by name (run.sh's development set-up; add -it for a shell).",
        group="run",
    )
    use_nixl_gds: bool = _setting(False, "Enable NIXL GPUDirect Storage (udev mount, IPC_LOCK).", group="run")
    network: str = _setting(
        "host", "Network mode of the container (host, none, bridge, a network name).", group="run"
    )
    user: str = _setting(
        "",
        "User in the container: UID[:GID], a name, or host (your UID:GID); one other than root also gets "
        "--group-add 0. Empty: the image's user.",
        group="run",
    )
    workdir: str = _setting("/workspace", "Working directory in the container.", group="run")
    shm_size: str = _setting("10G", "Size of /dev/shm.", group="run")
    ulimits: tuple[str, ...] = _setting(
        ("memlock=-1", "stack=67108864", "nofile=65536:65536"),
        "Resource limit TYPE=SOFT[:HARD] (repeatable); replaces the default of its TYPE; TYPE= drops it.",
        group="run",
        flag="ulimit",
    )
    runtime: str = _setting(
        "nvidia",
        "Container runtime (--runtime), as run.sh nvidia; left out with --gpus none; none: docker's default.",
        group="run",
    )
    container_env_file: str = _setting(
        "",
        "An env file for the container itself (docker run --env-file).",
        group="run",
        path=True,
    )
    cuda_device_order: str = _setting(
        "PCI_BUS_ID",
        "CUDA_DEVICE_ORDER in GPU containers, so device numbers agree with nvidia-smi.",
        group="run",
    )
    driver_capabilities: str = _setting(
        "compute,utility", "NVIDIA_DRIVER_CAPABILITIES in GPU containers.", group="run"
    )
    # ----- docker engine ---------------------------------------------------------------------------
    docker_cli: str = _setting("docker", "Docker CLI executable.", group="engine")
    build_frontend: str = _setting(
        "auto",
        "How builds run: buildx (docker buildx build --load), build (DOCKER_BUILDKIT=1 docker build), "
        "or auto (buildx when the CLI has it).",
        group="engine",
        choices=("auto", "buildx", "build"),
    )
    builder: str = _setting(
        "", "buildx builder instance to build on (docker buildx ls). Empty: the current one.", group="engine"
    )


@dataclass(frozen=True)
class SettingSpec:
    """One declared setting, with everything derived from its declaration."""

    name: str
    kind: Kind
    default: Any
    help: str
    group: Group
    flag: str
    negative_flag: str | None
    short: str | None
    alias: str | None  # a second long flag (the original scripts' spelling)
    choices: tuple[str, ...]
    cli: bool
    path: bool

    @property
    def env_key(self) -> str:
        return PREFIX + self.name.upper()

    def __deepcopy__(self, memo: dict[int, Any]) -> SettingSpec:
        return self  # immutable; invoke deep-copies every task (and the specs it holds) on each run


def _kind(annotation: Any) -> Kind:
    if annotation is bool:
        return "bool"
    if annotation is str:
        return "str"
    args = set(typing.get_args(annotation))
    if args == {bool, type(None)}:
        return "optbool"
    if args == {int, type(None)}:
        return "int"
    if typing.get_origin(annotation) is tuple:
        return "list"
    raise TypeError(f"unsupported setting type {annotation!r}")


@cache
def specs() -> tuple[SettingSpec, ...]:
    hints = typing.get_type_hints(Settings)
    out = []
    for f in dataclasses.fields(Settings):
        m = f.metadata
        out.append(
            SettingSpec(
                name=f.name,
                kind=_kind(hints[f.name]),
                default=f.default,
                help=m["help"],
                group=m["group"],
                flag=m["flag"] or f.name.replace("_", "-"),
                negative_flag=m["negative_flag"],
                short=m["short"],
                alias=m["alias"],
                choices=m["choices"],
                cli=m["cli"],
                path=m["path"],
            )
        )
    return tuple(out)


@cache
def by_name() -> dict[str, SettingSpec]:
    return {s.name: s for s in specs()}


@cache
def by_env_key() -> dict[str, SettingSpec]:
    return {s.env_key: s for s in specs()}


def in_groups(*groups: Group) -> Iterator[SettingSpec]:
    return (s for s in specs() if s.group in groups)
