"""Multi-platform builds: each platform's plan under its own arch tags, then the manifest lists (pure).

steps of linux/amd64   the plan of that platform, with every tag T it makes carried as T-amd64
                       (naming.platform_tag), also where a build arg names one (the image a
                       later step builds FROM), so the platforms never share a tag
steps of linux/arm64   the same with -arm64
manifest               docker buildx imagetools create --tag T -- T-amd64 T-arm64, for every
                       tag T the build pushes: T becomes the manifest list over both
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from dynamo_container.model import naming
from dynamo_container.plan.build import plan_build
from dynamo_container.plan.model import BuildPlan, Step
from dynamo_container.resolve.build import BuildRequest
from dynamo_container.resolve.platforms import PlatformsRequest


def plan_any(req: BuildRequest | PlatformsRequest) -> BuildPlan:
    """The plan of one build, of one platform or of several."""
    return plan_platforms(req) if isinstance(req, PlatformsRequest) else plan_build(req)


def plan_platforms(req: PlatformsRequest) -> BuildPlan:
    plans = [plan_build(r) for r in req.requests]
    first = plans[0]
    platforms = [p.platform for p in plans]
    lists = manifest_tags(first)
    steps = [step for plan in plans for step in under_arch(plan.steps, plan.arch, plan.platform)]
    log_dir = req.first.log_dir.parent / first.key  # the combination's own folder, beside the platforms'
    steps += [
        manifest_step(tag, [p.arch for p in plans], req.first, log_dir / f"manifest-{i}.log")
        for i, tag in enumerate(lists, 1)
    ]
    return BuildPlan(
        framework=first.framework,
        cuda=first.cuda,
        target=first.target,
        platform=",".join(platforms),
        arch=",".join(p.arch for p in plans),
        version=first.version,
        steps=tuple(steps),
        summary=_summary(first, platforms, lists),
        final_tags=tuple(lists),
        warnings=tuple(dict.fromkeys(w for p in plans for w in p.warnings)),
        run_hint=_Carry(first.steps, first.arch).words(first.run_hint),
        secret_env=tuple(sorted({env for p in plans for env in p.secret_env})),
    )


def manifest_tags(plan: BuildPlan) -> list[str]:
    """The tags a one-platform plan pushes (each becomes a manifest list): its final ones, its pushes'."""
    pushed = [t for step in plan.steps if step.kind == "push" for t in step.tags]
    return [t for t in dict.fromkeys([*plan.final_tags, *pushed]) if naming.names_registry(t)]


def manifest_step(tag: str, arches: Sequence[str], req: BuildRequest, log: Path) -> Step:
    sources = [naming.platform_tag(tag, arch) for arch in arches]
    fe = req.frontend
    argv = (fe.docker, "buildx", "imagetools", "create", "--tag", tag, "--", *sources)
    title = f"manifest list {tag} ({', '.join(arches)})"
    return Step("manifest", title, argv, kind="push", tags=(tag,), env=fe.env, log=str(log))


class _Carry:
    """Puts every tag a plan makes under its platform's tag, wherever the plan names it."""

    def __init__(self, steps: Sequence[Step], arch: str) -> None:
        self.tags = {t: naming.platform_tag(t, arch) for step in steps for t in step.tags}

    def word(self, word: str) -> str:
        return self.tags.get(word, word)

    def pair(self, word: str) -> str:
        name, eq, value = word.partition("=")
        return f"{name}={self.tags[value]}" if eq and value in self.tags else word

    def words(self, text: str) -> str:
        return " ".join(self.word(w) for w in text.split(" "))

    def argv(self, argv: Sequence[str]) -> tuple[str, ...]:
        return tuple(
            self.pair(w) if i and argv[i - 1] == "--build-arg" else self.word(w) for i, w in enumerate(argv)
        )


def under_arch(steps: Sequence[Step], arch: str, platform: str) -> list[Step]:
    """A one-platform plan's steps with its tags carried as `<tag>-<arch>` and its step names too."""
    carry = _Carry(steps, arch)
    return [
        dataclasses.replace(
            step,
            name=f"{step.name}-{arch}",
            title=f"{carry.words(step.title)} [{platform}]",
            argv=carry.argv(step.argv),
            tags=tuple(carry.word(t) for t in step.tags),
            build_args=tuple((k, carry.word(v)) for k, v in step.build_args),
        )
        for step in steps
    ]


def _summary(first: BuildPlan, platforms: Sequence[str], lists: Sequence[str]) -> tuple[tuple[str, str], ...]:
    rows = dict(first.summary)
    rows["platform"] = f"{', '.join(platforms)}: one build each under <tag>-<arch>, then a manifest list"
    rows["image"] = "  ".join(lists)
    return tuple(rows.items())
