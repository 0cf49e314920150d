"""The build planner: a resolved request to the ordered docker invocations of `invoke build` (pure).

[TRT-LLM wheel steps]  only for a TRT-LLM build from git
base                   container/Dockerfile --target base            (not for framework none)
epp                    make -C <checkout>/deploy/inference-gateway/epp all  (--target frontend, host)
framework / image      container/Dockerfile.<framework> to --target  (none: container/Dockerfile)
local-dev              container/Dockerfile.local_dev                 (--target local-dev, --dev-image)
efa                    container/Dockerfile.aws                       (--make-efa; tags <tag>-aws)
push                   docker push of every final tag that names a registry
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dynamo_container.model import catalog, naming
from dynamo_container.plan import args as derive
from dynamo_container.plan.model import BuildPlan, Secret, Step
from dynamo_container.plan.steps import BuildSpec, StepMaker
from dynamo_container.plan.summary import summary
from dynamo_container.resolve.build import BuildRequest

TRTLLM_CONTEXT = "trtllm_wheel"


@dataclass(eq=False, repr=False)
class _Plan:
    """A plan being assembled: its steps and what the last image steps tagged."""

    req: BuildRequest
    make: StepMaker
    secrets: list[Secret]
    common: list[tuple[str, str]]
    steps: list[Step] = field(default_factory=list)
    final: list[Step] = field(default_factory=list)  # the steps whose images the user gets
    warnings: list[str] = field(default_factory=list)

    @property
    def tooling(self) -> list[tuple[str, str]]:
        return [(catalog.TOOLING_CONTEXT, str(self.req.container))]

    @property
    def final_tags(self) -> list[str]:
        return list(self.final[-1].tags) if self.final else []

    def add(self, spec: BuildSpec, *, final: bool = True) -> Step:
        step = self.make.build(spec)
        self.steps.append(step)
        if final:
            self.final.append(step)
        return step


def _base_step(p: _Plan) -> str:
    """Step 1 (or the one stage of Dockerfile asked for); returns the image later steps build on."""
    req = p.req
    stage = req.target if req.base_only else "base"
    tag = naming.base_tag(req.names, req.version.version, req.framework.name, req.variant.cuda, stage)
    if req.base_only and req.names.tag:
        tag = req.names.tag
    p.add(
        BuildSpec(
            "base",
            f"Dynamo base image ({catalog.BASE_DOCKERFILE}, stage {stage})",
            req.container / catalog.BASE_DOCKERFILE,
            stage,
            [tag],
            p.common,
            p.secrets,
            [*p.tooling, *req.user_contexts],
            feeds_next=not req.base_only,
        ),
        final=req.base_only,
    )
    return tag


def _framework_contexts(req: BuildRequest) -> list[tuple[str, str]]:
    if req.trtllm is None:
        return []
    if req.trtllm.mode == "download":  # the context is mandatory: an empty folder of the family
        return [(TRTLLM_CONTEXT, str(req.container / "contexts" / "empty"))]
    return [(TRTLLM_CONTEXT, req.trtllm.wheel_dir)]


def _framework_step(p: _Plan, base: str) -> None:
    req, fw = p.req, p.req.framework
    stage = "dev" if req.local_dev else (req.target or "dev")
    tag_target = "dev" if req.local_dev else req.target  # the dev image under a local-dev one
    tags = naming.image_tags(req.names, req.version.version, fw.name, req.variant.cuda, tag_target)
    base_args = [("DYNAMO_BASE_IMAGE", base)] if base else []
    base_args += [("EPP_IMAGE", req.epp_image)] if req.epp_image else []
    p.add(
        BuildSpec(
            "framework" if fw.name != "none" else "image",
            f"{fw.name} image ({fw.dockerfile}, stage {stage})",
            req.container / fw.dockerfile,
            stage,
            tags,
            p.common + derive.framework_args(req) + base_args,
            p.secrets,
            [*p.tooling, *req.user_contexts, *_framework_contexts(req)],
            feeds_next=req.local_dev or req.make_efa,
        )
    )


def _epp_step(p: _Plan) -> None:
    """The EPP image the frontend copies /epp from, made by the checkout's Makefile (as build.sh)."""
    ctx = p.req.context
    argv = ("make", "-C", str(ctx / catalog.EPP_MAKE_DIR), "all", f"DYNAMO_DIR={ctx}")
    log = str(p.req.log_dir / "epp.log")
    p.steps.append(
        Step(
            "epp", f"EPP image {p.req.epp_image} (make -C {catalog.EPP_MAKE_DIR} all)", argv, "host", log=log
        )
    )


def _local_dev_step(p: _Plan) -> None:
    req = p.req
    dev_base = req.dev_image or p.final_tags[0]
    below = [req.dev_image] if req.dev_image else p.final_tags
    p.add(
        BuildSpec(
            "local-dev",
            f"local-dev image for uid {req.uid} gid {req.gid} ({catalog.LOCAL_DEV_DOCKERFILE})",
            req.container / catalog.LOCAL_DEV_DOCKERFILE,
            catalog.LOCAL_DEV_STAGE,
            [naming.local_dev_tag(t) for t in below],
            [("DEV_BASE", dev_base), ("USER_UID", req.uid), ("USER_GID", req.gid), ("ARCH", req.arch)],
            contexts=p.tooling,
            cache=False,
            feeds_next=req.make_efa,
        )
    )


def efa_spec(image_tags: list[str], efa_version: str, container: Path, stage: str = "") -> BuildSpec:
    """The AWS EFA layer on top of an image, tagged <tag>-aws for each of its tags."""
    return BuildSpec(
        "efa",
        f"AWS EFA layer {efa_version} ({catalog.EFA_DOCKERFILE})",
        container / catalog.EFA_DOCKERFILE,
        stage or efa_stage(image_tags[0]),
        [naming.efa_tag(t) for t in image_tags],
        [("BASE_IMAGE", image_tags[0]), ("EFA_VERSION", efa_version)],
        contexts=[(catalog.TOOLING_CONTEXT, str(container))],
        cache=False,
    )


def efa_stage(image: str) -> str:
    """runtime-aws on images that run as `dynamo` (runtime, local-dev), dev-aws on dev images (root)."""
    _, tag = naming.split_ref(image)
    return "runtime-aws" if tag.endswith(("-runtime", "-local-dev")) else "dev-aws"


def efa_stage_of(req: BuildRequest) -> str:
    """The EFA stage of a build by its target, as build.sh chooses it (runtime -> runtime-aws, else
    dev-aws), except local-dev: its user is `dynamo`, and dev-aws would run the EFA installer as that
    user and leave the image as root; runtime-aws installs as root and ends as `dynamo`."""
    return "runtime-aws" if req.target == "runtime" or req.local_dev else "dev-aws"


def _push_steps(p: _Plan) -> None:
    tags = [t for step in p.final for t in step.tags]
    to_push = [t for t in tags if naming.names_registry(t)]
    skipped = [t for t in tags if not naming.names_registry(t)]
    if skipped:
        p.warnings.append(f"not pushed (no registry in the name): {', '.join(skipped)}")
    docker = p.make.frontend.docker
    if not p.make.frontend.loads_here:
        return  # the builder pushed every image itself (its engine is not the one `docker push` talks to)
    for i, tag in enumerate(to_push, 1):
        log = str(p.req.log_dir / f"push-{i}.log")
        p.steps.append(
            Step("push", f"push {tag}", (docker, "push", "--", tag), kind="push", tags=(tag,), log=log)
        )


def _overridden(req: BuildRequest, derived: list[tuple[str, str]]) -> list[str]:
    names = {k for k, _ in derived}
    return [f"--build-arg {n} replaces the value the tool derives" for n, _ in req.user_args if n in names]


def _run_hint(req: BuildRequest, tags: list[str]) -> str:
    if not tags:
        return ""
    workspace = " -it --mount-workspace" if req.local_dev else ""  # a shell in the checkout
    env = f" --env-file {req.env_file}" if req.env_file else ""
    return f"run{env} --image {tags[0]}{workspace}"  # the words after the program's name


def plan_build(req: BuildRequest) -> BuildPlan:
    """The ordered steps of a build, its summary and the tags the user gets."""
    make = StepMaker(
        req.frontend,
        req.platform,
        req.context,
        req.log_dir,
        req.network,
        req.cache,
        req.user_args,
        # each architecture's cache apart (amd64 keeps the plain name)
        catalog.combination_key(req.framework.name, req.variant.cuda)
        + ("" if req.arch == "amd64" else f"-{req.arch}"),
        load_final=not req.no_load,
    )
    p = _Plan(req, make, derive.secrets(req), derive.common_args(req), warnings=list(req.warnings))
    p.warnings += _overridden(req, p.common + derive.framework_args(req))
    if req.wheel_build is not None:
        from dynamo_container.plan.wheel import (
            plan_steps as wheel_steps,  # only TRT-LLM builds from source need it
        )

        p.steps += wheel_steps(req.wheel_build, req.frontend, req.log_dir)
    if not req.dev_image:
        if req.epp_image:
            _epp_step(p)
        base = _base_step(p) if req.framework.name != "none" or req.base_only else ""
        if not req.base_only:
            _framework_step(p, base)
    if req.local_dev:
        _local_dev_step(p)
    if req.make_efa:
        p.add(efa_spec(p.final_tags, req.efa_version, req.container, efa_stage_of(req)))
    if req.push:
        _push_steps(p)
    final_tags = p.final_tags
    return BuildPlan(
        framework=req.framework.name,
        cuda=req.variant.cuda,
        target=req.target,
        platform=req.platform,
        arch=req.arch,
        version=req.version,
        steps=tuple(p.steps),
        summary=summary(req, p.secrets, final_tags),
        final_tags=tuple(final_tags),
        warnings=tuple(p.warnings),
        run_hint="" if req.no_load else _run_hint(req, final_tags),
        secret_env=tuple(sorted({sec.env for st in p.steps for sec in st.secrets})),
    )
