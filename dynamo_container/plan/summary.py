"""The configuration summary printed before a build (and in a dry run)."""

from __future__ import annotations

from collections.abc import Sequence

from dynamo_container.model import catalog
from dynamo_container.plan.model import Secret
from dynamo_container.resolve.build import BuildRequest

Rows = list[tuple[str, str]]


def _images(req: BuildRequest) -> Rows:
    if req.dev_image:
        return [("dev image", req.dev_image)]
    runtime = req.images.runtime_image
    return [
        ("build base", f"{req.images.base_image}:{req.images.base_tag}"),
        ("runtime base", f"{runtime}:{req.images.runtime_tag}" if runtime else "the build base"),
    ]


def _features(req: BuildRequest) -> str:
    f = req.features
    on = {"kvbm": f.kvbm, "gpu-memory-service": f.gpu_memory_service}
    on |= {"media-nixl": f.media_nixl, "media-ffmpeg": f.media_ffmpeg}
    text = " ".join(f"{k}={'true' if v else 'false'}" for k, v in on.items())
    return text + (" efa" if req.make_efa else "")


def _trtllm(req: BuildRequest) -> Rows:
    t = req.trtllm
    if t is None:
        return []
    what = {
        "download": f"download {t.pip_wheel} from {t.index_url}",
        "install": f"install the wheel in {t.wheel_dir}",
        "build": f"build from {t.git_url} into {t.wheel_dir}",
    }[t.mode]
    return [("tensorrt-llm", f"{what} (commit {t.commit})")]


def summary(
    req: BuildRequest, secrets: Sequence[Secret], final_tags: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    v = req.version
    rows: Rows = [
        ("framework", f"{req.framework.name} (CUDA {req.variant.cuda}, Python {req.variant.python})"),
        ("target", req.target or ("local-dev" if req.dev_image else "dev (no tag suffix)")),
        ("platform", f"{req.platform} ({req.arch}/{catalog.ARCHES[req.arch]})"),
        ("version", f"{v.version} (commit {v.short})" + (f"; {v.note}" if v.note else "")),
        *_images(req),
        ("dockerfiles", str(req.container)),
        ("context", str(req.context)),
        ("features", _features(req)),
        ("sccache", f"s3://{req.sccache[0]} ({req.sccache[1]})" if req.sccache else "off"),
    ]
    c = req.cache
    if c.cache_from or c.cache_to or c.no_cache:
        rows.append(
            (
                "cache",
                f"from={list(c.cache_from)} to={list(c.cache_to)}" + (" no-cache" if c.no_cache else ""),
            )
        )
    rows += _trtllm(req)
    if secrets:
        rows.append(("secrets", ", ".join(sec.id for sec in secrets)))
    rows.append(("image", "  ".join(final_tags)))
    return tuple(rows)
