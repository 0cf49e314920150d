"""Image names and tags: the one place that knows the tag scheme.

    framework image  dynamo:<version>-<fw>[-cuda<C>]-<target>   and  dynamo:latest-<fw>[-cuda<C>]-<target>
    dev image        dynamo:<version>-<fw>[-cuda<C>]-dev        and  dynamo:latest-<fw>[-cuda<C>]
    step-1 image     dynamo-base:<version>-<fw>[-cuda<C>][-<stage>]
    local-dev image  <dev image tag, its -dev dropped>-local-dev
    EFA image        <image tag>-aws, for each tag of the image below it
    one platform of  <tag>-<arch> (amd64, arm64) for every tag above, in a multi-platform build;
    several          <tag> itself is then the manifest list over them

Each name has --registry's <registry>/ in front when one is set. These are the tags of the
snapshot's build.sh (3b9b3f31c): no target builds the dev image, and a dev or local-dev reference,
also a custom --tag, goes through its suffix chain (-runtime, -local-dev and -dev dropped, then -dev
or -local-dev added). `-cuda<C>` appears only for a CUDA version other than the framework's
default, so every row of the matrix has its own tags (build.sh gives the 13.0 and 12.9 images the
same tags). `invoke build` tags with these names, `invoke run` and `invoke smoke` find images by
them, and error messages suggest the build that makes a missing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dynamo_container.model import catalog
from dynamo_container.model.references import is_registry_host


@dataclass(frozen=True)
class Names:
    image_name: str = "dynamo"
    base_image_name: str = "dynamo-base"
    registry: str = ""  # HOST[:PORT][/NAMESPACE] in front of both names
    tag: str = ""  # the final image's reference instead of the versioned tag
    no_tag_latest: bool = False

    def repo(self, name: str) -> str:
        registry = self.registry.strip().rstrip("/")
        return f"{registry}/{name}" if registry else name

    @property
    def image_repo(self) -> str:
        return self.repo(self.image_name)

    @property
    def base_repo(self) -> str:
        return self.repo(self.base_image_name)


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


def platform_tag(ref: str, arch: str) -> str:
    """The tag one platform's image of a multi-platform build is pushed under: `<tag>-<arch>`."""
    return with_suffix(ref, f"-{arch}")


def names_registry(ref: str) -> bool:
    """True when an image reference names its registry host (docker's rule: '.' or ':' or localhost)."""
    first, sep, _ = ref.partition("/")
    return bool(sep) and is_registry_host(first)


def registry_of(ref: str) -> str:
    """The registry host an image reference is pulled from or pushed to (docker.io when it names none)."""
    return ref.partition("/")[0] if names_registry(ref) else "docker.io"


def cuda_suffix(framework: str, cuda: str) -> str:
    return "" if cuda == catalog.framework(framework).default_cuda else f"-cuda{cuda}"


DEV_TARGETS = ("", "dev", catalog.LOCAL_DEV_STAGE)  # the targets whose tags go through the dev chain


def target_suffix(target: str) -> str:
    """The suffix a target adds to the versioned tag before the dev chain (none for local-dev)."""
    return "" if target in ("", catalog.LOCAL_DEV_STAGE) else "-" + target.replace("_", "-")


def dev_chain(ref: str, target: str) -> str:
    """A dev or local-dev reference: -runtime, -local-dev, -dev dropped, then -dev or -local-dev added."""
    base = ref
    for suffix in ("-runtime", "-local-dev", "-dev"):
        base = base.removesuffix(suffix)
    return base + ("-local-dev" if target == catalog.LOCAL_DEV_STAGE else "-dev")


def latest_suffix(target: str) -> str:
    """The suffix of the `latest` tag: none for dev (build.sh's `latest-<framework>`)."""
    return "" if target in ("", "dev") else "-" + target.replace("_", "-")


def image_tags(names: Names, version: str, framework: str, cuda: str, target: str) -> list[str]:
    """Tags of an image built to `target` (dev, local-dev, runtime, frontend, an intermediate stage)."""
    variant = framework + cuda_suffix(framework, cuda)
    versioned = names.tag.strip() or f"{names.image_repo}:{version}-{variant}{target_suffix(target)}"
    if target in DEV_TARGETS:
        versioned = dev_chain(versioned, target)
    tags = [versioned]
    if not names.no_tag_latest:
        tags.append(f"{names.image_repo}:latest-{variant}{latest_suffix(target)}")
    return tags


def base_tag(names: Names, version: str, framework: str, cuda: str, stage: str = "base") -> str:
    """Tag of the step-1 image (or of an earlier stage of it, built alone)."""
    suffix = "" if stage == "base" else "-" + stage.replace("_", "-")
    return f"{names.base_repo}:{version}-{framework}{cuda_suffix(framework, cuda)}{suffix}"


def local_dev_tag(image: str) -> str:
    """The local-dev tag of a dev image: `dynamo:v1-vllm-dev` -> `dynamo:v1-vllm-local-dev`."""
    repo, tag = split_ref(image)
    return f"{repo}:{dev_chain(tag or 'latest', catalog.LOCAL_DEV_STAGE)}"


def efa_tag(image: str) -> str:
    """The tag of the EFA layer on an image: each tag of it with `-aws` (build.sh's suffix)."""
    return with_suffix(image, "-aws")


def latest_image(names: Names, framework: str, cuda: str, target: str) -> str:
    """The `latest` tag a build of this framework, CUDA version and target gives (what `invoke run` runs)."""
    variant = framework + cuda_suffix(framework, cuda)
    return f"{names.image_repo}:latest-{variant}{latest_suffix(target)}"


_LATEST = re.compile(r":latest-(?P<fw>[a-z]+)(?:-cuda(?P<cuda>[0-9.]+))?(?:-(?P<target>[a-z-]+))?$")


def suggest_build(names: Names, image: str) -> str:
    """How to get an image this tool names (`dynamo:latest-vllm-runtime` -> the invoke build command)."""
    m = _LATEST.search(image)
    if m and m["fw"] in catalog.FRAMEWORKS and image.startswith(names.image_repo + ":"):
        flags = f"--framework {m['fw']}"
        if m["cuda"]:
            flags += f" --cuda-version {m['cuda']}"
        target = m["target"] or ""
        efa = target == "aws" or target.endswith("-aws")
        target = target.removesuffix("aws").removesuffix("-")
        if target == "dev":  # no build makes latest-<fw>-dev: the dev image's latest tag has no suffix
            flags += " --make-efa" if efa else ""
            dev = f"{names.image_repo}:latest-{m['fw']}" + (f"-cuda{m['cuda']}" if m["cuda"] else "")
            dev += "-aws" if efa else ""
            return f"no build tags {image}: a dev build (invoke build {flags}) tags {dev}"
        if target:
            flags += f" --target {target}"
        if efa:
            flags += " --make-efa"
        return f"build it: invoke build {flags}"
    return f"pull it (docker pull {image}) or build it with invoke build"
