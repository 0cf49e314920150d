"""The resolved request of a build: every value validated once, typed, ready for the planner.

`resolve_build` reads the configuration (and the files it names; the git facts arrive read, see
resolve/checkout.py) and returns a `BuildRequest`; the planner turns a request into steps without
looking at the configuration again. A matrix build is a list of requests, one per framework x CUDA
combination, each made by `resolve_combination` from the combination's catalog objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.model.frontend import Frontend
from dynamo_container.model.naming import Names, names_registry, split_ref
from dynamo_container.model.version import CheckoutFacts, VersionInfo
from dynamo_container.resolve import builder, values
from dynamo_container.resolve.values import origin

if TYPE_CHECKING:  # the TRT-LLM resolution is imported only for TRT-LLM builds
    from dynamo_container.resolve.trtllm import TrtllmIntent, WheelRequest


@dataclass(frozen=True)
class Host:
    uid: int
    gid: int


@dataclass(frozen=True)
class Images:
    base_image: str
    base_tag: str
    runtime_image: str  # "" for framework none (its runtime builds on the build base)
    runtime_tag: str


@dataclass(frozen=True)
class Features:
    kvbm: bool
    gpu_memory_service: bool
    media_nixl: bool
    media_ffmpeg: bool


@dataclass(frozen=True)
class Cache:
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    no_cache: bool = False


@dataclass(frozen=True, eq=False, repr=False)  # (not compared or printed: cheaper to import)
class BuildRequest:
    framework: catalog.Framework
    variant: catalog.Variant
    arch: str
    platform: str
    target: str  # "" = the framework image to its dev stage, without a tag suffix
    dev_image: str  # build only a local-dev image on top of this one
    uid: str
    gid: str
    images: Images
    features: Features
    refs: tuple[tuple[str, str], ...]  # NIXL_* build args
    names: Names
    version: VersionInfo
    frontend: Frontend
    container: Path
    context: Path
    log_dir: Path
    epp_image: str = ""  # --target frontend: the EPP image its host step makes first
    make_efa: bool = False
    efa_version: str = ""
    push: bool = False
    no_load: bool = False
    release_build: bool = False
    sccache: tuple[str, str] | None = None  # (bucket, region)
    vllm_max_jobs: int | None = None
    trtllm: TrtllmIntent | None = None
    wheel_build: WheelRequest | None = None  # with trtllm.mode == "build"
    trtllm_nixl_kvcache: bool = False
    user_args: tuple[tuple[str, str], ...] = ()
    user_contexts: tuple[tuple[str, str], ...] = ()
    secret_ids: tuple[str, ...] = ()  # BuildKit secrets whose variables are set
    cache: Cache = field(default_factory=Cache)
    network: str = ""
    env_file: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def local_dev(self) -> bool:
        return bool(self.dev_image) or self.target == catalog.LOCAL_DEV_STAGE

    @property
    def base_only(self) -> bool:
        return self.target in catalog.BASE_ONLY_TARGETS

    @property
    def key(self) -> str:
        return self.variant.key


# The settings of a build that name images, tags or registries (checked against docker's grammar).
IMAGE_SETTINGS = (
    "image_name",
    "base_image_name",
    "base_image",
    "runtime_image",
    "base_image_tag",
    "runtime_image_tag",
    "tag",
    "dev_image",
    "registry",
)


# The build settings with a grammar of their own (resolve/values.py _SHAPES).
SHAPED_SETTINGS = (
    "tensorrtllm_commit",
    "tensorrtllm_git_url",
    "tensorrtllm_index_url",
    "tensorrtllm_pip_wheel",
    "trtllm_cuda_archs",
    "nixl_ref",
    "nixl_ucx_ref",
    "nixl_gdrcopy_ref",
    "nixl_libfabric_ref",
    "efa_version",
    "commit_sha",
    "sccache_bucket",
    "sccache_region",
    "build_network",
    "builder",
    "cache_from",
    "cache_to",
)


def resolve_build(cfg: Config, checkout: CheckoutFacts, frontend: Frontend, host: Host) -> BuildRequest:
    """Validate every build setting of `cfg` and return the request (or refuse with one line)."""
    check_shared(cfg)
    fw = values.framework(cfg)
    return resolve_combination(cfg, fw, values.variant(cfg, fw), checkout, frontend, host)


def check_shared(cfg: Config) -> None:
    """The settings every combination of a build shares that have a grammar: names and shapes."""
    values.references(cfg, *IMAGE_SETTINGS)
    values.shapes(cfg, *SHAPED_SETTINGS)


def resolve_combination(
    cfg: Config,
    fw: catalog.Framework,
    variant: catalog.Variant,
    checkout: CheckoutFacts,
    frontend: Frontend,
    host: Host,
    platform: tuple[str, str] | None = None,
) -> BuildRequest:
    """The request of one framework x CUDA combination; `check_shared(cfg)` has passed.

    The framework and CUDA settings are not read here: a matrix build names several, and each of its
    combinations arrives as catalog objects. So does the (platform, arch) of one platform of a
    multi-platform build (resolve/platforms.py), which reads the platform list itself."""
    warnings: list[str] = list(cfg.warnings)
    version = checkout.version
    platform_name, arch = platform or (cfg.s.platform.strip(), values.platform(cfg))
    target = _target(cfg, fw, warnings)
    trtllm = _trtllm(cfg, fw, arch, warnings)
    _check_options(cfg, fw, checkout, warnings)
    names = values.image_names(cfg)
    warnings += builder.check(frontend, names, cfg.s.push)
    warnings += values.build_arg_warnings(cfg)
    if cfg.s.no_load and not frontend.buildx:
        warnings.append("--no-load has no effect with docker build, which always loads the image")
    request = BuildRequest(
        framework=fw,
        variant=variant,
        arch=arch,
        platform=platform_name,
        target=target,
        dev_image=values.dev_image(cfg),
        uid=values.numeric_id(cfg, "uid", host.uid),
        gid=values.numeric_id(cfg, "gid", host.gid),
        images=_images(cfg, variant, warnings),
        features=_features(cfg, fw),
        refs=_refs(cfg),
        names=names,
        version=version,
        frontend=frontend,
        container=_family(cfg, fw),
        context=cfg.checkout(),
        # each combination logs into its own folder (one build at a time holds it: execute.log_folders)
        log_dir=cfg.path(cfg.s.log_dir) / catalog.combination_key(fw.name, variant.cuda),
        epp_image=_epp_image(checkout, target),
        make_efa=cfg.s.make_efa,
        efa_version=cfg.s.efa_version,
        push=cfg.s.push,
        no_load=cfg.s.no_load,
        release_build=cfg.s.release_build,
        sccache=(cfg.s.sccache_bucket, cfg.s.sccache_region) if cfg.s.use_sccache else None,
        vllm_max_jobs=cfg.s.vllm_max_jobs if fw.name == "vllm" else None,
        trtllm=trtllm,
        wheel_build=_wheel_build(cfg, trtllm, arch),
        trtllm_nixl_kvcache=cfg.s.trtllm_use_nixl_kvcache_experimental,
        user_args=tuple(values.build_args(cfg)),
        user_contexts=tuple(values.build_contexts(cfg)),
        secret_ids=tuple(values.secrets_present(cfg)),
        cache=_cache(cfg),
        network=cfg.s.build_network,
        env_file=cfg.env_file,
        warnings=tuple(warnings),
    )
    _check_registry(request)
    return request


def _target(cfg: Config, fw: catalog.Framework, warnings: list[str]) -> str:
    s = cfg.s
    target = values.target(cfg, fw)
    if s.dev_image:
        for setting in ("base_image", "target"):
            if not getattr(s, setting):
                continue
            if values.given(cfg, setting):
                raise ConfigError(
                    f"{origin(cfg, setting)} cannot be used with --dev-image",
                    "use --dev-image to add a local-dev layer to an existing image, "
                    f"or {origin(cfg, setting)} to build new images",
                )
            warnings.append(f"{origin(cfg, setting)} is ignored with --dev-image")
        target = ""
    if (s.uid or s.gid) and not (s.dev_image or target == catalog.LOCAL_DEV_STAGE):
        raise ConfigError(
            "--uid and --gid can only be used with --dev-image or --target local-dev",
            "add --target local-dev",
        )
    if s.make_efa and (target in catalog.BASE_ONLY_TARGETS or target == "framework"):
        raise ConfigError(
            f"--make-efa adds a layer to a runtime or dev image, not to stage {target}",
            "use --target runtime or --target dev",
        )
    return target


def _epp_image(checkout: CheckoutFacts, target: str) -> str:
    """The tag the checkout's EPP Makefile gives its image (build.sh computes it the same way)."""
    if target != catalog.FRONTEND_STAGE:
        return ""
    return f"{catalog.EPP_IMAGE_REPO}:{checkout.epp_tag or 'dev'}"


def _wheel_build(cfg: Config, trtllm: TrtllmIntent | None, arch: str) -> WheelRequest | None:
    if trtllm is None:
        return None
    from dynamo_container.resolve.trtllm import build_wheel_request

    return build_wheel_request(cfg, trtllm, arch)


def _trtllm(cfg: Config, fw: catalog.Framework, arch: str, warnings: list[str]) -> TrtllmIntent | None:
    if fw.name == "trtllm" and not cfg.s.dev_image:
        from dynamo_container.resolve.trtllm import resolve_trtllm

        return resolve_trtllm(cfg, arch, warnings)
    trt = (
        "tensorrtllm_pip_wheel",
        "tensorrtllm_index_url",
        "tensorrtllm_pip_wheel_dir",
        "tensorrtllm_git_url",
    )
    if values.given(cfg, *trt):
        warnings.append(f"--tensorrtllm-* options are ignored for framework {fw.name}")
    return None


def _check_options(cfg: Config, fw: catalog.Framework, checkout: CheckoutFacts, warnings: list[str]) -> None:
    s = cfg.s
    if s.use_sccache:
        for name in ("sccache_bucket", "sccache_region"):
            if not getattr(s, name).strip():
                raise ConfigError(
                    f"{origin(cfg, name)} is required with --use-sccache", f"e.g. {origin(cfg, name)} VALUE"
                )
        missing = [env for env in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if env not in cfg.secrets]
        if missing:
            warnings.append(f"--use-sccache without {' and '.join(missing)}: sccache cannot reach S3")
    elif s.sccache_bucket or s.sccache_region:
        warnings.append("--sccache-bucket/--sccache-region are ignored without --use-sccache")
    if s.vllm_max_jobs is not None and fw.name != "vllm":
        warnings.append(f"--vllm-max-jobs only applies to vllm; ignored for {fw.name}")
    if s.release_build:
        _check_release(cfg, checkout)
    if s.no_load and s.push:
        raise ConfigError(
            "--push pushes the built image from the engine (docker push), so it needs it loaded",
            "drop --no-load",
        )


def _family(cfg: Config, fw: catalog.Framework) -> Path:
    """The Dockerfile family: a folder holding the Dockerfiles this framework's build reads."""
    where = origin(cfg, "container_dir")
    folder = values.existing_path(cfg, cfg.s.container_dir, where, folder=True)
    for name in dict.fromkeys((catalog.BASE_DOCKERFILE, fw.dockerfile)):
        if not (folder / name).is_file():
            raise ConfigError(
                f"{where} {cfg.shown(cfg.s.container_dir)} has no {name}", "point it at the Dockerfile family"
            )
    return folder


def _check_release(cfg: Config, checkout: CheckoutFacts) -> None:
    """A release image is built from a clean checkout whose HEAD carries the version tag."""
    version = checkout.version
    if cfg.s.version.strip() or cfg.s.commit_sha.strip():
        raise ConfigError(
            "--release-build takes the version and commit from the release tag",
            "drop --version and --commit-sha",
        )
    if not version.exact:
        raise ConfigError(
            f"--release-build needs HEAD on a version tag; this checkout is {version.version}",
            "tag the release commit (git tag vX.Y.Z) or drop --release-build",
        )
    if checkout.dirty:
        raise ConfigError(
            f"--release-build: the checkout {cfg.checkout()} has uncommitted changes",
            "commit or stash them (git status shows them)",
        )


def _images(cfg: Config, variant: catalog.Variant, warnings: list[str]) -> Images:
    s = cfg.s
    if not variant.runtime_image and values.given(cfg, "runtime_image", "runtime_image_tag"):
        warnings.append("framework none builds its runtime on the build base; --runtime-image* is ignored")
    d = catalog.image_defaults(variant)
    runtime = (s.runtime_image or d["runtime_image"]) if variant.runtime_image else ""
    runtime_tag = (s.runtime_image_tag or d["runtime_image_tag"]) if variant.runtime_image else ""
    return Images(
        s.base_image or d["base_image"], s.base_image_tag or d["base_image_tag"], runtime, runtime_tag
    )


def _features(cfg: Config, fw: catalog.Framework) -> Features:
    s = cfg.s

    d = catalog.feature_defaults(fw)

    def switch(name: str) -> bool:
        value: bool | None = getattr(s, name)
        return d[name] if value is None else value

    return Features(
        kvbm=switch("enable_kvbm"),
        gpu_memory_service=switch("enable_gpu_memory_service"),
        media_nixl=switch("enable_media_nixl"),
        media_ffmpeg=switch("enable_media_ffmpeg"),
    )


def _refs(cfg: Config) -> tuple[tuple[str, str], ...]:
    s = cfg.s
    return (
        ("NIXL_REF", s.nixl_ref),
        ("NIXL_LIBFABRIC_REF", s.nixl_libfabric_ref),
        ("NIXL_UCX_REF", s.nixl_ucx_ref),
        ("NIXL_GDRCOPY_REF", s.nixl_gdrcopy_ref),
    )


def _cache(cfg: Config) -> Cache:
    """The cache flags; a registry --cache-to names a repository, which the planner tags per step."""
    s = cfg.s
    for entry in s.cache_to:
        pairs = (
            dict(part.partition("=")[::2] for part in entry.split(",")) if "=" in entry else {"ref": entry}
        )
        ref = pairs.get("ref", "")
        if pairs.get("type", "registry") != "registry" or not ref:
            continue
        repo, tag = split_ref(ref)
        if tag or "@" in ref:
            raise ConfigError(
                f"{origin(cfg, 'cache_to')} {entry}: ref={ref} names one tag, which every step and "
                "combination would export over",
                f"name the repository only (ref={repo}): each step then exports to "
                f"{repo}:cache-<combination>-<step>",
            )
    return Cache(s.cache_from, s.cache_to, s.no_cache)


def _check_registry(req: BuildRequest) -> None:
    """Images that must travel through a registry need names that name one."""
    probe = f"{req.names.image_repo}:x" if not req.names.tag else req.names.tag
    if req.push and not names_registry(probe):
        raise ConfigError(
            "--push needs image names that name a registry",
            "add --registry HOST[:PORT][/NAMESPACE], or a --tag such as registry.example:5000/dynamo:v1",
        )
    multi_step = (req.framework.name != "none" and not req.base_only) or req.local_dev or req.make_efa
    base = f"{req.names.base_repo}:x"
    if not req.frontend.shares_image_store and multi_step and not names_registry(base):
        raise ConfigError(
            f"builder {req.frontend.builder} ({req.frontend.driver} driver) cannot read local images, so the "
            "images later steps build on must go through a registry",
            "add --registry HOST[:PORT][/NAMESPACE] (the builder must be able to pull from it)",
        )
