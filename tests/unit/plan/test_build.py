"""The build planner: every option, validation rule, tag rule, arm64 specifics, TRT-LLM intents, secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.model.frontend import Frontend
from tests.helpers import PROJECT, STANDIN_FAMILY, git, make_repo, plan, wheel_dir


def args_of(step) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(step.build_args)


def builds(p):  # type: ignore[no-untyped-def]
    return [s for s in p.steps if s.kind == "build"]


# ----- steps and targets --------------------------------------------------------------------------


def test_default_vllm_plan(repo: Path) -> None:
    p = plan(repo)
    short = git(repo, "rev-parse", "--short", "HEAD")
    base, fw = p.steps
    assert (base.name, base.target, Path(base.dockerfile).name) == ("base", "base", "Dockerfile")
    assert base.tags == (f"dynamo-base:v0.6.1.dev.{short}-vllm",)
    assert (fw.name, fw.target, Path(fw.dockerfile).name) == ("framework", "dev", "Dockerfile.vllm")
    assert fw.tags == (f"dynamo:v0.6.1.dev.{short}-vllm-dev", "dynamo:latest-vllm")
    assert args_of(fw)["DYNAMO_BASE_IMAGE"] == base.tags[0]
    assert "DYNAMO_BASE_IMAGE" not in args_of(base)
    assert fw.context == str(repo) and base.context == str(repo)
    assert fw.argv[-2:] == ("--", str(repo))  # nothing after `--` is read as an option
    assert fw.argv[:5] == ("docker", "buildx", "build", "--load", "--progress=plain")


@pytest.mark.parametrize(("fw", "target"), [("sglang", "runtime"), ("sglang", "dev"), ("vllm", "framework")])
def test_framework_targets_get_a_suffix(repo: Path, fw: str, target: str) -> None:
    p = plan(repo, framework=fw, target=target)
    assert [s.target for s in p.steps] == ["base", target]
    assert p.steps[1].tags[0].endswith(f"-{fw}-{target}")
    # build.sh's latest tag of the dev image has no -dev
    assert p.steps[1].tags[1] == f"dynamo:latest-{fw}" + ("" if target == "dev" else f"-{target}")


def test_sglang_has_no_framework_stage(repo: Path) -> None:
    """Upstream's SGLang image installs into the SGLang runtime image directly."""
    with pytest.raises(ConfigError, match="unknown target 'framework' for sglang"):
        plan(repo, framework="sglang", target="framework")


@pytest.mark.parametrize(
    ("target", "suffix"), [("base", ""), ("wheel_builder", "-wheel-builder"), ("dynamo_base", "-dynamo-base")]
)
def test_base_only_targets_build_one_step(repo: Path, target: str, suffix: str) -> None:
    p = plan(repo, framework="vllm", target=target)
    assert len(p.steps) == 1
    assert p.steps[0].target == target
    assert p.steps[0].tags == (f"dynamo-base:{p.version.version}-vllm{suffix}",)
    assert p.final_tags == p.steps[0].tags


def test_none_is_a_single_build(repo: Path) -> None:
    p = plan(repo, framework="none", target="runtime")
    (step,) = p.steps
    assert (Path(step.dockerfile).name, step.target) == ("Dockerfile", "runtime")
    assert "DYNAMO_BASE_IMAGE" not in args_of(step)
    assert "RUNTIME_IMAGE" not in args_of(step)  # its runtime stage builds on the devel base
    assert args_of(step)["BASE_IMAGE_TAG"] == "25.01-cuda12.8-devel-ubuntu24.04"
    assert step.tags[1] == "dynamo:latest-none-runtime"
    ignored = plan(repo, framework="none", target="runtime", runtime_image="x/y")
    assert any("--runtime-image* is ignored" in w for w in ignored.warnings)


def test_local_dev_target(repo: Path) -> None:
    p = plan(repo, target="local-dev", uid="1234", gid="99")
    _, fw, ld = p.steps
    assert fw.target == "dev" and fw.tags[1] == "dynamo:latest-vllm"
    assert fw.tags[0].endswith("-vllm-dev")
    assert ld.tags == (fw.tags[0].removesuffix("-dev") + "-local-dev", "dynamo:latest-vllm-local-dev")
    assert args_of(ld) == {"DEV_BASE": fw.tags[0], "USER_UID": "1234", "USER_GID": "99", "ARCH": "amd64"}
    assert ld.context == str(repo) and ld.target == "local-dev"
    assert p.run_hint == f"run --image {ld.tags[0]} -it --mount-workspace"  # after the program name


def test_local_dev_defaults_to_the_callers_ids(repo: Path) -> None:
    ld = plan(repo, target="local-dev").steps[-1]
    assert (args_of(ld)["USER_UID"], args_of(ld)["USER_GID"]) == ("4242", "4343")


def test_local_dev_with_a_tag_ending_in_local_dev(repo: Path) -> None:
    p = plan(repo, target="local-dev", tag="me/dyn:x-local-dev", no_tag_latest=True)
    # build.sh's suffix chain: the dev image gets -dev instead, the local-dev image the suffix once
    assert p.steps[1].tags == ("me/dyn:x-dev",)
    assert p.steps[2].tags == ("me/dyn:x-local-dev",)
    assert args_of(p.steps[2])["DEV_BASE"] == "me/dyn:x-dev"


# ----- dev image ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("dynamo:x-vllm-dev", "dynamo:x-vllm-local-dev"),
        ("dynamo:latest-vllm", "dynamo:latest-vllm-local-dev"),
        ("dynamo", "dynamo:latest-local-dev"),
        ("registry:5000/dynamo", "registry:5000/dynamo:latest-local-dev"),
        ("registry:5000/dynamo:v1", "registry:5000/dynamo:v1-local-dev"),
    ],
)
def test_dev_image_builds_only_local_dev(repo: Path, image: str, tag: str) -> None:
    p = plan(repo, dev_image=image)
    (step,) = p.steps
    assert step.name == "local-dev" and step.tags == (tag,)
    assert args_of(step)["DEV_BASE"] == image


def test_uid_gid_rules(repo: Path) -> None:
    with pytest.raises(
        ConfigError, match="--uid and --gid can only be used with --dev-image or --target local-dev"
    ):
        plan(repo, uid="1234")
    with pytest.raises(ConfigError, match="--gid 'abc' is not a valid numeric id"):
        plan(repo, target="local-dev", gid="abc")
    assert args_of(plan(repo, dev_image="d:1", uid="7").steps[0])["USER_UID"] == "7"


# ----- framework matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", catalog.VARIANTS, ids=[v.key for v in catalog.VARIANTS])
def test_every_matrix_row_plans(repo: Path, variant: catalog.Variant) -> None:
    p = plan(repo, framework=variant.framework, cuda_version=variant.cuda, target="runtime")
    last = p.steps[-1]
    a = args_of(last)
    assert (a["BASE_IMAGE"], a["BASE_IMAGE_TAG"]) == (variant.build_image, variant.build_tag)
    if variant.runtime_image:
        assert (a["RUNTIME_IMAGE"], a["RUNTIME_IMAGE_TAG"]) == (variant.runtime_image, variant.runtime_tag)
    assert a.get("CUDA_VERSION", "") == dict(variant.args).get("CUDA_VERSION", "")
    assert a["PYTHON_VERSION"] == "3.12" and a["MATRIX_CUDA_VERSION"] == variant.cuda
    default = catalog.framework(variant.framework).default_cuda == variant.cuda
    assert ("-cuda" not in last.tags[0]) == default
    if not default:
        assert f"-{variant.framework}-cuda{variant.cuda}-runtime" in last.tags[0]
        if variant.framework != "none":
            assert p.steps[0].tags[0].endswith(f"-{variant.framework}-cuda{variant.cuda}")


def test_framework_is_case_insensitive(repo: Path) -> None:
    assert plan(repo, framework="SGLANG").framework == "sglang"


def test_base_image_overrides(repo: Path) -> None:
    a = args_of(
        plan(
            repo, base_image="my/base", base_image_tag="t1", runtime_image="my/rt", runtime_image_tag="t2"
        ).steps[1]
    )
    assert (a["BASE_IMAGE"], a["BASE_IMAGE_TAG"], a["RUNTIME_IMAGE"], a["RUNTIME_IMAGE_TAG"]) == (
        "my/base",
        "t1",
        "my/rt",
        "t2",
    )


# ----- features -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fw", "kvbm", "gms", "media"),
    [  # build.sh:892-939; KVBM and the GPU memory service are passed only when on
        ("vllm", "true", "true", "true"),
        ("trtllm", "true", None, "true"),
        ("sglang", None, "true", "true"),
        ("none", None, None, "false"),
    ],
)
def test_feature_defaults(repo: Path, fw: str, kvbm: str | None, gms: str | None, media: str) -> None:
    for step in plan(repo, framework=fw).steps:
        a = args_of(step)
        assert (a.get("ENABLE_KVBM"), a.get("ENABLE_GPU_MEMORY_SERVICE")) == (kvbm, gms)
        assert a["ENABLE_MEDIA_NIXL"] == a["ENABLE_MEDIA_FFMPEG"] == media


def test_enable_kvbm_turns_it_on_and_disable_turns_it_off(repo: Path) -> None:
    assert args_of(plan(repo, framework="sglang", enable_kvbm=True).steps[0])["ENABLE_KVBM"] == "true"
    assert "ENABLE_KVBM" not in args_of(plan(repo, framework="vllm", enable_kvbm=False).steps[0])
    assert (
        args_of(plan(repo, framework="none", enable_media_nixl=True).steps[0])["ENABLE_MEDIA_NIXL"] == "true"
    )
    assert args_of(plan(repo, enable_media_ffmpeg=False).steps[0])["ENABLE_MEDIA_FFMPEG"] == "false"


def test_max_jobs_is_vllm_only(repo: Path) -> None:
    assert "MAX_JOBS" not in args_of(plan(repo).steps[1])  # the Dockerfile's default (16) applies
    assert args_of(plan(repo, vllm_max_jobs="4").steps[1])["MAX_JOBS"] == "4"
    assert "MAX_JOBS" not in args_of(plan(repo).steps[0])
    p = plan(repo, framework="sglang", vllm_max_jobs="4")
    assert "MAX_JOBS" not in args_of(p.steps[1])
    assert any("--vllm-max-jobs only applies to vllm" in w for w in p.warnings)


def test_release_build_needs_an_exact_tag(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--release-build needs HEAD on a version tag"):
        plan(repo, release_build=True)
    tagged = make_repo(tmp_path / "tagged", tag="v1.0.0", commits_after=0)
    p = plan(tagged, release_build=True)
    assert args_of(p.steps[0])["RELEASE_BUILD"] == "true"
    assert p.steps[1].tags[0] == "dynamo:v1.0.0-vllm-dev"


def test_version_override(repo: Path) -> None:
    p = plan(repo, version="2.0.0", commit_sha="c0ffee")
    assert p.steps[1].tags[0] == "dynamo:v2.0.0-vllm-dev"
    assert args_of(p.steps[0])["DYNAMO_COMMIT_SHA"] == "c0ffee"
    assert args_of(p.steps[0])["DYNAMO_VERSION"] == "2.0.0"


# ----- architecture -------------------------------------------------------------------------------


def test_arm64_args(repo: Path) -> None:
    p = plan(repo, platform="linux/arm64")
    for step in p.steps:
        assert (args_of(step)["ARCH"], args_of(step)["ARCH_ALT"]) == ("arm64", "aarch64")
        assert step.platform == "linux/arm64"
    assert "GRACE_BLACKWELL" not in args_of(p.steps[1])


def test_sglang_arm64_adds_grace_blackwell_to_the_framework_step(repo: Path) -> None:
    p = plan(repo, framework="sglang", platform="linux/arm64/v8")
    assert args_of(p.steps[1])["GRACE_BLACKWELL"] == "true"
    assert args_of(p.steps[1])["BUILD_TYPE"] == "blackwell_aarch64"
    assert "GRACE_BLACKWELL" not in args_of(p.steps[0])
    assert "GRACE_BLACKWELL" not in args_of(plan(repo, framework="sglang").steps[1])


def test_user_arg_of_the_same_name_wins_but_a_substring_does_not(repo: Path) -> None:
    p = plan(
        repo,
        framework="sglang",
        platform="linux/arm64",
        build_args=("BUILD_TYPE=custom", "MY_GRACE_BLACKWELL_FLAG=1"),
    )
    a = args_of(p.steps[1])
    assert a["BUILD_TYPE"] == "custom" and a["GRACE_BLACKWELL"] == "true"
    assert [k for k, _ in p.steps[1].build_args].count("BUILD_TYPE") == 1
    assert any("--build-arg BUILD_TYPE replaces" in w for w in p.warnings)


# ----- tags ---------------------------------------------------------------------------------------


def test_custom_tag_replaces_only_the_versioned_tag(repo: Path) -> None:
    p = plan(repo, tag="custom:1")
    assert p.steps[1].tags == ("custom:1-dev", "dynamo:latest-vllm")  # a dev image's tag ends in -dev
    runtime = plan(repo, tag="custom:1", target="runtime").steps[1]
    assert runtime.tags == ("custom:1", "dynamo:latest-vllm-runtime")
    assert p.steps[0].tags[0].startswith("dynamo-base:v0.6.1.dev.")


def test_no_tag_latest(repo: Path) -> None:
    assert len(plan(repo, no_tag_latest=True).steps[1].tags) == 1


def test_image_names_are_settings(repo: Path) -> None:
    p = plan(repo, image_name="reg.example/dyn", base_image_name="reg.example/dyn-base")
    assert p.steps[0].tags[0].startswith("reg.example/dyn-base:v0.6.1")
    assert p.steps[1].tags[1] == "reg.example/dyn:latest-vllm"


# ----- EFA, push, cache, contexts, network, frontend ----------------------------------------------


def test_make_efa(repo: Path) -> None:
    p = plan(repo, target="runtime", make_efa=True)
    base, fw, efa = p.steps
    assert args_of(base)["NIXL_UCX_REF"] == catalog.NIXL_UCX_REF == "v1.20.0"
    assert efa.tags == tuple(t + "-aws" for t in fw.tags)
    assert args_of(efa) == {"BASE_IMAGE": fw.tags[0], "EFA_VERSION": catalog.EFA_VERSION}
    assert Path(efa.dockerfile).name == "Dockerfile.aws" and efa.target == "runtime-aws"
    dev = plan(repo, target="dev", make_efa=True).steps[-1]
    assert dev.target == "dev-aws" and dev.tags[1] == "dynamo:latest-vllm-aws"
    # the stage follows the target, not the tag: a custom tag of a runtime image still gets runtime-aws
    assert plan(repo, target="runtime", tag="my/img:1", make_efa=True).steps[-1].target == "runtime-aws"
    local = plan(repo, target="local-dev", make_efa=True).steps[-1]
    assert local.target == "runtime-aws"  # not build.sh's dev-aws: see docs/differences-from-scripts.md
    assert local.tags[1] == "dynamo:latest-vllm-local-dev-aws"
    assert "EFA_VERSION" not in args_of(base)  # build.sh passes it everywhere; only Dockerfile.aws reads it


def test_push_pushes_the_final_images_to_their_registry(repo: Path) -> None:
    p = plan(repo, target="runtime", push=True, registry="reg.example:5000/team")
    pushes = [s for s in p.steps if s.kind == "push"]
    assert p.steps[1].tags[1] == "reg.example:5000/team/dynamo:latest-vllm-runtime"
    assert p.steps[0].tags[0].startswith("reg.example:5000/team/dynamo-base:")
    assert [s.argv for s in pushes] == [("docker", "push", "--", t) for t in p.steps[1].tags]
    assert len({s.log for s in pushes}) == 2


def test_push_skips_names_without_a_registry(repo: Path) -> None:
    p = plan(repo, target="runtime", push=True, tag="localhost/dynamo:rc1")
    assert [s.argv[-1] for s in p.steps if s.kind == "push"] == ["localhost/dynamo:rc1"]
    assert any("not pushed (no registry in the name): dynamo:latest-vllm-runtime" in w for w in p.warnings)
    with pytest.raises(ConfigError, match="--push needs image names that name a registry"):
        plan(repo, push=True)


def test_cache_flags_on_base_and_framework_only(repo: Path) -> None:
    p = plan(
        repo,
        target="local-dev",
        cache_from=("type=registry,ref=r/c",),
        cache_to=("type=inline",),
        no_cache=True,
    )
    for step in p.steps[:2]:  # the registry ref tagged per step (test_plan_cache.py)
        assert step.cache_from == (
            f"type=registry,ref=r/c:cache-vllm-cuda12.9-{step.name}" + ("-dev" * (step.name == "framework")),
        )
        assert step.cache_from[0] in step.argv
        assert "type=inline" in step.argv and "--no-cache" in step.argv
    assert "--cache-from" not in p.steps[2].argv and "--no-cache" not in p.steps[2].argv


def test_build_contexts(repo: Path) -> None:
    (repo / "extra").mkdir()
    p = plan(repo, build_contexts=("extra=extra", "img=docker-image://alpine:3"))
    assert ("extra", str(repo / "extra")) in p.steps[1].contexts
    assert ("img", "docker-image://alpine:3") in p.steps[0].contexts
    with pytest.raises(ConfigError, match="--build-context nope: no such file or folder"):
        plan(repo, build_contexts=("x=nope",))
    with pytest.raises(ConfigError, match="is not NAME=VALUE"):
        plan(repo, build_contexts=("justapath",))


def test_network_and_dockerfile_family(repo: Path) -> None:
    p = plan(repo, build_network="host", container_dir=str(STANDIN_FAMILY))
    assert p.steps[0].argv[p.steps[0].argv.index("--network") + 1] == "host"
    assert p.steps[1].dockerfile == str(STANDIN_FAMILY / "Dockerfile.vllm")
    assert dict(p.steps[1].contexts)["tooling"] == str(STANDIN_FAMILY)
    with pytest.raises(ConfigError, match="--container-dir nowhere: no such file or folder"):
        plan(repo, container_dir="nowhere")


def test_legacy_frontend_and_builder(repo: Path) -> None:
    legacy = plan(repo, frontend=Frontend("docker", buildx=False)).steps[0]
    assert legacy.argv[:3] == ("docker", "build", "--progress=plain") and dict(legacy.env) == {
        "DOCKER_BUILDKIT": "1"
    }
    remote = plan(repo, frontend=Frontend("docker", buildx=True, builder="farm")).steps[0]
    assert remote.argv[:6] == ("docker", "buildx", "build", "--builder", "farm", "--load")


# ----- secrets ------------------------------------------------------------------------------------


def test_sccache_args_and_secrets(repo: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY", "AWS_SECRET_ACCESS_KEY": "very-secret-value"}
    p = plan(repo, env, use_sccache=True, sccache_bucket="b", sccache_region="us-west-2")
    for step in p.steps:
        a = args_of(step)
        assert (a["USE_SCCACHE"], a["SCCACHE_BUCKET"], a["SCCACHE_REGION"]) == ("true", "b", "us-west-2")
        assert [s.flag for s in step.secrets] == [
            "id=aws-key-id,env=AWS_ACCESS_KEY_ID",
            "id=aws-secret-id,env=AWS_SECRET_ACCESS_KEY",
        ]
        text = " ".join(step.argv)
        assert "AKIAEXAMPLEKEY" not in text and "very-secret-value" not in text
    assert "very-secret-value" not in json.dumps(p.to_json())


def test_tokens_become_secrets_never_build_args(repo: Path) -> None:
    env = {"GITHUB_TOKEN": "ghp_example123", "HF_TOKEN": "hf_example456", "GITLAB_TOKEN": "glpat-xyz789"}
    p = plan(repo, env)
    for step in p.steps:
        assert {s.id for s in step.secrets} == {"github-token", "gitlab-token", "hf-token"}
        for value in env.values():
            assert value not in " ".join(step.argv)
        assert not set(args_of(step)) & set(env)
    assert p.secret_env == ("GITHUB_TOKEN", "GITLAB_TOKEN", "HF_TOKEN")


def test_user_build_args(repo: Path) -> None:
    p = plan(repo, build_args=("FOO=1", "BAR=a b"))
    assert args_of(p.steps[0])["FOO"] == "1" and args_of(p.steps[1])["BAR"] == "a b"
    assert "BAR=a b" in p.steps[1].argv
    with pytest.raises(ConfigError, match="is not NAME=VALUE or NAME"):
        plan(repo, build_args=("=1",))
    with pytest.raises(ConfigError, match="not a valid argument name"):
        plan(repo, build_args=("1X=2",))


def test_a_build_arg_by_name_takes_the_environments_value(repo: Path) -> None:
    # docker's `--build-arg NAME`: the value the environment has; the plan shows it, so a dry run is
    # what runs and a changed value changes the step's key
    p = plan(repo, {"FOO": "from env"}, build_args=("FOO", "BAR"))
    assert args_of(p.steps[1])["FOO"] == "from env" and "FOO=from env" in p.steps[1].argv
    assert "BAR" not in args_of(p.steps[1])  # unset: docker passes nothing, the Dockerfile's default applies
    assert any("--build-arg BAR: BAR is not set in the environment" in w for w in p.warnings)
    with pytest.raises(ConfigError, match="GITHUB_TOKEN looks like a credential"):
        plan(repo, {"GITHUB_TOKEN": "x"}, build_args=("GITHUB_TOKEN",))
    with pytest.raises(ConfigError, match="the environment's NOTE holds a value in a token format"):
        plan(repo, {"NOTE": "ghp_" + "a1" * 18}, build_args=("NOTE",))


# ----- TensorRT-LLM -------------------------------------------------------------------------------


def test_trtllm_download_is_the_default(repo: Path) -> None:
    p = plan(repo, framework="trtllm", target="runtime")
    a = args_of(p.steps[1])
    assert a["HAS_TRTLLM_CONTEXT"] == "0"
    # 1.3.0rc1's PyPI wheel does not match NGC PyTorch's ABI: the wheel of NVIDIA's release image is used
    assert a["TRTLLM_WHEEL_IMAGE"] == "nvcr.io/nvidia/tensorrt-llm/release:1.3.0rc1"
    assert "TENSORRTLLM_PIP_WHEEL" not in a and "TENSORRTLLM_INDEX_URL" not in a
    assert a["GITHUB_TRTLLM_COMMIT"] == "v1.3.0rc1"
    assert "TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL" not in a
    on = args_of(plan(repo, framework="trtllm", trtllm_use_nixl_kvcache_experimental=True).steps[1])
    assert on["TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL"] == "1"
    assert dict(p.steps[1].contexts)["trtllm_wheel"] == str(PROJECT / "container/contexts/empty")
    assert any("download tensorrt-llm==1.3.0rc1" in v for k, v in p.summary if k == "tensorrt-llm")
    assert "HAS_TRTLLM_CONTEXT" not in args_of(p.steps[0])


def test_trtllm_pip_spec_rules(repo: Path) -> None:
    a = args_of(
        plan(
            repo,
            framework="trtllm",
            tensorrtllm_pip_wheel="tensorrt-llm==1.2.0",
            tensorrtllm_index_url="https://idx.example/simple",
        ).steps[1]
    )
    assert (a["GITHUB_TRTLLM_COMMIT"], a["TENSORRTLLM_INDEX_URL"]) == ("v1.2.0", "https://idx.example/simple")
    assert a["TENSORRTLLM_PIP_WHEEL"] == "tensorrt-llm==1.2.0" and "TRTLLM_WHEEL_IMAGE" not in a
    with pytest.raises(ConfigError, match="has no ==version"):
        plan(repo, framework="trtllm", tensorrtllm_pip_wheel="tensorrt-llm")
    a = args_of(
        plan(repo, framework="trtllm", tensorrtllm_pip_wheel="tensorrt-llm", tensorrtllm_commit="abc").steps[
            1
        ]
    )
    assert a["GITHUB_TRTLLM_COMMIT"] == "abc"


def test_trtllm_build_from_source_plans_the_wheel_steps_first(repo: Path) -> None:
    """No task inside a plan: the wheel's own git and docker commands are steps of the build plan."""
    p = plan(
        repo,
        framework="trtllm",
        target="runtime",
        tensorrtllm_git_url="https://g.example/trt.git",
        tensorrtllm_commit="31116825",
        trtllm_cuda_archs="90-real",
        build_network="host",
    )
    names = [s.name for s in p.steps]
    assert names[0] == "trtllm-git-init" and names[-2:] == ["base", "framework"]
    assert not any(s.argv[0] == "invoke" for s in p.steps)
    wheel = next(s for s in p.steps if s.name == "trtllm-build")
    assert (
        wheel.argv[:3] == ("docker", "buildx", "build")
        and "type=local,dest=/tmp/trtllm_wheel/build" in wheel.argv
    )
    assert "BUILD_WHEEL_ARGS=" in " ".join(wheel.argv) and "--cuda_architectures 90-real" in " ".join(
        wheel.argv
    )
    assert wheel.argv[wheel.argv.index("--network") + 1] == "host"
    fw = p.steps[-1]
    assert args_of(fw)["HAS_TRTLLM_CONTEXT"] == "1" and args_of(fw)["GITHUB_TRTLLM_COMMIT"] == "31116825"
    assert dict(fw.contexts)["trtllm_wheel"] == "/tmp/trtllm_wheel"
    assert "TENSORRTLLM_PIP_WHEEL" not in args_of(fw)


def test_trtllm_wheel_dir_with_git_url_is_the_output(repo: Path) -> None:
    p = plan(
        repo,
        framework="trtllm",
        tensorrtllm_git_url="https://g",
        tensorrtllm_commit="c",
        tensorrtllm_pip_wheel_dir="out",
    )
    wheel = next(s for s in p.steps if s.name == "trtllm-build")
    assert f"type=local,dest={repo / 'out' / 'build'}" in wheel.argv
    assert dict(p.steps[-1].contexts)["trtllm_wheel"] == str(repo / "out")


def test_trtllm_install_reads_commit_txt(repo: Path) -> None:
    d = wheel_dir(repo)
    p = plan(repo, framework="trtllm", tensorrtllm_pip_wheel_dir=str(d))
    a = args_of(p.steps[1])
    assert (a["HAS_TRTLLM_CONTEXT"], a["GITHUB_TRTLLM_COMMIT"]) == ("1", "31116825")
    assert dict(p.steps[1].contexts)["trtllm_wheel"] == str(d)
    assert [s.kind for s in p.steps] == ["build", "build"]


def test_trtllm_explicit_commit_wins_over_commit_txt(repo: Path) -> None:
    d = wheel_dir(repo)
    p = plan(repo, framework="trtllm", tensorrtllm_pip_wheel_dir=str(d), tensorrtllm_commit="abc")
    assert args_of(p.steps[1])["GITHUB_TRTLLM_COMMIT"] == "abc"
    assert any("wins over" in w for w in p.warnings)


def test_trtllm_nixl_kvcache_flag(repo: Path) -> None:
    p = plan(repo, framework="trtllm", trtllm_use_nixl_kvcache_experimental=True)
    assert args_of(p.steps[1])["TRTLLM_USE_NIXL_KVCACHE_EXPERIMENTAL"] == "1"


# ----- JSON ---------------------------------------------------------------------------------------


def test_json_plan_shape(repo: Path) -> None:
    data = json.loads(
        json.dumps(plan(repo, {"HF_TOKEN": "hf_zzz"}, framework="sglang", target="runtime").to_json())
    )
    assert data["framework"] == "sglang" and data["cuda_version"] == "12.9"
    assert isinstance(data["steps"], list) and len(data["steps"]) == 2
    step = data["steps"][1]
    for key in ("argv", "dockerfile", "target", "tags", "build_args", "secrets", "platform"):
        assert key in step
    assert step["secrets"] == ["hf-token"]
    assert step["build_args"]["DYNAMO_BASE_IMAGE"] == data["steps"][0]["tags"][0]
    assert step["argv"][0] == "docker" and step["platform"] == "linux/amd64"
    assert "hf_zzz" not in json.dumps(data)


def test_remote_builder_pushes_the_images_later_steps_build_from(repo: Path) -> None:
    remote = Frontend("docker", buildx=True, builder="farm", shares_image_store=False, driver="kubernetes")
    p = plan(repo, frontend=remote, target="local-dev", make_efa=True, registry="reg.example:5000/ci")
    outputs = [next(w for w in s.argv if w in ("--load", "--push")) for s in p.steps]
    assert outputs == ["--push", "--push", "--push", "--load"]  # base, dev, local-dev feed a later FROM
    assert args_of(p.steps[1])["DYNAMO_BASE_IMAGE"].startswith("reg.example:5000/ci/dynamo-base:")
    runtime = plan(repo, frontend=remote, target="runtime", registry="reg.example:5000/ci")
    assert [next(w for w in s.argv if w in ("--load", "--push")) for s in runtime.steps] == [
        "--push",
        "--load",
    ]


def test_buildx_steps_record_their_image_id_in_a_metadata_file(repo: Path) -> None:
    p = plan(repo, target="runtime")
    for step in p.steps:
        assert step.metadata == str(Path(step.log or "").with_name(f"{step.name}.metadata.json"))
        assert step.argv[step.argv.index("--metadata-file") + 1] == step.metadata
    legacy = plan(repo, frontend=Frontend("docker", buildx=False), target="runtime")
    assert all(not s.metadata and "--metadata-file" not in s.argv for s in legacy.steps)


# ----- --no-load (build.sh's flag) ------------------------------------------------------------------


def test_no_load_leaves_only_the_final_image_unloaded(repo: Path) -> None:
    p = plan(repo, target="local-dev", make_efa=True, no_load=True)
    *below, last = p.steps
    assert last.name == "efa" and "--load" not in last.argv
    assert last.argv[:4] == ("docker", "buildx", "build", "--progress=plain")
    assert all("--load" in s.argv for s in below)  # later steps build FROM them
    assert p.run_hint == ""  # nothing to run: the engine does not have it
    assert "--load" in plan(repo, target="runtime").steps[-1].argv


def test_no_load_refuses_push_and_warns_without_buildx(repo: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--push pushes the built image .*\(drop --no-load\)$"):
        plan(repo, no_load=True, push=True, registry="reg.example")
    p = plan(repo, target="runtime", no_load=True, frontend=Frontend(buildx=False))
    assert any("--no-load has no effect with docker build" in w for w in p.warnings)


# ----- --target frontend (framework none; build.sh's EPP image first) --------------------------------


def test_frontend_makes_the_epp_image_first(repo: Path) -> None:
    p = plan(repo, framework="none", target="frontend")
    epp, image = p.steps
    describe = git(repo, "describe", "--tags", "--dirty", "--always")
    assert (epp.kind, epp.name) == ("host", "epp")
    assert epp.argv == ("make", "-C", f"{repo}/deploy/inference-gateway/epp", "all", f"DYNAMO_DIR={repo}")
    assert (Path(image.dockerfile or "").name, image.target) == ("Dockerfile", "frontend")
    assert args_of(image)["EPP_IMAGE"] == f"dynamo/dynamo-epp:{describe}"
    assert image.tags[1] == "dynamo:latest-none-frontend"
    assert "EPP_IMAGE" not in args_of(plan(repo, framework="none", target="runtime").steps[0])
    (repo / "README").write_text("changed\n")  # the Makefile's tag says when the checkout is dirty
    assert args_of(plan(repo, framework="none", target="frontend").steps[1])["EPP_IMAGE"].endswith("-dirty")


@pytest.mark.parametrize("framework", ["vllm", "sglang", "trtllm"])
def test_frontend_is_refused_for_a_framework_with_the_reason(repo: Path, framework: str) -> None:
    with pytest.raises(ConfigError, match=r"frontend is an image of framework none .* --framework none"):
        plan(repo, framework=framework, target="frontend")
