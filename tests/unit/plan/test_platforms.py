"""Multi-platform builds: one build per platform under its own arch tags, then the manifest lists (pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.model import naming
from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.matrix import plan_matrix
from dynamo_container.plan.model import BuildPlan, Step
from dynamo_container.plan.platforms import plan_any
from dynamo_container.resolve.build import resolve_build
from dynamo_container.resolve.checkout import read_checkout
from dynamo_container.resolve.matrix import resolve_matrix
from dynamo_container.resolve.platforms import is_multi_platform, resolve_platforms
from tests.helpers import HOST, PROJECT, config, plan

REG = "127.0.0.1:5000/ci"
BOTH = "linux/amd64,linux/arm64"


def multi(root: Path, frontend: Frontend | None = None, **flags: Any) -> BuildPlan:
    """resolve -> plan of `flags` as `invoke build` does, one platform or several."""
    flags.setdefault("container_dir", str(PROJECT / "container"))
    cfg = config(root, **flags)
    checkout = read_checkout(cfg)
    fe = frontend or Frontend()
    one = not is_multi_platform(cfg)
    return plan_any(
        resolve_build(cfg, checkout, fe, HOST) if one else resolve_platforms(cfg, checkout, fe, HOST)
    )


def _builds(p: BuildPlan) -> list[Step]:
    return [s for s in p.steps if s.kind == "build"]


def test_the_tag_scheme_puts_an_arch_after_the_tag() -> None:
    assert (
        naming.platform_tag("reg:5000/dynamo:v1-vllm-runtime", "arm64")
        == "reg:5000/dynamo:v1-vllm-runtime-arm64"
    )
    assert naming.platform_tag("reg:5000/dynamo", "amd64") == "reg:5000/dynamo:latest-amd64"


def test_two_platforms_plan_each_build_under_its_arch_tags_then_the_manifest_lists(repo: Path) -> None:
    p = multi(repo, target="runtime", platform=BOTH, push=True, registry=REG, version="v1")
    version = "v1-vllm-runtime"
    assert [s.name for s in p.steps] == [
        "base-amd64", "framework-amd64", "push-amd64", "push-amd64",
        "base-arm64", "framework-arm64", "push-arm64", "push-arm64",
        "manifest", "manifest",
    ]  # fmt: skip
    base, framework = _builds(p)[2:]
    assert base.platform == framework.platform == "linux/arm64"
    assert base.argv[base.argv.index("--platform") :][:2] == ("--platform", "linux/arm64")
    assert base.tags == (f"{REG}/dynamo-base:v1-vllm-arm64",)
    # the framework step builds on its own platform's base, named by its arch tag
    assert f"DYNAMO_BASE_IMAGE={REG}/dynamo-base:v1-vllm-arm64" in framework.argv
    assert ("DYNAMO_BASE_IMAGE", f"{REG}/dynamo-base:v1-vllm-arm64") in framework.build_args
    assert framework.tags == (f"{REG}/dynamo:{version}-arm64", f"{REG}/dynamo:latest-vllm-runtime-arm64")
    pushes = [s.argv for s in p.steps if s.name == "push-arm64"]
    assert pushes == [("docker", "push", "--", t) for t in framework.tags]
    first, second = (s for s in p.steps if s.name == "manifest")
    assert first.argv == (
        "docker", "buildx", "imagetools", "create", "--tag", f"{REG}/dynamo:{version}",
        "--", f"{REG}/dynamo:{version}-amd64", f"{REG}/dynamo:{version}-arm64",
    )  # fmt: skip
    assert second.tags == (f"{REG}/dynamo:latest-vllm-runtime",)
    assert first.kind == "push"  # a registry write: the preflight checks that the registry answers
    assert p.final_tags == (f"{REG}/dynamo:{version}", f"{REG}/dynamo:latest-vllm-runtime")
    assert p.platform == BOTH


def test_no_tag_of_one_platform_appears_in_the_other_platforms_steps(repo: Path) -> None:
    p = multi(repo, target="runtime", platform=BOTH, push=True, registry=REG, make_efa=True)
    for arch, other in (("amd64", "arm64"), ("arm64", "amd64")):
        steps = [s for s in p.steps if s.name.endswith(f"-{arch}")]
        words = [w for s in steps for w in s.argv]
        assert all(t.endswith(f"-{arch}") for s in steps for t in s.tags)
        assert not [w for w in words if w.endswith(f"-{other}")]
    # the EFA image's tags are carried too: <tag>-aws-<arch>, joined as <tag>-aws
    assert any(t.endswith("-runtime-aws") for t in p.final_tags)
    efa = next(s for s in p.steps if s.name == "efa-arm64")
    assert all(t.endswith("-aws-arm64") for t in efa.tags)
    assert any(a.startswith("BASE_IMAGE=") and a.endswith("-runtime-arm64") for a in efa.argv)


def test_each_platform_logs_apart_and_the_manifests_in_the_combinations_folder(
    repo: Path, tmp_path: Path
) -> None:
    p = multi(repo, target="runtime", platform=BOTH, push=True, registry=REG, log_dir=str(tmp_path))
    folders = {s.name: Path(s.log or "").parent.name for s in p.steps}
    assert folders["base-amd64"] == "vllm-cuda12.9-amd64"
    assert folders["base-arm64"] == "vllm-cuda12.9-arm64"
    assert folders["manifest"] == "vllm-cuda12.9"
    metadata = [s.metadata for s in _builds(p)]
    assert len(set(metadata)) == len(metadata)


def test_the_arm64_build_passes_its_arch_and_its_own_cache_entries(repo: Path) -> None:
    p = multi(
        repo,
        target="runtime",
        platform=BOTH,
        push=True,
        registry=REG,
        cache_to=["type=registry,ref=127.0.0.1:5000/cache"],
    )
    amd, arm = _builds(p)[0], _builds(p)[2]
    assert "ARCH=arm64" in arm.argv and "ARCH=arm64" not in amd.argv
    assert amd.cache_to != arm.cache_to and "arm64" in arm.cache_to[0]


def test_a_builder_that_pushes_itself_pushes_each_arch_tag(repo: Path) -> None:
    # a docker-container builder of another engine: every image it builds is pushed by itself
    farm = Frontend("docker", True, "farm", False, "docker-container", "unix:///run/e/docker.sock", False)
    p = multi(repo, farm, target="runtime", platform=BOTH, push=True, registry="reg.example:5000/ci")
    arm = _builds(p)[-1]
    assert "--push" in arm.argv and arm.tags[0].endswith("-runtime-arm64")
    assert not [s for s in p.steps if s.name.startswith("push")]
    assert [s.tags[0] for s in p.steps if s.name == "manifest"] == list(p.final_tags)


def test_one_platform_plans_as_before(repo: Path) -> None:
    flags: dict[str, Any] = {"target": "runtime", "push": True, "registry": REG}
    assert multi(repo, platform="linux/arm64", **flags) == plan(repo, platform="linux/arm64", **flags)


def test_a_matrix_of_two_platforms_plans_each_combination_so(repo: Path) -> None:
    cfg = config(
        repo,
        container_dir=str(PROJECT / "container"),
        framework="vllm,sglang",
        target="runtime",
        platform=BOTH,
        push=True,
        registry=REG,
    )
    mp = plan_matrix(resolve_matrix(cfg, read_checkout(cfg), Frontend(), HOST))
    assert [p.platform for p in mp.plans] == [BOTH, BOTH]
    assert all(sum(s.name == "manifest" for s in p.steps) == 2 for p in mp.plans)


@pytest.mark.parametrize(
    ("flags", "says", "hint"),
    [
        (
            {},
            "--platform 'linux/amd64,linux/arm64' names 2 platforms: an image of several",
            "add --push and --registry",
        ),
        ({"push": True}, "and --registry is empty", "add --registry HOST[:PORT][/NAMESPACE]"),
        (
            {"push": True, "registry": REG, "executor": "bake"},
            "--executor bake builds one platform",
            "--executor steps",
        ),
        ({"push": True, "registry": REG, "build_frontend": "build"}, "imagetools", "docker-buildx"),
    ],
)
def test_refused_with_what_it_needs(repo: Path, flags: dict[str, Any], says: str, hint: str) -> None:
    frontend = Frontend(buildx=flags.get("build_frontend") != "build")
    with pytest.raises(ConfigError) as e:
        multi(repo, frontend, target="runtime", platform=BOTH, **flags)
    assert says in str(e.value) and hint in str(e.value.hint)


def test_the_refusal_names_where_the_platforms_came_from(repo: Path) -> None:
    cfg = config(repo, {"DYNAMO_PLATFORM": BOTH}, container_dir=str(PROJECT / "container"))
    with pytest.raises(ConfigError, match=r"^DYNAMO_PLATFORM \(environment\) 'linux/amd64,linux/arm64'"):
        resolve_platforms(cfg, read_checkout(cfg), Frontend(), HOST)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("linux/amd64,linux/s390x", "unsupported platform 'linux/s390x'"),
        ("linux/arm64,linux/arm64/v8", "names arm64 twice (linux/arm64, linux/arm64/v8)"),
    ],
)
def test_each_platform_of_the_list_is_checked(repo: Path, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        multi(repo, target="runtime", platform=value, push=True, registry=REG)
