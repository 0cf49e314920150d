"""The build planner: a pure function from configuration to an ordered list of docker invocations.

Nothing here runs docker. The only I/O is reading files the plan depends on (a TRT-LLM wheel folder
and its commit.txt, the existence of named build contexts); the git version is computed by the
caller and passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import matrix
from .config import Config
from .errors import ConfigError
from .settings import SECRET_ENV_VARS
from .version import VersionInfo

StepKind = Literal["build", "push", "host"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTEXT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# build.sh's _is_semver_ref: 1.2.3, v1.2.3, 1.3.0rc1, 1.2.0-rc.1
_SEMVER = re.compile(
    r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-+][0-9A-Za-z.-]+|[A-Za-z][0-9A-Za-z.-]+)?$"
)
_CREDENTIAL_WORDS = {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS", "APIKEY"}
TRTLLM_CONTEXT = "trtllm_wheel"
TRTLLM_DEFAULT_WHEEL_DIR = "/tmp/trtllm_wheel"
TRTLLM_GIT_URL = "https://github.com/NVIDIA/TensorRT-LLM.git"


@dataclass(frozen=True)
class Secret:
    id: str
    env: str

    @property
    def flag(self) -> str:
        return f"id={self.id},env={self.env}"


@dataclass(frozen=True)
class Frontend:
    """How a build is invoked: `docker buildx build --load` or `DOCKER_BUILDKIT=1 docker build`."""

    docker: str = "docker"
    buildx: bool = True
    builder: str = ""
    # False for builders that cannot read the engine's image store (docker-container, kubernetes and
    # remote drivers): an image a later step builds FROM must travel through a registry.
    shares_image_store: bool = True
    driver: str = "docker"

    def build_prefix(self, output: str | None = "load") -> tuple[str, ...]:
        """The command words up to the options; `output` (load or push) is buildx's image destination."""
        if self.buildx:
            builder = ("--builder", self.builder) if self.builder else ()
            return (self.docker, "buildx", "build", *builder, *((f"--{output}",) if output else ()))
        return (self.docker, "build")

    @property
    def env(self) -> tuple[tuple[str, str], ...]:
        return () if self.buildx else (("DOCKER_BUILDKIT", "1"),)


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    argv: tuple[str, ...]
    kind: StepKind = "build"
    dockerfile: str | None = None
    target: str | None = None
    tags: tuple[str, ...] = ()
    build_args: tuple[tuple[str, str], ...] = ()
    secrets: tuple[Secret, ...] = ()
    contexts: tuple[tuple[str, str], ...] = ()
    platform: str | None = None
    context: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    log: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "argv": list(self.argv),
            "env": dict(self.env),
            "dockerfile": self.dockerfile,
            "target": self.target,
            "tags": list(self.tags),
            "build_args": dict(self.build_args),
            "secrets": [s.id for s in self.secrets],
            "contexts": dict(self.contexts),
            "platform": self.platform,
            "context": self.context,
            "log": self.log,
        }


@dataclass(frozen=True)
class TrtllmIntent:
    mode: Literal["download", "install", "build"]
    commit: str
    pip_wheel: str = ""
    index_url: str = ""
    wheel_dir: str = ""
    git_url: str = ""


@dataclass(frozen=True)
class BuildPlan:
    framework: str
    cuda: str
    target: str
    platform: str
    arch: str
    version: VersionInfo
    steps: tuple[Step, ...]
    summary: tuple[tuple[str, str], ...]
    final_tags: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    run_hint: str = ""
    trtllm: TrtllmIntent | None = None
    secret_env: tuple[str, ...] = field(default=())  # env vars the steps read secrets from

    def to_json(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "cuda_version": self.cuda,
            "target": self.target,
            "platform": self.platform,
            "arch": self.arch,
            "version": self.version.version,
            "python_version": self.version.python_version,
            "commit": self.version.commit,
            "final_tags": list(self.final_tags),
            "warnings": list(self.warnings),
            "steps": [s.to_json() for s in self.steps],
        }


# ---------------------------------------------------------------------------------------------------
# small pure helpers


def split_ref(ref: str) -> tuple[str, str]:
    """'reg:5000/img:tag' -> ('reg:5000/img', 'tag'); no tag -> (ref, ''). A digest is dropped."""
    ref = ref.split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, ""


def with_suffix(ref: str, suffix: str) -> str:
    """Append a suffix to the tag of an image reference ('img' has the implicit tag 'latest')."""
    repo, tag = split_ref(ref)
    return f"{repo}:{tag or 'latest'}{suffix}"


def names_registry(ref: str) -> bool:
    """True when an image reference names its registry host (docker's rule: '.' or ':' or localhost)."""
    first, sep, _ = ref.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def looks_like_credential(name: str) -> bool:
    parts = name.upper().split("_")
    if any(p in _CREDENTIAL_WORDS for p in parts):
        return True
    # KEY as the last word (API_KEY, SSH_KEY) or followed by ID (AWS_ACCESS_KEY_ID); not KEY_PREFIX.
    return any(p == "KEY" and (i == len(parts) - 1 or parts[i + 1] == "ID") for i, p in enumerate(parts))


def parse_platform(platform: str) -> str:
    """Return the docker arch of a single platform, or explain what is accepted."""
    items = [p.strip() for p in platform.split(",") if p.strip()]
    if len(items) != 1:
        raise ConfigError(
            f"--platform {platform!r} names {len(items)} platforms; build one platform at a time",
            "e.g. --platform linux/arm64",
        )
    arch = matrix.PLATFORMS.get(items[0].lower())
    if arch is None:
        raise ConfigError(
            f"unsupported platform {items[0]!r}", f"choose one of: {', '.join(sorted(matrix.PLATFORMS))}"
        )
    return arch


def _given(cfg: Config, *names: str) -> bool:
    """A setting came from a flag or the environment (an env file's value serves every framework)."""
    return any(getattr(cfg.s, n) and cfg.source(n).startswith(("flag", "environment")) for n in names)


def _bool(v: bool) -> str:
    return "true" if v else "false"


def parse_pairs(items: tuple[str, ...], flag: str, what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"{flag} {item!r} is not {what}=VALUE", f"e.g. {flag} {what}=value")
        out.append((name, value))
    return out


def user_build_args(cfg: Config) -> list[tuple[str, str]]:
    """User build args, refusing anything that looks like a credential."""
    known_values = {v: k for k, v in cfg.secrets.items() if len(v) >= 4}
    out = parse_pairs(cfg.s.build_args, "--build-arg", "NAME")
    for name, value in out:
        if not _NAME.match(name):
            raise ConfigError(f"--build-arg {name!r}: not a valid argument name", "use letters, digits and _")
        secret_id = next((i for i, env in SECRET_ENV_VARS.items() if env == name.upper()), "")
        how = (
            f"set {name.upper()} in the environment or an env file: it reaches the build as "
            f"BuildKit secret id={secret_id}"
            if secret_id
            else "pass credentials as BuildKit secrets, which never reach the image"
        )
        if looks_like_credential(name):
            raise ConfigError(
                f"--build-arg {name} looks like a credential; build args are stored in the image history", how
            )
        if value in known_values:
            raise ConfigError(
                f"--build-arg {name} carries the value of {known_values[value]}; "
                "build args are stored in the image history",
                how,
            )
    return out


# ---------------------------------------------------------------------------------------------------
# resolution of the request


@dataclass(frozen=True)
class _Request:
    fw: matrix.Framework
    variant: matrix.Variant
    cuda_suffix: str
    arch: str
    platform: str
    target: str
    local_dev: bool
    dev_image: str
    uid: str
    gid: str


def _resolve(cfg: Config, host_uid: int, host_gid: int, warnings: list[str]) -> _Request:
    s = cfg.s
    name = s.framework.strip().lower()
    if "," in name:
        raise ConfigError(f"--framework {s.framework!r}: one framework per build", "e.g. --framework sglang")
    if name not in matrix.FRAMEWORKS:
        raise ConfigError(
            f"unknown framework {s.framework!r}", f"choose one of: {', '.join(matrix.FRAMEWORKS)}"
        )
    fw = matrix.framework(name)
    arch = parse_platform(s.platform)
    target = s.target.strip()

    if s.dev_image:
        for setting, flag in (("base_image", "--base-image"), ("target", "--target")):
            if not getattr(s, setting):
                continue
            if cfg.source(setting).startswith(("flag", "environment")):
                raise ConfigError(
                    f"{flag} cannot be used with --dev-image",
                    f"use --dev-image to add a local-dev layer to an existing image, "
                    f"or {flag} to build new images",
                )
            warnings.append(f"{flag} from {cfg.source(setting)} is ignored with --dev-image")
        target = ""
    if (s.uid or s.gid) and not (s.dev_image or target == matrix.LOCAL_DEV_STAGE):
        raise ConfigError(
            "--uid and --gid can only be used with --dev-image or --target local-dev",
            "add --target local-dev",
        )
    for flag, value in (("--uid", s.uid), ("--gid", s.gid)):
        if value and not value.isdigit():
            raise ConfigError(f"{flag} {value!r} is not a numeric id", f"e.g. {flag} 1000")

    cuda = s.cuda_version.strip() or fw.default_cuda
    variant = matrix.find_variant(fw.name, cuda)
    if variant is None:
        raise ConfigError(
            f"CUDA {cuda} is not available for {fw.name}",
            f"valid combinations: {matrix.describe_valid()}",
        )
    cuda_suffix = "" if cuda == fw.default_cuda else f"-cuda{cuda}"

    if target and target not in fw.targets:
        raise ConfigError(
            f"unknown target {target!r} for {fw.name}", f"choose one of: {', '.join(fw.targets)}"
        )
    if s.make_efa and (target in matrix.BASE_ONLY_TARGETS or target == "framework"):
        raise ConfigError(
            f"--make-efa adds a layer to a runtime or dev image, not to stage {target}",
            "use --target runtime or --target dev",
        )
    if s.dev_image:
        _, tag = split_ref(s.dev_image)
        if tag.endswith("-local-dev"):
            raise ConfigError(
                f"--dev-image {s.dev_image!r} is already a local-dev image",
                "pass the dev image it was built from",
            )
    return _Request(
        fw=fw,
        variant=variant,
        cuda_suffix=cuda_suffix,
        arch=arch,
        platform=s.platform.strip(),
        target=target,
        local_dev=bool(s.dev_image) or target == matrix.LOCAL_DEV_STAGE,
        dev_image=s.dev_image,
        uid=s.uid or str(host_uid),
        gid=s.gid or str(host_gid),
    )


def resolve_trtllm(cfg: Config, arch: str, warnings: list[str]) -> TrtllmIntent:
    """Exactly one of download (pip spec), install (wheel dir) or build (git URL + commit)."""
    s = cfg.s
    if s.tensorrtllm_index_url and not s.tensorrtllm_pip_wheel:
        raise ConfigError(
            "--tensorrtllm-index-url needs --tensorrtllm-pip-wheel",
            "e.g. --tensorrtllm-pip-wheel tensorrt-llm==1.3.0rc16 --tensorrtllm-index-url URL",
        )
    if s.tensorrtllm_pip_wheel and (s.tensorrtllm_pip_wheel_dir or s.tensorrtllm_git_url):
        raise ConfigError(
            "cannot tell how to get TensorRT-LLM: choose one of --tensorrtllm-pip-wheel (download), "
            "--tensorrtllm-pip-wheel-dir (install a built wheel) or --tensorrtllm-git-url with "
            "--tensorrtllm-commit (build from source)"
        )
    if s.tensorrtllm_git_url:
        if not s.tensorrtllm_commit:
            raise ConfigError(
                "--tensorrtllm-git-url needs --tensorrtllm-commit", "name the commit, tag or branch to build"
            )
        return TrtllmIntent(
            "build",
            s.tensorrtllm_commit,
            wheel_dir=str(cfg.path(s.tensorrtllm_pip_wheel_dir or TRTLLM_DEFAULT_WHEEL_DIR)),
            git_url=s.tensorrtllm_git_url,
        )
    if s.tensorrtllm_pip_wheel_dir:
        return _installed_wheel(cfg, arch, warnings)
    spec = s.tensorrtllm_pip_wheel or matrix.TRTLLM_PIP_WHEEL
    commit = s.tensorrtllm_commit
    if not commit:
        _, sep, pinned = spec.partition("==")
        commit = pinned.strip() if sep else ""
        if not commit:
            raise ConfigError(
                f"--tensorrtllm-pip-wheel {spec!r} has no ==version to derive the TRT-LLM commit from",
                "pin it (tensorrt-llm==X.Y.Z) or add --tensorrtllm-commit",
            )
    return TrtllmIntent(
        "download", commit, pip_wheel=spec, index_url=s.tensorrtllm_index_url or matrix.TRTLLM_INDEX_URL
    )


def _installed_wheel(cfg: Config, arch: str, warnings: list[str]) -> TrtllmIntent:
    s = cfg.s
    folder = cfg.path(s.tensorrtllm_pip_wheel_dir)
    if not folder.is_dir():
        raise ConfigError(f"--tensorrtllm-pip-wheel-dir {s.tensorrtllm_pip_wheel_dir}: no such folder")
    wheels = sorted(p.name for p in folder.glob("*.whl"))
    if len(wheels) != 1:
        found = ", ".join(wheels) if wheels else "none"
        raise ConfigError(
            f"--tensorrtllm-pip-wheel-dir {s.tensorrtllm_pip_wheel_dir} must hold exactly one .whl "
            f"(found: {found})"
        )
    commit = s.tensorrtllm_commit
    marker = folder / "commit.txt"
    if marker.is_file():
        text = marker.read_text(encoding="utf-8").strip()
        wheel_arch, sep, recorded = text.partition("_")
        if not sep or not recorded or wheel_arch not in matrix.ARCHES:
            raise ConfigError(f"{marker}: expected <arch>_<commit> (e.g. amd64_31116825), got {text!r}")
        if wheel_arch != arch:
            raise ConfigError(f"{marker}: the wheel was built for {wheel_arch}, this build is for {arch}")
        if commit and commit != recorded:
            warnings.append(f"--tensorrtllm-commit {commit} wins over {marker} ({recorded})")
        commit = commit or recorded
    elif not commit:
        raise ConfigError(
            f"{folder} has no commit.txt to tell the TRT-LLM commit", "add --tensorrtllm-commit COMMIT"
        )
    return TrtllmIntent("install", commit, wheel_dir=str(folder))


# ---------------------------------------------------------------------------------------------------
# the plan


def _build_argv(
    frontend: Frontend,
    *,
    dockerfile: Path,
    target: str,
    platform: str,
    network: str,
    build_args: list[tuple[str, str]],
    secrets: list[Secret],
    contexts: list[tuple[str, str]],
    cache_from: tuple[str, ...] = (),
    cache_to: tuple[str, ...] = (),
    no_cache: bool = False,
    tags: list[str],
    context: Path,
    output: str = "load",
) -> tuple[str, ...]:
    argv = [*frontend.build_prefix(output), "--progress=plain", "--file", str(dockerfile), "--target", target]
    argv += ["--platform", platform]
    if network:
        argv += ["--network", network]
    for k, v in build_args:
        argv += ["--build-arg", f"{k}={v}"]
    for sec in secrets:
        argv += ["--secret", sec.flag]
    for name, path in contexts:
        argv += ["--build-context", f"{name}={path}"]
    for c in cache_from:
        argv += ["--cache-from", c]
    for c in cache_to:
        argv += ["--cache-to", c]
    if no_cache:
        argv.append("--no-cache")
    for t in tags:
        argv += ["--tag", t]
    argv.append(str(context))
    return tuple(argv)


def _merge_args(derived: list[tuple[str, str]], user: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Derived args first, then the user's; a user arg replaces a derived one of the same name."""
    user_names = {k for k, _ in user}
    return [(k, v) for k, v in derived if k not in user_names] + user


def _context_path(cfg: Config, value: str) -> str:
    if "://" in value:  # docker-image://, https://, oci-layout://
        return value
    path = cfg.path(value)
    if not path.exists():
        raise ConfigError(f"--build-context path {value} does not exist")
    return str(path)


@dataclass(frozen=True)
class StepMaker:
    """Makes the build steps of one plan: the same frontend, user args, platform and log folder."""

    cfg: Config
    frontend: Frontend
    user_args: list[tuple[str, str]]
    platform: str
    log_dir: Path

    def build(
        self,
        name: str,
        title: str,
        dockerfile: Path,
        target: str,
        tags: list[str],
        args: list[tuple[str, str]],
        *,
        ctx: Path,
        step_secrets: list[Secret] | None = None,
        contexts: list[tuple[str, str]] | None = None,
        cache: bool = True,
        feeds_next: bool = False,
    ) -> Step:
        s, frontend = self.cfg.s, self.frontend
        merged = _merge_args(args, self.user_args)
        output = "load"
        if feeds_next and not frontend.shares_image_store:
            # the next step builds FROM this image on a builder that cannot see local images
            output = "push"
            local = [t for t in tags if not names_registry(t)]
            if local:
                raise ConfigError(
                    f"builder {frontend.builder} ({frontend.driver} driver) cannot read local images, so "
                    f"{local[0]} must go through a registry",
                    "add --registry HOST[:PORT][/NAMESPACE] (the builder must be able to pull from it)",
                )
        step_secrets = step_secrets or []
        contexts = contexts or []
        argv = _build_argv(
            frontend,
            dockerfile=dockerfile,
            target=target,
            platform=self.platform,
            network=s.build_network,
            build_args=merged,
            secrets=step_secrets,
            contexts=contexts,
            cache_from=s.cache_from if cache else (),
            cache_to=s.cache_to if cache else (),
            no_cache=s.no_cache and cache,
            tags=tags,
            context=ctx,
            output=output,
        )
        return Step(
            name=name,
            title=title,
            argv=argv,
            dockerfile=str(dockerfile),
            target=target,
            tags=tuple(tags),
            build_args=tuple(merged),
            secrets=tuple(step_secrets),
            contexts=tuple(contexts),
            platform=self.platform,
            context=str(ctx),
            env=frontend.env,
            log=str(self.log_dir / f"{name}.log"),
        )


def efa_stage(image: str) -> str:
    """runtime-aws on images that run as `dynamo` (runtime, local-dev), dev-aws on dev images (root)."""
    _, tag = split_ref(image)
    return "runtime-aws" if tag.endswith(("-runtime", "-local-dev")) else "dev-aws"


def efa_step(make: StepMaker, image_tags: list[str], *, context: Path, container: Path) -> Step:
    """The AWS EFA layer on top of an image, tagged <tag>-efa for each of its tags."""
    s = make.cfg.s
    return make.build(
        "efa",
        f"AWS EFA layer {s.efa_version} ({matrix.EFA_DOCKERFILE})",
        container / matrix.EFA_DOCKERFILE,
        efa_stage(image_tags[0]),
        [with_suffix(t, "-efa") for t in image_tags],
        [("BASE_IMAGE", image_tags[0]), ("EFA_VERSION", s.efa_version)],
        ctx=context,
        contexts=[(matrix.TOOLING_CONTEXT, str(container))],
        cache=False,
    )


def github_ref(commit: str) -> str:
    """A TensorRT-LLM version names its git tag with a `v` (1.3.0rc1 -> v1.3.0rc1), as build.sh does."""
    return f"v{commit}" if _SEMVER.match(commit) and not commit.startswith("v") else commit


def trtllm_args(trtllm: TrtllmIntent, nixl_kvcache: bool) -> list[tuple[str, str]]:
    """The TensorRT-LLM build args of Dockerfile.trtllm, as build.sh derives them."""
    args = [("HAS_TRTLLM_CONTEXT", "0" if trtllm.mode == "download" else "1")]
    if trtllm.mode == "download":
        _, _, version = trtllm.pip_wheel.partition("==")
        if version.strip() in matrix.TRTLLM_ABI_INCOMPATIBLE:
            args.append(("TRTLLM_WHEEL_IMAGE", f"{matrix.TRTLLM_RELEASE_IMAGE}:{version.strip()}"))
        else:
            args += [("TENSORRTLLM_PIP_WHEEL", trtllm.pip_wheel), ("TENSORRTLLM_INDEX_URL", trtllm.index_url)]
    args.append(("GITHUB_TRTLLM_COMMIT", github_ref(trtllm.commit)))
    if nixl_kvcache:
        args.append(("TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL", "1"))
    return args


def plan_build(
    cfg: Config,
    version: VersionInfo,
    frontend: Frontend,
    *,
    host_uid: int = 1000,
    host_gid: int = 1000,
) -> BuildPlan:
    """Turn the configuration into the ordered docker invocations of `invoke build`."""
    s = cfg.s
    warnings: list[str] = list(cfg.warnings)
    req = _resolve(cfg, host_uid, host_gid, warnings)
    fw, variant = req.fw, req.variant

    if s.use_sccache:
        for flag, value in (("--sccache-bucket", s.sccache_bucket), ("--sccache-region", s.sccache_region)):
            if not value:
                raise ConfigError(f"{flag} is required with --use-sccache", f"e.g. {flag} VALUE")
    elif s.sccache_bucket or s.sccache_region:
        warnings.append("--sccache-bucket/--sccache-region are ignored without --use-sccache")
    if s.vllm_max_jobs is not None and fw.name != "vllm":
        warnings.append(f"--vllm-max-jobs only applies to vllm; ignored for {fw.name}")
    if s.release_build and not version.exact:
        raise ConfigError(
            f"--release-build needs HEAD on a version tag; this checkout is {version.version}",
            "tag the release commit (git tag vX.Y.Z) or drop --release-build",
        )
    trt_flags = (
        s.tensorrtllm_pip_wheel,
        s.tensorrtllm_index_url,
        s.tensorrtllm_pip_wheel_dir,
        s.tensorrtllm_git_url,
    )
    trtllm: TrtllmIntent | None = None
    if fw.name == "trtllm" and not req.dev_image:
        trtllm = resolve_trtllm(cfg, req.arch, warnings)
    elif any(trt_flags) and _given(
        cfg,
        "tensorrtllm_pip_wheel",
        "tensorrtllm_index_url",
        "tensorrtllm_pip_wheel_dir",
        "tensorrtllm_git_url",
    ):
        warnings.append(f"--tensorrtllm-* options are ignored for framework {fw.name}")

    user_args = user_build_args(cfg)
    user_contexts = [
        (name, _context_path(cfg, path))
        for name, path in parse_pairs(s.build_contexts, "--build-context", "NAME")
    ]
    for name, _ in user_contexts:
        if not _CONTEXT_NAME.match(name):
            raise ConfigError(f"--build-context name {name!r} is not valid", "use letters, digits, _ . -")

    container = cfg.path(s.container_dir)
    context = cfg.path(s.context)
    log_dir = cfg.path(s.log_dir)
    arch_alt = matrix.ARCHES[req.arch]
    kvbm = fw.kvbm if s.enable_kvbm is None else s.enable_kvbm
    gms = fw.gpu_memory_service if s.enable_gpu_memory_service is None else s.enable_gpu_memory_service
    media_nixl = fw.media if s.enable_media_nixl is None else s.enable_media_nixl
    media_ffmpeg = fw.media if s.enable_media_ffmpeg is None else s.enable_media_ffmpeg
    base_image = s.base_image or variant.build_image
    base_tag = s.base_image_tag or variant.build_tag
    runtime_image = (s.runtime_image or variant.runtime_image) if variant.runtime_image else ""
    runtime_tag = (s.runtime_image_tag or variant.runtime_tag) if variant.runtime_image else ""
    if not variant.runtime_image and _given(cfg, "runtime_image", "runtime_image_tag"):
        warnings.append("framework none builds its runtime on the build base; --runtime-image* is ignored")

    # The args build.sh passes to every build (in its order), then this project's own.
    common: list[tuple[str, str]] = []
    if req.arch != "amd64":  # the Dockerfiles default to amd64, as build.sh relies on
        common += [("ARCH", req.arch), ("ARCH_ALT", arch_alt)]
    common += [
        ("DYNAMO_COMMIT_SHA", version.commit),
        ("NIXL_REF", s.nixl_ref),
        ("NIXL_LIBFABRIC_REF", s.nixl_libfabric_ref),
        ("BASE_IMAGE", base_image),
        ("BASE_IMAGE_TAG", base_tag),
    ]
    # ENABLE_KVBM and ENABLE_GPU_MEMORY_SERVICE are passed only when on (the Dockerfiles read "" as off).
    common += [("ENABLE_KVBM", "true")] if kvbm else []
    common += [("ENABLE_GPU_MEMORY_SERVICE", "true")] if gms else []
    common += [
        ("ENABLE_MEDIA_NIXL", _bool(media_nixl)),
        ("ENABLE_MEDIA_FFMPEG", _bool(media_ffmpeg)),
        ("NIXL_UCX_REF", s.nixl_ucx_ref),
        ("NIXL_GDRCOPY_REF", s.nixl_gdrcopy_ref),
        ("PYTHON_VERSION", variant.python),
    ]
    secrets: list[Secret] = []
    if s.use_sccache:
        common += [
            ("USE_SCCACHE", "true"),
            ("SCCACHE_BUCKET", s.sccache_bucket),
            ("SCCACHE_REGION", s.sccache_region),
        ]
        secrets += [
            Secret("aws-key-id", "AWS_ACCESS_KEY_ID"),
            Secret("aws-secret-id", "AWS_SECRET_ACCESS_KEY"),
        ]
        missing = [env for env in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if env not in cfg.secrets]
        if missing:
            warnings.append(f"--use-sccache without {' and '.join(missing)}: sccache cannot reach S3")
    for sid in ("github-token", "gitlab-token", "hf-token"):
        if SECRET_ENV_VARS[sid] in cfg.secrets:
            secrets.append(Secret(sid, SECRET_ENV_VARS[sid]))
    # This project's additions: what the images record about themselves, the step-1 deltas.
    common += [
        ("FRAMEWORK", fw.name),
        ("DYNAMO_VERSION", version.python_version),
        ("MATRIX_CUDA_VERSION", variant.cuda),
    ]
    if s.release_build:
        common.append(("RELEASE_BUILD", "true"))

    fw_args: list[tuple[str, str]] = []
    if runtime_image:
        fw_args += [("RUNTIME_IMAGE", runtime_image), ("RUNTIME_IMAGE_TAG", runtime_tag)]
    fw_args += list(variant.args)
    if fw.name == "vllm" and s.vllm_max_jobs is not None:
        fw_args.append(("MAX_JOBS", str(s.vllm_max_jobs)))
    if req.arch == "arm64":
        fw_args += list(fw.arm64_args)
    tooling = [(matrix.TOOLING_CONTEXT, str(container))]
    fw_contexts: list[tuple[str, str]] = []
    if trtllm is not None:
        fw_args += trtllm_args(trtllm, s.trtllm_use_nixl_kvcache_experimental)
        has_context = trtllm.mode != "download"
        wheel_context = trtllm.wheel_dir if has_context else str(container / "contexts" / "empty")
        fw_contexts.append((TRTLLM_CONTEXT, wheel_context))

    derived = {k for k, _ in common + fw_args}
    for name, _ in user_args:
        if name in derived:
            warnings.append(f"--build-arg {name} replaces the value the tool derives")

    version_str = version.version
    fw_part = f"{fw.name}{req.cuda_suffix}"
    registry = s.registry.strip().rstrip("/")
    image_repo = f"{registry}/{s.image_name}" if registry else s.image_name
    base_repo = f"{registry}/{s.base_image_name}" if registry else s.base_image_name
    steps: list[Step] = []
    make = StepMaker(cfg, frontend, user_args, req.platform, log_dir)

    def image_tags(target: str) -> list[str]:
        suffix = "" if target in ("", matrix.LOCAL_DEV_STAGE) else "-" + target.replace("_", "-")
        versioned = s.tag.strip() or f"{image_repo}:{version_str}-{fw_part}{suffix}"
        if req.local_dev:  # the dev image under a local-dev name would collide with the local-dev image
            versioned = versioned.removesuffix("-local-dev")
        tags = [versioned]
        if not s.no_tag_latest:
            tags.append(f"{image_repo}:latest-{fw_part}{suffix}")
        return tags

    if trtllm is not None and trtllm.mode == "build":
        steps.append(
            Step(
                name="trtllm-wheel",
                title=f"TensorRT-LLM wheel from {trtllm.git_url} at {trtllm.commit}",
                kind="host",
                argv=(
                    "invoke",
                    "trtllm-wheel",
                    *(("--env-file", cfg.env_file) if cfg.env_file else ()),
                    "--output-dir",
                    trtllm.wheel_dir,
                    "--commit",
                    trtllm.commit,
                    "--arch",
                    req.arch,
                    "--nixl-ref",
                    s.nixl_ref,
                    "--git-url",
                    trtllm.git_url,
                ),
                log=str(log_dir / "trtllm-wheel.log"),
            )
        )

    final_tags: list[str] = []
    final_steps: list[Step] = []
    if req.dev_image:
        dev_base = req.dev_image
    else:
        framework_target = "dev" if req.local_dev else (req.target or "dev")
        base_only = req.target in matrix.BASE_ONLY_TARGETS
        if fw.name != "none" or base_only:
            base_target = req.target if base_only else "base"
            base_suffix = "" if base_target == "base" else "-" + base_target.replace("_", "-")
            base_ref = f"{base_repo}:{version_str}-{fw_part}{base_suffix}"
            if base_only and s.tag.strip():
                base_ref = s.tag.strip()
            step = make.build(
                "base",
                f"Dynamo base image ({matrix.BASE_DOCKERFILE}, stage {base_target})",
                container / matrix.BASE_DOCKERFILE,
                base_target,
                [base_ref],
                common,
                step_secrets=secrets,
                contexts=tooling + user_contexts,
                ctx=context,
                feeds_next=not base_only,
            )
            steps.append(step)
            if base_only:
                final_steps.append(step)
                final_tags = [base_ref]
            base_args = [("DYNAMO_BASE_IMAGE", base_ref)]
        else:
            base_args = []
        if not base_only:
            tags = image_tags("" if req.local_dev else req.target)
            step = make.build(
                "framework" if fw.name != "none" else "image",
                f"{fw.name} image ({fw.dockerfile}, stage {framework_target})",
                container / fw.dockerfile,
                framework_target,
                tags,
                common + fw_args + base_args,
                step_secrets=secrets,
                contexts=tooling + user_contexts + fw_contexts,
                ctx=context,
                feeds_next=req.local_dev or s.make_efa,
            )
            steps.append(step)
            final_steps.append(step)
            final_tags = tags
        dev_base = final_tags[0]
    if req.local_dev:
        if req.dev_image:
            ld_tags = [with_suffix(req.dev_image, "-local-dev")]
        else:
            ld_tags = [with_suffix(t, "-local-dev") for t in final_tags]
        step = make.build(
            "local-dev",
            f"local-dev image for uid {req.uid} gid {req.gid} ({matrix.LOCAL_DEV_DOCKERFILE})",
            container / matrix.LOCAL_DEV_DOCKERFILE,
            matrix.LOCAL_DEV_STAGE,
            ld_tags,
            [("DEV_BASE", dev_base), ("USER_UID", req.uid), ("USER_GID", req.gid), ("ARCH", req.arch)],
            step_secrets=[],
            contexts=tooling,
            ctx=context,  # the original used container/; one context for all steps
            cache=False,
            feeds_next=s.make_efa,
        )
        steps.append(step)
        final_steps.append(step)
        final_tags = ld_tags
    if s.make_efa:
        step = efa_step(make, final_tags, context=context, container=container)
        steps.append(step)
        final_steps.append(step)
        final_tags = list(step.tags)
    if s.push:
        to_push = [t for step in final_steps for t in step.tags if names_registry(t)]
        skipped = [t for step in final_steps for t in step.tags if not names_registry(t)]
        if not to_push:
            raise ConfigError(
                "--push needs image names that name a registry",
                "add --registry HOST[:PORT][/NAMESPACE], or a --tag such as registry.example:5000/dynamo:v1",
            )
        if skipped:
            warnings.append(f"not pushed (no registry in the name): {', '.join(skipped)}")
        for i, t in enumerate(to_push, 1):
            steps.append(
                Step(
                    name="push",
                    title=f"push {t}",
                    kind="push",
                    argv=(frontend.docker, "push", t),
                    tags=(t,),
                    log=str(log_dir / f"push-{i}.log"),
                )
            )

    summary = _summary(
        cfg,
        req,
        version,
        base_image,
        base_tag,
        runtime_image,
        runtime_tag,
        kvbm,
        gms,
        media_nixl,
        media_ffmpeg,
        secrets,
        trtllm,
        final_tags,
        container,
        context,
    )
    run_hint = ""
    if final_tags and (final_steps or req.dev_image):
        ws = " --mount-workspace" if req.local_dev else ""
        env = f" --env-file {cfg.env_file}" if cfg.env_file else ""
        run_hint = f"invoke run{env} --image {final_tags[0]}{ws}"
    return BuildPlan(
        framework=fw.name,
        cuda=variant.cuda,
        target=req.target,
        platform=req.platform,
        arch=req.arch,
        version=version,
        steps=tuple(steps),
        summary=summary,
        final_tags=tuple(final_tags),
        warnings=tuple(warnings),
        run_hint=run_hint,
        trtllm=trtllm,
        secret_env=tuple(sorted({sec.env for st in steps for sec in st.secrets})),
    )


def _summary(
    cfg: Config,
    req: _Request,
    version: VersionInfo,
    base_image: str,
    base_tag: str,
    runtime_image: str,
    runtime_tag: str,
    kvbm: bool,
    gms: bool,
    media_nixl: bool,
    media_ffmpeg: bool,
    secrets: list[Secret],
    trtllm: TrtllmIntent | None,
    final_tags: list[str],
    container: Path,
    context: Path,
) -> tuple[tuple[str, str], ...]:
    s = cfg.s
    rows = [
        ("framework", f"{req.fw.name} (CUDA {req.variant.cuda}, Python {req.variant.python})"),
        ("target", req.target or ("local-dev" if req.dev_image else "dev (no tag suffix)")),
        ("platform", f"{req.platform} ({req.arch}/{matrix.ARCHES[req.arch]})"),
        (
            "version",
            f"{version.version} (commit {version.short})" + (f"; {version.note}" if version.note else ""),
        ),
    ]
    if req.dev_image:
        rows.append(("dev image", req.dev_image))
    else:
        rows += [
            ("build base", f"{base_image}:{base_tag}"),
            ("runtime base", f"{runtime_image}:{runtime_tag}"),
        ]
    rows += [
        ("dockerfiles", str(container)),
        ("context", str(context)),
        (
            "features",
            f"kvbm={_bool(kvbm)} gpu-memory-service={_bool(gms)} media-nixl={_bool(media_nixl)} "
            f"media-ffmpeg={_bool(media_ffmpeg)}" + (" efa" if s.make_efa else ""),
        ),
        ("sccache", f"s3://{s.sccache_bucket} ({s.sccache_region})" if s.use_sccache else "off"),
    ]
    if s.cache_from or s.cache_to or s.no_cache:
        rows.append(
            (
                "cache",
                f"from={list(s.cache_from)} to={list(s.cache_to)}" + (" no-cache" if s.no_cache else ""),
            )
        )
    if trtllm is not None:
        what = {
            "download": f"download {trtllm.pip_wheel} from {trtllm.index_url}",
            "install": f"install the wheel in {trtllm.wheel_dir}",
            "build": f"build from {trtllm.git_url} into {trtllm.wheel_dir}",
        }[trtllm.mode]
        rows.append(("tensorrt-llm", f"{what} (commit {trtllm.commit})"))
    if secrets:
        rows.append(("secrets", ", ".join(sec.id for sec in secrets)))
    rows.append(("image", "  ".join(final_tags)))
    return tuple(rows)


@dataclass(frozen=True)
class TaskPlan:
    """The plan of a single-purpose task (e.g. `invoke efa`): steps and what to print around them."""

    steps: tuple[Step, ...]
    summary: tuple[tuple[str, str], ...]
    final_tags: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    run_hint: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "final_tags": list(self.final_tags),
            "warnings": list(self.warnings),
            "steps": [s.to_json() for s in self.steps],
        }


def suggest_build(image_name: str, image: str) -> str:
    """How to get an image this tool names (`dynamo:latest-vllm-runtime` -> the invoke build command)."""
    for fw in matrix.FRAMEWORKS:
        for target in ("", *matrix.framework(fw).targets):
            suffix = f"-{target}" if target else ""
            if image.endswith(f"{image_name}:latest-{fw}{suffix}"):
                flag = f" --target {target}" if target else ""
                return f"build it: invoke build --framework {fw}{flag}"
    return f"pull it (docker pull {image}) or build it with invoke build"


def plan_efa(cfg: Config, image: str, frontend: Frontend) -> TaskPlan:
    """`invoke efa`: the EFA layer on top of an existing runtime or dev image."""
    if not image.strip():
        raise ConfigError("--image is required", "name the runtime or dev image to add the EFA layer to")
    parse_platform(cfg.s.platform)  # refuses an unknown platform before anything is planned
    make = StepMaker(cfg, frontend, user_build_args(cfg), cfg.s.platform.strip(), cfg.path(cfg.s.log_dir))
    step = efa_step(
        make, [image.strip()], context=cfg.path(cfg.s.context), container=cfg.path(cfg.s.container_dir)
    )
    summary = (
        ("image", image),
        ("EFA installer", cfg.s.efa_version),
        ("platform", cfg.s.platform),
        ("result", step.tags[0]),
    )
    return TaskPlan((step,), summary, step.tags, cfg.warnings, f"invoke run --image {step.tags[0]}")
