"""Replay the snapshot's own build.sh dry runs (upstream 3b9b3f31c) through our planner, per class.

Each recorded scenario (tests/fixtures/reference/snapshot-build-sh-sample.jsonl) belongs to one
class of issue 18; a scenario plans what build.sh printed: tags, Dockerfile and target, the
effective value of every build arg (passed, or our Dockerfile's default), platform, --load,
contexts and secrets. Every deliberate difference is named below with its reason, and listed in
docs/differences-from-scripts.md.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildcontext import dockerfiles
from dynamo_container.errors import ConfigError
from dynamo_container.model import catalog
from dynamo_container.plan.model import BuildPlan, Step
from tests.helpers import PROJECT, git, make_repo, plan
from tests.unit.plan.test_reference import to_flags

SAMPLES = {
    s["id"]: s
    for s in (
        json.loads(line)
        for line in (PROJECT / "tests/fixtures/reference/snapshot-build-sh-sample.jsonl")
        .read_text()
        .splitlines()
        if line.strip()
    )
}

# The class of issue 18 each recorded build.sh scenario exercises.
CLASSES: dict[str, str] = {
    "vllm_default": "1 dev tags",
    "vllm_dev": "1 dev tags",
    "vllm_local_dev": "1 dev tags",
    "vllm_default_tag_custom": "1 dev tags",
    "vllm_runtime": "1 dev tags",
    "vllm_cuda_13_0": "1 dev tags",
    "trtllm_runtime": "1 dev tags",
    "sglang_runtime": "1 dev tags",
    "vllm_github_token": "1 dev tags",
    "vllm_runtime_make_efa": "2 efa",
    "vllm_dev_make_efa": "2 efa",
    "vllm_local_dev_make_efa": "2 efa",
    "none_frontend": "3 frontend",
    "vllm_no_load": "4 flags",
    "empty_value_tag": "6 empty values",
}

# ----- deliberate differences (each in docs/differences-from-scripts.md) -------------------------

# Build args build.sh passes that no Dockerfile of our family reads where it passes them.
NOT_PASSED = {
    # only Dockerfile.aws reads it; the tool passes it to the EFA step alone
    "EFA_VERSION": "EFA step only",
    # a credential as a build arg is stored in the image history: it travels as a BuildKit secret
    "GITHUB_TOKEN": "secret instead",
}
# The credentials build.sh passes as build args reach the build as BuildKit secrets instead.
SECRET_INSTEAD = {"GITHUB_TOKEN": "github-token"}
# Values the reviewed tool sets differently from build.sh.
DIFFERENT_VALUES = {
    # upstream's Dockerfile clones UCX at the git tag v1.20.0; build.sh's 1.20.0 names no ref
    ("NIXL_UCX_REF", "1.20.0"): "v1.20.0",
}
# The versioned tag of a non-default CUDA row carries -cuda<C> (build.sh tags both rows alike).
CUDA_SUFFIX = {"vllm_cuda_13_0": "-cuda13.0"}
# Download mode's empty trtllm_wheel context: a folder of the family, not /tmp/trtllm_wheel_context
# (a dry run writes nothing).
EMPTY_CONTEXT = str(PROJECT / "container" / "contexts" / "empty")


def parse_build(command: str) -> dict[str, Any]:
    """One recorded `docker buildx build` / `docker build` line, option by option."""
    words = shlex.split(command)
    out: dict[str, Any] = {"build_args": {}, "tags": [], "secrets": [], "contexts": {}, "flags": []}
    i = 3 if words[1] == "buildx" else 2
    while i < len(words):
        w = words[i]
        value = words[i + 1] if i + 1 < len(words) else ""
        if w in ("-f", "--file"):
            out["dockerfile"] = value
        elif w in ("--target", "--platform"):
            out[w[2:]] = value
        elif w == "--build-arg":
            k, _, v = value.partition("=")
            out["build_args"][k] = v  # the last of a name wins, as in docker
        elif w == "--tag":
            out["tags"].append(value)
        elif w == "--secret":
            out["secrets"].append(value.split(",")[0].removeprefix("id="))
        elif w == "--build-context":
            k, _, v = value.partition("=")
            out["contexts"][k] = v
        elif w.startswith("-"):
            out["flags"].append(w)
            i += 1
            continue
        else:
            out["context"] = w
            i += 1
            continue
        i += 2
    return out


@pytest.fixture
def snapshot_repo(tmp_path: Path) -> Path:
    """One commit after a tag v0.8.0, like the scratch repository the samples were recorded in."""
    return make_repo(tmp_path / "repo", tag="v0.8.0")


def subst(repo: Path, text: str) -> str:
    sha, short = git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "--short", "HEAD")
    return (
        text.replace("@CTX@", str(repo))
        .replace("@SHA@", sha)
        .replace("@SHORT@", short)
        .replace("@WORK@", str(repo))
        .replace("@UID@", "4242")
        .replace("@GID@", "4343")
    )


def builds(p: BuildPlan) -> list[Step]:
    return [s for s in p.steps if s.kind == "build"]


def effective_args(steps: list[Step]) -> dict[str, str]:
    """What each build arg is in our build: passed by a step, or its Dockerfile's global default."""
    out: dict[str, str] = {}
    for step in steps:
        df = dockerfiles.load(Path(step.dockerfile or ""))
        for name, default in df.global_args.items():
            if default is not None:
                out.setdefault(name, default)
    for step in steps:
        out.update(step.build_args)
    return out


def image_step(p: BuildPlan) -> Step:
    """Our step that builds what build.sh's one buildx command builds (not the EFA layer)."""
    return [s for s in builds(p) if s.name != "efa"][-1]


def check_image(sample: dict[str, Any], p: BuildPlan, recorded: dict[str, Any]) -> None:
    ours = image_step(p)
    suffix = CUDA_SUFFIX.get(sample["id"], "")
    fw = p.framework
    expected_tags = [t.replace(f"-{fw}", f"-{fw}{suffix}", 1) for t in recorded["tags"]]
    assert list(ours.tags) == expected_tags
    assert ours.target == recorded["target"]
    assert ours.platform == recorded["platform"]
    # dev and local-dev: build.sh joins Dockerfile.<fw> and dev/Dockerfile.dev in a temporary file;
    # the family has the dev stage in Dockerfile.<fw> and local-dev in Dockerfile.local_dev
    if sample.get("tmp_dockerfile"):
        framework_step = next(s for s in builds(p) if s.target == "dev")
        assert Path(framework_step.dockerfile or "").name == Path(sample["tmp_dockerfile"][0]).name
        if ours.target == catalog.LOCAL_DEV_STAGE:
            assert Path(ours.dockerfile or "").name == catalog.LOCAL_DEV_DOCKERFILE
    else:
        assert ours.dockerfile == recorded["dockerfile"].replace(
            f"{ours.context}/container", str(PROJECT / "container")
        )
    assert ("--load" in ours.argv) == ("--load" in recorded["flags"])


def check_args(p: BuildPlan, recorded: dict[str, Any]) -> None:
    ours = effective_args([s for s in builds(p) if s.name != "efa"])
    for name, value in recorded["build_args"].items():
        if name in NOT_PASSED:
            assert name not in dict(image_step(p).build_args), name
            continue
        expected = DIFFERENT_VALUES.get((name, value), value)
        assert ours.get(name) == expected, f"build arg {name}"


def check_contexts(p: BuildPlan, recorded: dict[str, Any]) -> None:
    ours = dict(image_step(p).contexts)
    for name, path in recorded["contexts"].items():
        assert ours[name] == (EMPTY_CONTEXT if path == "/tmp/trtllm_wheel_context" else path)
    secrets = recorded["secrets"] + [SECRET_INSTEAD[a] for a in recorded["build_args"] if a in SECRET_INSTEAD]
    assert sorted(s.id for s in image_step(p).secrets) == sorted(secrets)


def check_efa(p: BuildPlan, recorded: dict[str, Any]) -> None:
    efa = builds(p)[-1]
    below = image_step(p)
    assert efa.name == "efa" and list(efa.tags) == recorded["tags"]
    # local-dev gets runtime-aws, not build.sh's dev-aws (dev-aws would run the EFA installer as the
    # local-dev user and leave the image as root)
    expected = "runtime-aws" if below.target == catalog.LOCAL_DEV_STAGE else recorded["target"]
    assert efa.target == expected
    assert dict(efa.build_args) == {
        "BASE_IMAGE": recorded["build_args"]["BASE_IMAGE"],
        "EFA_VERSION": recorded["build_args"]["EFA_VERSION"],
    }
    assert efa.platform == recorded["platform"]


def replay(sample: dict[str, Any], repo: Path) -> BuildPlan:
    flags = to_flags([subst(repo, a) for a in sample["args"]])
    return plan(repo, sample["env"], **flags)


def test_every_sample_has_a_class() -> None:
    assert set(CLASSES) == set(SAMPLES)


@pytest.mark.parametrize("sample_id", sorted(CLASSES), ids=lambda i: f"{CLASSES[i]}: {i}")
def test_snapshot_build_scenario(sample_id: str, snapshot_repo: Path) -> None:
    sample = SAMPLES[sample_id]
    if sample["exit_code"] != 0:
        with pytest.raises(ConfigError) as err:
            replay(sample, snapshot_repo)
        message = (sample["stdout"] + sample["stderr"]).strip().splitlines()[-1]
        flag = message.removeprefix("ERROR: ").split()[0]  # `--tag requires an argument.`
        assert flag in str(err.value) and "\n" not in str(err.value)
        return
    p = replay(sample, snapshot_repo)
    assert p.version.version == subst(snapshot_repo, "v0.8.0.dev.@SHORT@")
    recorded = [parse_build(subst(snapshot_repo, c)) for c in sample["docker_commands"]]
    check_image(sample, p, recorded[0])
    check_args(p, recorded[0])
    check_contexts(p, recorded[0])
    if len(recorded) > 1:
        check_efa(p, recorded[1])
    else:
        assert builds(p)[-1].name != "efa"
    # the frontend's EPP image: the same make line, as a host step of the plan before the image
    hosts = [list(s.argv) for s in p.steps if s.kind == "host"]
    assert hosts == [shlex.split(subst(snapshot_repo, c)) for c in sample["other_commands"]]


# ===== run.sh ======================================================================================

RUN_SAMPLES = {
    s["id"]: s
    for s in (
        json.loads(line)
        for line in (PROJECT / "tests/fixtures/reference/snapshot-run-sh-sample.jsonl")
        .read_text()
        .splitlines()
        if line.strip()
    )
}
RUN_CLASSES: dict[str, str] = {
    "default": "7 run defaults",
    "mount_workspace": "7 run defaults",
    "user_only": "7 run defaults",
    "nixl_gds": "7 run defaults",
    "gpus_none_lower": "7 run defaults",
    "hf_cache_user_1000": "7 run defaults",
    "missing_value_volume": "6 missing value",
}
# What `invoke run` adds to run.sh's command, each for a reason (docs/differences-from-scripts.md):
# docker's init as PID 1 (Ctrl-C stops the container), `--` before the image (an image name is never
# read as an option), and in GPU containers device numbers as nvidia-smi's and the driver capabilities.
RUN_ADDITIONS = {("--init",), ("--",), ("-e", "CUDA_DEVICE_ORDER=PCI_BUS_ID")}
RUN_ADDITIONS |= {("-e", "NVIDIA_DRIVER_CAPABILITIES=compute,utility")}
_RUN_VALUED = {"--gpus", "--network", "--runtime", "--ulimit", "-e", "-v", "-p", "-w", "--cap-add", "--ipc"}
_RUN_VALUED |= {"--user", "--group-add", "--name", "--entrypoint"}


def run_options(words: list[str]) -> list[tuple[str, ...]]:
    """`docker run` words as (option[, value]) items, the image last as (image,)."""
    out: list[tuple[str, ...]] = []
    i = 2  # docker run
    while i < len(words):
        w = words[i]
        if w in _RUN_VALUED:
            out.append((w, words[i + 1]))
            i += 2
        else:
            out.append((w,))
            i += 1
    return out


def normalized_mount(item: tuple[str, ...]) -> tuple[str, ...]:
    """A -v item with its host path resolved (run.sh mounts <checkout>/container/.. and /mnt/)."""
    if item[0] != "-v":
        return item
    src, _, rest = item[1].partition(":")
    return ("-v", f"{Path(src).resolve() if src.startswith('/') else src}:{rest}")


@pytest.mark.parametrize("sample_id", sorted(RUN_CLASSES), ids=lambda i: f"{RUN_CLASSES[i]}: {i}")
def test_snapshot_run_scenario(sample_id: str, snapshot_repo: Path) -> None:
    from dynamo_container.plan.run import plan_run
    from dynamo_container.resolve.run import resolve_run
    from tests.helpers import HOST, config

    sample = RUN_SAMPLES[sample_id]
    (snapshot_repo / "container").mkdir()
    (snapshot_repo / "hf").mkdir()
    args = [subst(snapshot_repo, a) for a in sample["args"]]
    if sample["exit_code"] != 0:
        # `run -v` with nothing after it: refused by the command line before any setting is read, in
        # one line, as run.sh (`-v --dry-run`, a flag taken as the value, is tasks/argv.py's)
        from tests.unit.tasks.shell import run as invoke_cli

        (snapshot_repo / "tasks.py").write_text((PROJECT / "tasks.py").read_text())
        result = invoke_cli(snapshot_repo, "run", *args)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr == "error: --volume needs a value\n"
        return
    flags = to_flags(
        ["--" + {"-v": "volume"}.get(a, a.removeprefix("--")) if a.startswith("-") else a for a in args]
    )
    cfg = config(snapshot_repo, **flags)
    p = plan_run(resolve_run(cfg, [], HOST, {}))
    ours = [normalized_mount(o) for o in run_options(list(p.argv)) if o not in RUN_ADDITIONS]
    recorded = [
        normalized_mount(o)
        for o in run_options(shlex.split(subst(snapshot_repo, sample["docker_commands"][0])))
    ]
    assert ours == recorded
    # run.sh creates the HF cache folder also in a dry run (quirk dry_run_creates_hf_dir); ours says
    # which folder a real run creates, and a dry run writes nothing
    if sample["quirk"] == "dry_run_creates_hf_dir":
        assert p.create_dirs == (str(snapshot_repo / "container" / ".cache" / "huggingface"),)


# ===== class 4: every flag of the two scripts =====================================================

# The options build.sh (3b9b3f31c) parses, from its get_options (-h/--help: invoke's own --help;
# --release-build: only in its help).
BUILD_SH_FLAGS = [
    *("platform", "framework", "cuda-version", "nixl-ref", "tensorrtllm-pip-wheel-dir", "tensorrtllm-commit"),
    *(
        "tensorrtllm-pip-wheel",
        "tensorrtllm-index-url",
        "tensorrtllm-git-url",
        "base-image",
        "base-image-tag",
    ),
    *("target", "uid", "gid", "build-arg", "tag", "dry-run", "no-cache", "no-load", "push", "cache-from"),
    *("cache-to", "build-context", "enable-kvbm", "enable-gpu-memory-service", "enable-media-nixl"),
    *("enable-media-ffmpeg", "make-efa", "use-sccache", "sccache-bucket", "sccache-region", "vllm-max-jobs"),
    *("efa-version", "no-tag-latest", "release-build"),
]
# The options run.sh parses. --privileged and --rm take TRUE/FALSE there; here they are switches
# (--privileged / --no-privileged, --rm / --no-rm), and -it is -i with -t.
RUN_SH_FLAGS = [
    *("image", "framework", "target", "name", "hf-cache", "hf-home", "gpus", "runtime", "entrypoint"),
    *("workdir", "privileged", "rm", "volume", "port", "env", "mount-workspace", "use-nixl-gds", "network"),
    *("user", "dry-run", "interactive", "tty"),
]


def _task_flags(task_name: str) -> set[str]:
    from dynamo_container.tasks import collection

    task = collection(PROJECT, ["invoke", task_name])[task_name]
    return {name.replace("_", "-") for arg in task.get_arguments() for name in arg.names}


def test_every_build_sh_flag_is_a_flag_of_invoke_build() -> None:
    assert sorted(set(BUILD_SH_FLAGS) - _task_flags("build")) == []


def test_every_run_sh_flag_is_a_flag_of_invoke_run() -> None:
    assert sorted(set(RUN_SH_FLAGS) - _task_flags("run")) == []
    assert {"v", "e", "p", "i", "t"} <= _task_flags("run")  # -v, -e, -p and -it


# ===== constructed scenarios: what build.sh and run.sh do where no recording shows it ==============
# (each expectation worked out from the script's code at 3b9b3f31c: the TAG / LATEST_TAG chain and
# the -aws tags of build.sh:1005-1124; run.sh's get_options)

V = "v0.8.0.dev.@SHORT@"
CONSTRUCTED_BUILDS = [
    # (class, flags, final image tags, EFA stage and tags or None)
    (
        "1",
        {"framework": "sglang", "target": "local-dev"},
        [f"dynamo:{V}-sglang-local-dev", "dynamo:latest-sglang-local-dev"],
        None,
    ),
    ("1", {"framework": "trtllm", "tag": "x/t:2-runtime"}, ["x/t:2-dev", "dynamo:latest-trtllm"], None),
    ("1", {"framework": "none", "target": "dev", "no_tag_latest": True}, [f"dynamo:{V}-none-dev"], None),
    (
        "2",
        {"framework": "trtllm", "target": "dev", "make_efa": True},
        [f"dynamo:{V}-trtllm-dev", "dynamo:latest-trtllm"],
        ("dev-aws", [f"dynamo:{V}-trtllm-dev-aws", "dynamo:latest-trtllm-aws"]),
    ),
    (
        "2",
        {"framework": "vllm", "target": "local-dev", "tag": "my/img:1", "make_efa": True},
        ["my/img:1-local-dev", "dynamo:latest-vllm-local-dev"],
        # build.sh: dev-aws; ours runtime-aws (the local-dev user stays the user, see check_efa)
        ("runtime-aws", ["my/img:1-local-dev-aws", "dynamo:latest-vllm-local-dev-aws"]),
    ),
    (
        "2",
        {"framework": "sglang", "target": "runtime", "tag": "x:1", "make_efa": True, "no_tag_latest": True},
        ["x:1"],
        ("runtime-aws", ["x:1-aws"]),
    ),
    (
        "3",
        {"framework": "none", "target": "frontend", "make_efa": True},
        [f"dynamo:{V}-none-frontend", "dynamo:latest-none-frontend"],
        ("dev-aws", [f"dynamo:{V}-none-frontend-aws", "dynamo:latest-none-frontend-aws"]),
    ),
]


@pytest.mark.parametrize(
    ("cls", "flags", "tags", "efa"),
    CONSTRUCTED_BUILDS,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CONSTRUCTED_BUILDS)],
)
def test_constructed_build_scenario(
    cls: str, flags: dict[str, Any], tags: list[str], efa: tuple[str, list[str]] | None, snapshot_repo: Path
) -> None:
    p = plan(snapshot_repo, **flags)
    assert list(image_step(p).tags) == [subst(snapshot_repo, t) for t in tags]
    last = builds(p)[-1]
    if efa is None:
        assert last.name != "efa"
    else:
        assert (last.target, list(last.tags)) == (efa[0], [subst(snapshot_repo, t) for t in efa[1]])
        assert dict(last.build_args)["BASE_IMAGE"] == image_step(p).tags[0]


CONSTRUCTED_RUNS = [
    # (flags, options that must appear in order, options that must not appear)
    ({"user": "root"}, [("--user", "root")], [("--group-add", "0")]),
    ({"user": "0"}, [("--user", "0")], [("--group-add", "0")]),
    ({"user": "dynamo"}, [("--user", "dynamo"), ("--group-add", "0")], []),
    ({"gpus": "NONE", "runtime": "nvidia"}, [], [("--runtime", "nvidia"), ("--gpus", "NONE")]),
    ({"gpus": "0,1"}, [("--gpus", '"device=0,1"'), ("--runtime", "nvidia")], []),
    # --use-nixl-gds with --mount-workspace: /tmp is mounted once (by the workspace)
    (
        {"mount_workspace": True, "use_nixl_gds": True},
        [("-v", "/tmp:/tmp"), ("-v", "/run/udev:/run/udev:ro")],
        [],
    ),
    ({"mount_workspace": True, "hf_cache": "none"}, [("-e", "HF_TOKEN")], [("--privileged",)]),
    ({"privileged": True}, [("--privileged",)], []),
]


@pytest.mark.parametrize(("flags", "present", "absent"), CONSTRUCTED_RUNS)
def test_constructed_run_scenario(
    flags: dict[str, Any], present: list[tuple[str, ...]], absent: list[tuple[str, ...]], snapshot_repo: Path
) -> None:
    from dynamo_container.plan.run import plan_run
    from dynamo_container.resolve.run import resolve_run
    from tests.helpers import HOST, config

    (snapshot_repo / "container").mkdir()
    options = run_options(list(plan_run(resolve_run(config(snapshot_repo, **flags), [], HOST, {})).argv))
    found = [options.index(o) for o in present]
    assert found == sorted(found)
    assert not [o for o in absent if o in options]
    assert options.count(("-v", "/tmp:/tmp")) <= 1
