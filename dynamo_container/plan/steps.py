"""One build step: the `docker buildx build` (or `docker build`) command line and its Step record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.cache import scope_name, step_cache
from dynamo_container.plan.model import Secret, Step
from dynamo_container.resolve.build import Cache

Pairs = Sequence[tuple[str, str]]


def merge_args(derived: Pairs, user: Pairs) -> list[tuple[str, str]]:
    """Derived args first, then the user's; a user arg replaces a derived one of the same name."""
    user_names = {k for k, _ in user}
    return [(k, v) for k, v in derived if k not in user_names] + list(user)


@dataclass(frozen=True, eq=False, repr=False)
class BuildSpec:
    """What differs between the build steps of one plan."""

    name: str
    title: str
    dockerfile: Path
    target: str
    tags: Sequence[str]
    args: Pairs
    secrets: Sequence[Secret] = ()
    contexts: Pairs = ()
    cache: bool = True  # whether --cache-from/--cache-to/--no-cache apply
    feeds_next: bool = False


@dataclass(frozen=True, eq=False, repr=False)
class StepMaker:
    """Makes the build steps of one plan: the same frontend, user args, platform, context and log folder."""

    frontend: Frontend
    platform: str
    context: Path
    log_dir: Path
    network: str = ""
    cache: Cache = field(default_factory=Cache)
    user_args: Pairs = field(default_factory=tuple)
    combination: str = ""  # names each step's own cache entry (plan/cache.py)
    load_final: bool = True  # False (--no-load): the last image stays in the build cache

    def build(self, spec: BuildSpec) -> Step:
        args = merge_args(spec.args, self.user_args)
        # a builder that cannot read the engine's images gets the next step's base through a registry
        # (and one that loads into another engine pushes every image: only the registry reaches us)
        fe = self.frontend
        pushes = not fe.loads_here or (spec.feeds_next and not fe.shares_image_store)
        output: str | None = "push" if pushes else "load"
        if output == "load" and not spec.feeds_next and not self.load_final:
            output = None  # --no-load: nothing later builds on it, so it stays in the build cache
        metadata = str(self.log_dir / f"{spec.name}.metadata.json") if self.frontend.buildx else ""
        cache = self._cache(spec)
        return Step(
            name=spec.name,
            title=spec.title,
            argv=self._argv(spec, args, output, metadata, cache),
            dockerfile=str(spec.dockerfile),
            target=spec.target,
            tags=tuple(spec.tags),
            build_args=tuple(args),
            secrets=tuple(spec.secrets),
            contexts=tuple(spec.contexts),
            platform=self.platform,
            context=str(self.context),
            env=self.frontend.env,
            log=str(self.log_dir / f"{spec.name}.log"),
            feeds_next=spec.feeds_next,
            metadata=metadata,
            cache_from=cache.cache_from,
            cache_to=cache.cache_to,
            no_cache=cache.no_cache,
        )

    def _cache(self, spec: BuildSpec) -> Cache:
        if not spec.cache:
            return Cache()
        return step_cache(self.cache, scope_name(self.combination, spec.name, spec.target))

    def _argv(
        self, spec: BuildSpec, args: Pairs, output: str | None, metadata: str, cache: Cache
    ) -> tuple[str, ...]:
        argv = [*self.frontend.build_prefix(output), "--progress=plain", "--file", str(spec.dockerfile)]
        argv += ["--metadata-file", metadata] if metadata else []
        argv += ["--target", spec.target, "--platform", self.platform]
        if self.network:
            argv += ["--network", self.network]
        for k, v in args:
            argv += ["--build-arg", f"{k}={v}"]
        for sec in spec.secrets:
            argv += ["--secret", sec.flag]
        for name, path in spec.contexts:
            argv += ["--build-context", f"{name}={path}"]
        argv += [w for c in cache.cache_from for w in ("--cache-from", c)]
        argv += [w for c in cache.cache_to for w in ("--cache-to", c)]
        argv += ["--no-cache"] if cache.no_cache else []
        for t in spec.tags:
            argv += ["--tag", t]
        # `--` ends the options: the context path can never be read as one
        argv += ["--", str(self.context)]
        return tuple(argv)
